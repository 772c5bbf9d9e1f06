import { describe, expect, it } from "vitest";
import { getExperiment } from "../../experiments/registry.js";
import { resolveParams } from "../../experiments/resolve.js";
import type { LivePoint, RunResult } from "../../experiments/types.js";
import { parseRecord } from "../../record/file.js";
import { runRecord } from "../../record/run.js";
import { LiveRun } from "./liveRecord.js";
import { recordText } from "./records.js";

/** Run an experiment as the worker does, feeding a LiveRun; return it and the final record. */
function stream(id: string, overrides: Record<string, unknown>, seeds: number) {
  const exp = getExperiment(id);
  const params = resolveParams(exp, "smoke", overrides) as Record<string, unknown>;
  const live = new LiveRun(id, params, "smoke", 3, "test");
  const snapshots: { seed: number; points: number }[] = [];
  let seed = 0;
  const finished: RunResult[] = [];
  const record = runRecord({
    experiment: exp,
    params,
    size: "smoke",
    seed: 3,
    seedIndices: Array.from({ length: seeds }, (_, i) => i),
    command: "test",
    ctx: {
      progress: () => {},
      warn: () => {},
      live: (points: readonly LivePoint[]) => {
        live.addLive(seed, points);
        snapshots.push({ seed, points: points.length });
      },
    },
    onSeed: (i, r) => {
      // Before the seed is handed over, its live curves are the final curves exactly.
      const inProgress = live.record().result.seeds[i];
      for (const c of r.curves) {
        const l = inProgress.curves.find((x) => JSON.stringify(x.labels) === JSON.stringify(c.labels))!;
        expect(l.x).toEqual(c.x);
        expect(l.y).toEqual(c.y);
        expect(l.status).toBe(c.status);
        expect(l.diverged).toEqual(c.diverged);
      }
      live.addSeed(i, r);
      finished.push(r);
      seed = i + 1;
    },
  });
  return { live, record, snapshots, finished };
}

describe("live runs", () => {
  it("rebuild every dist curve point by point, bit for bit, before the seed finishes", () => {
    const { live, record, snapshots } = stream("collins-convergence", { iters: 40 }, 2);
    expect(snapshots.length).toBe(80);
    expect(live.record().result.seeds).toEqual(record.result.seeds);
    expect(live.record(false).seedIndices).toEqual([0, 1]);
  });

  it("stream divergence as it happens: the curve stops at its last finite value with the cause", () => {
    const { finished } = stream("collins-head-init", { iters: 30, methods: ["fo-maml", "anil"] }, 1);
    expect(finished[0].curves.some((c) => c.status === "diverged")).toBe(true);
  });

  it("show the seed in progress after the finished ones", () => {
    const live = new LiveRun("collins-convergence", {}, "smoke", 0, "test");
    expect(live.empty).toBe(true);
    live.addLive(0, [
      { labels: { method: "anil" }, x: 0, y: 1 },
      { labels: { method: "anil" }, x: 1, y: 0.5 },
    ]);
    const r = live.record();
    expect(r.seedIndices).toEqual([0]);
    expect(r.result.seeds[0].curves[0]).toMatchObject({
      x: [0, 1],
      y: [1, 0.5],
      xName: "iteration",
      yName: "dist",
    });
    expect(live.record(false).seedIndices).toEqual([]);
  });
});

describe("thinning live curves for display", () => {
  it("keeps every s-th point (s a power of two) at the same iterations in every seed, and the last point", () => {
    const live = new LiveRun("collins-convergence", {}, "smoke", 0, "test");
    const curve = (n: number, scale: number) => ({
      labels: { method: "anil" },
      xName: "iteration",
      yName: "dist",
      x: Array.from({ length: n }, (_, i) => i),
      y: Array.from({ length: n }, (_, i) => scale / (i + 1)),
      metrics: {},
      status: "ok" as const,
    });
    live.addSeed(0, { status: "ok", curves: [curve(1001, 1)], scalars: {} });
    live.addLive(
      1,
      Array.from({ length: 700 }, (_, i) => ({ labels: { method: "anil" }, x: i, y: 2 / (i + 1) })),
    );
    const full = live.record(true);
    expect(full.result.seeds.map((s) => s.curves[0].x.length)).toEqual([1001, 700]);
    const thin = live.record(true, 100);
    const [a, b] = thin.result.seeds.map((s) => s.curves[0]);
    // 1001 points → stride 16 (the smallest power of two giving ≤ 100), plus the last point.
    expect(a.x.slice(0, 4)).toEqual([0, 16, 32, 48]);
    expect(a.x.at(-1)).toBe(1000);
    expect(a.x.length).toBeLessThanOrEqual(101);
    expect(a.y.every((y, i) => y === 1 / (a.x[i] + 1))).toBe(true);
    // 700 points → stride 8: the shared iterations are the same in both seeds.
    expect(b.x.slice(0, 3)).toEqual([0, 8, 16]);
    expect(b.x.at(-1)).toBe(699);
    const shared = b.x.filter((x) => x % 16 === 0 && x < 700);
    for (const x of shared) expect(a.x).toContain(x);
    // The full record is untouched by thinning.
    expect(live.record(true).result.seeds[0].curves[0].x).toHaveLength(1001);
  });
});

describe("a stopped run", () => {
  it("exports the seeds finished before the stop as a valid, re-runnable record marked stopped", () => {
    const exp = getExperiment("collins-convergence");
    const params = resolveParams(exp, "smoke", { iters: 30 }) as Record<string, unknown>;
    const ctx = { progress: () => {}, warn: () => {} };
    const full = runRecord({
      experiment: exp,
      params,
      size: "smoke",
      seed: 5,
      seedIndices: [0, 1, 2],
      command: "x",
      ctx,
    });
    const live = new LiveRun(exp.id, params, "smoke", 5, "metarep run … --seeds 3");
    expect(live.stoppedRecord((n) => `seeds ${n}`)).toBeNull();
    live.addSeed(0, full.result.seeds[0]);
    live.addSeed(1, full.result.seeds[1]);
    // Seed 2 is under way when Stop is pressed: its partial curves are not exported.
    live.addLive(2, [{ labels: { method: "anil" }, x: 0, y: 1 }]);
    const stopped = live.stoppedRecord((n) => `metarep run collins-convergence --seeds ${n}`)!;
    expect(stopped.stopped).toBe(true);
    expect(stopped.seedIndices).toEqual([0, 1]);
    expect(stopped.command).toBe("metarep run collins-convergence --seeds 2");
    expect(stopped.result.seeds).toEqual(full.result.seeds.slice(0, 2));
    // The record of a run of those two seeds, but for the mark.
    const two = runRecord({
      experiment: exp,
      params,
      size: "smoke",
      seed: 5,
      seedIndices: [0, 1],
      command: "x",
      ctx,
    });
    expect(stopped.cellId).toBe(two.cellId);
    expect(stopped.status).toBe(two.status);
    // It reads back as a record (as `metarep run --record` and the page's import read it).
    const text = JSON.parse(recordText(stopped)) as unknown;
    expect(parseRecord(text, "stopped.json").stopped).toBe(true);
    expect(() => parseRecord({ ...(text as object), stopped: false }, "bad.json")).toThrow(
      'bad.json: "stopped" must be one of true; got false.',
    );
  });
});
