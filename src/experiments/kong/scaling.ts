import { z } from "zod";
import { absolute, averageLinkage } from "../../algorithms/mlr/clustering.js";
import { modalMatching } from "../../algorithms/mlr/matching.js";
import { medianProjectedDistances, projectPartMoments } from "../../algorithms/mlr/projectedDistances.js";
import { momentSubspaceFromHalves, subspaceResidualError } from "../../algorithms/mlr/subspace.js";
import { type Mat, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { fitLogLogLine } from "../../metrics/loglogSlope.js";
import {
  linearMixtureTruth,
  makeMixture,
  sampleComponents,
  sampleMixtureHalfMoments,
  sampleMixturePartMoments,
} from "../../models/mixedLinearRegression.js";
import { foldIn, foldInString, type Key } from "../../rng/key.js";
import { KONG_LAW_SLOPES, KONG_LAWS, type KongLaw } from "../../theory/kong.js";
import { listOf, nonNegative, posInt, positive } from "../params.js";
import type { Experiment } from "../types.js";
import { kongScalingClaims } from "./claims.js";
import { kongFigures } from "./figures.js";
import { joinKongPoints, kongCurve } from "./params.js";
import { THRESHOLD_Y } from "./quantities.js";

const schema = z
  .strictObject({
    laws: listOf(z.enum(KONG_LAWS as [KongLaw, ...KongLaw[]]))
      .default([...KONG_LAWS])
      .describe("which laws: light-d (n_L vs d), light-k (n_L vs k), heavy-k (t_H vs k)"),
    ds: listOf(z.number().int().min(3)).default([16, 32, 64, 128]).describe("dimensions d for light-d"),
    k_light: posInt().default(2).describe("k for light-d"),
    ks_light: listOf(posInt()).default([2, 4, 8]).describe("numbers of components k for light-k"),
    d_light: z.number().int().min(3).default(32).describe("d for light-k"),
    t1: z.number().int().min(2).default(8).describe("examples per light task"),
    eps: positive().default(0.25).describe("success: subspace error ≤ eps"),
    ks_heavy: listOf(z.number().int().min(2))
      .default([4, 8, 16, 32, 64])
      .describe("numbers of components k for heavy-k"),
    tasks_per_component: posInt().default(8).describe("heavy tasks per component (n_H = this · k)"),
    noise: nonNegative().default(1).describe("noise std s"),
    max_tasks: posInt()
      .default(1 << 20)
      .describe("give up (null threshold) beyond this many light tasks"),
    max_t2: posInt()
      .default(1 << 12)
      .describe("give up beyond this many examples per heavy part"),
  })
  .superRefine((p, ctx) => {
    p.ds.forEach((d, i) => {
      if (p.k_light >= d)
        ctx.addIssue({
          code: "custom",
          path: ["ds", i],
          message: `must be > k_light (= ${p.k_light})`,
          input: d,
        });
    });
    p.ks_light.forEach((k, i) => {
      if (k >= p.d_light) {
        ctx.addIssue({
          code: "custom",
          path: ["ks_light", i],
          message: `must be < d_light (= ${p.d_light})`,
          input: k,
        });
      }
    });
  });

type Params = z.output<typeof schema>;

/**
 * Smallest number of light tasks (t1 examples each; half-sample moments drawn exactly in
 * distribution, without X) whose moment subspace has error ≤ eps: double
 * from 8 until success, then three geometric bisection steps (fresh tasks at every trial, so the
 * threshold is a random variable whose median over seeds is what the figure shows). Null when
 * `max_tasks` is reached without success.
 */
export function lightThreshold(p: Params, d: number, k: number, key: Key): number | null {
  const W = sampleComponents(foldInString(key, "components"), d, k, "orthonormal");
  const mix = makeMixture(W, p.noise);
  const truth = linearMixtureTruth(mix);
  let trial = 0;
  const ok = (n: number) => {
    const { B1, B2 } = sampleMixtureHalfMoments(mix, n, p.t1, foldIn(key, trial++));
    return subspaceResidualError(momentSubspaceFromHalves(B1, B2, k).U, truth.V, truth.rho) <= p.eps;
  };
  let hi = 8;
  while (!ok(hi)) {
    hi *= 2;
    if (hi > p.max_tasks) return null;
  }
  let lo = hi / 2;
  if (hi === 8) return hi;
  for (let s = 0; s < 3; s++) {
    const mid = Math.round(Math.sqrt(lo * hi));
    if (mid <= lo || mid >= hi) break;
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Smallest examples per part t₂ for which average linkage clusters all n_H = tasks_per_component·k
 * heavy tasks correctly (L = 1), in the true span of the components (so that only the heavy-task
 * law is measured): double from 1, then bisect on the integers. With the true span the projected
 * moments Ûᵀβ̂ have the same law whatever d is (Ûᵀx ~ N(0, I_k)), so d = k + 1 keeps it cheap.
 */
export function heavyThreshold(p: Params, k: number, key: Key): number | null {
  const d = k + 1;
  const W = sampleComponents(foldInString(key, "components"), d, k, "orthonormal");
  const mix = makeMixture(W, p.noise);
  const Wt = zeros(d, k);
  for (let l = 0; l < k; l++) for (let i = 0; i < d; i++) Wt.data[i * k + l] = W.data[l * d + i];
  const U: Mat = orthonormalize(Wt);
  const n = p.tasks_per_component * k;
  let trial = 0;
  const ok = (t2: number) => {
    // The moments of sampleMixtureTasks' draws, formed where they are drawn (same bits, X never
    // copied out): the draws must stay those of the batch sampler (11004c9).
    const heavy = sampleMixturePartMoments(mix, n, 2 * t2, 2, t2, foldIn(key, trial++));
    const H = medianProjectedDistances(projectPartMoments(n, 2, heavy.moments, U), 1);
    return modalMatching(heavy.ids, averageLinkage(absolute(H), n, k), k, k).accuracy === 1;
  };
  let hi = 1;
  while (!ok(hi)) {
    hi *= 2;
    if (hi > p.max_t2) return null;
  }
  let lo = hi / 2;
  if (hi === 1) return 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

const LABELS: Record<KongLaw, { method: string; x: string }> = {
  "light-d": { method: "light tasks n_L vs d", x: "d" },
  "light-k": { method: "light tasks n_L vs k", x: "k" },
  "heavy-k": { method: "heavy-task size t_H vs k", x: "k" },
};

/**
 * Kong et al. (ICML 2020) sample-complexity laws, as slopes: the success thresholds (light tasks
 * for subspace error ≤ eps; examples per heavy task for perfect clustering) against d and k on
 * log-log axes, with fitted slopes to compare with 1 (n_L ∝ d), 2 (n_L ∝ k²) and 1/2 (t_H ∝ √k).
 * Constants and log factors are not compared.
 */
export const kongScaling: Experiment<typeof schema> = {
  id: "kong-scaling",
  title: "Sample-complexity laws: success thresholds vs d and k (slopes against dk² and √k)",
  family: "kong",
  lookFor:
    "The fitted log-log slopes of the success thresholds against the laws: n_L grows like d (slope 1) and like k² (slope 2), t_H like √k (slope ½). A slope far from its law would contradict the sample-complexity analysis.",
  paper: "Kong, Somani, Song, Kakade, Oh. Meta-learning for Mixed Linear Regression. ICML 2020",
  description: "thresholds vs d, k with fitted log-log slopes vs theory",
  figures: kongFigures["kong-scaling"],
  claims: kongScalingClaims,
  params: schema,
  sizes: {
    smoke: { ds: [8, 16, 32], ks_light: [2, 4], ks_heavy: [4, 8, 16, 32] },
    paper: {},
  },
  seeds: { smoke: 3, paper: 5 },
  commonRandomNumbers: true,
  conditions(p) {
    const xs: Record<KongLaw, number[]> = { "light-d": p.ds, "light-k": p.ks_light, "heavy-k": p.ks_heavy };
    return p.laws.flatMap((law) => xs[law].map((x) => ({ law, x })));
  },
  // heavy-k: the clustering threshold search over k components, about k³ (3 µs each: ~0.7 s at
  // k = 64, half of it drawing X's normals, its moments formed in the kernel module); light-d,
  // light-k: the subspace threshold search, about d·k (0.4 ms each).
  cost: (p, c) => {
    const x = c.x as number;
    if (c.law === "heavy-k") return 0.003 * x * x * x;
    return c.law === "light-d" ? 0.4 * x * p.k_light : 0.4 * p.d_light * x;
  },
  runCondition(p, c, key, ctx) {
    const law = c.law as KongLaw;
    const x = c.x as number;
    const k = foldIn(foldInString(key, law), x);
    const y =
      law === "light-d"
        ? lightThreshold(p, x, p.k_light, k)
        : law === "light-k"
          ? lightThreshold(p, p.d_light, x, k)
          : heavyThreshold(p, x, k);
    ctx.progress(1, 1);
    // A threshold not reached (null) leaves no point: the curve skips that x.
    const curves =
      y === null ? [] : [kongCurve({ method: LABELS[law].method }, LABELS[law].x, THRESHOLD_Y, [x], [y])];
    return { status: "ok", curves, scalars: {} };
  },
  combine(p, parts) {
    const joined = joinKongPoints(parts, "x");
    const scalars: Record<string, number | null> = {};
    const curves = p.laws.flatMap((law) => {
      const theory = KONG_LAW_SLOPES[law];
      const c = joined.curves.find((cv) => cv.labels.law === law);
      const slope = c ? (fitLogLogLine(c.x, c.y)?.slope ?? null) : null;
      scalars[`slope[${law}]`] = slope;
      scalars[`theorySlope[${law}]`] = theory;
      const curve = c ?? kongCurve({ method: LABELS[law].method, law }, LABELS[law].x, THRESHOLD_Y, [], []);
      return [{ ...curve, metrics: { ...curve.metrics, slope, theorySlope: theory } }];
    });
    return { status: "ok", curves, scalars };
  },
};
