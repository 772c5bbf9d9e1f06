import type { TopLevelSpec } from "vega-lite";
import { addPluginKind, functionKind } from "../plugins/register.js";
import type { RunRecord } from "../record/types.js";
import { Registry } from "../registry.js";
import { kongProjectionFigure } from "./kongProjectionFigure.js";
import { liAlignmentFigure } from "./liAlignmentFigure.js";

/**
 * Figure kinds of their own (`{ kind: "custom", builder }` specs): figures the grammar does not
 * draw because they are truly one paper's (a scatter of projected estimates, alignment panels).
 * Built-ins register here exactly as a plug-in would (STYLE.md §15).
 */

export interface FigureKindOptions {
  title?: string;
}

export type FigureKindBuilder = (record: RunRecord, options: FigureKindOptions) => TopLevelSpec;

/** A registered figure kind: its id and its builder. */
export interface FigureKind {
  id: string;
  build: FigureKindBuilder;
}

/** The figure-kind registry (DESIGN.md "Registries"). */
export const figureKinds = new Registry<FigureKind>("figure kind");
figureKinds.register({ id: "kong-projection", build: (r, o) => kongProjectionFigure(r, o) });
figureKinds.register({ id: "li-alignment", build: (r, o) => liAlignmentFigure(r, o) });

/** Register a figure kind under a new id (a plug-in's, or a library user's). */
export function registerFigureKind(id: string, build: FigureKindBuilder, source?: string): FigureKind {
  return figureKinds.register({ id, build }, source);
}

/** The registered figure kinds' ids. */
export function listFigureKinds(): string[] {
  return figureKinds.ids();
}

/** The builder of a figure kind; unknown ids list the known ones. */
export function getFigureKind(id: string): FigureKindBuilder {
  return figureKinds.get(id).build;
}

// Plug-ins' `figureKinds: [{ id, build(record, options) → Vega-Lite spec }]`.
addPluginKind(
  functionKind({
    key: "figureKinds",
    kind: "figure kind",
    registry: figureKinds as unknown as Registry<{ id: string }>,
    fn: "build",
    shape: "{ id: string, build(record, options) }",
  }),
);
