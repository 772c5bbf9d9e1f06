import type { TopLevelSpec } from "vega-lite";
import type { FigureSpec } from "../../experiments/figureSpec.js";
import type { Experiment } from "../../experiments/types.js";
import type { RunRecord } from "../../record/types.js";
import { buildFigure } from "../../report/buildFigure.js";
import { figureSpecsOf, figureTitle } from "../../report/experimentFigures.js";

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

/** Figures drawn while a run goes on: those of curves per iteration (the `dist` trace). */
const isLive = (s: FigureSpec) =>
  s.kind !== "custom" && (s.stat ?? { kind: "band" }).kind === "band" && s.divergence === true;

/**
 * The figures of a (possibly partial) record, built from the experiment's figure specs by the
 * CLI's builder. `live` is the record including the seed in progress, which only the per-iteration
 * trace figures can draw; the others wait for the finished record.
 */
export function pageFigures(
  exp: Experiment,
  finished: RunRecord | null,
  live: RunRecord | null,
): PageFigure[] {
  const out: PageFigure[] = [];
  const current = live ?? finished;
  const specs = figureSpecsOf(exp);
  for (const spec of specs.filter(isLive)) {
    if (!current || current.result.seeds.length === 0) continue;
    out.push(
      safely(spec.name, () =>
        buildFigure(spec, current, {
          title: figureTitle(exp, spec),
          // One big panel for the playground's main view; facets keep the CLI's size.
          ...(current.result.seeds[0]?.curves.some((c) => Object.keys(c.labels).length > 1)
            ? {}
            : { width: 560, height: 320 }),
        }),
      ),
    );
  }
  if (finished && finished.result.seeds.length > 0) {
    for (const spec of specs) {
      if (isLive(spec)) continue;
      out.push(safely(spec.name, () => buildFigure(spec, finished, { title: figureTitle(exp, spec) })));
    }
  }
  return out;
}
