import { z } from "zod";
import { ACTIVATION_KINDS, type Activation } from "../../algorithms/cnn/activation.js";
import { exampleWeights } from "../../algorithms/cnn/gradient.js";
import { allocCnnWorkspace, initWeights, outputsInto } from "../../algorithms/cnn/network.js";
import { pinNoise, unpinNoise } from "../../algorithms/cnn/structured.js";
import { type CnnDivergence, type CnnState, PIN_MAX_DOUBLES, trainCnn } from "../../algorithms/cnn/train.js";
import { powi } from "../../linalg/libm.js";
import type { Mat } from "../../linalg/mat.js";
import { featureAlignment, noiseAlignment } from "../../metrics/alignment.js";
import { errorRatePerTask } from "../../metrics/classification.js";
import {
  concatPatchDatasets,
  type PatchDataset,
  type PatchModel,
  samplePatchTask,
  sharedFeature,
  taskFeature,
} from "../../models/patchData.js";
import { foldInString, type Key } from "../../rng/key.js";
import { nonNegative, posInt, positive } from "../params.js";
import type { Curve, Divergence, Labels } from "../types.js";

/**
 * Parameters of the multi-task vs single-task CNN experiments (Li et al., AISTATS 2025; SPEC §3
 * [reconstructed]). The defaults are a synthetic setting chosen to sit in the theory's regime:
 *
 * In the analysis of Cao et al. (2022) and Kou et al. (2023) a filter's alignment with a feature
 * seen in a fraction `p` of N examples grows like `x' ∝ p‖u‖² x^{q−1}` while its alignment with an
 * example's own noise grows like `x' ∝ (σ_p² d / N) x^{q−1}`; from a Gaussian initialisation the
 * feature wins the race (feature learning, small test error) when `N·p·SNR^q ≫ 1` and the noise
 * wins (memorisation, test error bounded away from 0) when `N·p·SNR^q ≪ 1`, SNR = ‖u‖/(σ_p√d).
 * Single-task training sees N = n examples of a task, multi-task training the K·n of the union:
 * with q = 3, SNR = 0.3, p = 0.6, n = 30 and K = 20 the shared feature's ratio is n·p·SNR³ ≈ 0.5
 * for one task and K·n·p·SNR³ ≈ 9.7 for the union, on either side of 1. The task features are
 * strong (‖v_t‖ = σ_p√d, n(1 − p)·1³ = 12 ≫ 1): both kinds of training learn them, so the
 * single-task error comes from the examples that carry u, about p/2 = 0.3 of a task's test set.
 * m = 20 filters per class makes it very unlikely (2^−20) that no filter of a class starts on the
 * right side of a feature (a ReLU filter that starts negative never moves). d = 100, σ₀ = 0.02 and
 * η = 1 fit every training set within 100 steps without divergence (with σ₀ = 0.01 the slowest
 * example to memorise sometimes needs more). In this setting the transition of multi-task training
 * sits near K = 4–5: K ≤ 3 tasks do not help, K ≥ 10 learn u on every seed we tried.
 */
export const liFields = {
  K: posInt().default(20).describe("number of tasks K"),
  n: posInt().default(30).describe("training examples per task"),
  n_test: posInt().default(200).describe("test examples per task"),
  d: posInt().default(100).describe("patch dimension d (≥ K + 2)"),
  patches: z
    .number()
    .int()
    .min(2)
    .default(2)
    .describe("patches per example P (one feature patch, P − 1 noise)"),
  snr: nonNegative().default(0.3).describe("shared feature's SNR ‖u‖/(σ_p√d)"),
  v_snr: nonNegative().default(1).describe("task features' ‖v_t‖/(σ_p√d)"),
  sigma_p: positive().default(1).describe("noise standard deviation σ_p"),
  p: z.number().min(0).max(1).default(0.6).describe("probability that the feature patch is the shared u"),
  m: posInt().default(20).describe("filters per class m"),
  activation: z.enum(ACTIVATION_KINDS).default("relu-power").describe("activation σ"),
  q: z.number().min(1).default(3).describe("activation exponent q ≥ 1 (odd integer for polynomial)"),
  rho: positive().default(1).describe("threshold ρ of the smoothed-relu activation"),
  sigma0: nonNegative().default(0.02).describe("initialisation standard deviation σ₀"),
  eta: positive().default(1).describe("gradient-descent step η"),
  lambda: nonNegative().default(0).describe("weight decay λ"),
  iters: posInt().default(100).describe("gradient-descent steps"),
  record_every: posInt().default(10).describe("record errors and alignments every this many steps"),
  multi_loss: z
    .enum(["task-mean", "mean"])
    .default("task-mean")
    .describe("multi-task objective: sum of task mean losses, or mean over the union"),
};

/** A list that may be empty (no sweep along that axis); a single value is a list of one. */
export const sweepOf = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item));

/** Cross-field rules: d ≥ K + 2 for every K used, an odd integer q for the polynomial. */
export function checkLi(
  p: { d: number; K: number; activation: string; q: number; Ks?: number[] },
  ctx: z.RefinementCtx,
): void {
  const maxK = Math.max(p.K, ...(p.Ks ?? []));
  if (p.d < maxK + 2) {
    ctx.addIssue({
      code: "custom",
      path: ["d"],
      message: `must be ≥ K + 2 (= ${maxK + 2}) for the largest K used`,
      input: p.d,
    });
  }
  if (p.activation === "polynomial" && !(Number.isInteger(p.q) && p.q % 2 === 1)) {
    ctx.addIssue({
      code: "custom",
      path: ["q"],
      message: "must be an odd integer for the polynomial activation",
      input: p.q,
    });
  }
}

export const liSchema = z.strictObject(liFields).superRefine(checkLi);
export type LiParams = z.output<typeof liSchema>;

/** One point of a sweep: the number of tasks, the examples per task and the shared SNR. */
export interface LiCondition {
  K: number;
  n: number;
  snr: number;
}

export function activationOf(p: Pick<LiParams, "activation" | "q" | "rho">): Activation {
  return { kind: p.activation, q: p.q, ...(p.activation === "smoothed-relu" ? { rho: p.rho } : {}) };
}

/** The patch model of a condition: ‖u‖ = snr·σ_p√d, ‖v_t‖ = v_snr·σ_p√d. */
export function patchModelOf(p: LiParams, c: LiCondition): PatchModel {
  const scale = p.sigma_p * Math.sqrt(p.d);
  return {
    K: c.K,
    d: p.d,
    P: p.patches,
    uNorm: c.snr * scale,
    vNorm: p.v_snr * scale,
    sigmaP: p.sigma_p,
    p: p.p,
  };
}

export type LiMethod = "single" | "multi";

/** What is recorded of one kind of training, at steps `t` (means over tasks). */
export interface LiTrace {
  method: LiMethod;
  t: number[];
  trainError: number[];
  testError: number[];
  /** Feature alignments (src/metrics/alignment.ts); for single-task, each task's own network. */
  alignU: number[];
  alignV: number[];
  alignNoise: number[];
  /** Final per-task errors (NaN where a run diverged before the end). */
  finalTrainPerTask: number[];
  finalTestPerTask: number[];
  status: "ok" | "diverged";
  diverged?: CnnDivergence;
}

interface Recorded {
  t: number[];
  trainError: number[];
  testError: number[];
  alignU: number[];
  alignV: number[];
  alignNoise: number[];
}

/** What single- and multi-task training need beyond the data (both kinds use the same). */
export interface LiTrainSettings {
  activation: Activation;
  eta: number;
  lambda: number;
  iters: number;
  record_every: number;
  multi_loss: "task-mean" | "mean";
}

/** Known features of synthetic data, for the alignment diagnostics: u and each task's v_t. */
export interface LiFeatures {
  u: Float64Array;
  v: Float64Array[];
}

type Run = { rec: Recorded; finalTrain: Float64Array; finalTest: Float64Array; diverged?: CnnDivergence };

/**
 * Train one network on `train` (tasks `taskIds` of `tasks`) from W0 and record, at every recorded
 * step, the mean over those tasks of the train and test errors and — given the features — the
 * alignments with u, with each task's v_t and with the training noise (patches 1 … P − 1).
 */
function trainAndRecord(
  s: LiTrainSettings,
  train: PatchDataset,
  test: PatchDataset,
  taskIds: number[],
  tasks: number,
  W0: Mat,
  weightsMode: "task-mean" | "mean",
  features: LiFeatures | undefined,
  ctx: { signal?: AbortSignal; onStep: () => void },
): Run {
  const testWs = allocCnnWorkspace(test.count, test.P, { m: W0.rows / 2, d: W0.cols });
  const rec: Recorded = { t: [], trainError: [], testError: [], alignU: [], alignV: [], alignNoise: [] };
  const meanOver = (e: Float64Array) => taskIds.reduce((acc, t) => acc + e[t], 0) / taskIds.length;
  let finalTrain: Float64Array = new Float64Array(tasks).fill(Number.NaN);
  let finalTest: Float64Array = new Float64Array(tasks).fill(Number.NaN);
  const onRecord = (st: CnnState) => {
    const trainErr = errorRatePerTask(st.ws.out, train.y, train.task, tasks);
    const testOut = outputsInto(st.W, s.activation, test, testWs);
    const testErr = errorRatePerTask(testOut, test.y, test.task, tasks);
    rec.t.push(st.t);
    rec.trainError.push(meanOver(trainErr));
    rec.testError.push(meanOver(testErr));
    if (features) {
      rec.alignU.push(featureAlignment(st.W, features.u));
      rec.alignV.push(
        taskIds.reduce((acc, t) => acc + featureAlignment(st.W, features.v[t]), 0) / taskIds.length,
      );
      rec.alignNoise.push(noiseAlignment(st.ws.Z, train.y, train.P));
    }
    finalTrain = trainErr;
    finalTest = testErr;
  };
  // The test set's noise rows stay in the kernel memory for the run's evaluations.
  pinNoise(test, testWs, PIN_MAX_DOUBLES);
  let res: ReturnType<typeof trainCnn>;
  try {
    res = trainCnn(
      { activation: s.activation, eta: s.eta, lambda: s.lambda, iters: s.iters, recordEvery: s.record_every },
      train,
      exampleWeights(train, weightsMode),
      W0,
      { signal: ctx.signal, onRecord, onStep: ctx.onStep },
    );
  } finally {
    unpinNoise(testWs);
  }
  if (res.status === "diverged") {
    // The last recorded errors are not the final ones: final per-task values are undefined.
    finalTrain = new Float64Array(tasks).fill(Number.NaN);
    finalTest = new Float64Array(tasks).fill(Number.NaN);
  }
  return { rec, finalTrain, finalTest, ...(res.diverged ? { diverged: res.diverged } : {}) };
}

/**
 * Single-task training (one network per task, on that task's examples, its mean loss) and
 * multi-task training (one network on the union, `multi_loss` weights), both from W0, evaluated
 * on each task's test set. `trains[t]` and `tests[t]` hold task t's examples (task index t).
 */
export function trainSingleAndMulti(
  s: LiTrainSettings,
  trains: PatchDataset[],
  tests: PatchDataset[],
  W0: Mat,
  features: LiFeatures | undefined,
  ctx: { signal?: AbortSignal; onStep?: () => void },
): { single: LiTrace; multi: LiTrace } {
  const K = trains.length;
  const onStep = ctx.onStep ?? (() => {});
  const all = Array.from({ length: K }, (_, t) => t);
  const c = { signal: ctx.signal, onStep };
  const multiRun = trainAndRecord(
    s,
    concatPatchDatasets(trains),
    concatPatchDatasets(tests),
    all,
    K,
    W0,
    s.multi_loss,
    features,
    c,
  );
  const singleRuns = all.map((t) =>
    trainAndRecord(s, trains[t], tests[t], [t], K, W0, "task-mean", features, c),
  );
  return { single: toTrace("single", singleRuns, K), multi: toTrace("multi", [multiRun], K) };
}

/** The data and initialisation keys of a cell: shared by every condition (common random numbers). */
export function liKeys(key: Key): { train: Key; test: Key; init: Key } {
  return {
    train: foldInString(key, "train"),
    test: foldInString(key, "test"),
    init: foldInString(key, "init"),
  };
}

/** The training settings of resolved parameters. */
export function trainSettingsOf(
  p: Pick<LiParams, "activation" | "q" | "rho" | "eta" | "lambda" | "iters" | "record_every" | "multi_loss">,
): LiTrainSettings {
  return {
    activation: activationOf(p),
    eta: p.eta,
    lambda: p.lambda,
    iters: p.iters,
    record_every: p.record_every,
    multi_loss: p.multi_loss,
  };
}

/**
 * Single-task and multi-task training under one condition (SPEC §3). Task t's training and test
 * data come from `samplePatchTask(model, t, ·, key)` with the cell's train and test keys, and the
 * initial weights from its init key, whatever the condition: conditions share their random
 * numbers (task t's first n examples are the same for every K ≥ t + 1 — up to the noise's zeroed
 * feature axes —, every n′ ≥ n and every SNR), so differences between conditions are not sampling
 * noise. Both kinds of training start from the same W0. `ctx.alignments: false` skips the
 * alignment diagnostics (the traces' alignment series are then empty).
 */
export function runLiCondition(
  p: LiParams,
  c: LiCondition,
  key: Key,
  ctx: { signal?: AbortSignal; onStep?: () => void; alignments?: boolean },
): { single: LiTrace; multi: LiTrace } {
  const model = patchModelOf(p, c);
  const keys = liKeys(key);
  const trains = Array.from({ length: c.K }, (_, t) => samplePatchTask(model, t, c.n, keys.train));
  const tests = Array.from({ length: c.K }, (_, t) => samplePatchTask(model, t, p.n_test, keys.test));
  const W0 = initWeights(keys.init, { m: p.m, d: p.d }, p.sigma0);
  // The alignment diagnostics only where read (`alignments`, default true).
  const features =
    ctx.alignments === false
      ? undefined
      : { u: sharedFeature(model), v: trains.map((_, t) => taskFeature(model, t)) };
  return trainSingleAndMulti(trainSettingsOf(p), trains, tests, W0, features, ctx);
}

/** Merge runs (one per task for single-task) into one trace: means over the runs, step by step. */
function toTrace(method: LiMethod, runs: Run[], K: number): LiTrace {
  const len = Math.min(...runs.map((r) => r.rec.t.length));
  const mean = (f: (r: Recorded) => number[]) =>
    f(runs[0].rec).length === 0
      ? []
      : Array.from({ length: len }, (_, i) => runs.reduce((acc, r) => acc + f(r.rec)[i], 0) / runs.length);
  const finalTrainPerTask = new Array<number>(K).fill(Number.NaN);
  const finalTestPerTask = new Array<number>(K).fill(Number.NaN);
  for (const r of runs)
    for (let t = 0; t < K; t++) {
      if (!Number.isNaN(r.finalTest[t])) finalTestPerTask[t] = r.finalTest[t];
      if (!Number.isNaN(r.finalTrain[t])) finalTrainPerTask[t] = r.finalTrain[t];
    }
  // The earliest divergence among the runs stands for the trace.
  const divs = runs
    .flatMap((r) => (r.diverged ? [r.diverged] : []))
    .sort((a, b) => a.iteration - b.iteration);
  return {
    method,
    t: runs[0].rec.t.slice(0, len),
    trainError: mean((r) => r.trainError),
    testError: mean((r) => r.testError),
    alignU: mean((r) => r.alignU),
    alignV: mean((r) => r.alignV),
    alignNoise: mean((r) => r.alignNoise),
    finalTrainPerTask,
    finalTestPerTask,
    status: divs.length ? "diverged" : "ok",
    ...(divs.length ? { diverged: divs[0] } : {}),
  };
}

function divergenceOf(tr: LiTrace): Divergence | undefined {
  if (!tr.diverged) return undefined;
  const v = tr.diverged.value;
  return {
    iteration: tr.diverged.iteration,
    quantity: tr.diverged.quantity,
    value: Number.isFinite(v) ? v : String(v),
  };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function curve(tr: LiTrace, labels: Labels, yName: string, y: number[], metrics: Curve["metrics"]): Curve {
  const c: Curve = { labels, xName: "iteration", yName, x: tr.t.slice(), y, metrics, status: tr.status };
  const dv = divergenceOf(tr);
  if (dv) c.diverged = dv;
  return c;
}

/**
 * Error curves of a trace: test and train error (means over tasks) per recorded step, with
 * metrics `final` (final mean error), `max_task` and `min_task` (over tasks' final errors; null
 * when a run diverged).
 */
export function errorCurves(tr: LiTrace, labels: Labels): Curve[] {
  const stats = (xs: number[]) => ({
    final: xs.some(Number.isNaN) ? null : xs.reduce((a, b) => a + b, 0) / xs.length,
    max_task: xs.some(Number.isNaN) ? null : Math.max(...xs),
    min_task: xs.some(Number.isNaN) ? null : Math.min(...xs),
  });
  return [
    curve(
      tr,
      { method: tr.method, set: "test", ...labels },
      "test error",
      tr.testError,
      stats(tr.finalTestPerTask),
    ),
    curve(
      tr,
      { method: tr.method, set: "train", ...labels },
      "train error",
      tr.trainError,
      stats(tr.finalTrainPerTask),
    ),
  ];
}

/**
 * Alignment curves of a trace (SPEC §3 diagnostics): `u` (shared feature), `v` (task features,
 * mean over tasks) and `noise` (mean over training examples), with metrics `initial`, `final`
 * and `max`.
 */
export function alignmentCurves(tr: LiTrace, labels: Labels): Curve[] {
  const series: [string, number[]][] = [
    ["u", tr.alignU],
    ["v", tr.alignV],
    ["noise", tr.alignNoise],
  ];
  return series.map(([feature, y]) =>
    curve(tr, { method: tr.method, feature, ...labels }, "alignment", y, {
      initial: y.length ? finiteOrNull(y[0]) : null,
      final: y.length ? finiteOrNull(y[y.length - 1]) : null,
      max: y.length ? finiteOrNull(Math.max(...y)) : null,
    }),
  );
}

/**
 * The feature-learning race ratios of a condition, `N·p·SNR^q` for one task (N = n) and for the
 * union (N = K·n): the theory expects memorisation below 1 and feature learning above.
 */
export function raceRatios(p: LiParams, c: LiCondition): { single: number; multi: number } {
  const single = c.n * p.p * powi(c.snr, p.q);
  return { single, multi: c.K * single };
}
