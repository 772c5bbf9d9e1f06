import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { RunRecord } from "../record/types.js";
import { CostQueue } from "./costQueue.js";
import { ThreadsExecutor } from "./executors/threads.js";
import { runSweep, type SweepProgress } from "./runSweep.js";
import { type Cell, cellCost, cellMemory, expandSweep, sweepSpecSchema } from "./spec.js";

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

  test("pops the costliest item that fits, leaving the others in place", () => {
    const q = new CostQueue<{ id: string; bytes: number }>();
    q.push({ id: "big", bytes: 90 }, 9);
    q.push({ id: "mid", bytes: 40 }, 5);
    q.push({ id: "small", bytes: 5 }, 1);
    const fits = (x: { bytes: number }) => x.bytes <= 50;
    expect(q.pop(fits)?.id).toBe("mid");
    expect(q.pop(fits)?.id).toBe("small");
    expect(q.pop(fits)).toBeUndefined();
    expect(q.size).toBe(1);
    expect(q.pop()?.id).toBe("big");
  });
});

describe("threads: the memory budget", () => {
  const tmp = mkdtempSync(join(tmpdir(), "metarep-membudget-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** Sweep-probe cells: `heavy` ones hold 10 M doubles (80 MB), light ones next to nothing. */
  const probe = (heavy: number, light: number) =>
    expandSweep(
      sweepSpecSchema.parse({
        experiment: "sweep-probe",
        seeds: 1,
        grid: {
          work: [
            ...Array.from({ length: heavy }, (_, i) => 10_000_000 + i),
            ...Array.from({ length: light }, (_, i) => i),
          ],
        },
      }),
    );

  async function peakOf(sweep: ReturnType<typeof probe>, budget: number, name: string) {
    const executor = new ThreadsExecutor(2, { plugins: [], memoryBudget: budget });
    try {
      const cells = [...sweep.cells()];
      const done: string[] = [];
      const failed: string[] = [];
      await executor.run(cells, {
        record: (c) => done.push(c.cellId),
        failure: (_c, m) => failed.push(m),
      });
      expect(failed, name).toEqual([]);
      expect(done, name).toHaveLength(cells.length);
      return { peak: executor.peakWorkingMemory, bytes: cells.map(cellMemory) };
    } finally {
      await executor.close();
    }
  }

  test("two cells that do not fit together never run together; a light cell runs beside a heavy one; without a budget both heavy cells start at once", async () => {
    const sweep = probe(2, 2);
    const unbounded = await peakOf(sweep, Number.POSITIVE_INFINITY, "unbounded");
    const [heavy0, heavy1, light0, light1] = unbounded.bytes;
    // The fixture is meaningful: each heavy cell is estimated at far more than the light ones.
    expect(Math.min(heavy0, heavy1)).toBeGreaterThan(80e6);
    expect(Math.max(light0, light1)).toBeLessThan(heavy0 / 4);
    expect(unbounded.peak).toBe(heavy0 + heavy1);
    // Room for the first heavy cell and a light one, not for both heavy cells.
    const bounded = await peakOf(sweep, heavy0 + light0, "bounded");
    expect(bounded.peak).toBe(heavy0 + light0);
    // A cell alone runs whatever its estimate.
    const tiny = await peakOf(probe(2, 0), 1, "tiny budget");
    expect(tiny.peak).toBe(Math.max(...tiny.bytes));
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
          params: { laws: ["light-d", "light-k"], ds: [3, 16, 128], ks_light: [2] },
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

    const executor = new ThreadsExecutor(1, { plugins: [] });
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
