import type { RunRecord } from "../experiments/types.js";

/**
 * Merge a store's single-seed cell records into one record per grid point (seeds in index
 * order): the shape figures and summary tables take, equal to what `metarep run` with the same
 * seeds would produce, apart from timings.
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
    const pairs = g
      .flatMap((r) => r.seedIndices.map((s, i) => ({ s, res: r.result.seeds[i] })))
      .sort((a, b) => a.s - b.s);
    const first = g[0];
    return {
      ...first,
      seedIndices: pairs.map((p) => p.s),
      status: g.some((r) => r.status === "diverged") ? "diverged" : "ok",
      result: { seeds: pairs.map((p) => p.res) },
      seconds: g.reduce((t, r) => t + r.seconds, 0),
    };
  });
}
