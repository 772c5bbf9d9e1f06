// Kong et al. (ICML 2020) pipeline stages; internal helpers (kernels, argmax, …) stay unexported.
export { oracleWeights, perTaskLeastSquares } from "./baselines.js";
export {
  classifyByLikelihood,
  classifyProjectedByLikelihood,
  projectedTaskResiduals,
  taskResiduals,
} from "./classification.js";
export { averageLinkage, singleLinkage } from "./clustering.js";
export { clusterInitialEstimates, type MixtureEstimate } from "./initialEstimates.js";
export { type Matching, matchedAccuracy, matchedComponentError, modalMatching } from "./matching.js";
export {
  type HalfMomentSampler,
  type HeavyStage,
  MLR_PIPELINE_DEFAULTS,
  type MlrModel,
  type MlrPipelineConfig,
  type MlrPipelineMetrics,
  type MlrPipelineResult,
  runMlrPipeline,
  stageOneSubspace,
  stageThree,
  stageTwo,
  type TaskSampler,
} from "./pipeline.js";
export {
  mapComponents,
  type Predictor,
  posteriorProbabilities,
  predictorWeights,
  taskMse,
  taskMses,
} from "./prediction.js";
export {
  medianProjectedDistances,
  type ProjectedParts,
  projectedDistanceError,
  projectParts,
  projectRevealedParts,
} from "./projectedDistances.js";
export {
  type LabelledTasks,
  refineByLeastSquares,
  refineFromNormalEquations,
  solveNormalEquations,
} from "./refinement.js";
export {
  halfMoments,
  type MomentSubspaceOptions,
  type MomentSubspaceResult,
  momentSubspace,
  momentSubspaceFromHalves,
  subspaceResidualError,
} from "./subspace.js";
