import { z } from "zod";
import { log } from "../../linalg/libm.js";
import { predictedRate, predictedRateOf } from "../../theory/collinsRate.js";
import { metaTrainCost } from "../cost.js";
import { checkDims, checkGbmlFamily, gbmlFields, runGbml } from "../gbml.js";
import { listOf, nonNegative, positive } from "../params.js";
import type { Experiment } from "../types.js";
import { collinsDiversityClaims } from "./claims.js";
import { collinsFigures } from "./figures.js";

const { mu: _mu, ...fields } = gbmlFields;

const schema = z
  .strictObject({
    ...fields,
    methods: fields.methods.default(["anil", "fo-anil", "maml", "fo-maml"]),
    iters: fields.iters.default(4000),
    mus: listOf(nonNegative()).default([1, 0.5, 0.2, 0.1]).describe("head diversities µ"),
    rate_lo: positive().default(1e-12).describe("lower end of the rate-fit window of dist"),
    rate_hi: positive().default(1e-2).describe("upper end of the rate-fit window of dist"),
    stop_below: nonNegative()
      .default(1e-14)
      .describe("a method's curve ends at its first dist below this (float64's floor; 0: never)"),
  })
  .superRefine(checkDims)
  .superRefine(checkGbmlFamily)
  .superRefine((p, ctx) => {
    if (p.rate_lo >= p.rate_hi) {
      ctx.addIssue({
        code: "custom",
        path: ["rate_lo"],
        message: `must be < rate_hi (= ${p.rate_hi})`,
        input: p.rate_lo,
      });
    }
    if (p.stop_below >= p.rate_lo) {
      ctx.addIssue({
        code: "custom",
        path: ["stop_below"],
        message: `must be < rate_lo (= ${p.rate_lo}): the rate fit reads dist down to rate_lo`,
        input: p.stop_below,
      });
    }
  });

/**
 * Iterations a method runs: `iters`, or, with the population rate 1 − αβµ² derived, about the
 * iterations dist takes from 1 to `stop_below` at that rate.
 */
function expectedIters(p: z.output<typeof schema>, mu: number): number {
  const rate = predictedRateOf({ ...p, mu });
  if (rate === null || !(rate > 0 && rate < 1) || p.stop_below <= 0) return p.iters;
  return Math.min(p.iters, Math.ceil(log(p.stop_below) / log(rate)));
}

/**
 * Collins et al. (ICML 2022), task diversity: the local linear rate of dist is 1 − αβµ²
 * (SPEC §1.2 [derived]), so less diverse heads (smaller µ) learn the representation more slowly.
 * Each curve's `rate` is exp(slope) of a log-linear fit over rate_lo < dist < rate_hi.
 *
 * Stopping rule: a method's run ends at its first dist below `stop_below` (1e-14, float64's floor is
 * ~1e-15 here; two decades below rate_lo). Every quantity read is then settled: the rate window and
 * the `firstBelow` thresholds lie above it and the population dist never climbs back from the
 * floor, so `rate` and `firstBelow` are bit for bit those of the full run, whose curve this one is a
 * prefix of; `final` is the dist where the curve ends (at the floor) instead of the floor's value at
 * iteration `iters`. At µ ∈ {1, 0.5} dist reaches the floor within ~100 and ~450 of 4000
 * iterations: the rule halves the run (µ = 0.2 stops near 3400, µ = 0.1 never).
 */
export const collinsDiversity: Experiment<typeof schema> = {
  id: "collins-diversity",
  title: "Task diversity sets the rate: dist contracts like (1 − αβµ²)ᵗ",
  family: "collins",
  lookFor:
    "Each method's fitted per-iteration contraction rate against µ, beside the 1 − αβµ² line: the less diverse the heads (smaller µ), the slower dist contracts, as Collins et al.'s rate says. Points above the line would contradict the rate.",
  paper: "Collins, Mokhtari, Oh, Shakkottai. MAML and ANIL Provably Learn Representations. ICML 2022",
  description: "fitted linear rate of dist vs µ, against 1 − αβµ²",
  figures: collinsFigures["collins-diversity"],
  claims: collinsDiversityClaims,
  params: schema,
  sizes: { smoke: { mus: [1, 0.5], iters: 400 }, paper: { iters: 4000 } },
  seeds: { smoke: 3, paper: 10 },
  conditions: (p) => p.mus.map((mu) => ({ mu })),
  cost: (p, c) => metaTrainCost({ ...p, iters: expectedIters(p, c.mu as number), span: true }),
  runCondition(p, c, key, ctx) {
    const { mus: _m, rate_lo, rate_hi, stop_below, ...rest } = p;
    const mu = c.mu as number;
    const r = runGbml(
      { ...rest, mu },
      key,
      ctx,
      { lo: rate_lo, hi: rate_hi },
      { populationFormulas: true, ...(stop_below > 0 ? { stopBelow: stop_below } : {}) },
    );
    return { ...r, scalars: { theoryRate: predictedRate(p.alpha, p.beta, mu) } };
  },
};
