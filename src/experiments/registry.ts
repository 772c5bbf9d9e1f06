import { UnknownNameError } from "../errors.js";
import { Registry } from "../registry.js";
import { bouniotRegularisation } from "./bouniotRegularisation.js";
import { collinsConvergence } from "./collinsConvergence.js";
import { collinsDiversity } from "./collinsDiversity.js";
import { collinsFiniteSamples } from "./collinsFiniteSamples.js";
import { collinsHeadInit } from "./collinsHeadInit.js";
import { duCovariance } from "./duCovariance.js";
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

/** The experiment registry (STYLE.md §9): the CLI help, the web menus and the docs read it. */
export const experiments = new Registry<Experiment>("experiment");
for (const e of [
  collinsConvergence,
  collinsDiversity,
  collinsFiniteSamples,
  collinsHeadInit,
  duExcessRisk,
  duDiversity,
  duCovariance,
  tripuraneniMom,
  bouniotRegularisation,
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
] as unknown as Experiment[])
  experiments.register(e);

/** Add an experiment (a plug-in's, or a library user's); its id must be new. */
export function registerExperiment(e: Experiment, source?: string): Experiment {
  return experiments.register(e, source);
}

/** The registered experiments; internal probes only with `{ internal: true }`. */
export function listExperiments(options: { internal?: boolean } = {}): readonly Experiment[] {
  const all = experiments.list();
  return options.internal ? all : all.filter((e) => !e.internal);
}

/** The experiment with this id; unknown ids list the known ones (internal probes are not listed). */
export function getExperiment(id: string): Experiment {
  if (!experiments.has(id))
    throw new UnknownNameError(
      "experiment",
      id,
      listExperiments().map((x) => x.id),
    );
  return experiments.get(id);
}
