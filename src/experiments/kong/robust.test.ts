import { beforeAll, describe, expect, test } from "vitest";
import { resolveParams } from "../resolve.js";
import { curvesOf, median, medians, runExperiment as run, type TestRun } from "../testing.js";
import type { Curve, Experiment } from "../types.js";
import { kongRobustPca } from "./robustPca.js";
import { kongScaling } from "./scaling.js";
import { kongSine } from "./sine.js";

const curves = (rec: TestRun, method: string, yName: string): Curve[] => curvesOf(rec, { method }, yName);

const CAPTURED = "captured variance Tr(ÛᵀΣÛ)";

describe("kong-robust-pca (n = 10⁴, d = 10, k = 1)", () => {
  const alphas = [0.005, 0.0075, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.0225, 0.025];
  let rec: TestRun;
  beforeAll(() => {
    rec = run(
      kongRobustPca as unknown as Experiment,
      { alphas, methods: ["double-filtering", "naive", "oracle"] },
      [0, 1, 2, 3, 4, 5, 6],
    );
  });

  test("double filtering's median captured variance is within 2% of the oracle's for every α ≤ 0.025 (7 seeds)", () => {
    const df = medians(curves(rec, "double filtering", CAPTURED));
    const oracle = medians(curves(rec, "oracle (clean PCA)", CAPTURED));
    for (let i = 0; i < alphas.length; i++) expect(Math.abs(df[i] / oracle[i] - 1)).toBeLessThan(0.02);
    // The oracle is PCA of 10⁴ clean points: ≈ 1.09, below the population 1.1.
    for (const o of oracle) expect(o > 1.07 && o < 1.1).toBe(true);
  });

  test("naive PCA is captured by the corruption: ≈ 1.0 at every α", () => {
    for (const v of medians(curves(rec, "naive PCA", CAPTURED))) expect(Math.abs(v - 1)).toBeLessThan(0.01);
  });

  test("double filtering leaves few of the ≈ αn corrupted points (median ≤ 10% of them)", () => {
    const left = medians(curves(rec, "double filtering", "remaining corrupted points"));
    const all = medians(curves(rec, "naive PCA", "remaining corrupted points"));
    alphas.forEach((a, i) => {
      expect(all[i] / 10000).toBeGreaterThan(0.6 * a);
      expect(left[i]).toBeLessThanOrEqual(0.1 * all[i]);
    });
  });

  test("HRPCA captures less than double filtering for α ≥ 0.0125 (official n/4 steps, seed 0, vs the 7-seed median)", () => {
    const hr = run(
      kongRobustPca as unknown as Experiment,
      { alphas: [0.0125, 0.025], methods: ["hrpca"] },
      [0],
    );
    const h = curves(hr, "HRPCA", CAPTURED)[0].y;
    const df = medians(curves(rec, "double filtering", CAPTURED));
    expect(h[0]).toBeLessThan(df[alphas.indexOf(0.0125)] - 0.02);
    expect(h[1]).toBeLessThan(df[alphas.indexOf(0.025)] - 0.02);
  });
});

describe("kong-sine (k = 4 sine waves, Chebyshev degree 15, s = 0.1)", () => {
  test("posterior mean and MAP reach the oracle's s² (within 10%) once τ ≥ 8; per-task least squares does not", () => {
    const taus = [2, 8, 16];
    const rec = run(kongSine as unknown as Experiment, { taus, n1: 4096, n3: 4096, n_test: 256 }, [1, 2, 3]);
    const oracle = medians(curves(rec, "oracle", "test MSE"));
    for (const o of oracle) expect(Math.abs(o / 0.01 - 1)).toBeLessThan(0.1);
    for (const m of ["posterior mean", "MAP"]) {
      const y = medians(curves(rec, m, "test MSE"));
      for (let i = 1; i < taus.length; i++) expect(y[i]).toBeLessThan(1.1 * oracle[i]);
      expect(y[0]).toBeGreaterThan(y[2]);
    }
    const ls = medians(curves(rec, "per-task least squares", "test MSE"));
    for (let i = 0; i < taus.length; i++) expect(ls[i]).toBeGreaterThan(10 * oracle[i]);
  });
});

describe("kong-scaling (smoke): fitted slopes against the laws, not constants", () => {
  test("light tasks ∝ d (slope ≈ 1), ∝ k² (≈ 2); examples per heavy task ∝ √k (≈ 0.5)", () => {
    const rec = run(
      kongScaling as unknown as Experiment,
      resolveParams(kongScaling as unknown as Experiment, "smoke") as Record<string, unknown>,
      [0, 1, 2],
    );
    const slope = (law: string) => median(rec.result.seeds.map((r) => r.scalars[`slope[${law}]`] as number));
    expect(slope("light-d")).toBeGreaterThan(0.7);
    expect(slope("light-d")).toBeLessThan(1.3);
    expect(slope("light-k")).toBeGreaterThan(1.4);
    expect(slope("light-k")).toBeLessThan(2.5);
    expect(slope("heavy-k")).toBeGreaterThan(0.3);
    expect(slope("heavy-k")).toBeLessThan(0.8);
    // The heavy law is not the light law: √k, clearly below linear.
    expect(slope("heavy-k")).toBeLessThan(slope("light-d") - 0.2);
  });
});
