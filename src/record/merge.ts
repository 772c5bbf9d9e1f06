import { getExperiment } from "../experiments/registry.js";
import { combineParts } from "../experiments/runner.js";
import type { ConditionPart, RunResult } from "../experiments/types.js";
import { cellId } from "./ids.js";
import type { RunRecord } from "./types.js";

/**
 * Merge a store's cell records (one seed, one condition each) into one record per grid point:
 * per seed index, the conditions' results joined by the experiment's `combine` (in declared
 * order), seeds in index order — the shape figures and summary tables take, equal to what
 * `metarep run` with the same seeds would produce, apart from timings. Records that already hold
 * all conditions (from `run`) pass through with their seeds merged.
 */
export function mergeByGridPoint(records: readonly RunRecord[]): RunRecord[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const k = `${r.experiment}|${r.gridPoint ?? ""}`;
    const g = groups.get(k) ?? [];
    g.push(r);
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => {
    const first = g[0];
    const bySeed = new Map<number, { whole?: RunResult; parts: ConditionPart[] }>();
    for (const r of g) {
      r.seedIndices.forEach((s, i) => {
        const e = bySeed.get(s) ?? { parts: [] };
        if (r.condition) e.parts.push({ condition: r.condition, result: r.result.seeds[i] });
        else e.whole = r.result.seeds[i];
        bySeed.set(s, e);
      });
    }
    const exp = getExperiment(first.experiment);
    const seedIndices = [...bySeed.keys()].sort((a, b) => a - b);
    const seeds = seedIndices.map((s) => {
      const e = bySeed.get(s)!;
      return e.whole ?? combineParts(exp, first.params, e.parts);
    });
    // A grid point's cells may come from several queue workers: the merged record names none.
    const { condition: _c, conditionPoint: _cp, worker: _w, ...rest } = first;
    return {
      ...rest,
      seedIndices,
      cellId: cellId(first.experiment, first.params, first.seed, seedIndices, first.gridPoint ?? ""),
      status: seeds.some((r) => r.status === "diverged") ? "diverged" : "ok",
      result: { seeds },
      seconds: g.reduce((t, r) => t + r.seconds, 0),
    };
  });
}
