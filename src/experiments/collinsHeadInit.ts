import { z } from "zod";
import { checkDims, gbmlFields, overallStatus, runConditions } from "./gbml.js";
import { listOf, nonNegative } from "./params.js";
import type { Experiment } from "./types.js";

const { w0: _w0, ...fields } = gbmlFields;

const schema = z
  .strictObject({
    ...fields,
    w0s: listOf(nonNegative()).default([0, 1, 3]).describe("initial head norms ‖w₀‖"),
  })
  .superRefine(checkDims);

/**
 * Collins et al. (ICML 2022), head initialisation: the theory starts from w₀ = 0. With w₀ ≠ 0,
 * MAML can stall and FO-MAML can diverge (‖w‖ grows) while ANIL/FO-ANIL still converge
 * (SPEC §1.2 [derived]). Blow-ups are results with status "diverged" and their iteration.
 */
export const collinsHeadInit: Experiment<typeof schema> = {
  id: "collins-head-init",
  title: "Head initialisation: w₀ ≠ 0 stalls MAML and can make FO-MAML diverge",
  paper: "Collins, Mokhtari, Oh, Shakkottai. MAML and ANIL Provably Learn Representations. ICML 2022",
  description: "dist per iteration for ‖w₀‖ ∈ w0s; divergence is reported with its iteration",
  figures: ["trace"],
  params: schema,
  sizes: { smoke: { iters: 200 }, paper: { iters: 400 } },
  seeds: { smoke: 3, paper: 10 },
  run(p, key, ctx) {
    const { w0s, ...rest } = p;
    const curves = runConditions(
      w0s.map((w0) => ({ labels: { w0 }, params: { ...rest, w0 } })),
      key,
      ctx,
    );
    return { status: overallStatus(curves), curves, scalars: {} };
  },
};
