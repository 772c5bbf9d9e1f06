import { metaTrainCost } from "../cost.js";
import { gbmlSchema, runGbml } from "../gbml.js";
import type { Experiment } from "../types.js";
import { collinsConvergenceClaims } from "./claims.js";
import { collinsFigures } from "./figures.js";

/**
 * Collins et al. (ICML 2022), the convergence figure: in the population setting, ANIL, FO-ANIL,
 * MAML and FO-MAML drive dist(B, B*) to 0 exponentially fast; Avg-GD does not recover the
 * subspace. SPEC §4: d=20, k=3, n=20, α=β=0.5, µ=1, 400 iterations, ≥ 10 seeds.
 */
export const collinsConvergence: Experiment<typeof gbmlSchema> = {
  id: "collins-convergence",
  title: "MAML and ANIL learn the representation; average-loss GD does not",
  family: "collins",
  lookFor:
    "ANIL, FO-ANIL, MAML and FO-MAML drive dist(B, B*) to 0 linearly, a straight line on the log axis, while average-loss GD stays near where it started: the inner adaptation step is what makes the shared representation learnable (Collins et al.). At the population loss the four meta-learning methods' curves nearly coincide.",
  paper: "Collins, Mokhtari, Oh, Shakkottai. MAML and ANIL Provably Learn Representations. ICML 2022",
  description: "dist(B, B*) per iteration for the five methods, population loss (m = ∞)",
  figures: collinsFigures["collins-convergence"],
  claims: collinsConvergenceClaims,
  params: gbmlSchema,
  sizes: { smoke: { iters: 150 }, paper: { iters: 400 } },
  seeds: { smoke: 3, paper: 10 },
  cost: (p) => metaTrainCost({ ...p, span: true }),
  // Population formulas in span coordinates (populationMetaGradient.ts): from w₀ = 0 every method
  // contracts, so their rounding stays rounding (the curves equal the d-dimensional ones to ~1e-9).
  runCondition: (p, _c, key, ctx) => runGbml(p, key, ctx, undefined, { populationFormulas: true }),
};
