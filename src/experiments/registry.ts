import { UnknownNameError } from "../errors.js";
import { collinsConvergence } from "./collinsConvergence.js";
import { collinsDiversity } from "./collinsDiversity.js";
import { collinsFiniteSamples } from "./collinsFiniteSamples.js";
import { collinsHeadInit } from "./collinsHeadInit.js";
import type { Experiment } from "./types.js";

// The CLI help, the web menus and the docs tables all come from this list (STYLE.md §9).
const EXPERIMENTS: readonly Experiment[] = [
  collinsConvergence,
  collinsDiversity,
  collinsFiniteSamples,
  collinsHeadInit,
] as unknown as readonly Experiment[];

export function listExperiments(): readonly Experiment[] {
  return EXPERIMENTS;
}

/** The experiment with this id; unknown ids list the known ones. */
export function getExperiment(id: string): Experiment {
  const e = EXPERIMENTS.find((x) => x.id === id);
  if (!e)
    throw new UnknownNameError(
      "experiment",
      id,
      EXPERIMENTS.map((x) => x.id),
    );
  return e;
}
