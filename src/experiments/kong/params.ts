import { z } from "zod";
import type { MlrModel } from "../../algorithms/mlr/pipeline.js";
import {
  COMPONENT_LAYOUTS,
  linearMixtureTruth,
  type Mixture,
  type MixtureTruth,
  makeMixture,
  PROBABILITY_SUM_TOL,
  sampleComponents,
  sampleMixtureHalfMoments,
  sampleMixtureTasks,
  separation,
} from "../../models/mixedLinearRegression.js";
import { sampleMixtureProjectedTasks } from "../../models/mixtureProjected.js";
import { foldInString, type Key } from "../../rng/key.js";
import { joinAlong } from "../join.js";
import { listOf, nonNegative, posInt, positive } from "../params.js";
import type { ConditionPart, Curve, Labels, RunResult } from "../types.js";

/**
 * Parameters shared by the Kong et al. experiments (ICML 2020; SPEC §2). Sizes follow
 * `mlr_ref.py`, except that `t1` counts the examples of a subspace light task (both halves; the
 * reference's --t1 counts one half).
 */
export const mixtureFields = {
  d: posInt().default(32).describe("dimension d"),
  k: posInt().default(4).describe("number of components k (< d)"),
  components: z
    .enum(COMPONENT_LAYOUTS)
    .default("orthonormal")
    .describe("component layout: orthonormal rows (Δ = √2), gaussian N(0, 1/d), or separated (Δ = delta)"),
  delta: positive().default(Math.SQRT2).describe("separation Δ of the 'separated' layout"),
  noise: listOf(nonNegative())
    .default([1])
    .describe("noise std s (one value for all components, or k values)"),
  p: listOf(nonNegative())
    .nullable()
    .default(null)
    .describe("mixing probabilities (k values summing to 1; null: uniform)"),
};

export const stageFields = {
  n1: posInt().default(8192).describe("light tasks for the subspace"),
  t1: z.number().int().min(2).default(8).describe("examples per subspace light task (two halves)"),
  n2: posInt().default(128).describe("heavy tasks"),
  t2: posInt().default(16).describe("examples per part of a heavy task (2L parts + 2 held out)"),
  L: posInt().default(1).describe("split-sample repeats whose median gives the distances"),
  n3: posInt().default(8192).describe("light tasks to classify"),
  t3: z.number().int().min(2).default(4).describe("examples per classified light task"),
  order: z.enum(["magnitude", "algebraic"]).default("magnitude").describe("eigenvalue order of M̂"),
  linkage: z.enum(["average", "single"]).default("average").describe("clustering rule"),
  sampler: z
    .enum(["projected", "direct"])
    .default("projected")
    .describe(
      "light tasks: projected (stage 1's β̂ halves and stage 3's tasks drawn exactly in distribution, never forming X) or direct",
    ),
  threshold_scale: positive()
    .default(0.5)
    .describe("single linkage joins tasks with H < threshold_scale · Δ²"),
};

interface MixtureParams {
  d: number;
  k: number;
  noise: number[];
  p: number[] | null;
}

/** Cross-field rules: k < d, noise has 1 or k values, p has k values summing to 1. */
export function checkKongMixture(p: MixtureParams, ctx: z.RefinementCtx): void {
  if (p.k >= p.d)
    ctx.addIssue({ code: "custom", path: ["k"], message: `must be < d (= ${p.d})`, input: p.k });
  if (p.noise.length !== 1 && p.noise.length !== p.k) {
    ctx.addIssue({
      code: "custom",
      path: ["noise"],
      message: `must have 1 or k (= ${p.k}) values`,
      input: p.noise,
    });
  }
  if (p.p !== null) {
    if (p.p.length !== p.k) {
      ctx.addIssue({ code: "custom", path: ["p"], message: `must have k (= ${p.k}) values`, input: p.p });
    } else {
      const sum = p.p.reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > PROBABILITY_SUM_TOL) {
        ctx.addIssue({ code: "custom", path: ["p"], message: `must sum to 1 (sum is ${sum})`, input: p.p });
      }
    }
  }
}

/** A heavy task must be able to hold 2L parts: L ≥ 1 is checked by the schema; n2 ≥ k for k clusters. */
export function checkKongStages(p: { n2: number; k: number }, ctx: z.RefinementCtx): void {
  if (p.n2 < p.k) {
    ctx.addIssue({
      code: "custom",
      path: ["n2"],
      message: `must be ≥ k (= ${p.k}) heavy tasks`,
      input: p.n2,
    });
  }
}

export interface MixtureSetting extends MlrModel {
  mixture: Mixture;
  truth: MixtureTruth;
  /** Separation Δ of the drawn components. */
  delta: number;
}

/** The mixture of a run: components drawn from foldInString(key, "components"). */
export function buildKongMixture(
  p: MixtureParams & { components: (typeof COMPONENT_LAYOUTS)[number]; delta: number },
  key: Key,
): MixtureSetting {
  const W = sampleComponents(foldInString(key, "components"), p.d, p.k, p.components, p.delta);
  const mixture = makeMixture(W, p.noise.length === 1 ? p.noise[0] : p.noise, p.p ?? undefined);
  return {
    mixture,
    truth: linearMixtureTruth(mixture),
    sample: (n, t, k) => sampleMixtureTasks(mixture, n, t, k),
    sampleHalfMoments: (n, t, k) => sampleMixtureHalfMoments(mixture, n, t, k),
    sampleProjectedTasks: (n, t, dirs, k) => sampleMixtureProjectedTasks(mixture, n, t, dirs, k),
    delta: separation(W),
  };
}

/**
 * A curve of y over x; `metrics.final` is the last y. The label `quantity` (= yName) is added so
 * that curves of one method measuring different quantities stay separate groups when records are
 * aggregated over seeds (groups are keyed by labels).
 */
export function kongCurve(
  labels: Labels,
  xName: string,
  yName: string,
  x: number[],
  y: number[],
  metrics: Record<string, number | null> = {},
): Curve {
  return {
    labels: { ...labels, quantity: yName },
    xName,
    yName,
    x,
    y,
    metrics: { final: y.length ? y[y.length - 1] : null, ...metrics },
    status: "ok",
  };
}

/**
 * Join a seed's conditions (one point per curve) into curves over the condition axis `axis`, with
 * `final` recomputed (other point metrics kept as the first point's).
 */
export function joinKongPoints(parts: readonly ConditionPart[], axis: string): RunResult {
  return joinAlong(parts, axis, (_x, y, m) => ({ ...m, final: y.length ? y[y.length - 1] : null }));
}
