import { describe, expect, test } from "vitest";
import { gemm } from "../../linalg/gemm.js";
import { matFrom, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { randn, TestRng } from "../../linalg/testing.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleSourceTasks } from "../../models/fewShotTasks.js";
import { key } from "../../rng/key.js";
import { altMinEstimate } from "./altMin.js";
import {
  balancedStart,
  burerMonteiroEstimate,
  burerMonteiroObjective,
  usesStatistics,
} from "./burerMonteiro.js";

describe("Burer–Monteiro factored ERM", () => {
  const src = sampleSourceTasks(
    { d: 7, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
    9,
    6,
    key(2),
  );

  test("the analytic gradient matches central finite differences (relative 1e-7) for several λ", () => {
    const rng = new TestRng(3);
    for (const balance of [1, 0.05]) {
      const f = burerMonteiroObjective(src.data, 2, balance);
      const x = randn(1, 7 * 2 + 9 * 2, rng).data;
      const g = new Float64Array(x.length);
      f(x, g);
      const scratch = new Float64Array(x.length);
      const h = 1e-5;
      for (let i = 0; i < x.length; i++) {
        const xp = x.slice();
        const xm = x.slice();
        xp[i] += h;
        xm[i] -= h;
        const fd = (f(xp, scratch) - f(xm, scratch)) / (2 * h);
        expect(Math.abs(fd - g[i])).toBeLessThan(1e-7 * Math.max(1, Math.abs(g[i])));
      }
    }
  });

  test("from sufficient statistics the objective and gradient equal the pass over X (relative 1e-12), ragged tasks too", () => {
    const rng = new TestRng(5);
    // Tasks of 3 and 40 rows (d = 12): "auto" reads the first by a pass, the second from statistics.
    const big = sampleSourceTasks(
      { d: 12, k: 3, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      6,
      40,
      key(6),
    );
    const start = Int32Array.from([0, 3, 43, 46, 86, 126, 129]);
    const ragged = {
      ...big.data,
      start,
      X: big.data.X.subarray(0, 129 * 12),
      y: big.data.y.subarray(0, 129),
    };
    expect(usesStatistics(3, 12)).toBe(false);
    expect(usesStatistics(40, 12)).toBe(true);
    for (const data of [big.data, ragged]) {
      const x = randn(1, 12 * 3 + 6 * 3, rng).data;
      const gPass = new Float64Array(x.length);
      const fPass = burerMonteiroObjective(data, 3, 0.2, "pass")(x, gPass);
      let gNorm = 0;
      for (const v of gPass) gNorm = Math.max(gNorm, Math.abs(v));
      for (const mode of ["stats", "auto"] as const) {
        const g = new Float64Array(x.length);
        const f = burerMonteiroObjective(data, 3, 0.2, mode)(x, g);
        expect(Math.abs(f - fPass)).toBeLessThan(1e-12 * Math.abs(fPass));
        for (let i = 0; i < x.length; i++) expect(Math.abs(g[i] - gPass[i])).toBeLessThan(1e-12 * gNorm);
      }
    }
  });

  test("the statistics path's gradient matches central finite differences (relative 1e-7)", () => {
    const rng = new TestRng(7);
    const f = burerMonteiroObjective(src.data, 2, 0.3, "stats");
    const x = randn(1, 7 * 2 + 9 * 2, rng).data;
    const g = new Float64Array(x.length);
    f(x, g);
    const scratch = new Float64Array(x.length);
    const h = 1e-5;
    for (let i = 0; i < x.length; i++) {
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      const fd = (f(xp, scratch) - f(xm, scratch)) / (2 * h);
      expect(Math.abs(fd - g[i])).toBeLessThan(1e-7 * Math.max(1, Math.abs(g[i])));
    }
  });

  test("the balanced start keeps BVᵀ and has BᵀB = VᵀV", () => {
    const rng = new TestRng(4);
    const B0 = orthonormalize(randn(7, 2, rng));
    const V0 = randn(9, 2, rng);
    const x = balancedStart(B0, V0);
    const B = matFrom(7, 2, x.slice(0, 14));
    const V = matFrom(9, 2, x.slice(14));
    const before = gemm(false, true, 1, B0, V0, 0, zeros(7, 9));
    const after = gemm(false, true, 1, B, V, 0, zeros(7, 9));
    for (let i = 0; i < before.data.length; i++) expect(after.data[i]).toBeCloseTo(before.data[i], 12);
    const BtB = gemm(true, false, 1, B, B, 0, zeros(2, 2));
    const VtV = gemm(true, false, 1, V, V, 0, zeros(2, 2));
    for (let i = 0; i < 4; i++) expect(BtB.data[i]).toBeCloseTo(VtV.data[i], 12);
  });

  test("it reaches AltMin's least-squares subspace, for λ = 1/T and SPEC's λ = 1 alike", () => {
    const s = sampleSourceTasks(
      { d: 10, k: 3, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      60,
      15,
      key(8),
    );
    const alt = altMinEstimate(s.data, 3, { iters: 100 }, { key: key(0) });
    const bm = burerMonteiroEstimate(s.data, 3, { tol: 1e-9, iters: 3000 }, { key: key(0) });
    const spec = burerMonteiroEstimate(s.data, 3, { tol: 1e-9, iters: 3000, balance: 1 }, { key: key(0) });
    expect(subspaceDistance(bm.B, alt.B)).toBeLessThan(1e-6);
    expect(subspaceDistance(spec.B, alt.B)).toBeLessThan(1e-5);
    expect(bm.iterations).toBeLessThan(spec.iterations);
  });
});
