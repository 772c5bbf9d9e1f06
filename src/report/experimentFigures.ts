import type { TopLevelSpec } from "vega-lite";
import type { Experiment, FigureKind, RunRecord } from "../experiments/types.js";
import { rateFigure, traceFigure } from "./figures.js";

const BUILDERS: Record<FigureKind, { name: string; build(record: RunRecord, title: string): TopLevelSpec }> =
  {
    trace: { name: "dist", build: (r, title) => traceFigure(r, { title }) },
    rate: { name: "rate", build: (r, title) => rateFigure(r, { title }) },
  };

/** The figures of a record, by the kinds its experiment declares: name → Vega-Lite spec. */
export function experimentFigures(
  exp: Experiment,
  record: RunRecord,
): { name: string; spec: TopLevelSpec }[] {
  return exp.figures.map((kind) => ({
    name: BUILDERS[kind].name,
    spec: BUILDERS[kind].build(record, exp.title),
  }));
}
