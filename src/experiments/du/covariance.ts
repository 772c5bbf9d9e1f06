import { z } from "zod";
import { duBound, oracleLevel } from "../../theory/duBound.js";
import { fewShotCost } from "../cost.js";
import {
  checkFewShot,
  fewShotFields,
  fewShotModel,
  fewShotStatus,
  joinSettings,
  runSetting,
  sweepCurves,
} from "../fewShot.js";
import { listOf } from "../params.js";
import type { Experiment, RunResult } from "../types.js";
import { duCovarianceClaims } from "./claims.js";
import { factorOf, sourceVariances, targetVariances } from "./covarianceFactor.js";
import { duFigures } from "./figures.js";

const schema = z
  .strictObject({
    ...fewShotFields,
    methods: fewShotFields.methods.default(["altmin", "bm", "oracle"]),
    src_ratio: z
      .number()
      .min(1)
      .default(10)
      .describe("Σ_src: geometric spectrum from 1 down to 1/src_ratio (normalised to trace d)"),
    leans: listOf(z.number().min(0).max(4))
      .default([0, 0.5, 1, 1.5, 2])
      .describe(
        "Σ_tgt variances ∝ s^(1 − lean) (s: Σ_src's): 0 = Σ_src, larger leans to what the source sees least",
      ),
  })
  .superRefine(checkFewShot);

/**
 * Du et al. (ICLR 2021)'s covariance-dominance assumption, read by Bouniot & Redko (ICLR 2022 blog
 * track): source inputs x ~ N(0, Σ_src), target inputs N(0, Σ_tgt), c the largest constant with
 * c·Σ_tgt ⪯ Σ_src (`theory/covarianceDominance.ts`: c = 1/λ_max(Σ_src^{-1/2}Σ_tgtΣ_src^{-1/2})), and
 * the bound's first term becomes dk/(c·n1·T). The source covariance is fixed (diagonal, geometric
 * spectrum); the target's leans towards the directions the source sees least, so c shrinks. Every
 * lean sees the same source tasks and the same learned representations (common random numbers);
 * only the targets' inputs change. Excess risk is ‖Σ_tgt^{1/2}(B̂ŵ − B*w*)‖². Curves (x = c): those
 * of `sweepCurves`; scalars per lean: `c`, `theory` (dk/(c·n1T) + k/n2), `representationTerm`.
 */
export const duCovariance: Experiment<typeof schema> = {
  id: "du-covariance",
  title: "Target inputs the source saw least (smaller c) raise the few-shot excess risk",
  family: "du",
  lookFor:
    "As the target inputs lean towards the directions the source sees least (the covariance-dominance factor c falls), the excess risk rises, as in the c-corrected bound dk/(c·n1T) + k/n2 (fitted constant); the average factor c̄ shows how pessimistic the worst-case c is.",
  paper: "Du, Hu, Kakade, Lee, Lei. Few-Shot Learning via Learning the Representation, Provably. ICLR 2021",
  description:
    "excess risk vs the covariance-dominance factor c, with the c-corrected bound dk/(c·n1T) + k/n2",
  figures: duFigures["du-covariance"],
  claims: duCovarianceClaims,
  params: schema,
  sizes: { smoke: { leans: [0, 1, 2], targets: 200 }, paper: { targets: 1000 } },
  seeds: { smoke: 2, paper: 10 },
  commonRandomNumbers: true,
  conditions: (p) => p.leans.map((lean) => ({ lean })),
  cost: (p) => fewShotCost(p, p),
  runCondition(p, cond, key, ctx): RunResult {
    const lean = cond.lean as number;
    const covSrc = sourceVariances(p);
    const covTgt = targetVariances(covSrc, lean);
    const model = { ...fewShotModel(p), covSrc, covTgt };
    const { c, term, cAverage, averageTerm } = factorOf(p, lean);
    const outcome = runSetting(p, { T: p.T, n1: p.n1, n2: p.n2 }, key, ctx, model);
    const curves = sweepCurves([{ x: c, outcome }], "c", {});
    ctx.progress(1, 1);
    return {
      status: fewShotStatus(curves),
      curves,
      scalars: {
        c,
        theory: duBound({ d: p.d, k: p.k, n1: p.n1, T: p.T, n2: p.n2, c }),
        representationTerm: term,
        cAverage,
        averageTerm,
        oracleLevel: oracleLevel(p.sigma, p.k, p.n2),
      },
    };
  },
  combine: (_p, parts) => joinSettings(parts, "lean"),
};
