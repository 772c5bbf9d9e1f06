import { describe, expect, test } from "vitest";
import { resolveParams } from "../resolve.js";
import { curvesOf as curves, medians, runExperiment as run, type TestRun } from "../testing.js";
import type { Experiment } from "../types.js";
import { kongClassification } from "./classification.js";
import { kongClustering } from "./clustering.js";
import { kongSubspace } from "./subspace.js";

// All in the setting of the issue: d = 32, k = 4, orthonormal components, s = 1 (the defaults).

describe("kong-subspace", () => {
  test("at a fixed total n·t = 32768 the error falls monotonically with examples per task (median of 5 seeds)", () => {
    const rec = run(kongSubspace, { total: 32768, ts: [2, 4, 8, 16, 32], ns: [1024] }, [0, 1, 2, 3, 4]);
    const m = medians(curves(rec, { sweep: "n·t = 32768" }));
    for (let i = 1; i < m.length; i++) expect(m[i]).toBeLessThan(m[i - 1]);
    // …and by a clear margin overall, not by noise.
    expect(m[m.length - 1]).toBeLessThan(0.6 * m[0]);
  });

  test("at fixed t it falls with the number of tasks, about like n^(-1/2)", () => {
    const rec = run(kongSubspace, { ts: [4], ns: [1024, 4096, 16384] }, [0, 1, 2]);
    const m = medians(curves(rec, { sweep: "t = 4" }));
    expect(m[1]).toBeLessThan(m[0]);
    expect(m[2]).toBeLessThan(m[1]);
    expect(m[2] / m[0]).toBeGreaterThan(0.15);
    expect(m[2] / m[0]).toBeLessThan(0.4); // (1/16)^(1/2) = 0.25
  });
});

describe("kong-clustering", () => {
  test("with 2×64 examples per heavy task (128 heavy tasks, L = 1), average linkage is exact on every seed", () => {
    const rec = run(kongClustering, { t2s: [64], Ls: [1], linkages: ["average"] }, [0, 1, 2, 3, 4]);
    for (const c of curves(rec, { method: "average linkage", L: 1 }, "clustering accuracy"))
      expect(c.y[0]).toBe(1);
  });

  test("accuracy grows with the part size t₂, and a median over L = 3 repeats helps small t₂", () => {
    const rec = run(kongClustering, { t2s: [8, 16, 64], Ls: [1, 3], linkages: ["average"] }, [0, 1, 2]);
    const l1 = medians(curves(rec, { method: "average linkage", L: 1 }, "clustering accuracy"));
    const l3 = medians(curves(rec, { method: "average linkage", L: 3 }, "clustering accuracy"));
    expect(l1[0]).toBeLessThanOrEqual(l1[1]);
    expect(l1[1]).toBeLessThanOrEqual(l1[2]);
    expect(l3[0]).toBeGreaterThan(l1[0]);
  });
});

describe("kong-classification", () => {
  test("accuracy rises with the light-task size and is ≥ 0.95 at 16 (3 seeds)", () => {
    const rec = run(kongClassification, { n3: 4096, t3s: [2, 4, 8, 16] }, [0, 1, 2]);
    const acc = curves(rec, { method: "likelihood" }, "classification accuracy");
    for (const c of acc) {
      for (let i = 1; i < c.y.length; i++) expect(c.y[i]).toBeGreaterThan(c.y[i - 1]);
      expect(c.y[3]).toBeGreaterThanOrEqual(0.95);
    }
    // The final least-squares error falls with it.
    const err = medians(curves(rec, { method: "least squares" }, "final w error"));
    expect(err[3]).toBeLessThan(err[0]);
  });
});

describe("determinism and sizes", () => {
  const strip = (r: TestRun) => JSON.stringify({ ...r, startedAt: "", seconds: 0 });

  test("same seed, same record bytes; a seed's result does not depend on the other seeds", () => {
    const o = { ts: [4, 8], ns: [512], total: 4096 };
    const a = run(kongSubspace, o, [0, 1], 3);
    expect(strip(a)).toBe(strip(run(kongSubspace, o, [0, 1], 3)));
    expect(strip(a)).not.toBe(strip(run(kongSubspace, o, [0, 1], 4)));
    expect(JSON.stringify(run(kongSubspace, o, [1], 3).result.seeds[0])).toBe(
      JSON.stringify(a.result.seeds[1]),
    );
  });

  test.each([kongSubspace, kongClustering, kongClassification] as unknown as Experiment[])(
    "$id resolves both sizes",
    (exp) => {
      for (const size of ["smoke", "paper"] as const) expect(() => resolveParams(exp, size)).not.toThrow();
    },
  );
});
