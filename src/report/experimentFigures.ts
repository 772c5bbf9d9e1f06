import type { TopLevelSpec } from "vega-lite";
import type { FigureSpec } from "../experiments/figureSpec.js";
import type { Experiment } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";
import { buildFigure, type FigureOptions } from "./buildFigure.js";

/** The figure specs an experiment declares (its `figures`, grammar specs). */
export function figureSpecsOf(exp: Experiment): readonly FigureSpec[] {
  return exp.figures;
}

/** The title a figure is drawn under: its own, else its experiment's. */
export function figureTitle(exp: Pick<Experiment, "title">, spec: FigureSpec): string {
  return spec.title ?? exp.title;
}

/** The figures of a record, by the specs its experiment declares: file name → Vega-Lite spec. */
export function experimentFigures(
  exp: Experiment,
  record: RunRecord,
  options: FigureOptions = {},
): { name: string; spec: TopLevelSpec; caption: string }[] {
  return figureSpecsOf(exp).map((s) => ({
    name: s.name,
    spec: buildFigure(s, record, { title: figureTitle(exp, s), ...options }),
    caption: figureCaption(s),
  }));
}

/** What a figure's caption says of its source: the paper's figure it mirrors, or that it is our own view. */
export function figureCaption(s: FigureSpec): string {
  return s.mirrors
    ? `Mirrors ${s.mirrors}.`
    : "metarep's own view of the claims below (no figure of the paper was matched to it in the paper's text).";
}
