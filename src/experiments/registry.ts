import { UnknownNameError } from "../errors.js";
import { Registry } from "../registry.js";
import { bouniotNetwork } from "./bouniot/networkPenalty.js";
import { bouniotRegularisation } from "./bouniot/regularisation.js";
import { checkClaims } from "./claims.js";
import { collinsConvergence } from "./collins/convergence.js";
import { collinsDiversity } from "./collins/diversity.js";
import { collinsFiniteSamples } from "./collins/finiteSamples.js";
import { collinsHeadInit } from "./collins/headInit.js";
import { duCovariance } from "./du/covariance.js";
import { duDiversity } from "./du/diversity.js";
import { duExcessRisk } from "./du/excessRisk.js";
import { tripuraneniMom } from "./du/tripuraneniMom.js";
import { nonlinearRepresentation } from "./finn/nonlinearRepresentation.js";
import { finnSinusoid } from "./finn/sinusoid.js";
import { kongClassification } from "./kong/classification.js";
import { kongClustering } from "./kong/clustering.js";
import { kongPrediction } from "./kong/prediction.js";
import { kongProjection } from "./kong/projection.js";
import { kongRobustPca } from "./kong/robustPca.js";
import { kongScaling } from "./kong/scaling.js";
import { kongSine } from "./kong/sine.js";
import { kongSubspace } from "./kong/subspace.js";
import { liCifar10c } from "./li/cifar10c.js";
import { liDynamics } from "./li/dynamics.js";
import { liMultitaskCnn } from "./li/multitaskCnn.js";
import { sweepProbe } from "./sweepProbe.js";
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
  bouniotNetwork,
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
  finnSinusoid,
  nonlinearRepresentation,
  sweepProbe,
] as unknown as Experiment[])
  registerExperiment(e);

/** Add an experiment (a plug-in's, or a library user's); its id must be new. */
export function registerExperiment(e: Experiment, source?: string): Experiment {
  checkClaims(e.id, e.claims ?? []);
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
