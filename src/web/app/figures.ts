import type { TopLevelSpec } from "vega-lite";
import type { Experiment } from "../../experiments/types.js";
import type { RunRecord } from "../../record/types.js";
import { experimentFigures } from "../../report/experimentFigures.js";
import { traceFigure } from "../../report/figures.js";

export interface PageFigure {
  name: string;
  spec: TopLevelSpec | null;
  /** Why the figure cannot be drawn (yet). */
  error?: string;
}

function safely(name: string, build: () => TopLevelSpec): PageFigure {
  try {
    return { name, spec: build() };
  } catch (e) {
    return { name, spec: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * The figures of a (possibly partial) record, built by the CLI's figure builders. The `trace`
 * figure also draws the theory rate line (where `predictedRateOf` derives one); `live` is the record including the
 * seed in progress, which only the trace figure can draw.
 */
export function pageFigures(
  exp: Experiment,
  finished: RunRecord | null,
  live: RunRecord | null,
): PageFigure[] {
  const out: PageFigure[] = [];
  const trace = exp.figures.includes("trace");
  const current = live ?? finished;
  if (trace && current && current.result.seeds.length > 0) {
    out.push(
      safely("dist", () =>
        traceFigure(current, {
          title: exp.title,
          theoryRate: true,
          // One big panel for the playground's main view; facets keep the CLI's size.
          ...(current.result.seeds[0]?.curves.some((c) => Object.keys(c.labels).length > 1)
            ? {}
            : { width: 560, height: 320 }),
        }),
      ),
    );
  }
  if (finished && finished.result.seeds.length > 0) {
    for (const kind of exp.figures) {
      if (kind === "trace") continue;
      out.push(safely(kind, () => experimentFigures({ ...exp, figures: [kind] }, finished)[0].spec));
    }
  }
  return out;
}
