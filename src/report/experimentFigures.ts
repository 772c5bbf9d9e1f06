import type { TopLevelSpec } from "vega-lite";
import { UnknownNameError } from "../errors.js";
import type { Experiment } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";
import {
  fewShotDiversityFigure,
  fewShotExcessFigure,
  fewShotRiskFigure,
  sinThetaFigure,
} from "./fewShotFigures.js";
import { rateFigure, traceFigure } from "./figures.js";
import { KONG_FIGURE_KINDS, kongFigure } from "./kongFigures.js";
import { kongProjectionFigure } from "./kongProjectionFigure.js";
import { liAlignmentFigure, liErrorFigure, liGapFigure, liTasksFigure } from "./liFigures.js";

/** A figure kind: the file name it is written under and its Vega-Lite builder. */
export interface FigureBuilder {
  name: string;
  build(record: RunRecord, title: string): TopLevelSpec;
}

/** Figure kinds that experiments may declare (`Experiment.figures`). */
const BUILDERS: Record<string, FigureBuilder> = {
  trace: { name: "dist", build: (r, title) => traceFigure(r, { title }) },
  rate: { name: "rate", build: (r, title) => rateFigure(r, { title }) },
  "fewshot-er": { name: "excess-risk", build: (r, title) => fewShotRiskFigure(r, { title }) },
  "fewshot-excess": { name: "excess-over-oracle", build: (r, title) => fewShotExcessFigure(r, { title }) },
  "fewshot-diversity": { name: "diversity", build: (r, title) => fewShotDiversityFigure(r, { title }) },
  "fewshot-sintheta": { name: "sin-theta", build: (r, title) => sinThetaFigure(r, { title }) },
  "li-error": { name: "error", build: (r, title) => liErrorFigure(r, { title }) },
  "li-gap": { name: "gap", build: (r, title) => liGapFigure(r, { title }) },
  "li-alignment": { name: "alignment", build: (r, title) => liAlignmentFigure(r, { title }) },
  "li-tasks": { name: "tasks", build: (r, title) => liTasksFigure(r, { title }) },
  ...Object.fromEntries(
    Object.entries(KONG_FIGURE_KINDS).map(([kind, k]) => [
      kind,
      { name: k.name, build: (r: RunRecord, title: string) => kongFigure(kind, r, { title }) },
    ]),
  ),
  "kong-projection": { name: "projection", build: (r, title) => kongProjectionFigure(r, { title }) },
};

/** The figures of a record, by the kinds its experiment declares: name → Vega-Lite spec. */
export function experimentFigures(
  exp: Experiment,
  record: RunRecord,
): { name: string; spec: TopLevelSpec }[] {
  return exp.figures.map((kind) => {
    const b = BUILDERS[kind];
    if (!b) throw new UnknownNameError("figure kind", kind, Object.keys(BUILDERS));
    return { name: b.name, spec: b.build(record, exp.title) };
  });
}

/** Every registered figure kind (tests check each experiment's kinds are among them). */
export function figureKinds(): string[] {
  return Object.keys(BUILDERS);
}
