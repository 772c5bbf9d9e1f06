import type { TopLevelSpec } from "vega-lite";
import { UnknownNameError } from "../errors.js";
import type { RunRecord } from "../record/types.js";
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

const KINDS = new Map<string, FigureKindBuilder>([
  ["kong-projection", (r, o) => kongProjectionFigure(r, o)],
  ["li-alignment", (r, o) => liAlignmentFigure(r, o)],
]);

/** Register a figure kind under an id (a later registration of the same id replaces it). */
export function registerFigureKind(id: string, build: FigureKindBuilder): void {
  KINDS.set(id, build);
}

/** The registered figure kinds' ids. */
export function listFigureKinds(): string[] {
  return [...KINDS.keys()];
}

/** The builder of a figure kind; unknown ids list the known ones. */
export function getFigureKind(id: string): FigureKindBuilder {
  const b = KINDS.get(id);
  if (!b) throw new UnknownNameError("figure kind", id, listFigureKinds());
  return b;
}
