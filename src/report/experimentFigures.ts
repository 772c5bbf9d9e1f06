import type { TopLevelSpec } from "vega-lite";
import type { FigureSpec } from "../experiments/figureSpec.js";
import { collinsFigures } from "../experiments/figures/collins.js";
import { duFigures } from "../experiments/figures/du.js";
import { kongFigures } from "../experiments/figures/kong.js";
import { liFigures } from "../experiments/figures/li.js";
import type { Experiment, RunRecord } from "../experiments/types.js";
import { buildFigure, type FigureOptions } from "./buildFigure.js";

/** The declared figure specs, by experiment id (until each experiment carries its own). */
const DECLARED: Readonly<Record<string, readonly FigureSpec[]>> = {
  ...collinsFigures,
  ...duFigures,
  ...kongFigures,
  ...liFigures,
};

/**
 * The figure specs of an experiment: its own `figures` when they are grammar specs, else those
 * declared for its id in `experiments/figures/` (none for an experiment without figures).
 */
export function figureSpecsOf(exp: Experiment): readonly FigureSpec[] {
  const own = exp.figures as readonly unknown[];
  if (own.length > 0 && own.every((f) => typeof f === "object" && f !== null))
    return own as readonly FigureSpec[];
  return DECLARED[exp.id] ?? [];
}

/** The figures of a record, by the specs its experiment declares: file name → Vega-Lite spec. */
export function experimentFigures(
  exp: Experiment,
  record: RunRecord,
  options: FigureOptions = {},
): { name: string; spec: TopLevelSpec }[] {
  return figureSpecsOf(exp).map((s) => ({
    name: s.name,
    spec: buildFigure(s, record, { title: exp.title, ...options }),
  }));
}
