import { describe, expect, test } from "vitest";
import { gemm } from "../../linalg/gemm.js";
import { matFrom, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { randn, TestRng } from "../../linalg/testing.js";
import { unpin } from "../../linalg/wasm/kernels.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleSourceTasks } from "../../models/fewShotTasks.js";
import { key } from "../../rng/key.js";
import { altMinEstimate } from "./altMin.js";
import { balancedStart, burerMonteiroEstimate, burerMonteiroObjective, pinRows } from "./burerMonteiro.js";

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

  test("with the rows pinned in the kernel memory the objective and gradient are bit for bit the JS loop's", () => {
    // d = 7 (odd) exercises the kernel's tails; several points and balances, even and odd row counts.
    const uneven = sampleSourceTasks(
      { d: 7, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      9,
      5,
      key(4),
    );
    for (const data of [src.data, uneven.data]) {
      const pinned = pinRows(data)!;
      try {
        const rng = new TestRng(5);
        for (const balance of [1, 0.05]) {
          const js = burerMonteiroObjective(data, 2, balance);
          const wasm = burerMonteiroObjective(data, 2, balance, pinned);
          for (let rep = 0; rep < 3; rep++) {
            const x = randn(1, 7 * 2 + data.tasks * 2, rng).data;
            const g1 = new Float64Array(x.length);
            const g2 = new Float64Array(x.length);
            expect(wasm(x, g2)).toBe(js(x, g1));
            expect(Array.from(g2)).toEqual(Array.from(g1));
          }
        }
      } finally {
        unpin(pinned.x);
      }
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
