import { describe, expect, test } from "vitest";
import { lstsq } from "../../linalg/lstsq.js";
import { fromRows, type Mat, matFrom } from "../../linalg/mat.js";
import { dotAt } from "../../linalg/vector.js";
import {
  type MixtureTaskBatch,
  makeMixture,
  sampleComponents,
  sampleMixtureTasks,
} from "../../models/mixedLinearRegression.js";
import { revealTaskGrams, sampleMixtureProjectedTasks } from "../../models/mixtureProjected.js";
import { key } from "../../rng/key.js";
import { leastSquaresMseFromGrams, minNormSolve, oracleWeights, perTaskLeastSquares } from "./baselines.js";
import { mapComponents, posteriorProbabilities, predictorWeights, taskMse, taskMses } from "./prediction.js";

const d = 6;
const W = sampleComponents(key(1), d, 3, "orthonormal");
const mix = makeMixture(W, [0.5, 1, 2], [0.5, 0.3, 0.2]);
/** Per-task weights with entries of several magnitudes (a fixed pattern of v). */
function randomWeights(n: number, dd: number, v: number): Mat {
  const w = matFrom(n, dd, new Float64Array(n * dd));
  for (let e = 0; e < n * dd; e++) w.data[e] = Math.sin(1.3 * e + v) * 2 ** ((e + v) % 5);
  return w;
}
const est = { W, s2: Float64Array.from([0.25, 1, 4]), p: Float64Array.from([0.5, 0.3, 0.2]) };

describe("posterior over components", () => {
  test("π_g ∝ p̂_g exp(−RSS_g/2ŝ²_g) ŝ_g^{−τ}, computed directly, rows summing to 1", () => {
    const b = sampleMixtureTasks(mix, 20, 5, key(2));
    const post = posteriorProbabilities(b, est, 0, 3);
    for (let i = 0; i < 20; i++) {
      const u = [0, 1, 2].map((g) => {
        let rss = 0;
        for (let j = 0; j < 3; j++) {
          let p = 0;
          for (let q = 0; q < d; q++) p += b.X[(i * 5 + j) * d + q] * W.data[g * d + q];
          rss += (b.y[i * 5 + j] - p) ** 2;
        }
        return est.p[g] * Math.exp(-rss / (2 * est.s2[g])) * est.s2[g] ** (-3 / 2);
      });
      const z = u[0] + u[1] + u[2];
      for (let g = 0; g < 3; g++) expect(post[i * 3 + g]).toBeCloseTo(u[g] / z, 12);
    }
  });

  test("a component with p̂ = 0 gets posterior 0; huge residuals do not overflow", () => {
    const b: MixtureTaskBatch = {
      n: 1,
      t: 1,
      d: 1,
      X: Float64Array.from([1]),
      y: Float64Array.from([1e6]),
      ids: Int32Array.from([0]),
    };
    const e = { W: fromRows([[0], [1]]), s2: Float64Array.from([1, 1]), p: Float64Array.from([0, 1]) };
    expect(Array.from(posteriorProbabilities(b, e))).toEqual([0, 1]);
    const e2 = { W: fromRows([[0], [2]]), s2: Float64Array.from([1, 1]), p: Float64Array.from([0.5, 0.5]) };
    const post = posteriorProbabilities(b, e2);
    expect(post[0] + post[1]).toBeCloseTo(1, 14);
    expect(post[1]).toBe(1);
  });

  test("posterior mean = Σ π_g ŵ_g; MAP = ŵ of the largest π; the posterior concentrates on the truth as τ grows", () => {
    const b = sampleMixtureTasks(mix, 400, 40, key(3));
    const post = posteriorProbabilities(b, est, 0, 40);
    const pm = predictorWeights(post, est, "pm");
    const map = predictorWeights(post, est, "map");
    const ids = mapComponents(post, 3);
    for (let i = 0; i < 5; i++)
      for (let q = 0; q < d; q++) {
        let s = 0;
        for (let g = 0; g < 3; g++) s += post[i * 3 + g] * W.data[g * d + q];
        expect(pm.data[i * d + q]).toBeCloseTo(s, 13);
        expect(map.data[i * d + q]).toBe(W.data[ids[i] * d + q]);
      }
    let hits = 0;
    for (let i = 0; i < 400; i++) if (ids[i] === b.ids[i]) hits++;
    expect(hits / 400).toBeGreaterThan(0.99);
  });

  test("τ < 1 is an error naming tau", () => {
    const b = sampleMixtureTasks(mix, 2, 2, key(4));
    expect(() => posteriorProbabilities(b, est, 1, 1)).toThrow(
      /"tau" must be an integer ≥ 1 \(examples of the new task\); got 0/,
    );
  });
});

describe("test MSE and baselines", () => {
  test("taskMse is the mean squared error over tasks and examples; the oracle's is ≈ E s²", () => {
    const b = sampleMixtureTasks(mix, 3000, 4, key(5));
    const w = oracleWeights(b.ids, W);
    let s = 0;
    for (let i = 0; i < 3000; i++)
      for (let j = 2; j < 4; j++) {
        let p = 0;
        for (let q = 0; q < d; q++) p += b.X[(i * 4 + j) * d + q] * W.data[b.ids[i] * d + q];
        s += (b.y[i * 4 + j] - p) ** 2;
      }
    expect(taskMse(b, w, 2, 4)).toBeCloseTo(s / 6000, 12);
    const es2 = 0.5 * 0.25 + 0.3 * 1 + 0.2 * 4;
    expect(Math.abs(taskMse(b, w) / es2 - 1)).toBeLessThan(0.08);
  });

  test("taskMses gives each predictor's bits of its own pass over the rows (dotAt, rows in order)", () => {
    const dd = 7;
    const b = sampleMixtureTasks(
      makeMixture(sampleComponents(key(8), dd, 2, "gaussian"), 0.5),
      41,
      6,
      key(9),
    );
    const ws = [0, 1, 2].map((v) => randomWeights(b.n, dd, v));
    const got = taskMses(b, ws, 2, 5);
    ws.forEach((w, v) => {
      let s = 0;
      for (let i = 0; i < b.n; i++)
        for (let j = 2; j < 5; j++) {
          const r = i * b.t + j;
          const e = b.y[r] - dotAt(b.X, r * dd, w.data, i * dd, dd);
          s += e * e;
        }
      expect(Object.is(got[v], s / (b.n * 3))).toBe(true);
      expect(Object.is(taskMse(b, w, 2, 5), got[v])).toBe(true);
    });
  });

  test.each([2, 5, 6, 9])(
    "per-task least squares with τ = %i matches the SVD minimum-norm solution",
    (tau) => {
      const b = sampleMixtureTasks(mix, 30, tau, key(tau));
      const w = perTaskLeastSquares(b);
      for (let i = 0; i < 30; i++) {
        const ref = lstsq(
          matFrom(tau, d, b.X.slice(i * tau * d, (i + 1) * tau * d)),
          b.y.slice(i * tau, (i + 1) * tau),
        ).x;
        for (let q = 0; q < d; q++) expect(w.data[i * d + q]).toBeCloseTo(ref[q], 9);
      }
    },
  );

  test("the kernel minNormPairs gives minNormSolve's bits, task by task (odd and even counts, wide, square and tall, SVD fallbacks)", () => {
    // The JS function one task at a time is the reference; perTaskLeastSquares runs the kernel.
    let fallbacks = 0;
    const jsPerTask = (b: MixtureTaskBatch, from: number, to: number): Float64Array => {
      const tau = to - from;
      const out = new Float64Array(b.n * b.d);
      const work = new Float64Array(tau * b.d);
      const rhs = new Float64Array(Math.max(tau, b.d));
      const taus = new Float64Array(Math.min(tau, b.d));
      for (let i = 0; i < b.n; i++) {
        const r0 = i * b.t + from;
        if (!minNormSolve(b.X, r0 * b.d, tau, b.d, b.y, r0, out, i * b.d, work, rhs, taus)) fallbacks++;
      }
      return out;
    };
    let checked = 0;
    for (const dd of [2, 3, 5, 8, 13]) {
      const Wd = sampleComponents(key(100 + dd), dd, 1, "gaussian");
      const mixd = makeMixture(Wd, 0.7);
      for (const n of [1, 2, 3, 7, 8]) {
        for (const tau of [1, 2, dd - 1, dd, dd + 1, 2 * dd + 3]) {
          if (tau < 1) continue;
          const b = sampleMixtureTasks(mixd, n, tau + 2, key(1000 * dd + 10 * n + tau));
          // Scale rows by powers of two (exact) so the tasks' sizes differ by orders of magnitude,
          // and make one task rank deficient (a repeated example) so it takes the SVD fallback.
          for (let i = 0; i < n; i++)
            for (let e = 0; e < (tau + 2) * dd; e++) b.X[i * (tau + 2) * dd + e] *= 2 ** (4 * (i % 3) - 4);
          if (n >= 3 && tau >= 2 && tau >= dd) {
            const o = (2 * (tau + 2) + 1) * dd;
            b.X.copyWithin(o + dd, o, o + dd);
          }
          for (const [from, to] of [
            [0, tau],
            [2, tau + 2],
          ]) {
            // Task 1's first reflector finds nothing below its diagonal (τ = 0, JS returns early)
            // while task 0's does not: the kernel's lanes part ways there.
            if (n >= 2) {
              const r0 = b.t + from;
              if (tau >= dd) for (let j = 1; j < tau; j++) b.X[(r0 + j) * dd] = 0;
              else b.X.fill(0, r0 * dd + 1, (r0 + 1) * dd);
            }
            const want = jsPerTask(b, from, to);
            const got = perTaskLeastSquares(b, from, to).data;
            for (let e = 0; e < want.length; e++) {
              expect(Object.is(got[e], want[e]), `d=${dd} n=${n} τ=${tau} [${e}]`).toBe(true);
            }
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(250);
    expect(fallbacks).toBeGreaterThan(10);
  });

  test("rank-deficient tasks fall back to the SVD (duplicate examples)", () => {
    const a = Float64Array.from([1, 2, 1, 2, 1, 2]); // 3×2, rank 1
    const b = Float64Array.from([1, 1, 1]);
    const out = new Float64Array(2);
    const used = minNormSolve(
      a,
      0,
      3,
      2,
      b,
      0,
      out,
      0,
      new Float64Array(6),
      new Float64Array(3),
      new Float64Array(2),
    );
    expect(used).toBe(false);
    expect(out[0]).toBeCloseTo(0.2, 12);
    expect(out[1]).toBeCloseTo(0.4, 12);
  });

  test("per-task least squares spikes at τ = d (the square design is worst conditioned)", () => {
    const mse = [4, 6, 12].map((tau) => {
      const b = sampleMixtureTasks(mix, 400, 2 * tau, key(100 + tau));
      return taskMse(b, perTaskLeastSquares(b, 0, tau), tau, 2 * tau);
    });
    expect(mse[1]).toBeGreaterThan(5 * mse[0]);
    expect(mse[1]).toBeGreaterThan(5 * mse[2]);
  });
});

describe("least squares from Gram matrices (the projected stage 4)", () => {
  /** Per-task Gram matrices XXᵀ of materialised rows. */
  function grams(b: MixtureTaskBatch): Float64Array {
    const { n, t, d, X } = b;
    const out = new Float64Array(n * t * t);
    for (let i = 0; i < n; i++)
      for (let a = 0; a < t; a++)
        for (let c = 0; c < t; c++) {
          let s = 0;
          for (let q = 0; q < d; q++) s += X[(i * t + a) * d + q] * X[(i * t + c) * d + q];
          out[i * t * t + a * t + c] = s;
        }
    return out;
  }

  test.each([2, 4, 6, 9])(
    "equals per-task least squares on X (τ = %i, d = 6): predictions use inner products only",
    (tau) => {
      const b = sampleMixtureTasks(mix, 50, 2 * tau, key(200 + tau));
      const direct = taskMse(b, perTaskLeastSquares(b, 0, tau), tau, 2 * tau);
      const fromGrams = leastSquaresMseFromGrams(grams(b), b.y, 50, 2 * tau, 0, tau, tau, d);
      expect(fromGrams / direct - 1).toBeCloseTo(0, 8);
    },
  );

  test("revealed Gram matrices give per-task least-squares errors distributed as with X (KS, 3000 tasks)", () => {
    const W12 = sampleComponents(key(300), 12, 2, "orthonormal");
    const mix12 = makeMixture(W12, 0.5);
    const dirs = fromRows([[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]]);
    const perTask = (g: Float64Array, y: Float64Array, n: number) =>
      Array.from({ length: n }, (_, i) =>
        leastSquaresMseFromGrams(
          g.subarray(i * 36, (i + 1) * 36),
          y.subarray(i * 6, (i + 1) * 6),
          1,
          6,
          0,
          3,
          3,
          12,
        ),
      );
    const b = sampleMixtureTasks(mix12, 3000, 6, key(301));
    const pb = sampleMixtureProjectedTasks(mix12, 3000, 6, dirs, key(302));
    const a = perTask(grams(b), b.y, 3000);
    const c = perTask(revealTaskGrams(pb, key(303)), pb.y, 3000);
    expect(ks(a, c)).toBeLessThan(1.95 * Math.sqrt(2 / 3000));
    // …and the revealed block is exact: K − PPᵀ is PSD with trace ≈ (d − q)·t′ on average.
    const K = revealTaskGrams(pb, key(304));
    let tr = 0;
    for (let i = 0; i < 3000; i++)
      for (let r = 0; r < 6; r++) {
        let pp = 0;
        for (let q = 0; q < pb.q; q++) pp += pb.P[(i * 6 + r) * pb.q + q] ** 2;
        tr += K[i * 36 + r * 7] - pp;
      }
    expect(Math.abs(tr / (3000 * 6) / (12 - pb.q) - 1)).toBeLessThan(0.02);
  });
});

/** Two-sample Kolmogorov–Smirnov statistic. */
function ks(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let worst = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    worst = Math.max(worst, Math.abs(i / x.length - j / y.length));
  }
  return worst;
}
