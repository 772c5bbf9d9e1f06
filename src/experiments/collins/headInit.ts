import { z } from "zod";
import { metaTrainCost } from "../cost.js";
import { checkDims, checkGbmlFamily, gbmlFields, runGbml } from "../gbml.js";
import { listOf, nonNegative } from "../params.js";
import type { Experiment } from "../types.js";
import { collinsHeadInitClaims } from "./claims.js";
import { collinsFigures } from "./figures.js";

const { w0: _w0, ...fields } = gbmlFields;

const schema = z
  .strictObject({
    ...fields,
    w0s: listOf(nonNegative()).default([0, 1, 3]).describe("initial head norms ‖w₀‖"),
  })
  .superRefine(checkDims)
  .superRefine(checkGbmlFamily);

/**
 * Collins et al. (ICML 2022), head initialisation: the theory starts from w₀ = 0. With w₀ ≠ 0,
 * MAML can stall and FO-MAML can diverge (‖w‖ grows) while ANIL/FO-ANIL still converge
 * (SPEC §1.2 [derived]). Blow-ups are results with status "diverged" and their iteration.
 */
export const collinsHeadInit: Experiment<typeof schema> = {
  id: "collins-head-init",
  title: "Head initialisation: w₀ ≠ 0 stalls MAML and can make FO-MAML diverge",
  family: "collins",
  lookFor:
    "With ‖w₀‖ = 0 every method converges as in collins-convergence; as ‖w₀‖ grows MAML slows down (stalls) and FO-MAML can diverge, marked × at the iteration it blew up.",
  paper: "Collins, Mokhtari, Oh, Shakkottai. MAML and ANIL Provably Learn Representations. ICML 2022",
  description: "dist per iteration for ‖w₀‖ ∈ w0s; divergence is reported with its iteration",
  figures: collinsFigures["collins-head-init"],
  claims: collinsHeadInitClaims,
  params: schema,
  sizes: { smoke: { iters: 200 }, paper: { iters: 400 } },
  seeds: { smoke: 3, paper: 10 },
  conditions: (p) => p.w0s.map((w0) => ({ w0 })),
  cost: (p) => metaTrainCost(p),
  runCondition(p, c, key, ctx) {
    const { w0s: _w, ...rest } = p;
    return runGbml({ ...rest, w0: c.w0 as number }, key, ctx);
  },
};
