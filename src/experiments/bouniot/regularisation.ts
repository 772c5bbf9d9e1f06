import { z } from "zod";
import type { HeadDiagnosticsTrace, MethodTrace } from "../../algorithms/metaTrain.js";
import { metaTrain } from "../../algorithms/metaTrain.js";
import { burerMonteiroFactors } from "../../algorithms/representation/burerMonteiro.js";
import { getEstimator } from "../../algorithms/representation/estimators.js";
import { targetExcessRisks } from "../../algorithms/representation/targetStage.js";
import { orthonormalize } from "../../linalg/qr.js";
import { conditionNumber } from "../../metrics/conditioning.js";
import { finiteMedian } from "../../metrics/median.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { fewShotKeys, sampleSourceTasks } from "../../models/fewShotTasks.js";
import { foldInString, type Key } from "../../rng/key.js";
import { fewShotCost, metaTrainCost } from "../cost.js";
import { estimatorOptions, fewShotFields, fewShotModel, joinSettings, pairedExcess } from "../fewShot.js";
import { trainConfig } from "../gbml.js";
import { listOf, nonNegative, posInt, positive } from "../params.js";
import type { Condition, Curve, Experiment, RunContext, RunResult, TheoryRow } from "../types.js";
import { bouniotFigures } from "./figures.js";

const PARTS = ["collins", "du"] as const;
const ERM_METHODS = ["anil", "bm"] as const;

const { heads: _h, kappa: _kappa, methods: _m, ...fewShot } = fewShotFields;

const schema = z
  .strictObject({
    ...fewShot,
    parts: listOf(z.enum(PARTS))
      .default([...PARTS])
      .describe("collins: ANIL in the linear model vs µ; du: ANIL and Burer–Monteiro source stages vs κ(W*)"),
    lambda_cond: nonNegative().default(0.01).describe("λ1, weight of κ(W)² (Bouniot et al.)"),
    lambda_norm: nonNegative().default(0.01).describe("λ2, weight of ‖WWᵀ‖_F (Bouniot et al.)"),
    mus: listOf(nonNegative()).default([1, 0.3, 0.1]).describe("collins part: head diversities µ"),
    n: posInt().default(20).describe("collins part: tasks per outer batch (rows of W′)"),
    m: posInt().nullable().default(20).describe("collins part: inner and outer samples per task (null: ∞)"),
    alpha: positive().default(0.25).describe("collins part: inner step α"),
    beta: positive().default(0.25).describe("collins part: outer step β"),
    meta_iters: posInt().default(400).describe("collins part: outer iterations"),
    kappas: listOf(z.number().min(1)).default([1, 4, 16]).describe("du part: condition numbers κ(W*)"),
    erm_methods: listOf(z.enum(ERM_METHODS))
      .default([...ERM_METHODS])
      .describe("du part: source-stage learners, each with and without the penalty"),
  })
  .superRefine((p, ctx) => {
    if (p.k >= p.d)
      ctx.addIssue({ code: "custom", path: ["k"], message: `must be < d (= ${p.d})`, input: p.k });
  });

type Params = z.output<typeof schema>;
const PENALTY = ["off", "on"] as const;

/**
 * Diagnostics curves of a trace (x = outer iteration t, entry t − 1 at the parameters before that
 * iteration's update): the MetaMTReg quantities of the stacked adapted heads W′.
 */
function diagnosticsCurves(d: HeadDiagnosticsTrace, labels: Curve["labels"], tr: MethodTrace): Curve[] {
  const series: [string, number[]][] = [
    ["κ(W′)", d.condition],
    ["σ_max(W′)", d.sigmaMax],
    ["σ_min(W′)", d.sigmaMin],
    ["‖W′W′ᵀ‖_F", d.gramNorm],
    ["mean ‖w′‖", d.meanNorm],
  ];
  return series.map(([yName, ys]) => {
    const y = ys.map((v) => (Number.isFinite(v) ? v : Number.MAX_VALUE));
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

/** ANIL in Collins et al.'s linear model at head diversity µ, without and with the penalty. */
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
    // The direct sampler draws the same tasks for the penalised and the plain run (the projected
    // one reveals each run's data in its own order): the comparison is paired.
    sampler: "direct",
    methods: ["anil"],
  });
  const curves: Curve[] = [];
  PENALTY.forEach((penalty, i) => {
    const res = metaTrain(
      {
        ...config,
        diagnostics: true,
        ...(penalty === "on" ? { penalty: { lambdaCond: p.lambda_cond, lambdaNorm: p.lambda_norm } } : {}),
      },
      key,
      { signal: ctx.signal, onIteration: (t, iters) => ctx.progress(i * iters + t, 2 * iters) },
    );
    const tr = res.traces[0];
    const labels = { method: "anil", penalty };
    const dist: Curve = {
      labels: { ...labels, quantity: "dist" },
      xName: "iteration",
      yName: "dist",
      x: tr.dist.map((_, t) => t),
      y: tr.dist,
      metrics: { final: tr.dist[tr.dist.length - 1] },
      status: tr.status,
    };
    if (tr.diverged) {
      const v = tr.diverged.value;
      dist.diverged = { ...tr.diverged, value: Number.isFinite(v) ? v : String(v) };
    }
    curves.push(dist, ...(tr.diagnostics ? diagnosticsCurves(tr.diagnostics, labels, tr) : []));
  });
  return { status: curves.some((c) => c.status === "diverged") ? "diverged" : "ok", curves, scalars: {} };
}

/**
 * Du et al.'s source stage on T tasks whose heads W* have condition number κ, for ANIL (on the
 * source tasks) and Burer–Monteiro, each without and with the penalty, from the same start on the
 * same data; then the excess risk of every representation (and B*) on the same target tasks.
 * One point per curve (x = κ); `combine` joins them along κ.
 */
function runDu(p: Params, kappa: number, key: Key, ctx: RunContext): RunResult {
  const fp = { ...p, heads: "condition" as const, kappa, methods: [...p.erm_methods] };
  const model = fewShotModel(fp);
  const src = sampleSourceTasks(model, p.T, p.n1, key);
  const fits = p.erm_methods.flatMap((m) =>
    PENALTY.map((penalty) => {
      const options = {
        ...estimatorOptions(fp, m),
        ...(penalty === "on" ? { lambdaCond: p.lambda_cond, lambdaNorm: p.lambda_norm } : {}),
      };
      // The same key with and without the penalty: the same initialisation and batches.
      const ectx = { key: foldInString(key, `estimator:${m}`), Bstar: src.Bstar, signal: ctx.signal };
      if (m === "bm") {
        // The factors themselves, for κ of the learned heads V (what the penalty acts on).
        const f = burerMonteiroFactors(src.data, p.k, options, ectx);
        return { m, penalty, B: orthonormalize(f.B), heads: conditionNumber(f.V) };
      }
      return { m, penalty, B: getEstimator(m).fit(src.data, p.k, options, ectx).B, heads: null };
    }),
  );
  const ers = targetExcessRisks(
    model,
    src.Bstar,
    [src.Bstar, ...fits.map((f) => f.B)],
    fewShotKeys(key).targets,
    p.targets,
    p.n2,
    p.ridge,
  );
  const point = (labels: Curve["labels"], yName: string, y: number): Curve => ({
    labels: { ...labels, quantity: yName },
    xName: "κ(W*)",
    yName,
    x: [kappa],
    y: [Number.isFinite(y) ? y : Number.MAX_VALUE],
    metrics: { final: null },
    status: "ok",
  });
  const curves: Curve[] = [];
  fits.forEach(({ m, penalty, B, heads }, i) => {
    const labels = { method: m, penalty };
    curves.push(point(labels, "excess over oracle", pairedExcess(ers[i + 1], ers[0]).mean));
    curves.push(point(labels, "dist", subspaceDistance(B, src.Bstar)));
    if (heads !== null) curves.push(point(labels, "κ(V) of the learned heads", heads));
  });
  curves.push(point({}, "cond(W*)", conditionNumber(src.W)));
  ctx.progress(1, 1);
  return { status: "ok", curves, scalars: {} };
}

/**
 * Bouniot, Redko, Audiffren, Habrard (ECCV 2022; code CEA-LIST/MetaMTReg) regularise meta-training
 * towards Du et al.'s assumptions — diverse (κ(W) bounded) and normalised task predictors — with
 * R(W) = λ1·κ(W)² + λ2·‖WWᵀ‖_F on the task predictors W. For scalar regression tasks W is the
 * stacked adapted heads W′ of an outer batch (n × k) for ANIL, and the learned heads Ŵ (T × k) for
 * an ERM source stage (`algorithms/headPenalty.ts`). This bench tests whether the penalty helps
 * where the theory is exact, as task diversity goes from high to low: (collins) ANIL in Collins et
 * al.'s linear model for µ ∈ mus — dist(B, B*) per iteration and the MetaMTReg diagnostics of W′
 * (κ, σ_max, σ_min, ‖W′W′ᵀ‖_F, mean ‖w′‖), paired runs without and with the penalty; (du) Du et
 * al.'s two-stage pipeline with source heads of condition number κ ∈ kappas — the few-shot excess
 * over the oracle, dist and the penalised heads' κ for ANIL and Burer–Monteiro without and with
 * the penalty, on the same data and targets. The published λ1 = λ2 = 1 are for classification
 * losses; with these squared losses λ = 1 outweighs the loss itself, so the defaults are 0.01.
 */
export const bouniotRegularisation: Experiment<typeof schema> = {
  id: "bouniot-regularisation",
  title: "Bouniot et al.'s head penalties vs task diversity: meta-learning (ANIL) and ERM (Burer–Monteiro)",
  family: "du",
  paper:
    "Bouniot, Redko, Audiffren, Habrard. Improving Few-Shot Learning through Multi-task Representation Learning Theory. ECCV 2022",
  description:
    "dist, W′ diagnostics and few-shot excess risk without and with λ1κ(W)² + λ2‖WWᵀ‖_F, vs µ and κ(W*)",
  figures: bouniotFigures,
  params: schema,
  sizes: {
    smoke: {
      meta_iters: 100,
      mus: [1, 0.1],
      kappas: [1, 16],
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
  // Collins part: ANIL without and with the penalty; du part: each ERM method twice on T·n1 rows.
  cost: (p, c) =>
    c.part === "collins"
      ? metaTrainCost({ ...p, methods: ["off", "on"], iters: p.meta_iters, m_in: p.m, m_out: p.m })
      : 2 * fewShotCost({ ...p, methods: p.erm_methods }, p),
  runCondition(p, c, key, ctx) {
    // Each part keys its own streams (the key is the seed's, shared by the conditions).
    if (c.part === "collins")
      return runCollins(p, c.mu as number, foldInString(key, `collins:mu=${c.mu}`), ctx);
    return runDu(p, c.kappa as number, foldInString(key, "du"), ctx);
  },
  combine: (_p, parts) => joinSettings(parts, "kappa"),
  compare(p, seeds) {
    // What the penalty did, seed by seed at the same data: the median ratio penalised / plain of
    // the final dist (Collins part) and of the few-shot excess over the oracle (Du part). The
    // "theory" is 1, no effect: below 1 the penalty helped, above it hurt.
    const rows: TheoryRow[] = [];
    const ratio = (pick: (on: boolean, r: RunResult) => number | undefined) =>
      finiteMedian(
        seeds
          .map((r) => [pick(true, r), pick(false, r)])
          .filter((v): v is [number, number] => v.every((x) => typeof x === "number" && x > 0))
          .map(([on, off]) => on / off),
      );
    const find = (r: RunResult, labels: Record<string, unknown>, yName: string) =>
      r.curves.find((c) => c.yName === yName && Object.entries(labels).every(([k, v]) => c.labels[k] === v));
    const note = `median over ${seeds.length} seeds of penalised / plain at the same data (λ1 = ${p.lambda_cond}, λ2 = ${p.lambda_norm}); 1 = no effect`;
    if (p.parts.includes("collins"))
      for (const mu of p.mus)
        rows.push({
          quantity: `ANIL final dist, penalised / plain, µ=${mu}`,
          measured: ratio((on, r) =>
            find(r, { part: "collins", mu, penalty: on ? "on" : "off" }, "dist")?.y.at(-1),
          ),
          theory: 1,
          note,
        });
    if (p.parts.includes("du"))
      for (const m of p.erm_methods)
        p.kappas.forEach((kappa, i) => {
          rows.push({
            quantity: `${m} excess over oracle, penalised / plain, κ(W*)=${kappa}`,
            measured: ratio(
              (on, r) => find(r, { method: m, penalty: on ? "on" : "off" }, "excess over oracle")?.y[i],
            ),
            theory: 1,
            note,
          });
        });
    return rows;
  },
};
