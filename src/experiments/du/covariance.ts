import { z } from "zod";
import { duBound, fitConstant, oracleLevel } from "../../theory/duBound.js";
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
import type { Experiment, RunResult, TheoryRow } from "../types.js";
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
  paper: "Du, Hu, Kakade, Lee, Lei. Few-Shot Learning via Learning the Representation, Provably. ICLR 2021",
  description:
    "excess risk vs the covariance-dominance factor c, with the c-corrected bound dk/(c·n1T) + k/n2",
  figures: duFigures["du-covariance"],
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
  compare(p, seeds) {
    // Per method: the paired excess over the oracle at each lean (mean over seeds) beside the
    // c-corrected first term and the average-factor term, each with the constant C fitted at
    // c = 1 (lean 0), so the rows show how far 1/c and 1/c̄ follow the measurement.
    const rows: TheoryRow[] = [];
    const i0 = p.leans.indexOf(0);
    for (const method of p.methods.filter((m) => m !== "oracle")) {
      const means = p.leans.map((_, i) => {
        const ys = seeds
          .map(
            (r) =>
              r.curves.find((cv) => cv.labels.method === method && cv.yName === "excess over oracle")?.y[i],
          )
          .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : null;
      });
      const m0 = i0 >= 0 ? means[i0] : null;
      const C = m0 === null ? null : fitConstant([m0], [factorOf(p, 0).term]);
      p.leans.forEach((lean, i) => {
        const f = factorOf(p, lean);
        const fitted =
          C === null ? "C = 1 (no lean 0 to fit it at)" : `C = ${C.toPrecision(3)} fitted at c = 1`;
        for (const [what, term, factor] of [
          ["C·dk/(c·n1T)", f.term, `c = ${f.c.toPrecision(3)}`],
          ["C·dk/(c̄·n1T)", f.averageTerm, `c̄ = ${f.cAverage.toPrecision(3)}`],
        ] as const) {
          rows.push({
            quantity: `${method} excess over oracle at lean ${lean} (${factor})`,
            measured: means[i],
            theory: (C ?? 1) * term,
            note: `mean over ${seeds.length} seeds of the paired excess; theory ${what}, ${fitted}`,
          });
        }
      });
    }
    return rows;
  },
};
