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
  /** What the figure leaves out for now (a live figure's theory line before its anchor). */
  notes?: string[];
}

type Row = Record<string, unknown>;

/**
 * A live figure's theory overlays restricted to what the run has computed so far: no theory row
 * outside the x range of its panel's curves, and no rate line before its anchor exists. A rate
 * line (`geometric`) goes through the first method's median where it first reaches the anchor
 * level; until a median has reached it, the builder falls back to the curve's start, which
 * draws the asymptotic rate from iteration 0 and makes every method look slower than theory.
 * Such a line is left out (and said so) until the anchor is computed.
 */
export function boundTheory(fig: FigureSpec, built: TopLevelSpec): { spec: TopLevelSpec; notes: string[] } {
  const data = (built as { data?: { values?: Row[] } }).data;
  const rows = data?.values;
  if (!rows || fig.kind === "custom") return { spec: built, notes: [] };
  const series = rows.filter((r) => r.kind === "series" && typeof r.x === "number");
  const panels = new Map<unknown, { first: unknown; xMax: number; xMin: number }>();
  for (const r of series) {
    const p = panels.get(r.panel) ?? { first: r.method, xMax: -Infinity, xMin: Infinity };
    p.xMax = Math.max(p.xMax, r.x as number);
    p.xMin = Math.min(p.xMin, r.x as number);
    panels.set(r.panel, p);
  }
  const notes: string[] = [];
  const withheld = new Set<string>();
  for (const o of fig.overlays ?? []) {
    if (o.kind !== "geometric") continue;
    for (const [panel, p] of panels) {
      const reached = series.some(
        (r) =>
          r.panel === panel && r.method === p.first && typeof r.median === "number" && r.median <= o.anchor,
      );
      if (reached) continue;
      withheld.add(`${String(panel)}\u0000${o.label}`);
      const note = `The line "${o.label}" is drawn once ${String(p.first)}'s median reaches ${o.anchor} (its anchor).`;
      if (!notes.includes(note)) notes.push(note);
    }
  }
  const kept = rows.filter((r) => {
    if (r.kind !== "theory") return true;
    const p = panels.get(r.panel);
    if (!p || withheld.has(`${String(r.panel)}\u0000${String(r.method)}`)) return false;
    return typeof r.x === "number" && r.x >= p.xMin && r.x <= p.xMax;
  });
  return { spec: { ...built, data: { ...data, values: kept } } as TopLevelSpec, notes };
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
    const fig = safely(spec.name, () =>
      buildFigure(spec, current, {
        title: figureTitle(exp, spec),
        // One big panel for the playground's main view; facets keep the CLI's size.
        ...(current.result.seeds[0]?.curves.some((c) => Object.keys(c.labels).length > 1)
          ? {}
          : { width: 560, height: 320 }),
      }),
    );
    if (live && fig.spec) {
      const bounded = boundTheory(spec, fig.spec);
      fig.spec = bounded.spec;
      if (bounded.notes.length > 0) fig.notes = bounded.notes;
    }
    out.push(fig);
  }
  if (finished && finished.result.seeds.length > 0) {
    for (const spec of specs) {
      if (isLive(spec)) continue;
      out.push(safely(spec.name, () => buildFigure(spec, finished, { title: figureTitle(exp, spec) })));
    }
  }
  return out;
}
