import { z } from "zod";
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
import { listOf, nonNegative } from "../params.js";
import type { Experiment } from "../types.js";
import { duDiversityClaims } from "./claims.js";
import { duFigures } from "./figures.js";

const { heads: _heads, kappa: _kappa, ...fields } = fewShotFields;

const schema = z
  .strictObject({
    ...fields,
    ...familyFields,
    methods: fields.methods.default(["mom", "altmin", "oracle"]),
    // AltMin converges linearly; stopping once a round moves B by ≤ 1e-12 (as du-excess-risk) moves
    // no number of the record by more than 1e-10 relative (du.test.ts) and saves the rounds past it.
    tol: nonNegative().default(1e-12).describe("AltMin / AltMinGD early stop on dist(B_t, B_{t−1}) (0: off)"),
    kappas: listOf(z.number().min(1)).default([1, 2, 4, 8, 16, 32]).describe("condition numbers κ of W*"),
  })
  .superRefine((p, ctx) => {
    checkFewShot({ ...p, heads: "condition", kappa: 1 }, ctx);
    if (p.k === 1 && p.kappas.some((v) => v !== 1)) {
      ctx.addIssue({
        code: "custom",
        path: ["kappas"],
        message: "must all be 1 when k = 1",
        input: p.kappas,
      });
    }
  })
  .superRefine(checkFamily);

/**
 * Task diversity (Du et al. 2021's assumption σ_k(W*)² ≳ T/k; Bouniot & Redko's diagnostics): the
 * source heads W* (T × k) have condition number exactly κ (`condition` design: same ‖W*‖_F, the
 * weakest direction shrinks as κ grows) while target heads stay isotropic. Less diverse sources
 * (larger κ) leave a direction of B* poorly learned, so the excess risk at the same T grows with κ.
 * Curves are those of `sweepCurves` with x = κ (the `cond(W*)` curve equals x exactly). Accepts a
 * task family (`family`, `family_options`) for the inputs of source and target tasks.
 */
export const duDiversity: Experiment<typeof schema> = {
  id: "du-diversity",
  title: "Less diverse source tasks (larger κ(W*)) give larger few-shot excess risk",
  family: "du",
  lookFor:
    "Excess risk grows with κ(W*), the condition number of the source heads: the less diverse the source tasks, the worse the learned representation transfers (Du et al.'s diversity assumption). The oracle's curve stays flat.",
  paper: "Du, Hu, Kakade, Lee, Lei. Few-Shot Learning via Learning the Representation, Provably. ICLR 2021",
  description: "excess risk vs the condition number κ of the source heads W*, at fixed T, n1, n2",
  figures: duFigures["du-diversity"],
  claims: duDiversityClaims,
  params: schema,
  sizes: { smoke: { kappas: [1, 4, 16], targets: 200 }, paper: { targets: 1000 } },
  seeds: { smoke: 2, paper: 10 },
  commonRandomNumbers: true,
  conditions: (p) => p.kappas.map((kappa) => ({ kappa })),
  cost: (p) => fewShotCost(p, p),
  runCondition(p, c, key, ctx) {
    const kappa = c.kappa as number;
    const params = { ...p, heads: "condition" as const, kappa };
    const outcome = runSetting(params, { T: p.T, n1: p.n1, n2: p.n2 }, key, ctx);
    const curves = sweepCurves([{ x: kappa, outcome }], "κ(W*)", {});
    ctx.progress(1, 1);
    return { status: fewShotStatus(curves), curves, scalars: {} };
  },
  combine: (_p, parts) => joinSettings(parts, "kappa"),
};
