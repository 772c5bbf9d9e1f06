import { z } from "zod";
import { duBound, olsLevel, oracleLevel } from "../../theory/duBound.js";
import { fewShotCost } from "../cost.js";
import { checkFamily, familyFields } from "../familyParams.js";
import {
  checkFewShot,
  fewShotFields,
  fewShotStatus,
  joinSettings,
  runSetting,
  sweepCurves,
} from "../fewShot.js";
import { listOf, nonNegative, posInt } from "../params.js";
import type { Experiment } from "../types.js";
import { duExcessRiskClaims } from "./claims.js";
import { duFigures } from "./figures.js";

const SWEEPS = ["T", "n1", "n2"] as const;

const schema = z
  .strictObject({
    ...fewShotFields,
    ...familyFields,
    // AltMin converges linearly, at d = 20, k = 3, n1 ≥ 25 by about 3 decades a round (dist to its
    // 50th round: 1e-8 after 10 rounds, 1e-15 after 20): stopping once a round moves B by
    // ≤ 1e-12 changes no number of the record beyond ~1e-12 relative (du.test.ts) and saves about
    // 30 of the 50 rounds there; slow settings (n1 = 5, T = 25) still run all 50.
    tol: nonNegative().default(1e-12).describe("AltMin / AltMinGD early stop on dist(B_t, B_{t−1}) (0: off)"),
    sweeps: listOf(z.enum(SWEEPS)).default(["T", "n1", "n2"]).describe("which settings to vary"),
    Ts: listOf(posInt()).default([25, 50, 100, 200, 400, 800]).describe("source tasks T (sweep T)"),
    n1s: listOf(posInt()).default([5, 10, 25, 50, 100]).describe("rows per source task (sweep n1)"),
    n2s: listOf(posInt()).default([5, 10, 20, 30, 60, 120]).describe("rows per target task (sweep n2)"),
  })
  .superRefine(checkFewShot)
  .superRefine(checkFamily);

export type DuExcessRiskParams = z.output<typeof schema>;

/**
 * Du et al. (ICLR 2021), two-stage few-shot learning: excess risk of the target head on the learned
 * representation, against T, n1 and n2 (the other two held at `T`, `n1`, `n2`), for every estimator
 * of B̂ and the oracle and no-representation baselines, on the same target tasks. The paper's rate is
 * `Õ(dk/(n1T) + k/n2)`: the excess over the oracle falls like 1/(n1T) (slope −1 in T and in n1), the
 * oracle level is σ²k/(n2 − k − 1), plain OLS σ²d/(n2 − d − 1). Curves: see `sweepCurves`;
 * scalars: `theory[sweep=…,x=…]` (dk/(n1T) + k/n2), `oracleLevel[…]`, `olsLevel[…]`.
 *
 * With a task family (`family`, `family_options`; `models/taskFamilies.ts`) source and target
 * inputs both come from it and the excess risk is ‖Σ^{1/2}(B̂ŵ − B*w*)‖² with its population Σ (a
 * family without Σ is refused). The reference levels stay valid for Gaussian x ~ N(0, Σ): the
 * oracle's and OLS's Σ-norm excess risks do not depend on Σ, and with Σ_src = Σ_tgt Du et al.'s
 * covariance-dominance factor is c = 1.
 */
export const duExcessRisk: Experiment<typeof schema> = {
  id: "du-excess-risk",
  title: "Few-shot excess risk falls like dk/(n₁T) + k/n₂ with a learned representation",
  family: "du",
  lookFor:
    "The excess risk of every learned representation falls with T and n1 along the fitted C·(dk/(n1T) + k/n2) until the k/n2 term, set by the target sample size n2, dominates; the oracle (B*) has only the k/n2 part and least squares without a representation (OLS) stays far above. Where dk/(n1T) dominates, the fitted log-log slopes are close to −1.",
  paper: "Du, Hu, Kakade, Lee, Lei. Few-Shot Learning via Learning the Representation, Provably. ICLR 2021",
  description: "excess risk vs T, n1 and n2 per estimator of B̂ (MoM, AltMin, BM, ANIL), oracle and OLS",
  figures: duFigures["du-excess-risk"],
  claims: duExcessRiskClaims,
  params: schema,
  sizes: {
    smoke: {
      Ts: [50, 100, 200],
      n1s: [10, 25],
      n2s: [10, 30],
      targets: 200,
      anil_epochs: 30,
      methods: ["mom", "altmin", "fo-anil", "oracle", "ols"],
    },
    paper: { targets: 1000 },
  },
  seeds: { smoke: 2, paper: 10 },
  commonRandomNumbers: true,
  cost: (p, c) => fewShotCost(p, { T: p.T, n1: p.n1, n2: p.n2, [c.sweep as string]: c.x as number }),
  conditions(p) {
    const grid: Record<(typeof SWEEPS)[number], number[]> = { T: p.Ts, n1: p.n1s, n2: p.n2s };
    return p.sweeps.flatMap((sweep) => grid[sweep].map((x) => ({ sweep, x })));
  },
  runCondition(p, c, key, ctx) {
    const sweep = c.sweep as (typeof SWEEPS)[number];
    const x = c.x as number;
    const setting = { T: p.T, n1: p.n1, n2: p.n2, [sweep]: x };
    const curves = sweepCurves([{ x, outcome: runSetting(p, setting, key, ctx) }], sweep, { sweep });
    ctx.progress(1, 1);
    return {
      status: fewShotStatus(curves),
      curves,
      scalars: {
        theory: duBound({ d: p.d, k: p.k, ...setting }),
        oracleLevel: oracleLevel(p.sigma, p.k, setting.n2),
        olsLevel: olsLevel(p.sigma, p.d, setting.n2),
      },
    };
  },
  combine: (_p, parts) => joinSettings(parts, "x"),
};
