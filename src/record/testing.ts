import { resolveParams } from "../experiments/resolve.js";
import type { Experiment } from "../experiments/types.js";
import { runRecord } from "./run.js";
import type { RunRecord } from "./types.js";

/** Test support: a whole record of `exp` with these overrides (no size: schema defaults). */
export function recordOf(
  exp: Experiment,
  overrides: Record<string, unknown>,
  seedIndices: number[],
  seed = 0,
): RunRecord {
  const params = resolveParams(exp, null, overrides) as Record<string, unknown>;
  const ctx = { progress: () => {}, warn: () => {} };
  return runRecord({ experiment: exp, params, size: null, seed, seedIndices, command: "test", ctx });
}
