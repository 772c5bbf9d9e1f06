import { z } from "zod";
import type { MixtureEstimate } from "../../algorithms/mlr/initialEstimates.js";
import { matchedAccuracy, matchedComponentError } from "../../algorithms/mlr/matching.js";
import { type MlrModel, stageFour, stageThree } from "../../algorithms/mlr/pipeline.js";
import type { MixtureTaskBatch } from "../../models/mixedLinearRegression.js";
import { foldIn, foldInString, type Key } from "../../rng/key.js";
import { kongPipelineCost } from "../cost.js";
import { listOf, posInt } from "../params.js";
import type { Curve, Experiment, RunContext } from "../types.js";
import { kongPredictionClaims } from "./claims.js";
import { runKongHeavyStage } from "./classification.js";
import { kongFigures } from "./figures.js";
import {
  buildKongMixture,
  checkKongMixture,
  checkKongStages,
  kongCurve,
  type MixtureSetting,
  mixtureFields,
  stageFields,
} from "./params.js";
import { MSE_Y, X_TAU } from "./quantities.js";

export const PREDICTION_METHODS = ["pm", "map", "ls", "oracle"] as const;
export type PredictionMethod = (typeof PREDICTION_METHODS)[number];

export const predictionFields = {
  taus: listOf(posInt())
    .default([1, 2, 4, 8, 16, 24, 28, 32, 36, 40, 48, 64])
    .describe("examples τ of each new task (each ≥ 1)"),
  n_test: posInt().default(1024).describe("new tasks per τ (τ training and τ test examples each)"),
  methods: listOf(z.enum(PREDICTION_METHODS))
    .default([...PREDICTION_METHODS])
    .describe("predictors: posterior mean (pm), MAP, per-task least squares (ls), oracle"),
};

const schema = z
  .strictObject({ ...mixtureFields, ...stageFields, ...predictionFields })
  .superRefine(checkKongMixture)
  .superRefine(checkKongStages);

/** Resolved stage sizes and choices (`stageFields`). */
export type KongStageParams = z.output<z.ZodObject<typeof stageFields>>;

/** Stages 1–3 (subspace, clustering, classification and least squares): the final estimate. */
export function fitKongMixture(
  p: KongStageParams & { k: number },
  setting: MixtureSetting,
  key: Key,
): { final: MixtureEstimate; scalars: Record<string, number | null> } {
  const stage = runKongHeavyStage(p, setting, key);
  const { light, labels, final } = stageThree(setting, p, stage, foldInString(key, "classify"));
  const { cmap } = stage.matching;
  return {
    final,
    scalars: {
      clustering_acc: stage.matching.accuracy,
      classification_acc: matchedAccuracy(light, labels, cmap, stage.c),
      final_w_err: matchedComponentError(final.W, setting.truth.W, cmap),
    },
  };
}

/**
 * Test MSE on n_test new tasks per τ (τ training, τ fresh test examples each) of each predictor:
 * posterior mean and MAP under the fitted mixture, per-task least squares (minimum-norm when
 * τ < d), and the oracle (`oracleMse` when given, else the true component's w). One curve per
 * method over τ; the same new tasks for every method.
 */
export function predictionCurves(
  taus: readonly number[],
  nTest: number,
  methods: readonly PredictionMethod[],
  final: MixtureEstimate,
  model: MlrModel,
  sampler: "projected" | "direct",
  key: Key,
  ctx: RunContext,
  oracleMse?: (batch: MixtureTaskBatch, from: number, to: number) => number,
): Curve[] {
  const ys: Record<PredictionMethod, number[]> = { pm: [], map: [], ls: [], oracle: [] };
  taus.forEach((tau, i) => {
    const { mse } = stageFour(
      model,
      { sampler },
      final,
      tau,
      nTest,
      foldIn(foldInString(key, "new-tasks"), tau),
      oracleMse,
    );
    for (const m of methods) ys[m].push(mse[m]);
    ctx.progress(i + 1, taus.length);
  });
  const names: Record<PredictionMethod, string> = {
    pm: "posterior mean",
    map: "MAP",
    ls: "per-task least squares",
    oracle: "oracle",
  };
  return methods.map((m) => kongCurve({ method: names[m] }, X_TAU, MSE_Y, [...taus], ys[m]));
}

/**
 * Kong et al. (ICML 2020), stage 4: test MSE on new tasks vs τ for the posterior-mean and MAP
 * predictors of the fitted mixture, per-task least squares (its error spikes at τ = d) and the
 * oracle (≈ s²). Stages 1–3 run once per seed at the stage sizes.
 */
export const kongPrediction: Experiment<typeof schema> = {
  id: "kong-prediction",
  title: "Prediction on new tasks: test MSE vs τ (posterior mean, MAP, least squares, oracle)",
  family: "kong",
  lookFor:
    "Posterior-mean and MAP prediction approach the oracle's test MSE after a few examples τ per new task, while per-task least squares needs τ ≥ d and spikes at τ = d (its interpolation peak).",
  paper: "Kong, Somani, Song, Kakade, Oh. Meta-learning for Mixed Linear Regression. ICML 2020",
  description: "test MSE vs τ for PM, MAP, LS, oracle",
  figures: kongFigures["kong-prediction"],
  claims: kongPredictionClaims,
  params: schema,
  sizes: {
    smoke: { n1: 4096, n3: 4096, n_test: 256, taus: [1, 4, 16, 32, 64] },
    paper: {},
  },
  seeds: { smoke: 3, paper: 10 },
  // Stages 1–3 once, then n_test new tasks of τ + τ examples at every τ: drawing each example
  // (d normals) and predicting it (k components, the residuals), ~3 ns per entry of d·(k + 4);
  // per-task least squares adds a Householder QR of each τ×d design (the wasm kernel
  // minNormPairs, ~0.5 ns per τ·d·min(τ, d): ~0.14 s of a 0.7 s paper-size cell, by profile).
  cost: (p) => {
    const tests = 2 * p.n_test * p.taus.reduce((a, b) => a + b, 0);
    const qr = p.methods.includes("ls")
      ? 0.5 * p.n_test * p.d * p.taus.reduce((a, t) => a + t * Math.min(t, p.d), 0)
      : 0;
    return kongPipelineCost(p) + (3 * tests * p.d * (p.k + 4) + qr) / 1e6;
  },
  runCondition(p, _c, key, ctx) {
    const setting = buildKongMixture(p, key);
    const { final, scalars } = fitKongMixture(p, setting, key);
    const curves = predictionCurves(p.taus, p.n_test, p.methods, final, setting, p.sampler, key, ctx);
    return { status: "ok", curves, scalars };
  },
};
