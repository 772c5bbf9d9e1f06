import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { RunRecord } from "../record/types.js";
import { CostQueue } from "./costQueue.js";
import { ThreadsExecutor } from "./executors/threads.js";
import { runSweep, type SweepProgress } from "./runSweep.js";
import { type Cell, cellCost, expandSweep, sweepSpecSchema } from "./spec.js";

describe("the cost queue", () => {
  test("pops costliest first, ties in arrival order, whatever the order of pushes", () => {
    const q = new CostQueue<string>();
    for (const [id, c] of [
      ["a", 1],
      ["b", 5],
      ["c", 3],
      ["d", 5],
      ["e", Number.NaN],
      ["f", 3],
    ] as const)
      q.push(id, c);
    const out: string[] = [];
    for (let x = q.pop(); x !== undefined; x = q.pop()) out.push(x);
    expect(out).toEqual(["b", "d", "c", "f", "a", "e"]);
    expect(q.size).toBe(0);
  });
});

describe("threads: one queue for every sweep on the executor", () => {
  const tmp = mkdtempSync(join(tmpdir(), "metarep-costq-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("two sweeps run at once on one thread start costliest first across both, and each sweep's progress counts its own cells to its total", async () => {
    // The first sweep submitted holds the cheaper cells: a per-sweep order would run them first.
    const sweeps = [
      expandSweep(
        sweepSpecSchema.parse({
          experiment: "kong-scaling",
          size: "smoke",
          seeds: 1,
          params: { laws: ["light-d"], ds: [3, 16, 32] },
        }),
      ),
      expandSweep(
        sweepSpecSchema.parse({
          experiment: "kong-robust-pca",
          size: "smoke",
          seeds: 1,
        }),
      ),
    ];
    const costs = new Map(
      sweeps.flatMap((s) => [...s.cells()].map((c: Cell) => [c.cellId, cellCost(c)] as const)),
    );
    // The fixture is meaningful: the two experiments' costs interleave.
    const [a, b] = sweeps.map((s) => [...s.cells()].map((c) => costs.get(c.cellId)!));
    expect(Math.max(...a)).toBeGreaterThan(Math.max(...b));
    expect(Math.min(...a)).toBeLessThan(Math.max(...b));

    const executor = new ThreadsExecutor(1, []);
    const arrived: string[] = [];
    const progress: SweepProgress[][] = [[], []];
    try {
      const runs = sweeps.map((sweep, i) =>
        runSweep({
          sweep,
          dir: join(tmp, `s${i}`),
          executor: {
            name: "spy",
            run: (cells, sink, signal) =>
              executor.run(
                cells,
                {
                  record(cell: Cell, r: RunRecord) {
                    arrived.push(cell.cellId);
                    sink.record(cell, r);
                  },
                  failure: sink.failure,
                },
                signal,
              ),
            close: async () => {},
          },
          command: "test",
          onProgress: (p) => progress[i].push(p),
        }),
      );
      const summaries = await Promise.all(runs);
      expect(summaries.map((s) => s.failures)).toEqual([0, 0]);
    } finally {
      await executor.close();
    }
    const all = sweeps.flatMap((s) => [...s.cells()]);
    expect(arrived).toHaveLength(all.length);
    // One thread: cells finish in the order they start, which is by cost, descending.
    const arrivedCosts = arrived.map((id) => costs.get(id)!);
    expect(arrivedCosts).toEqual([...arrivedCosts].sort((x, y) => y - x));
    for (const [i, s] of sweeps.entries()) {
      const done = progress[i].map((p) => p.done);
      expect(done).toEqual([...done].sort((x, y) => x - y));
      expect(progress[i].at(-1)).toMatchObject({ done: s.cellCount, total: s.cellCount, failures: 0 });
    }
  });
});
