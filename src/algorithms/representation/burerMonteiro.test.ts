import { describe, expect, test } from "vitest";
import { gemm } from "../../linalg/gemm.js";
import { matFrom, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { randn, TestRng } from "../../linalg/testing.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleSourceTasks } from "../../models/fewShotTasks.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import { key } from "../../rng/key.js";
import { altMinEstimate } from "./altMin.js";
import {
  balancedStart,
  burerMonteiroEstimate,
  burerMonteiroFactors,
  burerMonteiroFromStatistics,
  burerMonteiroObjective,
  prefixTaskStatistics,
  statisticsHeads,
  statisticsHeadsOf,
  taskStatistics,
  usesStatistics,
} from "./burerMonteiro.js";
import { taskHeads } from "./heads.js";
import { initialBasis, randomBasis } from "./init.js";
import { lbfgs } from "./lbfgs.js";

describe("Burer–Monteiro factored ERM", () => {
  const src = sampleSourceTasks(
    { d: 7, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
    9,
    6,
    key(2),
  );

  test("the analytic gradient matches central finite differences (relative 1e-7) for several λ, by pass and by statistics", () => {
    const rng = new TestRng(3);
    for (const [balance, mode] of [
      [1, "pass"],
      [0.05, "pass"],
      [1, "stats"],
      [0.05, "stats"],
    ] as const) {
      const f = burerMonteiroObjective(src.data, 2, balance, mode);
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

  /** f and ∇f of `burerMonteiroObjective` written out from its definition (r_t = X_t B v_t − y_t explicit). */
  function reference(
    data: MultiTaskData,
    k: number,
    balance: number,
    x: Float64Array,
    g: Float64Array,
  ): number {
    const { d, tasks: T, start, X, y } = data;
    const N = start[T];
    const B = matFrom(d, k, x.slice(0, d * k));
    const V = matFrom(T, k, x.slice(d * k));
    g.fill(0);
    let loss = 0;
    for (let t = 0; t < T; t++) {
      const theta = new Float64Array(d);
      for (let a = 0; a < d; a++)
        for (let c = 0; c < k; c++) theta[a] += B.data[a * k + c] * V.data[t * k + c];
      const gt = new Float64Array(d);
      for (let i = start[t]; i < start[t + 1]; i++) {
        let r = -y[i];
        for (let a = 0; a < d; a++) r += X[i * d + a] * theta[a];
        loss += r * r;
        for (let a = 0; a < d; a++) gt[a] += r * X[i * d + a];
      }
      for (let a = 0; a < d; a++)
        for (let c = 0; c < k; c++) {
          g[a * k + c] += (gt[a] * V.data[t * k + c]) / N;
          g[d * k + t * k + c] += (gt[a] * B.data[a * k + c]) / N;
        }
    }
    const D = gemm(true, false, 1, B, B, 0, zeros(k, k));
    gemm(true, false, -1, V, V, 1, D);
    let dd = 0;
    for (const v of D.data) dd += v * v;
    const BD = gemm(false, false, balance / 2, B, D, 0, zeros(d, k));
    const VD = gemm(false, false, -balance / 2, V, D, 0, zeros(T, k));
    for (let i = 0; i < d * k; i++) g[i] += BD.data[i];
    for (let i = 0; i < T * k; i++) g[d * k + i] += VD.data[i];
    return loss / (2 * N) + (balance / 8) * dd;
  }

  test("by statistics and by the SIMD pass, the objective and gradient equal the plain pass over X (relative 1e-12), ragged and empty tasks too", () => {
    const rng = new TestRng(5);
    // Tasks of 3, 40 and 0 rows (d = 12): "auto" reads 3 by a pass, 40 from statistics.
    const big = sampleSourceTasks(
      { d: 12, k: 3, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      7,
      40,
      key(6),
    );
    const start = Int32Array.from([0, 3, 43, 46, 86, 126, 126, 129]);
    const ragged = {
      ...big.data,
      start,
      X: big.data.X.subarray(0, 129 * 12),
      y: big.data.y.subarray(0, 129),
    };
    expect(usesStatistics(3, 12)).toBe(false);
    expect(usesStatistics(40, 12)).toBe(true);
    for (const data of [big.data, ragged]) {
      const x = randn(1, 12 * 3 + 7 * 3, rng).data;
      const gRef = new Float64Array(x.length);
      const fRef = reference(data, 3, 0.2, x, gRef);
      let gNorm = 0;
      for (const v of gRef) gNorm = Math.max(gNorm, Math.abs(v));
      for (const mode of ["pass", "stats", "auto"] as const) {
        const g = new Float64Array(x.length);
        const f = burerMonteiroObjective(data, 3, 0.2, mode)(x, g);
        expect(Math.abs(f - fRef)).toBeLessThan(1e-12 * Math.abs(fRef));
        for (let i = 0; i < x.length; i++) expect(Math.abs(g[i] - gRef[i])).toBeLessThan(1e-12 * gNorm);
      }
    }
  });

  test("with n_t ≤ k rows per task the start is stationary: the fit returns it, as L-BFGS from it does", () => {
    const s = sampleSourceTasks(
      { d: 10, k: 3, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      40,
      3,
      key(12),
    );
    const fit = burerMonteiroFactors(s.data, 3, {}, { key: key(0) });
    expect(fit.res.iterations).toBe(0);
    expect(fit.res.evaluations).toBe(1);
    // Independently: the loss part of f at the start is 0 to rounding (every head interpolates)…
    const B0 = initialBasis(s.data, 3, { init: "random" }, { key: key(0) });
    const x0 = balancedStart(B0, taskHeads(s.data, B0));
    expect(Array.from(fit.B.data)).toEqual(Array.from(x0.subarray(0, 30)));
    expect(fit.res.f).toBeLessThan(1e-25);
    // …and L-BFGS itself, from there, does not move col(B) beyond rounding.
    const f = burerMonteiroObjective(s.data, 3, 1 / 40);
    const moved = lbfgs(f, x0, {}).x;
    expect(subspaceDistance(matFrom(10, 3, moved.slice(0, 30)), B0)).toBeLessThan(1e-10);
  });

  test("a data set of more than 2^18 row entries gives the plain pass's values", () => {
    // 300 tasks × 20 rows × d = 50: 300,000 row entries, more than one block of 2^18.
    const s = sampleSourceTasks(
      { d: 50, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      300,
      20,
      key(9),
    );
    const x = randn(1, 50 * 2 + 300 * 2, new TestRng(10)).data;
    const gRef = new Float64Array(x.length);
    const fRef = reference(s.data, 2, 0.5, x, gRef);
    const g = new Float64Array(x.length);
    const f = burerMonteiroObjective(s.data, 2, 0.5, "pass")(x, g);
    let gNorm = 0;
    for (const v of gRef) gNorm = Math.max(gNorm, Math.abs(v));
    expect(Math.abs(f - fRef)).toBeLessThan(1e-12 * Math.abs(fRef));
    for (let i = 0; i < x.length; i++) expect(Math.abs(g[i] - gRef[i])).toBeLessThan(1e-12 * gNorm);
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

  test("heads from the statistics (BᵀA_tB \\ Bᵀb_t) equal taskHeads' from the rows to 1e-12 relative, several bases at once", () => {
    const s = sampleSourceTasks(
      { d: 20, k: 3, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      45, // not a multiple of the unpacking block
      30,
      key(21),
    );
    const stats = taskStatistics(s.data, "stats");
    const rng = new TestRng(5);
    const Bs = [orthonormalize(randn(20, 3, rng)), randn(20, 4, rng), s.Bstar];
    const many = statisticsHeadsOf(stats, Bs);
    Bs.forEach((B, i) => {
      const ref = taskHeads(s.data, B).data;
      let scale = 0;
      for (const v of ref) scale = Math.max(scale, Math.abs(v));
      for (const W of [many[i], statisticsHeads(stats, B)])
        for (let j = 0; j < ref.length; j++) expect(Math.abs(W.data[j] - ref[j])).toBeLessThan(1e-12 * scale);
    });
    // A task read by a pass has no X_tᵀX_t: said, not guessed.
    expect(() => statisticsHeads(taskStatistics(s.data, "pass"), s.Bstar)).toThrow(/task 0 has no X_tᵀX_t/);
  });

  test("heads from the statistics of rank-deficient systems (k > n_t) are the minimum-norm least-squares heads, as solveHead's", () => {
    // d = 10, n_t = 6 > d/2 rows (read from statistics), k = 8: BᵀA_tB has rank 6.
    const s = sampleSourceTasks(
      { d: 10, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      5,
      6,
      key(22),
    );
    const B = orthonormalize(randn(10, 8, new TestRng(9)));
    const W = statisticsHeads(taskStatistics(s.data, "auto"), B).data;
    const ref = taskHeads(s.data, B).data;
    for (let j = 0; j < ref.length; j++) expect(Math.abs(W[j] - ref[j])).toBeLessThan(1e-8);
  });

  test("from the statistics alone (no rows) the fit has the bits of the held fit: random start, and a given start", () => {
    const s = sampleSourceTasks(
      { d: 12, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      30,
      20,
      key(23),
    );
    const stats = taskStatistics(s.data, "auto");
    const ctx = { key: key(4) };
    const held = burerMonteiroEstimate(s.data, 2, {}, ctx);
    // Start heads formed from the rows (as the streamed cell forms them while the rows pass).
    const B0 = randomBasis(ctx.key, 12, 2);
    const fromStats = burerMonteiroFromStatistics(stats, 2, {}, ctx, "bm", taskHeads(s.data, B0));
    expect(Array.from(fromStats.B.data)).toEqual(Array.from(held.B.data));
    expect(fromStats.info).toEqual(held.info);
    // Start heads from the statistics: the same fit to rounding.
    const own = burerMonteiroFromStatistics(stats, 2, {}, ctx);
    expect(subspaceDistance(own.B, held.B)).toBeLessThan(1e-9);
    const init = orthonormalize(randn(12, 2, new TestRng(1)));
    const given = burerMonteiroFromStatistics(
      stats,
      2,
      { init: "mom" },
      { ...ctx, initBasis: init },
      "bm-mom",
    );
    const heldGiven = burerMonteiroEstimate(
      s.data,
      2,
      { init: "mom" },
      { ...ctx, initBasis: init },
      "bm-mom",
    );
    expect(subspaceDistance(given.B, heldGiven.B)).toBeLessThan(1e-9);
    expect(() => burerMonteiroFromStatistics(stats, 2, { init: "mom" }, ctx)).toThrow(/needs ctx.initBasis/);
    const pass = taskStatistics(
      sampleSourceTasks({ d: 12, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } }, 5, 3, key(1))
        .data,
      "auto",
    );
    expect(() => burerMonteiroFromStatistics(pass, 2, {}, ctx)).toThrow(/task 0 is read from its rows/);
  });

  test("the statistics of the first T tasks are those of the first T tasks' rows (even and odd slot counts)", () => {
    const s = sampleSourceTasks(
      { d: 12, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      9,
      20,
      key(24),
    );
    const all = taskStatistics(s.data, "auto");
    for (const T of [4, 5, 9]) {
      const own = taskStatistics({ ...s.data, tasks: T, start: s.data.start.subarray(0, T + 1) }, "auto");
      const view = prefixTaskStatistics(all, T);
      for (const f of ["start", "slot", "tasks", "A", "b", "c", "bPairs", "cPairs"] as const)
        expect(Array.from(view[f]), `${f} at T = ${T}`).toEqual(Array.from(own[f]));
    }
  });
});
