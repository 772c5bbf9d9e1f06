import { UnknownNameError } from "../errors.js";
import { collinsConvergence } from "./collinsConvergence.js";
import { collinsDiversity } from "./collinsDiversity.js";
import { collinsFiniteSamples } from "./collinsFiniteSamples.js";
import { collinsHeadInit } from "./collinsHeadInit.js";
import { duDiversity } from "./duDiversity.js";
import { duExcessRisk } from "./duExcessRisk.js";
import { kongClassification } from "./kongClassification.js";
import { kongClustering } from "./kongClustering.js";
import { kongPrediction } from "./kongPrediction.js";
import { kongProjection } from "./kongProjection.js";
import { kongRobustPca } from "./kongRobustPca.js";
import { kongScaling } from "./kongScaling.js";
import { kongSine } from "./kongSine.js";
import { kongSubspace } from "./kongSubspace.js";
import { liCifar10c } from "./liCifar10c.js";
import { liDynamics } from "./liDynamics.js";
import { liMultitaskCnn } from "./liMultitaskCnn.js";
import { sweepProbe } from "./sweepProbe.js";
import { tripuraneniMom } from "./tripuraneniMom.js";
import type { Experiment } from "./types.js";

// The CLI help, the web menus and the docs tables all come from this list (STYLE.md §9).
const EXPERIMENTS: readonly Experiment[] = [
  collinsConvergence,
  collinsDiversity,
  collinsFiniteSamples,
  collinsHeadInit,
  duExcessRisk,
  duDiversity,
  tripuraneniMom,
  kongSubspace,
  kongClustering,
  kongProjection,
  kongClassification,
  kongPrediction,
  kongSine,
  kongRobustPca,
  kongScaling,
  liMultitaskCnn,
  liDynamics,
  liCifar10c,
  sweepProbe,
] as unknown as readonly Experiment[];

/** The registered experiments; internal probes only with `{ internal: true }`. */
export function listExperiments(options: { internal?: boolean } = {}): readonly Experiment[] {
  return options.internal ? EXPERIMENTS : EXPERIMENTS.filter((e) => !e.internal);
}

/** The experiment with this id; unknown ids list the known ones (internal probes are not listed). */
export function getExperiment(id: string): Experiment {
  const e = EXPERIMENTS.find((x) => x.id === id);
  if (!e)
    throw new UnknownNameError(
      "experiment",
      id,
      listExperiments().map((x) => x.id),
    );
  return e;
}
