import { z } from "zod";
import { type NetworkModel, networkModels } from "../../algorithms/network/models.js";
import type { NetworkDivergence } from "../../algorithms/network/train.js";
import { registeredId } from "../params.js";
import type { Divergence } from "../types.js";

/**
 * Parameters every network experiment shares: the model (a registry id, the built-in `mlp` or a
 * plug-in's) and its options, checked against the model's own schema when parsed.
 */
export const modelFields = (defaults: Record<string, unknown>) => ({
  model: registeredId(networkModels).default("mlp").describe("network model (mlp, or a plug-in's)"),
  model_options: z
    .record(z.string(), z.unknown())
    .default(defaults)
    .describe("the model's options (mlp: widths, activation, bias)"),
});

/** `model_options` must parse under the chosen model's schema (one issue per problem, by path). */
export function checkModelOptions(
  p: { model: string; model_options: Record<string, unknown> },
  ctx: z.RefinementCtx,
): void {
  if (!networkModels.has(p.model)) return;
  const res = networkModels.get(p.model).options.safeParse(p.model_options, { reportInput: true });
  if (!res.success)
    for (const i of res.error.issues)
      ctx.addIssue({ ...i, path: ["model_options", ...i.path] } as Parameters<typeof ctx.addIssue>[0]);
}

/** A trainer's divergence as stored (non-finite values as strings: records are JSON). */
export function storedDivergence(d: NetworkDivergence): Divergence {
  return { ...d, value: Number.isFinite(d.value) ? d.value : String(d.value) };
}

/** Copies of a model's initial parameters (every method starts from the same θ₀). */
export function copyParams(p: readonly Float64Array[]): Float64Array[] {
  return p.map((a) => Float64Array.from(a));
}

export type { NetworkModel };

/**
 * `nonlinear-representation`'s horizon at head diversity µ: min(iters, ⌈iters_at_1 / µ²⌉) outer
 * iterations (every µ runs `iters` when `iters_at_1` is null). In the linear model the subspace
 * error contracts by 1 − αβµ² per iteration (SPEC §1.2), so the time to a given dist scales like
 * 1/µ²; `iters` caps it (µ = 0 included).
 */
export function nonlinearHorizon(p: { iters: number; iters_at_1: number | null }, mu: number): number {
  if (p.iters_at_1 === null || mu <= 0) return p.iters;
  return Math.min(p.iters, Math.ceil(p.iters_at_1 / (mu * mu)));
}
