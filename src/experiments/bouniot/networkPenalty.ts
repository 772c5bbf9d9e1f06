import { z } from "zod";
import { headSpectrum } from "../../algorithms/headPenalty.js";
import {
  adaptAndEvaluate,
  adaptedHeads,
  type InnerLoop,
  type ModelRef,
  type RegressionTask,
} from "../../algorithms/network/metaGradient.js";
import { getNetworkMethod } from "../../algorithms/network/methods.js";
import { buildModel } from "../../algorithms/network/models.js";
import { NetworkTrainer, type NetworkTrainResult } from "../../algorithms/network/train.js";
import { Tape } from "../../autodiff/tape.js";
import { AbortedError } from "../../errors.js";
import { type Mat, matFrom } from "../../linalg/mat.js";
import { distanceTo } from "../../metrics/subspace.js";
import { sampleGroundTruth } from "../../models/linearRepresentation.js";
import { type ReluTaskFamily, reluTaskBuffers, reluTasks } from "../../models/reluRepresentation.js";
import { foldInString, type Key } from "../../rng/key.js";
import { listOf, nonNegative, posInt, positive } from "../params.js";
import type { Curve, Experiment, RunContext, RunResult } from "../types.js";
import { bouniotNetworkClaims } from "./claims.js";
import { bouniotNetworkFigures } from "./figures.js";
import {
  chooseLambda,
  type Lambda,
  lambdaGrid,
  ratioCurve,
  type ValidatedArm,
  validationCurves,
} from "./regularisation.js";

/** The network methods whose inner loop adapts the head (the penalty acts on the adapted heads). */
const HEAD_METHODS = ["anil", "fo-anil", "maml", "fo-maml"] as const;

const schema = z
  .strictObject({
    d: posInt().default(10).describe("ambient dimension d"),
    k: posInt()
      .default(3)
      .describe("ground-truth width k = the network's hidden width (ReLU features of B*)"),
    n: posInt().default(10).describe("tasks per outer batch (rows of W′)"),
    m_in: posInt().default(20).describe("inner (adaptation) samples per task"),
    m_out: posInt().default(20).describe("outer (query) samples per task"),
    sigma: nonNegative().default(0.1).describe("label noise σ"),
    mus: listOf(nonNegative()).default([1, 0.1]).describe("head diversities µ (last head coordinate's std)"),
    method: z.enum(HEAD_METHODS).default("anil").describe("network method (one that adapts the head)"),
    alpha: positive().default(0.5).describe("inner step size α (one inner step, as Collins et al.)"),
    beta: positive().default(0.5).describe("outer step size β (plain GD)"),
    iters: posInt().default(500).describe("outer iterations"),
    lambda_conds: listOf(nonNegative())
      .default([0, 1e-4, 1e-3])
      .describe("grid of λ1, the weight of κ(W̃)² (Bouniot et al.; from 1e−2 up it diverges here)"),
    lambda_norms: listOf(nonNegative())
      .default([0, 0.1])
      .describe("grid of λ2, the weight of ‖W̃W̃ᵀ‖_F, W̃ = W′/√n (Bouniot et al.)"),
    validation: posInt()
      .default(100)
      .describe("validation tasks per seed (fresh, own key; λ is chosen on them, never on the test tasks)"),
    targets: posInt().default(400).describe("test tasks per seed (fresh, own key)"),
  })
  .superRefine((p, ctx) => {
    if (p.k > p.d)
      ctx.addIssue({ code: "custom", path: ["k"], message: `must be ≤ d (= ${p.d})`, input: p.k });
    if (!p.lambda_conds.some((v) => v > 0) && !p.lambda_norms.some((v) => v > 0))
      ctx.addIssue({
        code: "custom",
        path: ["lambda_conds"],
        message: "or lambda_norms must hold a weight > 0 (the grid has no penalised point)",
        input: p.lambda_conds,
      });
  });

type Params = z.output<typeof schema>;

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/** `count` fresh tasks of the family under `key` (one batch of that many). */
function freshTasks(p: Params, mu: number, Bstar: Mat, key: Key, count: number): RegressionTask[] {
  const family: ReluTaskFamily = { ...p, n: count };
  return reluTasks(family, mu, Bstar, key, 0);
}

/**
 * Few-shot evaluation of meta-learned parameters on fresh tasks: the method's own inner loop on
 * each task's m_in points (the head for ANIL, everything for MAML), then the mean squared error on
 * its m_out query points (twice the half-MSE the inner loop descends); and, when `withKappa`, κ of
 * the adapted head weights stacked over the tasks (W′ of these tasks). A diverged run scores +∞.
 * The validation tasks read only the MSE: their W′ (a second inner loop per task) is not formed.
 */
function fewShot(
  m: ModelRef,
  params: readonly Float64Array[],
  tasks: readonly RegressionTask[],
  method: (typeof HEAD_METHODS)[number],
  inner: InnerLoop,
  status: NetworkTrainResult["status"],
  withKappa: boolean,
): { mse: number; kappa: number } {
  if (status === "diverged") return { mse: Number.POSITIVE_INFINITY, kappa: Number.POSITIVE_INFINITY };
  const tape = new Tape();
  const which = getNetworkMethod(method).inner === "all" ? "all" : "head";
  let acc = 0;
  for (const t of tasks) {
    const losses = adaptAndEvaluate(tape, m, params, t, which, inner);
    acc += 2 * losses[losses.length - 1];
  }
  const mse = acc / tasks.length;
  if (!withKappa) return { mse, kappa: Number.NaN };
  const W = adaptedHeads(tape, getNetworkMethod(method), m, params, tasks, inner);
  return { mse, kappa: headSpectrum(W).condition };
}

interface NetworkArm extends ValidatedArm {
  res: NetworkTrainResult;
  dist: number[];
}

/**
 * One µ: the method without the penalty and at every point of the λ grid, each from the same
 * start on the same task batches (paired), λ chosen on the validation tasks among the penalised
 * points, then the plain and the chosen run compared on fresh test tasks.
 */
function runNetworkPenalty(p: Params, mu: number, key: Key, ctx: RunContext): RunResult {
  const Bstar = sampleGroundTruth(foldInString(key, "truth"), p.d, p.k);
  const m: ModelRef = {
    id: "mlp",
    model: buildModel("mlp", { widths: [p.k], activation: "relu", bias: false }, { inputs: p.d, outputs: 1 }),
  };
  // The theory's start (as nonlinear-representation): W₁ a random orthonormal d × k, head 0.
  const Q = sampleGroundTruth(foldInString(key, "init"), p.d, p.k);
  const inner: InnerLoop = { alpha: p.alpha, steps: 1, loss: "half-mse" };
  const lambdas: Lambda[] = [{ lambdaCond: 0, lambdaNorm: 0 }, ...lambdaGrid(p)];
  const validation = freshTasks(p, mu, Bstar, foldInString(key, "validation"), p.validation);
  const total = lambdas.length * p.iters;
  // The arms advance in lockstep on the same batches, drawn once per iteration: each arm's numbers
  // are those of training it alone on reluTasks(…, t) (the batch depends on t only), and the
  // draws — over a quarter of the cell — are paid once instead of once per arm (6 at paper size).
  const trainers = lambdas.map(
    (lambda, li) =>
      new NetworkTrainer(
        {
          method: getNetworkMethod(p.method),
          model: m,
          inner,
          beta: p.beta,
          iterations: p.iters,
          optimizer: { kind: "sgd" },
          ...(li > 0 ? { penalty: lambda } : {}),
        },
        [Float64Array.from(Q.data), new Float64Array(p.k)],
      ),
  );
  // Bits of subspaceDistance, with B*'s basis and the buffers made once (not per iteration).
  const distOf = distanceTo(Bstar, p.k, "subspace");
  const dist = (ps: readonly Float64Array[]) => distOf(matFrom(p.d, p.k, ps[0]));
  const dists = trainers.map((tr) => [dist(tr.params)]);
  const buffers = reluTaskBuffers(p);
  for (let t = 1; t <= p.iters; t++) {
    if (ctx.signal?.aborted) throw new AbortedError(`${p.method}: aborted at iteration ${t}`);
    if (trainers.every((tr) => tr.result !== null)) break;
    const tasks = reluTasks(p, mu, Bstar, key, t, buffers);
    trainers.forEach((tr, li) => {
      if (tr.result === null && tr.step(tasks) !== null) dists[li].push(dist(tr.params));
    });
    if (t % 50 === 0) ctx.progress(lambdas.length * t, total);
  }
  const arms: NetworkArm[] = lambdas.map((lambda, li) => {
    const tr = trainers[li];
    const res: NetworkTrainResult = tr.result ?? { params: tr.params, status: "ok", iterations: p.iters };
    return {
      lambda,
      res,
      dist: dists[li],
      validation: fewShot(m, res.params, validation, p.method, inner, res.status, false).mse,
    };
  });
  const chosen = chooseLambda(arms.slice(1).map((a) => a.validation));
  const pair = [arms[0], arms[chosen + 1]];
  const test = freshTasks(p, mu, Bstar, foldInString(key, "test"), p.targets);
  const curves: Curve[] = [];
  const metricsOf: Curve["metrics"][] = [];
  (["off", "on"] as const).forEach((penalty, i) => {
    const a = pair[i];
    const scored = fewShot(m, a.res.params, test, p.method, inner, a.res.status, true);
    const final = a.dist[a.dist.length - 1];
    const curve: Curve = {
      labels: { method: p.method, penalty, quantity: "dist" },
      xName: "iteration",
      yName: "dist",
      x: a.dist.map((_, t) => t),
      y: a.dist,
      metrics: {
        final,
        mse: finiteOrNull(scored.mse),
        kappa: finiteOrNull(scored.kappa),
        validation: finiteOrNull(a.validation),
        lambda_cond: a.lambda.lambdaCond,
        lambda_norm: a.lambda.lambdaNorm,
      },
      status: a.res.status,
    };
    if (a.res.diverged) {
      const v = a.res.diverged.value;
      curve.diverged = { ...a.res.diverged, value: Number.isFinite(v) ? v : String(v) };
    }
    metricsOf.push({ ...curve.metrics, dist: final });
    curves.push(curve);
  });
  curves.push(ratioCurve(p.method, "µ", mu, metricsOf[0], metricsOf[1], "mse", ["mse", "dist", "kappa"]));
  curves.push(
    ...validationCurves(
      p.method,
      arms[0],
      arms.slice(1),
      chosen,
      "validation MSE after adaptation",
      "validation MSE",
    ),
  );
  ctx.progress(total, total);
  return {
    status: curves.some((c) => c.status === "diverged") ? "diverged" : "ok",
    curves,
    scalars: {
      [`lambda_cond:${p.method}`]: pair[1].lambda.lambdaCond,
      [`lambda_norm:${p.method}`]: pair[1].lambda.lambdaNorm,
    },
  };
}

/**
 * Bouniot, Redko, Audiffren, Habrard (ECCV 2022) proposed their head penalty for deep networks.
 * This experiment applies it where they did — to a network's adapted heads — in a family whose
 * task diversity is a dial: Collins et al.'s multi-task model with a ReLU feature map (the tasks of
 * `nonlinear-representation`), learned by a two-layer ReLU network f(x) = ⟨w, relu(W₁ᵀx)⟩ trained by
 * ANIL (or another method that adapts the head) with exact meta-gradients through the autodiff.
 * R(W′) = λ1 κ(W̃)² + λ2 ‖W̃W̃ᵀ‖_F on the batch's stacked adapted head weights W′ (W̃ = W′/√n,
 * SPEC §1.3; `networkMetaGradient`), over the λ1 × λ2 grid, λ chosen per seed on fresh validation
 * tasks by the few-shot MSE after adaptation; then, paired by seed, the chosen and the plain run
 * on fresh test tasks: the few-shot MSE (metric `mse`), κ of the test tasks' adapted heads
 * (`kappa`), the final dist(col W₁, col B*) (`final`), as curves labelled penalty = off / on, and
 * their ratios (penalised / plain).
 */
export const bouniotNetwork: Experiment<typeof schema> = {
  id: "bouniot-network",
  title:
    "Bouniot et al.'s head penalties on a network's adapted heads: do they help where diversity is poor?",
  family: "du",
  paper:
    "Bouniot, Redko, Audiffren, Habrard. Improving Few-Shot Learning through Multi-task Representation Learning Theory. ECCV 2022 (on a two-layer ReLU network in Collins et al.'s model)",
  description:
    "ANIL on a two-layer ReLU network with λ1κ(W̃)² + λ2‖W̃W̃ᵀ‖_F on the adapted heads, λ chosen per seed on validation tasks, then paired without/with on test tasks: few-shot MSE and κ of the adapted heads vs µ",
  lookFor:
    "Compare each pair (without/with the penalty) at µ = 0.1, where the heads are ill-conditioned: Bouniot et al. expect the penalised run to keep κ of the adapted heads smaller and to predict new tasks better after adaptation. At µ = 1 the pair should nearly coincide.",
  figures: bouniotNetworkFigures,
  claims: bouniotNetworkClaims,
  params: schema,
  sizes: {
    smoke: {
      d: 6,
      k: 2,
      n: 6,
      m_in: 10,
      m_out: 10,
      iters: 60,
      lambda_conds: [0, 1e-2],
      lambda_norms: [0, 1],
      validation: 20,
      targets: 40,
    },
    paper: {},
  },
  seeds: { smoke: 2, paper: 5 },
  commonRandomNumbers: true,
  conditions: (p) => p.mus.map((mu) => ({ mu })),
  // Each grid point and the plain run: iters batches of n tasks through the network (d·k per row,
  // inner and outer sets, forward and backward; the penalised runs adapt each task twice).
  cost: (p) =>
    ((lambdaGrid(p).length * 4) / 3 + 1) * p.iters * p.n * (p.m_in + p.m_out) * p.d * p.k * 4e-5 +
    (p.validation + p.targets) * (lambdaGrid(p).length + 1) * (p.m_in + p.m_out) * p.d * 1e-4,
  runCondition: (p, c, key, ctx) => runNetworkPenalty(p, c.mu as number, key, ctx),
};
