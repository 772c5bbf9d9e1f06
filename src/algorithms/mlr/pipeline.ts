import { ParamError } from "../../errors.js";
import { type Mat, zeros } from "../../linalg/mat.js";
import type { HalfMoments, MixtureTaskBatch, MixtureTruth } from "../../models/mixedLinearRegression.js";
import {
  type NormalEquations,
  type ProjectedTaskBatch,
  revealNormalEquations,
  revealTaskGrams,
} from "../../models/mixtureProjected.js";
import { foldIn, type Key } from "../../rng/key.js";
import { leastSquaresMseFromGrams, oracleWeights, perTaskLeastSquares } from "./baselines.js";
import { classifyByLikelihood, classifyProjectedByLikelihood } from "./classification.js";
import { absolute, averageLinkage, singleLinkage } from "./clustering.js";
import { clusterInitialEstimates, type MixtureEstimate } from "./initialEstimates.js";
import {
  type Matching,
  matchedAccuracy,
  matchedComponentError,
  matchedMaxError,
  modalMatching,
} from "./matching.js";
import {
  mapComponents,
  posteriorProbabilities,
  predictorWeights,
  projectedPosteriorProbabilities,
  projectedTaskMse,
  taskMses,
} from "./prediction.js";
import {
  medianProjectedDistances,
  type ProjectedParts,
  projectParts,
  projectRevealedParts,
} from "./projectedDistances.js";
import {
  addNormalEquations,
  normalEquationsOf,
  refineByLeastSquares,
  refineFromNormalEquations,
} from "./refinement.js";
import {
  type MomentSubspaceResult,
  momentSubspace,
  momentSubspaceFromHalves,
  subspaceResidualError,
} from "./subspace.js";

/** Draws n tasks of t examples each (a model's sampler, e.g. `sampleMixtureTasks` bound to a mixture). */
export type TaskSampler = (n: number, t: number, key: Key) => MixtureTaskBatch;

/** Draws the half-sample moments of n light tasks of t examples directly (e.g. `sampleMixtureHalfMoments`). */
export type HalfMomentSampler = (n: number, t: number, key: Key) => HalfMoments;

/** What the pipeline runs on: the model's samplers and the truth its metrics compare against. */
export interface MlrModel {
  truth: MixtureTruth;
  sample: TaskSampler;
  /** Optional exact-in-distribution sampler of stage 1's moments (used when `sampler` is "projected"). */
  sampleHalfMoments?: HalfMomentSampler;
  /**
   * Optional sampler of tasks revealed along the given directions (rows of a c×d matrix) and the
   * components, exact in distribution (stages 2 and 3 use it when `sampler` is "projected").
   */
  sampleProjectedTasks?: (n: number, t: number, directions: Mat, key: Key) => ProjectedTaskBatch;
}

/**
 * Sizes and choices of the whole pipeline (defaults: `mlr_ref.py`'s, with t1 counted per task).
 * Task sizes: subspace light tasks have `t1` examples (two halves); heavy tasks have 2L parts of
 * `t2` examples for the distances plus 2·t2 held-out examples (r̂² and the final least squares);
 * classified light tasks have `t3`; each new task has `tau` training and `tau` test examples.
 */
export interface MlrPipelineConfig {
  k: number;
  n1: number;
  t1: number;
  n2: number;
  t2: number;
  L: number;
  n3: number;
  t3: number;
  tau: number;
  nTest: number;
  /** Eigenvalue order of the moment matrix (default "magnitude"). */
  order?: "magnitude" | "algebraic";
  /** "average" linkage into k clusters (default) or "single" linkage at `threshold`. */
  linkage?: "average" | "single";
  /** H threshold of single linkage (of order Δ²/2). */
  threshold?: number;
  /**
   * "projected" (default), when the model can: stage 1's half-sample moments are drawn directly,
   * and stages 2–3 reveal their tasks only along the directions the distances, classification
   * and least squares touch, completing the least-squares sums in distribution (same distribution,
   * no d-dimensional X); "direct" materialises every X. Stage 4 always materialises X (per-task
   * least squares needs it).
   */
  sampler?: "projected" | "direct";
}

export const MLR_PIPELINE_DEFAULTS: MlrPipelineConfig = {
  k: 4,
  n1: 8192,
  t1: 8,
  n2: 128,
  t2: 16,
  L: 1,
  n3: 8192,
  t3: 4,
  tau: 4,
  nTest: 1024,
};

/** The pipeline's metrics, named as `mlr_ref.py --json` reports them. */
export interface MlrPipelineMetrics {
  subspace_err: number;
  clustering_acc: number;
  clusters_found: number;
  init_w_err: number | null;
  init_p_err: number | null;
  classification_acc: number;
  final_w_err: number | null;
  final_p_err: number | null;
  final_s2_relerr: number | null;
  test_map_acc: number;
  test_mse_pm: number;
  test_mse_map: number;
  test_mse_ls: number;
  test_mse_oracle: number;
}

export interface MlrPipelineResult {
  metrics: MlrPipelineMetrics;
  U: Mat;
  /** Heavy-task cluster labels and their matching to the true components. */
  clusters: Int32Array;
  matching: Matching;
  initial: MixtureEstimate;
  final: MixtureEstimate;
}

/** Stage 1 on fresh light tasks: through the moment sampler when projected and available. */
export function stageOneSubspace(
  model: MlrModel,
  config: Pick<MlrPipelineConfig, "k" | "n1" | "t1" | "order" | "sampler">,
  key: Key,
): MomentSubspaceResult {
  const order = config.order ?? "magnitude";
  if ((config.sampler ?? "projected") === "projected" && model.sampleHalfMoments) {
    const { B1, B2 } = model.sampleHalfMoments(config.n1, config.t1, key);
    return momentSubspaceFromHalves(B1, B2, config.k, { order });
  }
  return momentSubspace(model.sample(config.n1, config.t1, key), config.k, { order });
}

/**
 * Stage 3 on n3 fresh light tasks: likelihood classification under `initial`, then per-component
 * least squares on the assigned light tasks plus the clusters' held-out heavy examples. Projected
 * (when the model can): tasks revealed along span(ŵ_g, w_ℓ) and the least-squares sums completed
 * in distribution (`revealNormalEquations`); direct: materialised X.
 */
export function stageThree(
  model: MlrModel,
  config: Pick<MlrPipelineConfig, "n3" | "t3" | "sampler">,
  stage2: HeavyStage,
  key: Key,
): { light: Int32Array; labels: Int32Array; final: MixtureEstimate } {
  const { heavy, clusters, c, heldOut, initial } = stage2;
  if ((config.sampler ?? "projected") === "projected" && model.sampleProjectedTasks) {
    const pb = model.sampleProjectedTasks(config.n3, config.t3, initial.W, key);
    const labels = classifyProjectedByLikelihood(pb, initial);
    const light = revealNormalEquations(pb, labels, c, foldIn(key, 1));
    const held = heldOutNormalEquations(stage2, foldIn(key, 2));
    const final = refineFromNormalEquations(
      light.map((ne, g) => addNormalEquations(ne, held[g])),
      labels,
      initial,
    );
    return { light: pb.ids, labels, final };
  }
  const light2 = model.sample(config.n3, config.t3, key);
  const labels = classifyByLikelihood(light2, initial);
  if (isProjected(heavy)) {
    const held = heldOutNormalEquations(stage2, foldIn(key, 2));
    const mine = normalEquationsOf(light2, labels, c);
    const final = refineFromNormalEquations(
      mine.map((ne, g) => addNormalEquations(ne, held[g])),
      labels,
      initial,
    );
    return { light: light2.ids, labels, final };
  }
  const final = refineByLeastSquares(
    { batch: light2, labels },
    [{ batch: heavy, labels: clusters, from: heldOut.from, to: heldOut.to }],
    c,
    initial,
  );
  return { light: light2.ids, labels, final };
}

/** The least-squares sums of the clusters' held-out heavy examples (completed in distribution when projected). */
function heldOutNormalEquations(stage2: HeavyStage, key: Key): NormalEquations[] {
  const { heavy, clusters, c, heldOut } = stage2;
  return isProjected(heavy)
    ? revealNormalEquations(heavy, clusters, c, key, heldOut.from, heldOut.to)
    : normalEquationsOf(heavy, clusters, c, heldOut.from, heldOut.to);
}

function isProjected(b: MixtureTaskBatch | ProjectedTaskBatch): b is ProjectedTaskBatch {
  return "P" in b;
}

/** What stage 2 leaves for stage 3: the heavy tasks, their clusters and the initial estimates. */
export interface HeavyStage {
  heavy: MixtureTaskBatch | ProjectedTaskBatch;
  proj: ProjectedParts;
  clusters: Int32Array;
  /** Number of clusters (k for average linkage). */
  c: number;
  initial: MixtureEstimate;
  /** The held-out examples [from, to) of each heavy task (r̂² and the final least squares). */
  heldOut: { from: number; to: number };
}

/**
 * Stage 2 on n2 fresh heavy tasks of (2L + 2)·t2 examples: median-of-L projected distances in
 * col(Û), clustering (average linkage into k, or single linkage at `threshold`), initial
 * estimates with r̂² from the 2·t2 held-out examples. Projected (when the model can): tasks
 * revealed along span(Û, w_ℓ) only, which is all these steps read.
 */
export function stageTwo(
  model: MlrModel,
  config: Pick<MlrPipelineConfig, "k" | "n2" | "t2" | "L" | "linkage" | "threshold" | "sampler">,
  U: Mat,
  key: Key,
): HeavyStage {
  const { k, n2, t2, L } = config;
  const t = (2 * L + 2) * t2;
  let heavy: MixtureTaskBatch | ProjectedTaskBatch;
  let proj: ProjectedParts;
  if ((config.sampler ?? "projected") === "projected" && model.sampleProjectedTasks) {
    const Ut = zeros(U.cols, U.rows);
    for (let i = 0; i < U.rows; i++)
      for (let a = 0; a < U.cols; a++) Ut.data[a * U.rows + i] = U.data[i * U.cols + a];
    const pb = model.sampleProjectedTasks(n2, t, Ut, key);
    heavy = pb;
    proj = projectRevealedParts(pb, U, 2 * L, t2);
  } else {
    const b = model.sample(n2, t, key);
    heavy = b;
    proj = projectParts(b, U, 2 * L, t2);
  }
  const H = medianProjectedDistances(proj, L);
  let clusters: Int32Array;
  let c: number;
  if ((config.linkage ?? "average") === "average") {
    clusters = averageLinkage(absolute(H), n2, k);
    c = k;
  } else {
    const s = singleLinkage(H, n2, config.threshold as number);
    clusters = s.labels;
    c = s.clusters;
  }
  const heldOut = { from: 2 * L * t2, to: t };
  const initial = clusterInitialEstimates(proj, U, clusters, c, { batch: heavy, ...heldOut });
  return { heavy, proj, clusters, c, initial, heldOut };
}

/** What stage 4 measures on the new tasks. */
export interface StageFourResult {
  /** Test MSE of the posterior-mean, MAP, per-task least-squares and oracle predictors. */
  mse: { pm: number; map: number; ls: number; oracle: number };
  /** MAP component of each new task, and its true component. */
  mapComponent: Int32Array;
  ids: Int32Array;
}

/**
 * Stage 4 on nTest new tasks of τ training and τ test examples: posterior under `final`, test MSE
 * of the posterior mean, MAP, per-task least squares (minimum-norm when τ < d) and the oracle
 * (the true w of the task's component; `oracleMse` overrides it, e.g. for the sine mixture).
 * Projected (when the model can and 2τ ≤ d − (c + k), so that drawing the tasks' Gram matrices
 * is cheaper than their X): tasks revealed along span(ŵ_g, w_ℓ), per-task least squares from the
 * Gram matrices completed in distribution (`revealTaskGrams`); otherwise X is materialised.
 */
export function stageFour(
  model: MlrModel,
  config: Pick<MlrPipelineConfig, "sampler">,
  final: MixtureEstimate,
  tau: number,
  nTest: number,
  key: Key,
  oracleMse?: (batch: MixtureTaskBatch, from: number, to: number) => number,
): StageFourResult {
  const { truth } = model;
  const c = final.W.rows;
  const projected =
    (config.sampler ?? "projected") === "projected" &&
    model.sampleProjectedTasks !== undefined &&
    2 * tau <= truth.d - (c + truth.k);
  if (projected && model.sampleProjectedTasks) {
    const pb = model.sampleProjectedTasks(nTest, 2 * tau, final.W, key);
    const post = projectedPosteriorProbabilities(pb, final, 0, tau);
    const mse = (w: Mat) => projectedTaskMse(pb, w, tau, 2 * tau);
    const grams = revealTaskGrams(pb, foldIn(key, 1), 0, 2 * tau);
    return {
      mse: {
        pm: mse(predictorWeights(post, final, "pm")),
        map: mse(predictorWeights(post, final, "map")),
        ls: leastSquaresMseFromGrams(grams, pb.y, nTest, 2 * tau, 0, tau, tau, truth.d),
        oracle: mse(oracleWeights(pb.ids, truth.W)),
      },
      mapComponent: mapComponents(post, c),
      ids: pb.ids,
    };
  }
  const test = model.sample(nTest, 2 * tau, key);
  const post = posteriorProbabilities(test, final, 0, tau);
  const weights = [
    predictorWeights(post, final, "pm"),
    predictorWeights(post, final, "map"),
    perTaskLeastSquares(test, 0, tau),
  ];
  if (!oracleMse) weights.push(oracleWeights(test.ids, truth.W));
  // One pass over the test rows for every predictor (the same bits as one taskMse each).
  const [pm, map, ls, oracle] = taskMses(test, weights, tau, 2 * tau);
  return {
    mse: { pm, map, ls, oracle: oracleMse ? oracleMse(test, tau, 2 * tau) : oracle },
    mapComponent: mapComponents(post, c),
    ids: test.ids,
  };
}

/** Validate a pipeline configuration (one ParamError naming the parameter, constraint and value). */
export function checkPipelineConfig(c: MlrPipelineConfig, d: number): void {
  const ctx = "mlrPipeline";
  const ints: [keyof MlrPipelineConfig, number][] = [
    ["k", 1],
    ["n1", 1],
    ["t1", 2],
    ["n2", 1],
    ["t2", 1],
    ["L", 1],
    ["n3", 1],
    ["t3", 2],
    ["tau", 1],
    ["nTest", 1],
  ];
  for (const [name, min] of ints) {
    const v = c[name] as number;
    if (!Number.isInteger(v) || v < min) throw new ParamError(ctx, name, `must be an integer ≥ ${min}`, v);
  }
  if (c.k >= d) throw new ParamError(ctx, "k", `must be < d (= ${d})`, c.k);
  if ((c.linkage ?? "average") === "average" && c.n2 < c.k) {
    throw new ParamError(ctx, "n2", `must be ≥ k (= ${c.k}) heavy tasks`, c.n2);
  }
  if (c.linkage === "single" && !Number.isFinite(c.threshold)) {
    throw new ParamError(ctx, "threshold", "must be a finite number for single linkage", c.threshold);
  }
}

/**
 * The whole light/heavy pipeline of Kong et al. (ICML 2020; SPEC §2), each stage on its own fresh
 * tasks (keys foldIn(key, 1..4)): subspace from n1 light tasks, clustering of n2 heavy tasks in
 * the projected space and initial estimates, likelihood classification of n3 light tasks and
 * per-component least squares, then prediction on nTest new tasks (posterior mean, MAP, per-task
 * least squares and the oracle). Metrics as `mlr_ref.py` reports them.
 */
export function runMlrPipeline(model: MlrModel, config: MlrPipelineConfig, key: Key): MlrPipelineResult {
  const { truth } = model;
  const { d } = truth;
  checkPipelineConfig(config, d);
  const { tau, nTest } = config;

  // 1. Subspace from light tasks.
  const { U } = stageOneSubspace(model, config, foldIn(key, 1));
  const subspace_err = subspaceResidualError(U, truth.V, truth.rho);

  // 2. Heavy tasks: projected distances, clustering, initial estimates.
  const stage2 = stageTwo(model, config, U, foldIn(key, 2));
  const { clusters, c, initial } = stage2;
  const matching = modalMatching(stage2.heavy.ids, clusters, truth.k, c);

  // 3. Classification of light tasks, then per-component least squares.
  const { light: light2ids, labels: labels3, final } = stageThree(model, config, stage2, foldIn(key, 3));

  // 4. Prediction on new tasks: tau training and tau test examples each.
  const four = stageFour(model, config, final, tau, nTest, foldIn(key, 4));
  let mapHits = 0;
  for (let i = 0; i < nTest; i++) if (four.mapComponent[i] === matching.cmap[four.ids[i]]) mapHits++;
  const { cmap } = matching;
  const matched = cmap.every((g) => g >= 0);
  const s2true = Float64Array.from(truth.s, (s) => s * s);
  const metrics: MlrPipelineMetrics = {
    subspace_err,
    clustering_acc: matching.accuracy,
    clusters_found: matching.clustersFound,
    init_w_err: matched ? matchedComponentError(initial.W, truth.W, cmap) : null,
    init_p_err: matched ? matchedMaxError(initial.p, truth.p, cmap) : null,
    classification_acc: matchedAccuracy(light2ids, labels3, cmap, c),
    final_w_err: matched ? matchedComponentError(final.W, truth.W, cmap) : null,
    final_p_err: matched ? matchedMaxError(final.p, truth.p, cmap) : null,
    final_s2_relerr: matched ? matchedMaxError(final.s2, s2true, cmap, true) : null,
    test_map_acc: mapHits / nTest,
    test_mse_pm: four.mse.pm,
    test_mse_map: four.mse.map,
    test_mse_ls: four.mse.ls,
    test_mse_oracle: four.mse.oracle,
  };
  return { metrics, U, clusters, matching, initial, final };
}
