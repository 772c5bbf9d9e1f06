import { z } from "zod";
import {
  type Matching,
  matchedAccuracy,
  matchedComponentError,
  modalMatching,
} from "../../algorithms/mlr/matching.js";
import { type HeavyStage, stageOneSubspace, stageThree, stageTwo } from "../../algorithms/mlr/pipeline.js";
import { foldIn, foldInString, type Key } from "../../rng/key.js";
import { kongPipelineCost } from "../cost.js";
import { listOf } from "../params.js";
import type { Curve, Experiment } from "../types.js";
import { kongClassificationClaims } from "./claims.js";
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
import { CLASSIFICATION_Y, X_LIGHT } from "./quantities.js";

const { n3: _n3, t3: _t3, ...upToClustering } = stageFields;

const schema = z
  .strictObject({
    ...mixtureFields,
    ...upToClustering,
    n3: stageFields.n3,
    t3s: listOf(z.number().int().min(2))
      .default([2, 4, 8, 16, 32])
      .describe("examples per classified light task (each ≥ 2)"),
  })
  .superRefine(checkKongMixture)
  .superRefine(checkKongStages);

/** Stages 1–2 and the matching of the heavy tasks' clusters to the true components. */
export interface HeavyStageWithMatching extends HeavyStage {
  matching: Matching;
}

/**
 * Stages 1–2 of the pipeline on fresh tasks (keys "light", "heavy"), as `runMlrPipeline` runs them
 * (`stageOneSubspace`, `stageTwo`), plus the official code's matching of clusters to components.
 */
export function runKongHeavyStage(
  p: {
    k: number;
    n1: number;
    t1: number;
    n2: number;
    t2: number;
    L: number;
    order: "magnitude" | "algebraic";
    linkage: "average" | "single";
    threshold_scale: number;
    sampler: "projected" | "direct";
  },
  setting: MixtureSetting,
  key: Key,
): HeavyStageWithMatching {
  const { U } = stageOneSubspace(setting, p, foldInString(key, "light"));
  const stage = stageTwo(
    setting,
    { ...p, threshold: p.threshold_scale * setting.delta ** 2 },
    U,
    foldInString(key, "heavy"),
  );
  return { ...stage, matching: modalMatching(stage.heavy.ids, stage.clusters, setting.truth.k, stage.c) };
}

/**
 * Kong et al. (ICML 2020), stage 3: light tasks of t₃ examples are assigned to the component of
 * highest likelihood under the initial estimates from the heavy tasks, then each component is
 * refit by least squares. Accuracy (under the heavy tasks' matching) and the final
 * `max_ℓ ‖ŵ_ℓ − w_ℓ‖` against t₃; stages 1–2 run once per seed.
 */
export const kongClassification: Experiment<typeof schema> = {
  id: "kong-classification",
  title: "Classifying light tasks: accuracy and final error vs light-task size",
  family: "kong",
  lookFor:
    "The light tasks' classification accuracy rises to 1 as t₃ grows, and the final error of the refined ŵ falls with it.",
  paper: "Kong, Somani, Song, Kakade, Oh. Meta-learning for Mixed Linear Regression. ICML 2020",
  description: "classification accuracy and final w error vs t₃",
  figures: kongFigures["kong-classification"],
  claims: kongClassificationClaims,
  params: schema,
  sizes: {
    smoke: { n1: 4096, n3: 2048, t3s: [2, 4, 16] },
    paper: {},
  },
  seeds: { smoke: 3, paper: 10 },
  // Stages 1–2 once, then classification at every t3.
  cost: (p) => kongPipelineCost({ ...p, t3: p.t3s.reduce((a, b) => a + b, 0) }),
  runCondition(p, _c, key, ctx) {
    const setting = buildKongMixture(p, key);
    const stage = runKongHeavyStage(p, setting, key);
    const { cmap } = stage.matching;
    const accuracy: number[] = [];
    const wErr: number[] = [];
    p.t3s.forEach((t3, i) => {
      const { light, labels, final } = stageThree(
        setting,
        { n3: p.n3, t3, sampler: p.sampler },
        stage,
        foldIn(foldInString(key, "classify"), t3),
      );
      accuracy.push(matchedAccuracy(light, labels, cmap, stage.c));
      wErr.push(matchedComponentError(final.W, setting.truth.W, cmap) ?? Number.NaN);
      ctx.progress(i + 1, p.t3s.length);
    });
    const curves: Curve[] = [
      kongCurve({ method: "likelihood" }, X_LIGHT, CLASSIFICATION_Y, [...p.t3s], accuracy),
      kongCurve({ method: "least squares" }, X_LIGHT, "final w error", [...p.t3s], wErr),
    ];
    return {
      status: "ok",
      curves,
      scalars: {
        clustering_acc: stage.matching.accuracy,
        init_w_err: matchedComponentError(stage.initial.W, setting.truth.W, cmap),
      },
    };
  },
};
