import { z } from "zod";
import type { HeadDiagnosticsTrace, MethodTrace } from "../../algorithms/metaTrain.js";
import { metaTrain } from "../../algorithms/metaTrain.js";
import { burerMonteiroFactors } from "../../algorithms/representation/burerMonteiro.js";
import { getEstimator } from "../../algorithms/representation/estimators.js";
import { taskHeads } from "../../algorithms/representation/heads.js";
import { targetExcessRisks } from "../../algorithms/representation/targetStage.js";
import type { Mat } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { conditionNumber } from "../../metrics/conditioning.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { type FewShotModel, fewShotKeys, sampleSourceTasks } from "../../models/fewShotTasks.js";
import { headStd } from "../../models/linearRepresentation.js";
import { foldInString, type Key } from "../../rng/key.js";
import { fewShotCost, metaTrainCost } from "../cost.js";
import { estimatorOptions, fewShotFields, fewShotModel, pairedExcess } from "../fewShot.js";
import { trainConfig } from "../gbml.js";
import { listOf, nonNegative, posInt, positive } from "../params.js";
import type { Condition, Curve, Experiment, Labels, RunContext, RunResult } from "../types.js";
import { bouniotClaims } from "./claims.js";
import { bouniotFigures } from "./figures.js";

const PARTS = ["collins", "du"] as const;
const ERM_METHODS = ["bm", "anil"] as const;

const { heads: _h, kappa: _kappa, methods: _m, ...fewShot } = fewShotFields;

const schema = z
  .strictObject({
    ...fewShot,
    parts: listOf(z.enum(PARTS))
      .default([...PARTS])
      .describe("collins: ANIL in the linear model vs µ; du: Du et al.'s two-stage pipeline vs κ(W*)"),
    lambda_conds: listOf(nonNegative())
      .default([0, 1e-3, 1e-2, 1e-1])
      .describe("grid of λ1, the weight of κ(W̃)² (Bouniot et al.)"),
    lambda_norms: listOf(nonNegative())
      .default([0, 1])
      .describe("grid of λ2, the weight of ‖W̃W̃ᵀ‖_F, W̃ = W/√rows (Bouniot et al.)"),
    validation: posInt()
      .default(200)
      .describe("validation tasks per seed (fresh, own key; λ is chosen on them, never on the test targets)"),
    mus: listOf(nonNegative()).default([1, 0.3, 0.1]).describe("collins part: head diversities µ"),
    n: posInt().default(20).describe("collins part: tasks per outer batch (rows of W′)"),
    m: posInt().nullable().default(20).describe("collins part: inner and outer samples per task (null: ∞)"),
    alpha: positive().default(0.25).describe("collins part: inner step α"),
    beta: positive().default(0.25).describe("collins part: outer step β"),
    meta_iters: posInt().default(400).describe("collins part: outer iterations"),
    kappas: listOf(z.number().min(1)).default([1, 16]).describe("du part: condition numbers κ(W*)"),
    erm_methods: listOf(z.enum(ERM_METHODS))
      .default(["bm"])
      .describe("du part: source-stage learners (Burer–Monteiro; ANIL on the source tasks)"),
  })
  .superRefine((p, ctx) => {
    if (p.k >= p.d)
      ctx.addIssue({ code: "custom", path: ["k"], message: `must be < d (= ${p.d})`, input: p.k });
    if (!p.lambda_conds.some((v) => v > 0) && !p.lambda_norms.some((v) => v > 0))
      ctx.addIssue({
        code: "custom",
        path: ["lambda_conds"],
        message: "or lambda_norms must hold a weight > 0 (the grid has no penalised point)",
        input: p.lambda_conds,
      });
  });

type Params = z.output<typeof schema>;

/** A point of the λ grid. */
export interface Lambda {
  lambdaCond: number;
  lambdaNorm: number;
}

/** The product grid λ1 × λ2 without (0, 0), which is the run without the penalty. */
export function lambdaGrid(p: Pick<Params, "lambda_conds" | "lambda_norms">): Lambda[] {
  const grid: Lambda[] = [];
  for (const lambdaCond of p.lambda_conds)
    for (const lambdaNorm of p.lambda_norms)
      if (lambdaCond > 0 || lambdaNorm > 0) grid.push({ lambdaCond, lambdaNorm });
  return grid;
}

/** Name of a grid point in metrics and on the validation figure's x axis. */
export const lambdaName = (l: Lambda) => `λ=(${l.lambdaCond}, ${l.lambdaNorm})`;

/**
 * The grid point with the lowest validation excess (the first on ties; a non-finite value, e.g. a
 * diverged run, is never chosen over a finite one). Index into the grid.
 */
export function chooseLambda(validation: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < validation.length; i++) {
    const v = validation[i];
    const b = validation[best];
    if (Number.isFinite(v) && (!Number.isFinite(b) || v < b)) best = i;
  }
  return best;
}

/** A grid point with its validation score (lower is better; non-finite: a diverged run). */
export interface ValidatedArm {
  lambda: Lambda;
  validation: number;
}

/** One arm of the paired comparison, before its test numbers. */
interface Arm extends ValidatedArm {
  lambda: Lambda;
  B: Mat;
  /** Mean validation excess over the oracle. */
  validation: number;
  /** κ of the learned / adapted heads the penalty acts on. */
  kappa: number;
  status: "ok" | "diverged";
}

const finiteOr = (v: number) => (Number.isFinite(v) ? v : Number.MAX_VALUE);
const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * Mean excess over the oracle of each representation on `count` fresh tasks (`targetExcessRisks`,
 * the oracle B* first). A representation that is not finite (a diverged run) gets +∞.
 */
function excessOverOracle(
  model: FewShotModel,
  Bstar: Mat,
  truth: Mat,
  reps: readonly Mat[],
  key: Key,
  count: number,
  p: Params,
): number[] {
  const finite = reps.map((B) => B.data.every(Number.isFinite));
  const ers = targetExcessRisks(
    model,
    truth,
    [Bstar, ...reps.map((B, i) => (finite[i] ? B : Bstar))],
    key,
    count,
    p.n2,
    p.ridge,
  );
  return reps.map((_, i) => (finite[i] ? pairedExcess(ers[i + 1], ers[0]).mean : Number.POSITIVE_INFINITY));
}

/**
 * The validation curves of one learner under one condition: every grid point's validation excess
 * (with (0, 0), the run without the penalty, first), as metrics named by `lambdaName` (the
 * validation figure's columns), and the chosen point alone on a second curve (the figure's mark).
 */
export function validationCurves(
  learner: string,
  off: ValidatedArm,
  grid: readonly ValidatedArm[],
  chosen: number,
  yName = "validation excess over the oracle",
  quantity = "validation excess",
): Curve[] {
  const arms = [off, ...grid];
  const curve = (series: string, members: readonly ValidatedArm[], x: number[]): Curve => ({
    labels: { method: series, learner, quantity },
    xName: "grid point",
    yName,
    x,
    y: members.map((a) => finiteOr(a.validation)),
    metrics: Object.fromEntries(members.map((a) => [lambdaName(a.lambda), finiteOrNull(a.validation)])),
    status: "ok",
  });
  return [
    curve(
      "all λ",
      arms,
      arms.map((_, i) => i),
    ),
    curve("chosen λ", [grid[chosen]], [chosen + 1]),
  ];
}

/** Per-seed metrics of an arm: what a paired claim reads. */
function armMetrics(arm: Arm, test: { excess: number; dist: number }): Curve["metrics"] {
  return {
    excess: finiteOrNull(test.excess),
    dist: finiteOrNull(test.dist),
    kappa: finiteOrNull(arm.kappa),
    validation: finiteOrNull(arm.validation),
    lambda_cond: arm.lambda.lambdaCond,
    lambda_norm: arm.lambda.lambdaNorm,
  };
}

/**
 * The paired effect of one learner under one condition, seed by seed: penalised (at the chosen λ)
 * over plain of the test excess, the dist and κ of the heads (null where the plain value is not
 * positive and finite). One point at the condition's value `x` (y: the `primary` ratio), for the
 * paired figures.
 */
export function ratioCurve(
  learner: string,
  xName: string,
  x: number,
  off: Curve["metrics"],
  on: Curve["metrics"],
  primary: string,
  names: readonly string[] = ["excess", "dist", "kappa"],
): Curve {
  const ratio = (name: string) => {
    const a = on[name];
    const b = off[name];
    return typeof a === "number" && typeof b === "number" && b > 0 && Number.isFinite(a / b) ? a / b : null;
  };
  const metrics = Object.fromEntries(names.map((n) => [n, ratio(n)]));
  return {
    labels: { method: learner, quantity: "penalised / plain" },
    xName,
    yName: "penalised / plain",
    x: [x],
    y: [metrics[primary] ?? Number.MAX_VALUE],
    metrics,
    status: "ok",
  };
}

/**
 * The chosen λ as experiment scalars, named by learner (the runner appends the condition:
 * `lambda_cond:bm[part=du,kappa=16]`).
 */
function chosenScalars(learner: string, lambda: Lambda): RunResult["scalars"] {
  return { [`lambda_cond:${learner}`]: lambda.lambdaCond, [`lambda_norm:${learner}`]: lambda.lambdaNorm };
}

/**
 * Diagnostics curves of a trace (x = outer iteration t, entry t − 1 at the parameters before that
 * iteration's update): the MetaMTReg quantities of the stacked adapted heads W′ (‖W̃W̃ᵀ‖_F of the
 * normalised W̃ = W′/√n, the penalty's term).
 */
function diagnosticsCurves(d: HeadDiagnosticsTrace, labels: Labels, tr: MethodTrace, n: number): Curve[] {
  const series: [string, number[]][] = [
    ["κ(W′)", d.condition],
    ["σ_max(W′)", d.sigmaMax],
    ["σ_min(W′)", d.sigmaMin],
    ["‖W̃W̃ᵀ‖_F", d.gramNorm.map((v) => v / n)],
    ["mean ‖w′‖", d.meanNorm],
  ];
  return series.map(([yName, ys]) => {
    const y = ys.map(finiteOr);
    return {
      labels: { ...labels, quantity: yName },
      xName: "iteration",
      yName,
      x: y.map((_, i) => i + 1),
      y,
      metrics: { final: y.length ? y[y.length - 1] : null },
      status: tr.status,
    };
  });
}

/** κ(W′) averaged over the last tenth of the batches (one batch's κ is noisy at n = 20 tasks). */
function lateCondition(d: HeadDiagnosticsTrace | undefined): number {
  if (!d || d.condition.length === 0) return Number.NaN;
  const c = d.condition;
  const tail = c.slice(c.length - Math.max(1, Math.ceil(c.length / 10)));
  return tail.reduce((s, v) => s + v, 0) / tail.length;
}

/**
 * ANIL in Collins et al.'s linear model at head diversity µ: without the penalty and at every
 * grid point (the same tasks: direct sampler, same key), λ chosen by the few-shot excess on
 * validation tasks from the same task distribution, then the chosen and the plain run compared on
 * dist(B, B*), the test excess and κ(W′).
 */
function runCollins(p: Params, mu: number, key: Key, ctx: RunContext): RunResult {
  const config = trainConfig({
    d: p.d,
    k: p.k,
    k_prime: null,
    n: p.n,
    alpha: p.alpha,
    beta: p.beta,
    mu,
    heads: "collins",
    head_mean: 0,
    head_scale: 1,
    sigma: p.sigma,
    m_in: p.m,
    m_out: p.m,
    iters: p.meta_iters,
    w0: 0,
    // The direct sampler draws the same tasks for every λ (the projected one reveals each run's
    // data in its own order): the comparison is paired.
    sampler: "direct",
    methods: ["anil"],
  });
  const grid = lambdaGrid(p);
  // Every grid point and the run without the penalty in one loop over the batches, drawn once
  // (`penalties`): the traces of one run per point, bit for bit, sampling once instead of per run.
  const res = metaTrain({ ...config, diagnostics: true, penalties: [undefined, ...grid] }, key, {
    signal: ctx.signal,
    onIteration: (t, iters) => ctx.progress(t, iters),
  });
  const Bstar = res.Bstar;
  const traces = [{ lambdaCond: 0, lambdaNorm: 0 }, ...grid].map((lambda, i) => ({
    lambda,
    trace: res.traces[i],
  }));
  // Few-shot tasks from the training distribution, heads N(0, diag(1, …, 1, µ²)): θ* = B*·diag(sd)·g
  // with g ~ N(0, I_k), so the few-shot sampler draws them with B*·diag(sd) as its "truth".
  const truth = scaledColumns(Bstar, headStd(config.model));
  const model: FewShotModel = { d: p.d, k: p.k, sigma: p.sigma, heads: { kind: "gaussian", scale: 1 } };
  const Bs = traces.map((t) => orthonormalize(t.trace.params.B));
  const val = excessOverOracle(model, Bstar, truth, Bs, foldInString(key, "validation"), p.validation, p);
  const arms: Arm[] = traces.map((t, i) => ({
    lambda: t.lambda,
    B: Bs[i],
    validation: val[i],
    kappa: lateCondition(t.trace.diagnostics),
    status: t.trace.status,
  }));
  const chosen = chooseLambda(val.slice(1));
  const pair = [arms[0], arms[chosen + 1]];
  const test = excessOverOracle(
    model,
    Bstar,
    truth,
    pair.map((a) => a.B),
    foldInString(key, "test"),
    p.targets,
    p,
  );
  const curves: Curve[] = [];
  const armMetricsOf: Curve["metrics"][] = [];
  (["off", "on"] as const).forEach((penalty, i) => {
    const tr = traces[i === 0 ? 0 : chosen + 1].trace;
    const labels = { method: "anil", penalty };
    const final = tr.dist[tr.dist.length - 1];
    const dist: Curve = {
      labels: { ...labels, quantity: "dist" },
      xName: "iteration",
      yName: "dist",
      x: tr.dist.map((_, t) => t),
      y: tr.dist,
      metrics: { final, ...armMetrics(pair[i], { excess: test[i], dist: final }) },
      status: tr.status,
    };
    armMetricsOf.push(dist.metrics);
    if (tr.diverged) {
      const v = tr.diverged.value;
      dist.diverged = { ...tr.diverged, value: Number.isFinite(v) ? v : String(v) };
    }
    curves.push(dist, ...(tr.diagnostics ? diagnosticsCurves(tr.diagnostics, labels, tr, p.n) : []));
  });
  curves.push(ratioCurve("anil", "µ", mu, armMetricsOf[0], armMetricsOf[1], "dist"));
  curves.push(...validationCurves("anil", arms[0], arms.slice(1), chosen));
  return {
    status: curves.some((c) => c.status === "diverged") ? "diverged" : "ok",
    curves,
    scalars: chosenScalars("anil", pair[1].lambda),
  };
}

/** B·diag(s) (d × k). */
function scaledColumns(B: Mat, s: Float64Array): Mat {
  const data = new Float64Array(B.data.length);
  for (let a = 0; a < B.rows; a++)
    for (let c = 0; c < B.cols; c++) data[a * B.cols + c] = B.data[a * B.cols + c] * s[c];
  return { rows: B.rows, cols: B.cols, data };
}

/**
 * Du et al.'s source stage on T tasks whose heads W* have condition number κ, for each learner
 * without the penalty and at every grid point, from the same start on the same data; λ chosen by
 * the excess over the oracle on validation targets (own key), then the chosen and the plain
 * representation compared on the test targets (the few-shot keys' targets).
 */
function runDu(p: Params, kappa: number, key: Key, ctx: RunContext): RunResult {
  const fp = { ...p, heads: "condition" as const, kappa, methods: [...p.erm_methods] };
  const model = fewShotModel(fp);
  const src = sampleSourceTasks(model, p.T, p.n1, key);
  const grid = lambdaGrid(p);
  const lambdas = [{ lambdaCond: 0, lambdaNorm: 0 }, ...grid];
  const total = p.erm_methods.length * lambdas.length;
  const curves: Curve[] = [];
  let scalars: RunResult["scalars"] = {};
  p.erm_methods.forEach((m, mi) => {
    const fits = lambdas.map((lambda, li) => {
      const options = {
        ...estimatorOptions(fp, m),
        ...(li > 0 ? { lambdaCond: lambda.lambdaCond, lambdaNorm: lambda.lambdaNorm } : {}),
      };
      // The same key at every λ: the same initialisation and batches.
      const ectx = { key: foldInString(key, `estimator:${m}`), Bstar: src.Bstar, signal: ctx.signal };
      ctx.progress(mi * lambdas.length + li, total);
      if (m === "bm") {
        // The factors themselves, for κ of the learned heads V (what the penalty acts on).
        const f = burerMonteiroFactors(src.data, p.k, options, ectx);
        return { lambda, B: orthonormalize(f.B), kappa: conditionNumber(f.V) };
      }
      const B = getEstimator(m).fit(src.data, p.k, options, ectx).B;
      // ANIL's learned heads: least squares on the source tasks in its representation.
      return { lambda, B, kappa: conditionNumber(taskHeads(src.data, B)) };
    });
    const Bs = fits.map((f) => f.B);
    const val = excessOverOracle(
      model,
      src.Bstar,
      src.Bstar,
      Bs,
      foldInString(key, "validation"),
      p.validation,
      p,
    );
    const arms: Arm[] = fits.map((f, i) => ({ ...f, validation: val[i], status: "ok" }));
    const chosen = chooseLambda(val.slice(1));
    const pair = [arms[0], arms[chosen + 1]];
    const test = excessOverOracle(
      model,
      src.Bstar,
      src.Bstar,
      pair.map((a) => a.B),
      fewShotKeys(key).targets,
      p.targets,
      p,
    );
    const both = (["off", "on"] as const).map((penalty, i) => {
      const metrics = armMetrics(pair[i], { excess: test[i], dist: subspaceDistance(pair[i].B, src.Bstar) });
      curves.push({
        labels: { method: m, penalty, quantity: "excess over oracle" },
        xName: "κ(W*)",
        yName: "excess over oracle",
        x: [kappa],
        y: [finiteOr(test[i])],
        metrics: { final: metrics.excess, ...metrics },
        status: "ok",
      });
      return metrics;
    });
    curves.push(ratioCurve(m, "κ(W*)", kappa, both[0], both[1], "excess"));
    curves.push(...validationCurves(m, arms[0], arms.slice(1), chosen));
    scalars = { ...scalars, ...chosenScalars(m, pair[1].lambda) };
  });
  curves.push({
    labels: { quantity: "cond(W*)" },
    xName: "κ(W*)",
    yName: "cond(W*)",
    x: [kappa],
    y: [conditionNumber(src.W)],
    metrics: { final: conditionNumber(src.W) },
    status: "ok",
  });
  ctx.progress(total, total);
  return { status: "ok", curves, scalars };
}

/**
 * Cost (core-ms) of the du part's Burer–Monteiro fits, one per grid point and the plain one, plus
 * the validation and test targets. Each fit is its L-BFGS evaluations times one evaluation's work
 * (the T tasks' statistics or passes, min(d², 2·n1·d) each, the heads' O(d·k) and L-BFGS's
 * two-loop: ~0.9 ns per unit of T·(min(d², 2·n1·d) + 6·d·k); 280 µs at d = 20, k = 3, T = 400).
 * The evaluations are not the same for every arm (measured on 5 seeds at paper size, issue 22):
 * without a κ term or at λ1 = 1e-3, L-BFGS stops by gtol after ~30 iterations at κ(W*) = 1 and
 * 150–290 at κ(W*) = 16 (≈ 30·κ^{3/4}), ~1.1 evaluations each; at λ1 ≥ 1e-2 the κ term pulls
 * σ_min(V) up into σ_{k−1}(V), where κ(V) has a kink (two singular values coincide, the gradient
 * never vanishes): L-BFGS crawls along it at ~1.7 evaluations per iteration, 120–330 iterations
 * (ftol) at κ(W*) = 1 and the 500 cap at κ(W*) = 16 (≈ 200·√κ).
 */
export function duBmCost(p: Params, kappa: number): number {
  let evaluations = 0;
  for (const l of [{ lambdaCond: 0, lambdaNorm: 0 }, ...lambdaGrid(p)])
    evaluations +=
      l.lambdaCond >= 1e-2
        ? 1.7 * Math.min(p.bm_iters, 200 * Math.sqrt(kappa))
        : 1.1 * Math.min(p.bm_iters, 30 * Math.sqrt(kappa) * Math.sqrt(Math.sqrt(kappa)));
  const perEvaluation = p.T * (Math.min(p.d * p.d, 2 * p.n1 * p.d) + 6 * p.d * p.k);
  const targets = (p.validation * (lambdaGrid(p).length + 2) + 3 * p.targets) * p.n2 * p.d;
  return (0.9 * evaluations * perEvaluation + 30 * targets) / 1e6;
}

/**
 * Bouniot, Redko, Audiffren, Habrard (ECCV 2022; code CEA-LIST/MetaMTReg) regularise meta-training
 * towards Du et al.'s assumptions — diverse (κ(W) bounded) and normalised task predictors — with
 * R(W) = λ1·κ(W̃)² + λ2·‖W̃W̃ᵀ‖_F on the task predictors W normalised by their number of rows,
 * W̃ = W/√rows (SPEC §1.3): the stacked adapted heads W′ of an outer batch for ANIL, the learned
 * heads (Burer–Monteiro's head factor V) of an ERM source stage (`algorithms/headPenalty.ts`).
 * They claim it improves few-shot performance most where the assumptions fail (low task
 * diversity). This bench tests that where the theory is exact: (collins) ANIL in Collins et al.'s
 * linear model for µ ∈ mus, and (du) Du et al.'s two-stage pipeline with source heads of condition
 * number κ ∈ kappas. In each, per seed, every point of the grid lambda_conds × lambda_norms is
 * trained on the same data from the same start, λ is chosen by the few-shot excess over the oracle
 * on `validation` fresh tasks (own key, never the test targets) among the penalised points ((0, 0)
 * is the "off" arm, not a candidate, so "on" always carries a penalty; compare the arms' `validation`
 * metrics to see whether validation preferred it to none), and the run at the chosen λ is
 * compared with the run without the penalty, seed by seed: ANIL's final dist and test excess
 * (collins), the test excess over the oracle (du), and κ of the heads the penalty acts on
 * (metrics `final`, `excess`, `dist`, `kappa`, `validation`, `lambda_cond`, `lambda_norm` of the
 * curves labelled penalty = off / on; the chosen λ also as scalars).
 */
export const bouniotRegularisation: Experiment<typeof schema> = {
  id: "bouniot-regularisation",
  title: "Bouniot et al.'s head penalties vs task diversity: meta-learning (ANIL) and ERM (Burer–Monteiro)",
  family: "du",
  lookFor:
    "Bouniot et al.'s claim: penalising the heads' condition number and norm helps when the tasks are not diverse. Compare each pair (without/with the penalty): at small µ or large κ(W*) the penalised run should keep κ of the heads smaller and end with a lower dist or excess over the oracle; with diverse tasks (µ = 1, κ = 1) the pair should coincide.",
  paper:
    "Bouniot, Redko, Audiffren, Habrard. Improving Few-Shot Learning through Multi-task Representation Learning Theory. ECCV 2022",
  description:
    "λ1κ(W̃)² + λ2‖W̃W̃ᵀ‖_F (W̃ = W/√rows) over a λ grid, λ chosen per seed on validation tasks, then paired without/with: ANIL's dist vs µ, the few-shot excess over the oracle vs κ(W*), κ of the penalised heads. Bouniot et al.'s gains are on images with deep networks, where the penalty regularises a misspecified model; in the linear model the true heads' ill-conditioning is the truth, and the κ term biases the learned heads towards an isotropy they do not have, so its gain where diversity is poor may be small or negative.",
  figures: bouniotFigures,
  claims: bouniotClaims,
  params: schema,
  sizes: {
    smoke: {
      meta_iters: 100,
      mus: [1, 0.1],
      kappas: [1, 16],
      lambda_conds: [0, 1e-2],
      lambda_norms: [0, 1],
      validation: 50,
      T: 100,
      targets: 100,
      anil_epochs: 20,
      bm_iters: 200,
    },
    paper: { targets: 1000 },
  },
  seeds: { smoke: 2, paper: 5 },
  commonRandomNumbers: true,
  conditions: (p) => [
    ...(p.parts.includes("collins") ? p.mus.map((mu): Condition => ({ part: "collins", mu })) : []),
    ...(p.parts.includes("du") ? p.kappas.map((kappa): Condition => ({ part: "du", kappa })) : []),
  ],
  // Every (λ1, λ2) of the grid and the unpenalised run train on the same data: Collins part, ANIL
  // once per grid point, on batches drawn once for all of them (the rows' cost counted once);
  // du part, each ERM method once per grid point on T·n1 rows (Burer–Monteiro: `duBmCost`).
  cost: (p, c) => {
    const runs = lambdaGrid(p).length + 1;
    if (c.part === "du") {
      const others = p.erm_methods.filter((m) => m !== "bm");
      const bm = p.erm_methods.includes("bm") ? duBmCost(p, c.kappa as number) : 0;
      return bm + (others.length ? runs * fewShotCost({ ...p, methods: others }, p) : 0);
    }
    const meta = { ...p, methods: ["anil"], iters: p.meta_iters };
    const heads = metaTrainCost({ ...meta, m_in: null, m_out: null });
    return runs * heads + (metaTrainCost({ ...meta, m_in: p.m, m_out: p.m }) - heads);
  },
  runCondition(p, c, key, ctx) {
    // Each part keys its own streams (the key is the seed's, shared by the conditions).
    if (c.part === "collins")
      return runCollins(p, c.mu as number, foldInString(key, `collins:mu=${c.mu}`), ctx);
    return runDu(p, c.kappa as number, foldInString(key, "du"), ctx);
  },
};
