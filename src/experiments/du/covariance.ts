import { z } from "zod";
import { duBound, oracleLevel } from "../../theory/duBound.js";
import { fewShotCost } from "../cost.js";
import {
  checkFewShot,
  fewShotFields,
  fewShotModel,
  fewShotStatus,
  fitSourceStage,
  joinSettings,
  sweepCurves,
  targetOutcomes,
} from "../fewShot.js";
import { listOf, nonNegative } from "../params.js";
import type { ConditionPart, Curve, Experiment, RunResult } from "../types.js";
import { duCovarianceClaims } from "./claims.js";
import { factorOf, sourceVariances, targetVariances } from "./covarianceFactor.js";
import { duFigures } from "./figures.js";

const schema = z
  .strictObject({
    ...fewShotFields,
    methods: fewShotFields.methods.default(["altmin", "bm", "oracle"]),
    // AltMin converges linearly; stopping once a round moves B by ≤ 1e-12 (as du-excess-risk) moves
    // no number of the record by more than 1e-10 relative (du.test.ts) and saves the rounds past it.
    tol: nonNegative().default(1e-12).describe("AltMin / AltMinGD early stop on dist(B_t, B_{t−1}) (0: off)"),
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
 * only the targets' inputs change, so one cell per seed fits them once and evaluates every lean.
 * Excess risk is ‖Σ_tgt^{1/2}(B̂ŵ − B*w*)‖². Curves (x = c): those
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
  // One cell per seed: every lean shares the source stage (see `runCondition`).
  cost: (p) => fewShotCost(p, p, p.leans.length),
  runCondition(p, _cond, key, ctx): RunResult {
    const covSrc = sourceVariances(p);
    const base = { ...fewShotModel(p), covSrc };
    // The source tasks and the learned representations do not depend on the lean (only the
    // targets' inputs do): fitted once for all leans, where a cell per lean refitted them.
    const stage = fitSourceStage(p, p, key, ctx, { ...base, covTgt: targetVariances(covSrc, p.leans[0]) });
    const curves: Curve[] = [];
    const scalars: RunResult["scalars"] = {};
    for (const lean of p.leans) {
      const model = { ...base, covTgt: targetVariances(covSrc, lean) };
      const { c, term, cAverage, averageTerm } = factorOf(p, lean);
      const [outcome] = targetOutcomes(p, stage, [p.n2], key, model);
      // Labelled and named as the lean's own condition was (`combine` joins them along lean).
      for (const curve of sweepCurves([{ x: c, outcome }], "c", {}))
        curves.push({ ...curve, labels: { ...curve.labels, lean } });
      const at = `[lean=${lean}]`;
      scalars[`c${at}`] = c;
      scalars[`theory${at}`] = duBound({ d: p.d, k: p.k, n1: p.n1, T: p.T, n2: p.n2, c });
      scalars[`representationTerm${at}`] = term;
      scalars[`cAverage${at}`] = cAverage;
      scalars[`averageTerm${at}`] = averageTerm;
      scalars[`oracleLevel${at}`] = oracleLevel(p.sigma, p.k, p.n2);
    }
    ctx.progress(1, 1);
    return { status: fewShotStatus(curves), curves, scalars };
  },
  combine: (p, parts) => joinSettings(leanParts(p, parts), "lean"),
};

/**
 * A seed's cell back as one part per lean, in declared order: the parts a cell per lean gave
 * (curves labelled with the lean, scalars named for it), so the joined curves are the same.
 */
function leanParts(p: { leans: number[] }, parts: readonly ConditionPart[]): ConditionPart[] {
  const curves = parts.flatMap((part) => part.result.curves);
  const scalars = Object.assign({}, ...parts.map((part) => part.result.scalars)) as RunResult["scalars"];
  return [...new Set(p.leans)].map((lean) => {
    const own = curves.filter((c) => c.labels.lean === lean);
    const at = `[lean=${lean}]`;
    const named = Object.fromEntries(Object.entries(scalars).filter(([k]) => k.endsWith(at)));
    return { condition: { lean }, result: { status: fewShotStatus(own), curves: own, scalars: named } };
  });
}
