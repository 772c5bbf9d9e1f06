import { runRecord } from "../sweep/record.js";
import { resolveParams } from "./resolve.js";
import type { Curve, Experiment, RunRecord } from "./types.js";

/** Test support shared by the experiment tests: run seeds into a record, pick curves, medians. */

const ctx = { progress: () => {}, warn: () => {} };

/** One record of `exp` with these overrides (no size: schema defaults) over the given seed indices. */
export function runExperiment(
  exp: Experiment,
  overrides: Record<string, unknown>,
  seedIndices: number[],
  seed = 0,
): RunRecord {
  const params = resolveParams(exp, null, overrides) as Record<string, unknown>;
  return runRecord({ experiment: exp, params, size: null, seed, seedIndices, command: "test", ctx });
}

/** Per seed, the curve whose labels include these (and whose yName is `yName`, if given). */
export function curvesOf(rec: RunRecord, labels: Record<string, unknown>, yName?: string): Curve[] {
  return rec.result.seeds.map((r) => {
    const c = r.curves.find(
      (c) =>
        (yName === undefined || c.yName === yName) &&
        Object.entries(labels).every(([k, v]) => c.labels[k] === v),
    );
    if (!c)
      throw new Error(`no curve with labels ${JSON.stringify(labels)}${yName ? ` and y ${yName}` : ""}`);
    return c;
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
}

/** Per x, the median over seeds of the curves' y. */
export function medians(cs: Curve[]): number[] {
  return cs[0].x.map((_, j) => median(cs.map((c) => c.y[j])));
}
