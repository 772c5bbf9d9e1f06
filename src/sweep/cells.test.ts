import { describe, expect, test } from "vitest";
import { getExperiment, listExperiments } from "../experiments/registry.js";
import { resolveParams, SIZE_NAMES } from "../experiments/resolve.js";
import { conditionsOf, conditionText } from "../experiments/runner.js";
import type { Curve, Experiment } from "../experiments/types.js";
import { mergeByGridPoint } from "../record/merge.js";
import { runRecord } from "../record/run.js";
import type { RunRecord } from "../record/types.js";
import { runCell } from "./cell.js";
import { InlineExecutor } from "./executors/inline.js";
import { ThreadsExecutor } from "./executors/threads.js";
import {
  byCost,
  byCostWindows,
  type Cell,
  cellsOf,
  expandSweep,
  parseSweepSpec,
  sweepSpecSchema,
} from "./spec.js";

/** The cells `reproduce` runs for an experiment at a size: its declared conditions × its seeds. */
function reproduceCells(exp: Experiment, size: "smoke" | "paper"): Cell[] {
  return [
    ...expandSweep(sweepSpecSchema.parse({ experiment: exp.id, size, seeds: exp.seeds[size] })).cells(),
  ];
}

describe("cells are grid points × declared conditions × seeds", () => {
  test("li-multitask-cnn at paper size is 50 cells: 10 conditions (K, n, SNR one at a time) × 5 seeds", () => {
    const cells = reproduceCells(getExperiment("li-multitask-cnn"), "paper");
    expect(cells).toHaveLength(50);
    expect(new Set(cells.map((c) => c.conditionPoint)).size).toBe(10);
    expect(new Set(cells.map((c) => c.seedIndex))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  const cases = listExperiments({ internal: true }).flatMap((e) => SIZE_NAMES.map((s) => [e.id, s] as const));
  test.each(cases)(
    "%s at %s size: one cell per declared condition and seed, with distinct ids",
    (id, size) => {
      const exp = getExperiment(id);
      const params = resolveParams(exp, size);
      const declared = conditionsOf(exp, params).map(conditionText);
      const cells = reproduceCells(exp, size);
      expect(cells).toHaveLength(declared.length * exp.seeds[size]);
      expect(new Set(cells.map((c) => c.cellId)).size).toBe(cells.length);
      for (const text of declared) {
        const seeds = cells.filter((c) => c.conditionPoint === text).map((c) => c.seedIndex);
        expect(seeds.sort((a, b) => a - b)).toEqual(Array.from({ length: exp.seeds[size] }, (_, i) => i));
      }
    },
  );

  test("a sweep's grid composes with the conditions: every grid point has every condition (at its own parameters)", () => {
    const sweep = expandSweep(
      parseSweepSpec(
        "experiment: collins-diversity\nsize: smoke\nseeds: 2\nparams: { iters: 5 }\ngrid:\n  alpha: [0.25, 0.5]\n  mus: [[1, 0.5], [0.2]]\n",
      ),
    );
    expect([...sweep.points()]).toHaveLength(4);
    expect(sweep.pointCount).toBe(4);
    // (2 + 1 µ values) × 2 alphas × 2 seeds.
    expect([...sweep.cells()]).toHaveLength(12);
    expect(sweep.cellCount).toBe(12);
    expect(new Set([...sweep.cells()].map((c) => `${c.gridPoint}|${c.conditionPoint}`))).toEqual(
      new Set([
        "alpha=0.25,mus=[1,0.5]|mu=1",
        "alpha=0.25,mus=[1,0.5]|mu=0.5",
        "alpha=0.25,mus=[0.2]|mu=0.2",
        "alpha=0.5,mus=[1,0.5]|mu=1",
        "alpha=0.5,mus=[1,0.5]|mu=0.5",
        "alpha=0.5,mus=[0.2]|mu=0.2",
      ]),
    );
  });
});

const quiet = { progress: () => {}, warn: () => {} };

/** Each cell's record, by its (grid point, condition, seed index). */
function runCells(
  exp: Experiment,
  overrides: Record<string, unknown>,
  seeds: number,
): Map<string, RunRecord> {
  const params = resolveParams(exp, "smoke", overrides) as Record<string, unknown>;
  const cells = cellsOf(
    exp,
    params,
    "smoke",
    0,
    Array.from({ length: seeds }, (_, i) => i),
  );
  return new Map(cells.map((c) => [`${c.conditionPoint}|${c.seedIndex}`, runCell(c)]));
}

/**
 * The curves of one method (or all, without `method`) in a cell record: their numbers only; with
 * `like`, only the curves whose labels `like` has (a cell that sweeps a list inside, such as
 * du-excess-risk's T, gains curves when the list grows: the ones it had must keep their numbers).
 */
function numbers(r: RunRecord, method?: string, like?: RunRecord): string {
  const labels = like && new Set(like.result.seeds[0].curves.map((c) => JSON.stringify(c.labels)));
  const keep = (c: Curve) =>
    (method === undefined || c.labels.method === method) && (!labels || labels.has(JSON.stringify(c.labels)));
  return JSON.stringify(r.result.seeds[0].curves.filter(keep).map((c) => [c.labels, c.x, c.y, c.metrics]));
}

describe("adding a condition value, a seed or a method changes no other cell's numbers", () => {
  const cases: {
    id: string;
    base: Record<string, unknown>;
    more: Record<string, unknown>;
    method: string;
  }[] = [
    {
      id: "collins-diversity",
      base: { iters: 30, mus: [1, 0.5], methods: ["anil", "maml"], m_in: 10, m_out: 10, sigma: 0.5 },
      more: {
        iters: 30,
        mus: [0.2, 1, 0.5],
        methods: ["fo-maml", "anil", "maml"],
        m_in: 10,
        m_out: 10,
        sigma: 0.5,
      },
      method: "anil",
    },
    {
      id: "du-excess-risk",
      base: { sweeps: ["T"], Ts: [40, 80], targets: 20, methods: ["mom", "altmin", "oracle"] },
      more: { sweeps: ["T"], Ts: [40, 60, 80], targets: 20, methods: ["bm", "mom", "altmin", "oracle"] },
      method: "altmin",
    },
    {
      id: "kong-robust-pca",
      base: { n: 500, alphas: [0.01, 0.02], methods: ["naive", "double-filtering"] },
      more: { n: 500, alphas: [0.005, 0.01, 0.02], methods: ["oracle", "naive", "double-filtering"] },
      method: "double filtering",
    },
    {
      id: "li-multitask-cnn",
      base: { K: 3, n: 8, d: 20, iters: 10, n_test: 20, Ks: [2], ns: [], snrs: [] },
      more: { K: 3, n: 8, d: 20, iters: 10, n_test: 20, Ks: [1, 2], ns: [], snrs: [0.2] },
      method: "multi",
    },
  ];
  test.each(cases)("$id", ({ id, base, more, method }) => {
    const exp = getExperiment(id);
    const a = runCells(exp, base, 2);
    const b = runCells(exp, more, 3);
    expect(b.size).toBeGreaterThan(a.size);
    for (const [where, rec] of a) {
      const other = b.get(where);
      expect(other, `cell ${where} is still there`).toBeDefined();
      expect(numbers(other!, method, rec), `cell ${where}`).toBe(numbers(rec, method));
    }
  });
});

describe("the cells of a run join into the run's record", () => {
  test("a sweep's cells, merged per grid point, equal `run` over the same seeds (apart from timings and ids)", () => {
    const exp = getExperiment("collins-finite-samples");
    const params = resolveParams(exp, "smoke", { iters: 20, ms: [10], ns: [4, 8], sigmas: [0.5] }) as Record<
      string,
      unknown
    >;
    const seedIndices = [0, 1];
    const cells = cellsOf(exp, params, "smoke", 3, seedIndices);
    expect(cells).toHaveLength(8);
    const merged = mergeByGridPoint(cells.map((c) => runCell(c)));
    expect(merged).toHaveLength(1);
    const whole = runRecord({
      experiment: exp,
      params,
      size: "smoke",
      seed: 3,
      seedIndices,
      command: "",
      ctx: quiet,
    });
    expect(JSON.stringify(merged[0].result)).toBe(JSON.stringify(whole.result));
    expect(merged[0].cellId).toBe(whole.cellId);
  });
});

describe("cells start costliest first", () => {
  test("byCost orders by the experiment's cost, ties in declared order, and changes no cell", () => {
    const exp = getExperiment("li-multitask-cnn");
    const params = resolveParams(exp, "paper") as Record<string, unknown>;
    const cells = cellsOf(exp, params, "paper", 0, [0, 1, 2]);
    const ordered = byCost(exp, cells);
    expect(new Set(ordered)).toEqual(new Set(cells));
    const costs = ordered.map((c) => exp.cost!(params as never, c.condition));
    for (let i = 1; i < costs.length; i++) expect(costs[i]).toBeLessThanOrEqual(costs[i - 1]);
    // The K = 1 cells (the cheapest) come last.
    expect(ordered.slice(-3).every((c) => c.condition.K === 1)).toBe(true);
    // Equal costs (collins-head-init's w₀ conditions): the declared order stands.
    const collins = getExperiment("collins-head-init");
    const cc = cellsOf(
      collins,
      resolveParams(collins, "smoke") as Record<string, unknown>,
      "smoke",
      0,
      [0, 1],
    );
    expect(byCost(collins, cc)).toEqual(cc);
  });
});

describe("bounded enumeration: cells are generated as they are taken", () => {
  test("a grid point with 125,000 seeds counts and generates its cells without growing the stack", () => {
    const sweep = expandSweep(
      parseSweepSpec("experiment: sweep-probe\nseeds: 125000\ngrid: { label: [a] }\n"),
    );
    expect(sweep.cellCount).toBe(125_000);
    let n = 0;
    let last: Cell | undefined;
    for (const c of sweep.cells()) {
      n++;
      last = c;
    }
    expect(n).toBe(125_000);
    expect(last?.seedIndex).toBe(124_999);
    // `run`'s path: one grid point's cells as an array, from 125,000 listed seed indices.
    const exp = getExperiment("sweep-probe");
    const seeds = Array.from({ length: 125_000 }, (_, i) => i);
    expect(
      cellsOf(exp, resolveParams(exp, "smoke") as Record<string, unknown>, "smoke", 0, seeds),
    ).toHaveLength(125_000);
  });

  test("a grid of 4 axes is enumerated as an odometer, the last axis fastest, one point at a time", () => {
    const sweep = expandSweep(
      parseSweepSpec(
        "experiment: sweep-probe\nseeds: 1\ngrid: { label: [a, b], work: { range: [0, 2], steps: 3 } }\n",
      ),
    );
    expect([...sweep.points()].map((p) => p.gridPoint)).toEqual([
      'label="a",work=0',
      'label="a",work=1',
      'label="a",work=2',
      'label="b",work=0',
      'label="b",work=1',
      'label="b",work=2',
    ]);
    expect(sweep.pointCount).toBe(6);
  });

  test("byCostWindows orders whole windows by cost and keeps every cell once", () => {
    const exp = getExperiment("li-multitask-cnn");
    const params = resolveParams(exp, "paper") as Record<string, unknown>;
    const cells = cellsOf(exp, params, "paper", 0, [0, 1, 2]);
    expect([...byCostWindows(exp, cells)]).toEqual(byCost(exp, cells));
    const windowed = [...byCostWindows(exp, cells, 7)];
    expect(new Set(windowed)).toEqual(new Set(cells));
    for (let w = 0; w < cells.length; w += 7)
      expect(windowed.slice(w, w + 7)).toEqual(byCost(exp, cells.slice(w, w + 7)));
  });

  test.each([
    ["inline", 1, () => new InlineExecutor()],
    ["threads ×2", 4, () => new ThreadsExecutor(2)],
  ] as const)(
    "the %s executor draws at most %i cells ahead of those it has delivered",
    async (_n, ahead, make) => {
      const sweep = expandSweep(
        parseSweepSpec("experiment: sweep-probe\nseeds: 40\nparams: { work: 1000 }\n"),
      );
      let drawn = 0;
      let delivered = 0;
      let most = 0;
      function* counted(): Generator<Cell> {
        for (const c of sweep.cells()) {
          drawn++;
          most = Math.max(most, drawn - delivered);
          yield c;
        }
      }
      const executor = make();
      try {
        await executor.run(counted(), {
          record() {
            delivered++;
          },
          failure(_c, m) {
            throw new Error(m);
          },
        });
      } finally {
        await executor.close();
      }
      expect(delivered).toBe(40);
      expect(most).toBeLessThanOrEqual(ahead);
    },
  );
});
