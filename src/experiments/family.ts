import type { Experiment } from "./types.js";

/**
 * The paper family of an experiment ("collins", "du", "kong", "li", "internal"), which the web
 * page groups its explorers by: the declared `family`; until every experiment declares one,
 * derived from the id here and nowhere else (tripuraneni-mom belongs with Du et al.'s few-shot
 * experiments).
 */
export function experimentFamily(exp: Pick<Experiment, "id" | "family" | "internal">): string {
  if (exp.family !== undefined) return exp.family;
  if (exp.internal) return "internal";
  if (exp.id.startsWith("tripuraneni-")) return "du";
  return exp.id.split("-")[0];
}
