import { describe, expect, test } from "vitest";
import { lstsq } from "../../linalg/lstsq.js";
import { type Mat, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { randn, TestRng } from "../../linalg/testing.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleSourceTasks } from "../../models/fewShotTasks.js";
import { key } from "../../rng/key.js";
import { altMinEstimate, BStep, packedGrams } from "./altMin.js";
import { altMinGdEstimate } from "./altMinGd.js";
import { taskHeads } from "./heads.js";

const src = sampleSourceTasks(
  { d: 6, k: 2, sigma: 0.3, heads: { kind: "gaussian", scale: 1 } },
  12,
  9,
  key(1),
);
const W = randn(12, 2, new TestRng(5));

/** The B-step by brute force: least squares on the N × dk design with rows x_i ⊗ w_t. */
function bruteForceB(heads: Mat): Float64Array {
  const { d, X, y, start } = src.data;
  const k = heads.cols;
  const N = y.length;
  const Z = zeros(N, d * k);
  for (let t = 0; t < 12; t++)
    for (let i = start[t]; i < start[t + 1]; i++)
      for (let a = 0; a < d; a++)
        for (let c = 0; c < k; c++) Z.data[i * d * k + a * k + c] = X[i * d + a] * heads.data[t * k + c];
  return lstsq(Z, y).x;
}

describe("AltMin", () => {
  test("packedGrams is bit for bit the row-by-row sums x_a·x_b (odd and even d, empty and one-row tasks, a task range)", () => {
    const rng = new TestRng(9);
    for (const d of [1, 2, 5, 6, 7]) {
      const start = Int32Array.from([0, 3, 3, 4, 11, 20]);
      const X = randn(20, d, rng).data;
      const data = { d, tasks: 5, start, X, y: new Float64Array(20) };
      const P = (d * (d + 1)) / 2;
      for (const [t0, t1] of [
        [0, 5],
        [2, 4],
      ]) {
        const ref = new Float64Array((t1 - t0) * P);
        for (let t = t0; t < t1; t++)
          for (let i = start[t]; i < start[t + 1]; i++) {
            let p = (t - t0) * P;
            for (let a = 0; a < d; a++) for (let b = a; b < d; b++) ref[p++] += X[i * d + a] * X[i * d + b];
          }
        const out = new Float64Array((t1 - t0) * P).fill(Number.NaN);
        packedGrams(data, t0, t1, out);
        expect(Array.from(out)).toEqual(Array.from(ref));
      }
    }
  });

  test("the B-step solves min_B Σ‖y_t − X_tBw_t‖² exactly (brute-force N × dk least squares), to 1e-10", () => {
    const ref = bruteForceB(W);
    const B = new BStep(src.data).solve(W);
    for (let i = 0; i < ref.length; i++) expect(B.data[i]).toBeCloseTo(ref[i], 10);
  });

  test("the chunked B-step (Grams recomputed per chunk) equals the stored one", () => {
    const a = new BStep(src.data).solve(W);
    const b = new BStep(src.data, 50).solve(W); // 21 doubles per task: chunks of 2 tasks
    for (let i = 0; i < a.data.length; i++) expect(b.data[i]).toBeCloseTo(a.data[i], 12);
  });

  test("without noise it recovers B* to 1e-8 (d=10, k=3, T=40, n1=12)", () => {
    const s = sampleSourceTasks(
      { d: 10, k: 3, sigma: 0, heads: { kind: "gaussian", scale: 1 } },
      40,
      12,
      key(3),
    );
    const fit = altMinEstimate(s.data, 3, { iters: 50 }, { key: key(0) });
    expect(subspaceDistance(fit.B, s.Bstar)).toBeLessThan(1e-8);
    expect(fit.iterations).toBe(50);
  });

  test("with tol it stops early once the subspace stops moving", () => {
    const s = sampleSourceTasks(
      { d: 10, k: 3, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      60,
      15,
      key(3),
    );
    const fit = altMinEstimate(s.data, 3, { iters: 200, tol: 1e-10 }, { key: key(0) });
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeLessThan(200);
    const full = altMinEstimate(s.data, 3, { iters: 200 }, { key: key(0) });
    expect(subspaceDistance(fit.B, full.B)).toBeLessThan(1e-8);
  });

  test("AltMinGD reaches the same least-squares subspace as AltMin (two algorithms, one objective)", () => {
    const s = sampleSourceTasks(
      { d: 10, k: 3, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      60,
      15,
      key(8),
    );
    const a = altMinEstimate(s.data, 3, { iters: 100 }, { key: key(0) });
    const g = altMinGdEstimate(s.data, 3, { iters: 400 }, { key: key(0) });
    expect(subspaceDistance(a.B, g.B)).toBeLessThan(1e-6);
    expect(subspaceDistance(a.B, s.Bstar)).toBeGreaterThan(1e-3); // noise: not B* itself
  });

  test("AltMinGD whose step overflows reports divergence instead of crashing", () => {
    const huge = { ...src.data, y: src.data.y.map((v) => v * 1e150) };
    const fit = altMinGdEstimate(huge, 2, { eta: 1e200, iters: 5, init: "random" }, { key: key(0) });
    expect(fit.status).toBe("diverged");
    expect(fit.diverged?.quantity).toBe("B");
    expect(fit.diverged?.iteration).toBe(1);
  });
});

describe("AltMin's head step from the Grams", () => {
  test("gives the same heads as least squares on the rows (taskHeads), to 1e-11", () => {
    const B = orthonormalize(randn(6, 2, new TestRng(9)));
    const step = new BStep(src.data);
    const a = step.heads(B);
    const b = taskHeads(src.data, B);
    for (let i = 0; i < a.data.length; i++) expect(a.data[i]).toBeCloseTo(b.data[i], 11);
    expect(step.gramHeadsPay(2)).toBe(true); // n1 = 9 rows ≥ d = 6
  });
});
