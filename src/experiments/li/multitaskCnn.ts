import { z } from "zod";
import { cnnCost } from "../cost.js";
import { nonNegative, posInt } from "../params.js";
import type { Experiment } from "../types.js";
import { liMultitaskCnnClaims } from "./claims.js";
import {
  checkLi,
  errorCurves,
  type LiCondition,
  liFields,
  raceRatios,
  runLiCondition,
  sweepOf,
} from "./common.js";
import { liFigures } from "./figures.js";

const schema = z
  .strictObject({
    ...liFields,
    Ks: sweepOf(posInt()).default([1, 2, 5, 10, 20]).describe("numbers of tasks K to sweep (others at base)"),
    ns: sweepOf(posInt()).default([10, 30, 60]).describe("examples per task n to sweep (others at base)"),
    snrs: sweepOf(nonNegative())
      .default([0.15, 0.2, 0.3, 0.45])
      .describe("shared-feature SNRs to sweep (others at base)"),
  })
  .superRefine(checkLi);

/** The base point (K, n, snr) and one-at-a-time sweeps of K, n and SNR around it, deduplicated. */
export function sweepConditions(p: {
  K: number;
  n: number;
  snr: number;
  Ks: number[];
  ns: number[];
  snrs: number[];
}) {
  const out: LiCondition[] = [];
  const add = (c: LiCondition) => {
    if (!out.some((o) => o.K === c.K && o.n === c.n && o.snr === c.snr)) out.push(c);
  };
  add({ K: p.K, n: p.n, snr: p.snr });
  for (const K of p.Ks) add({ K, n: p.n, snr: p.snr });
  for (const n of p.ns) add({ K: p.K, n, snr: p.snr });
  for (const snr of p.snrs) add({ K: p.K, n: p.n, snr });
  return out;
}

/**
 * Li et al. (AISTATS 2025), multi-task vs single-task feature learning in a two-layer CNN (SPEC §3
 * [reconstructed]): test error of single-task training (one network per task on its n examples)
 * and multi-task training (one network on the union of the K tasks) as K, n and the shared
 * feature's SNR vary one at a time around the base point, with the training curves. In the
 * default setting (see `liFields`) both fit their training data, multi-task training learns the
 * shared feature and generalises, single-task training memorises noise. Curves: `test error` and
 * `train error` (means over tasks) per recorded step, labelled by method, set, K, n and snr;
 * scalars: the race ratios N·p·SNR^q of each condition.
 */
export const liMultitaskCnn: Experiment<typeof schema> = {
  id: "li-multitask-cnn",
  title: "Multi-task training learns the shared feature; single-task training memorises noise",
  family: "li",
  lookFor:
    "Multi-task training reaches a lower test error than single-task training, and the gap widens with more tasks K and a lower SNR; at K = 1 the two coincide.",
  paper:
    "Li, Chen, Deng, Kou, Cao, Gu. On the Power of Multitask Representation Learning with Gradient Descent. AISTATS 2025",
  description: "test error of single- vs multi-task CNN training vs K, n and SNR; training curves",
  figures: liFigures["li-multitask-cnn"],
  claims: liMultitaskCnnClaims,
  params: schema,
  sizes: {
    smoke: { K: 10, n: 20, iters: 100, record_every: 20, n_test: 100, Ks: [1, 10], ns: [], snrs: [] },
    paper: {},
  },
  seeds: { smoke: 2, paper: 5 },
  commonRandomNumbers: true,
  // K single-task trainings of n examples and one multi-task training of K·n.
  cost: (p, c) => cnnCost(p, c.K as number, c.n as number),
  conditions: (p) => sweepConditions(p).map((c) => ({ K: c.K, n: c.n, snr: c.snr })),
  runCondition(p, cond, key, ctx) {
    const c: LiCondition = { K: cond.K as number, n: cond.n as number, snr: cond.snr as number };
    const total = (c.K + 1) * p.iters;
    let done = 0;
    const res = runLiCondition(p, c, key, {
      // Only the error curves are recorded here.
      alignments: false,
      signal: ctx.signal,
      onStep: () => {
        done++;
        if (done % 50 === 0) ctx.progress(done, total);
      },
    });
    ctx.progress(total, total);
    const curves = [...errorCurves(res.single, {}), ...errorCurves(res.multi, {})];
    const race = raceRatios(p, c);
    const status = curves.some((cv) => cv.status === "diverged") ? "diverged" : "ok";
    return { status, curves, scalars: { raceSingle: race.single, raceMulti: race.multi } };
  },
};
