import { describe, expect, it } from "vitest";
import type { Curve, Labels } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";
import { aggregateRecord, median, quantile } from "./aggregate.js";

function curve(labels: Labels, y: number[], extra: Partial<Curve> = {}): Curve {
  return {
    labels,
    xName: "iteration",
    yName: "dist",
    x: y.map((_, i) => i),
    y,
    metrics: {},
    status: "ok",
    ...extra,
  };
}

function record(seeds: Curve[][]): RunRecord {
  return {
    schemaVersion: 1,
    metarepVersion: "0.0.0",
    experiment: "test",
    size: "smoke",
    params: { d: 5, k: 2, alpha: 0.5, beta: 0.5 },
    seed: 0,
    seedIndices: seeds.map((_, i) => 10 + i),
    cellId: "test/0",
    status: "ok",
    result: { seeds: seeds.map((curves) => ({ status: "ok", curves, scalars: {} })) },
    command: "metarep reproduce test",
    startedAt: "2025-01-01T00:00:00.000Z",
    seconds: 0,
  };
}

describe("quantile", () => {
  it("interpolates linearly between order statistics (type 7)", () => {
    const s = [1, 2, 3, 4];
    expect(quantile(s, 0)).toBe(1);
    expect(quantile(s, 1)).toBe(4);
    expect(quantile(s, 0.5)).toBe(2.5);
    expect(quantile(s, 0.1)).toBeCloseTo(1.3, 14);
    expect(quantile(s, 0.9)).toBeCloseTo(3.7, 14);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it("rejects a level outside [0, 1] with a message naming it", () => {
    expect(() => quantile([1], 1.5)).toThrow(/"q" must be in \[0, 1\]; got 1.5/);
  });

  it("median sorts a copy and leaves its input alone", () => {
    const v = [3, 1, 2, 10];
    expect(median(v)).toBe(2.5);
    expect(v).toEqual([3, 1, 2, 10]);
  });
});

describe("aggregateRecord", () => {
  it("gives per-x median and 10–90% band over seeds, matching hand-computed values", () => {
    const rec = record([
      [curve({ method: "anil" }, [1, 0.5])],
      [curve({ method: "anil" }, [3, 0.1])],
      [curve({ method: "anil" }, [2, 0.3])],
    ]);
    const agg = aggregateRecord(rec);
    expect(agg.seeds).toBe(3);
    expect(agg.groups).toHaveLength(1);
    const [p0, p1] = agg.groups[0].points;
    // x=0: sorted [1, 2, 3]: median 2, q0.1 at h=0.2 → 1.2, q0.9 at h=1.8 → 2.8.
    expect(p0).toMatchObject({ x: 0, median: 2, count: 3 });
    expect(p0.lo).toBeCloseTo(1.2, 14);
    expect(p0.hi).toBeCloseTo(2.8, 14);
    // x=1: sorted [0.1, 0.3, 0.5]: median 0.3, q0.1 → 0.14, q0.9 → 0.46.
    expect(p1.median).toBe(0.3);
    expect(p1.lo).toBeCloseTo(0.14, 14);
    expect(p1.hi).toBeCloseTo(0.46, 14);
    expect(agg.groups[0].seedIndices).toEqual([10, 11, 12]);
  });

  it("uses a min–max band when asked", () => {
    const rec = record([
      [curve({ method: "a" }, [1])],
      [curve({ method: "a" }, [5])],
      [curve({ method: "a" }, [2])],
    ]);
    const [p] = aggregateRecord(rec, { band: { lo: 0, hi: 1 } }).groups[0].points;
    expect(p).toMatchObject({ median: 2, lo: 1, hi: 5, count: 3 });
  });

  it("handles a diverged seed whose curve stops early: later points are over the remaining seeds", () => {
    const diverged = curve({ method: "fo-maml" }, [1, 2], {
      status: "diverged",
      diverged: { iteration: 2, quantity: "w", value: "Infinity" },
    });
    const rec = record([
      [curve({ method: "fo-maml" }, [1, 0.5, 0.25, 0.125])],
      [diverged],
      [curve({ method: "fo-maml" }, [1, 0.7, 0.35, 0.2])],
    ]);
    const g = aggregateRecord(rec).groups[0];
    expect(g.points.map((p) => p.count)).toEqual([3, 3, 2, 2]);
    expect(g.points[1].median).toBe(0.7);
    expect(g.points[2].median).toBeCloseTo(0.3, 14);
    expect(g.diverged).toEqual([
      { seedIndex: 11, divergence: { iteration: 2, quantity: "w", value: "Infinity" }, lastX: 1, lastY: 2 },
    ]);
  });

  it("skips non-finite values rather than letting them poison the median", () => {
    const rec = record([[curve({ method: "a" }, [1, Number.NaN])], [curve({ method: "a" }, [3, 4])]]);
    const g = aggregateRecord(rec).groups[0];
    expect(g.points[1]).toMatchObject({ median: 4, count: 1 });
  });

  it("groups curves by equal labels whatever the key order, keeping conditions apart", () => {
    const rec = record([
      [
        curve({ method: "maml", mu: 1 }, [1]),
        curve({ method: "anil", mu: 1 }, [2]),
        curve({ method: "maml", mu: 0.5 }, [3]),
        curve({ method: "anil", mu: 0.5 }, [4]),
      ],
      [
        curve({ mu: 0.5, method: "anil" }, [6]),
        curve({ mu: 1, method: "maml" }, [5]),
        curve({ mu: 1, method: "anil" }, [8]),
        curve({ mu: 0.5, method: "maml" }, [7]),
      ],
    ]);
    const agg = aggregateRecord(rec);
    expect(agg.methods).toEqual(["maml", "anil"]);
    expect(agg.conditions.map((c) => c.labels)).toEqual([{ mu: 1 }, { mu: 0.5 }]);
    expect(agg.groups.map((g) => [g.method, g.condition.mu, g.points[0].median, g.points[0].count])).toEqual([
      ["maml", 1, 3, 2],
      ["anil", 1, 5, 2],
      ["maml", 0.5, 5, 2],
      ["anil", 0.5, 5, 2],
    ]);
  });

  it("takes medians of metrics over seeds with nulls excluded and counted", () => {
    const m = (metrics: Curve["metrics"]) => curve({ method: "anil" }, [1], { metrics });
    const rec = record([
      [m({ "firstBelow1e-3": 40, rate: 0.9 })],
      [m({ "firstBelow1e-3": null, rate: 0.92 })],
      [m({ "firstBelow1e-3": 60 })],
      [m({ "firstBelow1e-3": 50, rate: 0.94 })],
    ]);
    const { metrics } = aggregateRecord(rec).groups[0];
    expect(metrics["firstBelow1e-3"]).toEqual({ median: 50, count: 3, nulls: 1, values: [40, null, 60, 50] });
    expect(metrics.rate).toMatchObject({ count: 3, nulls: 1, values: [0.9, 0.92, null, 0.94] });
    expect(metrics.rate.median).toBeCloseTo(0.92, 14);
  });

  it("gives a null median when every seed's metric is null", () => {
    const rec = record([[curve({ method: "a" }, [1], { metrics: { final: null } })]]);
    expect(aggregateRecord(rec).groups[0].metrics.final).toEqual({
      median: null,
      count: 0,
      nulls: 1,
      values: [null],
    });
  });

  it("is deterministic: the same record gives the same aggregate", () => {
    const make = () =>
      record([
        [curve({ method: "b", n: 2 }, [1, 2]), curve({ method: "a", n: 1 }, [3])],
        [curve({ method: "a", n: 1 }, [4]), curve({ method: "b", n: 2 }, [5, 6])],
      ]);
    expect(JSON.stringify(aggregateRecord(make()))).toBe(JSON.stringify(aggregateRecord(make())));
  });
});
