import { z } from "zod";
import { type MetaDivergence, type MetaTrainConfig, metaTrain } from "../algorithms/metaTrain.js";
import { METHOD_IDS, methods } from "../algorithms/methods.js";
import { firstBelow, fitLinearRate } from "../metrics/trace.js";
import type { LinearRepModel } from "../models/linearRepresentation.js";
import type { Key } from "../rng/key.js";
import { checkFamily, type FamilyParams, familyFields, familyModel } from "./familyParams.js";
import { listOf, nonNegative, posInt, positive, registeredId, sampleCount } from "./params.js";
import type { Curve, Divergence, Labels, LivePoint, RunContext, RunResult } from "./types.js";

/**
 * Parameters shared by the gradient-based meta-learning experiments (Collins et al. 2022;
 * SPEC §1.2). Names follow the paper's symbols; sample counts take null for ∞ (population).
 * `family`/`family_options` (a task family for the inputs x) need `sampler: "direct"` and finite
 * m_in, m_out (`checkGbmlFamily`).
 */
export const gbmlFields = {
  d: posInt().default(20).describe("ambient dimension d"),
  k: posInt().default(3).describe("ground-truth representation dimension k"),
  k_prime: posInt().nullable().default(null).describe("learner width k' ≥ k (null: k' = k)"),
  n: posInt().default(20).describe("tasks per outer iteration"),
  alpha: positive().default(0.5).describe("inner step size α"),
  beta: positive().default(0.5).describe("outer step size β"),
  mu: nonNegative().default(1).describe("head diversity µ: last head coordinate has std µ"),
  heads: z.enum(["collins", "isotropic"]).default("collins").describe("head distribution"),
  head_mean: z.number().default(0).describe("mean of every head coordinate"),
  head_scale: positive().default(1).describe("scale of the head distribution"),
  sigma: nonNegative().default(0).describe("label noise σ"),
  m_in: sampleCount().default(null).describe("inner samples per task (null/inf: population)"),
  m_out: sampleCount().default(null).describe("outer samples per task (null/inf: population)"),
  iters: posInt().default(400).describe("outer iterations"),
  w0: nonNegative().default(0).describe("‖w₀‖ (0: the theory's initialisation)"),
  sampler: z
    .enum(["projected", "direct"])
    .default("projected")
    .describe("finite-sample data: projected (lazy, exact in distribution) or direct (materialised X)"),
  methods: listOf(registeredId(methods))
    .default([...METHOD_IDS])
    .describe("methods to run (built-in or a plug-in's)"),
  ...familyFields,
};

/** Cross-field constraints: k ≤ d, k ≤ k' ≤ d. */
export function checkDims(p: { d: number; k: number; k_prime: number | null }, ctx: z.RefinementCtx): void {
  if (p.k > p.d) ctx.addIssue({ code: "custom", path: ["k"], message: `must be ≤ d (= ${p.d})`, input: p.k });
  if (p.k_prime !== null && p.k_prime < p.k) {
    ctx.addIssue({ code: "custom", path: ["k_prime"], message: `must be ≥ k (= ${p.k})`, input: p.k_prime });
  }
  if (p.k_prime !== null && p.k_prime > p.d) {
    ctx.addIssue({ code: "custom", path: ["k_prime"], message: `must be ≤ d (= ${p.d})`, input: p.k_prime });
  }
}

/**
 * A task family (`family`) is checked against the registry and its options (`checkFamily`), and
 * needs the direct sampler and finite m_in, m_out: the projected sampler and the population sets
 * (Σ̂ = I, ĉ = θ*) assume x ~ N(0, I_d), so with another law they would be silently wrong.
 */
export function checkGbmlFamily(
  p: FamilyParams & { sampler: string; m_in?: number | null; m_out?: number | null },
  ctx: z.RefinementCtx,
): void {
  checkFamily(p, ctx);
  if (p.family === undefined) return;
  const why = `with a task family (family = "${p.family}")`;
  if (p.sampler !== "direct") {
    ctx.addIssue({
      code: "custom",
      path: ["sampler"],
      message: `must be "direct" ${why}: the projected sampler assumes x ~ N(0, I_d)`,
      input: p.sampler,
    });
  }
  for (const m of ["m_in", "m_out"] as const) {
    if (m in p && p[m] === null) {
      ctx.addIssue({
        code: "custom",
        path: [m],
        message: `must be finite ${why}: the population loss assumes x ~ N(0, I_d)`,
        input: null,
      });
    }
  }
}

export const gbmlSchema = z.strictObject(gbmlFields).superRefine(checkDims).superRefine(checkGbmlFamily);
export type GbmlParams = z.output<typeof gbmlSchema>;

/** The settings of one training run (one condition) from resolved parameters. */
export function trainConfig(p: GbmlParams): MetaTrainConfig {
  const model: LinearRepModel = {
    d: p.d,
    k: p.k,
    heads: p.heads,
    mu: p.mu,
    headScale: p.head_scale,
    headMean: p.head_mean,
    sigma: p.sigma,
    mIn: p.m_in,
    mOut: p.m_out,
    sampler: p.sampler,
    ...familyModel(p, p.d, "meta-learning model"),
  };
  return {
    model,
    methods: p.methods,
    kPrime: p.k_prime ?? p.k,
    n: p.n,
    alpha: p.alpha,
    beta: p.beta,
    iters: p.iters,
    w0Scale: p.w0,
  };
}

/**
 * Train every method under one condition's parameters and turn the traces into curves of `dist`
 * per iteration, labelled by method (the runner adds the condition's labels). With `rateWindow`,
 * each curve also gets the fitted linear `rate`. `options` are `MetaTrainConfig`'s `stopBelow` (a
 * method's curve ends at its first dist below it) and `populationFormulas`. Streams live points
 * when the context asks.
 */
export function runGbml(
  params: GbmlParams,
  key: Key,
  ctx: RunContext,
  rateWindow?: { lo: number; hi: number },
  options: Pick<MetaTrainConfig, "stopBelow" | "populationFormulas"> = {},
): RunResult {
  const live = ctx.live;
  const labelsOf = (m: string): Labels => ({ method: m });
  const config = { ...trainConfig(params), ...options };
  const res = metaTrain(config, key, {
    signal: ctx.signal,
    onIteration: (t, iters, traces) => {
      if (live) {
        // Iteration 0 goes with the first update; a diverged method's curve simply stops.
        const points: LivePoint[] = [];
        for (const tr of traces) {
          if (t === 1) points.push({ labels: labelsOf(tr.method), x: 0, y: tr.dist[0] });
          if (tr.dist.length === t + 1) points.push({ labels: labelsOf(tr.method), x: t, y: tr.dist[t] });
          if (tr.diverged?.iteration === t) {
            const last = tr.dist.length - 1;
            const diverged = divergence(tr.diverged);
            points.push({ labels: labelsOf(tr.method), x: last, y: tr.dist[last], diverged });
          }
        }
        live(points);
      }
      if (t % 50 === 0 || t === iters || live) ctx.progress(t, iters);
    },
  });
  const curves: Curve[] = res.traces.map((tr) => {
    const metrics: Record<string, number | null> = {
      "firstBelow1e-3": firstBelow(tr.dist, 1e-3),
      "firstBelow1e-6": firstBelow(tr.dist, 1e-6),
      final: tr.dist[tr.dist.length - 1],
    };
    if (rateWindow) metrics.rate = fitLinearRate(tr.dist, rateWindow.lo, rateWindow.hi);
    const curve: Curve = {
      labels: labelsOf(tr.method),
      xName: "iteration",
      yName: "dist",
      x: tr.dist.map((_, t) => t),
      y: tr.dist,
      metrics,
      status: tr.status,
    };
    if (tr.diverged) curve.diverged = divergence(tr.diverged);
    return curve;
  });
  return { status: overallStatus(curves), curves, scalars: {} };
}

/** A trainer's divergence as stored (non-finite values as strings: records are JSON). */
function divergence(d: MetaDivergence): Divergence {
  return { ...d, value: Number.isFinite(d.value) ? d.value : String(d.value) };
}

export function overallStatus(curves: Curve[]): "ok" | "diverged" {
  return curves.some((c) => c.status === "diverged") ? "diverged" : "ok";
}
