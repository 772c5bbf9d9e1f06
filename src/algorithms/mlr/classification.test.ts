import { describe, expect, test } from "vitest";
import { lstsq } from "../../linalg/lstsq.js";
import { fromRows, type Mat, matFrom, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { dotAt } from "../../linalg/vector.js";
import {
  type MixtureTaskBatch,
  makeMixture,
  sampleComponents,
  sampleMixtureTasks,
} from "../../models/mixedLinearRegression.js";
import { key } from "../../rng/key.js";
import { classifyByLikelihood, taskResiduals } from "./classification.js";
import { clusterInitialEstimates } from "./initialEstimates.js";
import { matchedAccuracy } from "./matching.js";
import { projectParts } from "./projectedDistances.js";
import { leastSquares, refineByLeastSquares } from "./refinement.js";

const d = 10;
const W = sampleComponents(key(1), d, 3, "orthonormal");
const mix = makeMixture(W, [0.5, 1, 1.5]);
const identityMap = Int32Array.from([0, 1, 2]);

function columnsOf(M: Mat): Mat {
  const out = zeros(M.cols, M.rows);
  for (let l = 0; l < M.rows; l++)
    for (let i = 0; i < M.cols; i++) out.data[i * M.rows + l] = M.data[l * M.cols + i];
  return out;
}

describe("likelihood classification", () => {
  test("residuals equal Σ(y − wᵀx)² computed naively", () => {
    const b = sampleMixtureTasks(mix, 6, 5, key(2));
    const R = taskResiduals(b, W, 1, 4);
    for (let i = 0; i < 6; i++)
      for (let g = 0; g < 3; g++) {
        let s = 0;
        for (let j = 1; j < 4; j++) {
          let p = 0;
          for (let q = 0; q < d; q++) p += b.X[(i * 5 + j) * d + q] * W.data[g * d + q];
          s += (b.y[i * 5 + j] - p) ** 2;
        }
        expect(R[i * 3 + g]).toBeCloseTo(s, 11);
      }
  });

  test("two rows at a time give the bits of one row at a time (c = 1 … 6, odd and even row ranges)", () => {
    const b = sampleMixtureTasks(mix, 9, 7, key(21));
    for (const c of [1, 2, 3, 4, 5, 6]) {
      const Wc = matFrom(
        c,
        d,
        Float64Array.from({ length: c * d }, (_, e) => Math.sin(0.7 * e + c)),
      );
      for (const [from, to] of [
        [0, 7],
        [1, 7],
        [2, 4],
        [6, 7],
      ]) {
        // The loop before the two-row version: row by row, four components at a time, then dotAt.
        const want = new Float64Array(9 * c);
        for (let i = 0; i < 9; i++)
          for (let j = from; j < to; j++) {
            const r = i * 7 + j;
            let g = 0;
            for (; g + 3 < c; g += 4) {
              const s = [0, 0, 0, 0];
              for (let q = 0; q < d; q++)
                for (let u = 0; u < 4; u++) s[u] += b.X[r * d + q] * Wc.data[(g + u) * d + q];
              for (let u = 0; u < 4; u++) want[i * c + g + u] += (b.y[r] - s[u]) * (b.y[r] - s[u]);
            }
            for (; g < c; g++) {
              const e = b.y[r] - dotAt(b.X, r * d, Wc.data, g * d, d);
              want[i * c + g] += e * e;
            }
          }
        const got = taskResiduals(b, Wc, from, to);
        for (let e = 0; e < want.length; e++) expect(Object.is(got[e], want[e]), `c=${c} [${e}]`).toBe(true);
      }
    }
  });

  test("with the true components, accuracy rises with the light-task size towards 1", () => {
    const s2 = Float64Array.from(mix.s, (s) => s * s);
    const acc = [2, 8, 32].map((t) => {
      const b = sampleMixtureTasks(mix, 3000, t, key(t));
      return matchedAccuracy(b.ids, classifyByLikelihood(b, { W, s2 }), identityMap, 3);
    });
    expect(acc[0]).toBeLessThan(acc[1]);
    expect(acc[1]).toBeLessThan(acc[2]);
    expect(acc[2]).toBeGreaterThan(0.99);
  });

  test("the t·log r̂ term: equal residuals go to the component whose variance explains them best", () => {
    // Two identical components with variances 0.25 and 4: a task whose RSS per example is ≈ 0.3
    // is likelier under 0.25, one with RSS per example ≈ 5 under 4.
    const b: MixtureTaskBatch = {
      n: 2,
      t: 2,
      d: 1,
      X: Float64Array.from([1, 1, 1, 1]),
      y: Float64Array.from([0.55, -0.55, 2.2, -2.2]),
      ids: Int32Array.from([0, 1]),
    };
    const est = { W: fromRows([[0], [0]]), s2: Float64Array.from([0.25, 4]) };
    expect(Array.from(classifyByLikelihood(b, est))).toEqual([0, 1]);
  });

  test("a light task with fewer than 2 examples is an error", () => {
    const b = sampleMixtureTasks(mix, 3, 1, key(3));
    expect(() => classifyByLikelihood(b, { W, s2: Float64Array.from([1, 1, 1]) })).toThrow(
      /"t" must be ≥ 2 examples per light task; got 1/,
    );
  });
});

describe("initial estimates from clusters", () => {
  test("with the true labels and span: ŵ → w, p̂ = cluster fractions, r̂² → s² (many heavy tasks)", () => {
    const n = 2000;
    const heavy = sampleMixtureTasks(mix, n, 4 * 10, key(4));
    const U = orthonormalize(columnsOf(W));
    const proj = projectParts(heavy, U, 2, 10);
    const est = clusterInitialEstimates(proj, U, heavy.ids, 3, { batch: heavy, from: 20, to: 40 });
    for (let l = 0; l < 3; l++) {
      let e = 0;
      for (let q = 0; q < d; q++) e += (est.W.data[l * d + q] - W.data[l * d + q]) ** 2;
      const m = heavy.ids.filter((v) => v === l).length;
      expect(est.p[l]).toBeCloseTo(m / n, 14);
      // Each coordinate of the cluster mean has variance ≈ (1 + s²)/(20·m).
      expect(Math.sqrt(e)).toBeLessThan(5 * Math.sqrt((3 * (1 + mix.s[l] ** 2)) / (20 * m)));
      expect(Math.abs(est.s2[l] / mix.s[l] ** 2 - 1)).toBeLessThan(0.1);
    }
  });
});

describe("per-component least squares", () => {
  test("agrees with the SVD least squares of the gathered rows (1e-10), with ŝ² = RSS/(rows − d)", () => {
    const light = sampleMixtureTasks(mix, 300, 4, key(5));
    const heavy = sampleMixtureTasks(mix, 20, 12, key(6));
    const est = refineByLeastSquares(
      { batch: light, labels: light.ids },
      [{ batch: heavy, labels: heavy.ids, from: 4, to: 12 }],
      3,
    );
    for (let l = 0; l < 3; l++) {
      const rows: number[] = [];
      const ys: number[] = [];
      const add = (b: MixtureTaskBatch, from: number, to: number) => {
        for (let i = 0; i < b.n; i++) {
          if (b.ids[i] !== l) continue;
          for (let j = from; j < to; j++) {
            const r = i * b.t + j;
            for (let q = 0; q < d; q++) rows.push(b.X[r * d + q]);
            ys.push(b.y[r]);
          }
        }
      };
      add(light, 0, 4);
      add(heavy, 4, 12);
      const m = ys.length;
      const ref = lstsq(matFrom(m, d, Float64Array.from(rows)), Float64Array.from(ys));
      for (let q = 0; q < d; q++) expect(est.W.data[l * d + q]).toBeCloseTo(ref.x[q], 10);
      expect(est.s2[l]).toBeCloseTo(ref.residualNorm ** 2 / (m - d), 9);
      expect(est.p[l]).toBeCloseTo(light.ids.filter((v) => v === l).length / 300, 14);
    }
  });

  test("fewer rows than d gives the minimum-norm solution; a component with no rows keeps the fallback", () => {
    const A = new Float64Array(3 * d);
    const z = Float64Array.from([1, -2, 0.5]);
    for (let i = 0; i < A.length; i++) A[i] = Math.sin((i + 1) ** 2);
    const { w, rss } = leastSquares(A, z, 3, d);
    const ref = lstsq(matFrom(3, d, A), z).x;
    for (let q = 0; q < d; q++) expect(w[q]).toBeCloseTo(ref[q], 12);
    expect(rss).toBeLessThan(1e-20);
    const light = sampleMixtureTasks(mix, 10, 3, key(7));
    const fallback = {
      W: fromRows([Array(d).fill(1), Array(d).fill(2)]),
      s2: Float64Array.from([3, 4]),
      p: Float64Array.from([1, 0]),
    };
    const labels = new Int32Array(10); // all in component 0
    const est = refineByLeastSquares({ batch: light, labels }, [], 2, fallback);
    expect(Array.from(est.W.data.subarray(d))).toEqual(Array(d).fill(2));
    expect(est.s2[1]).toBe(4);
    expect(Array.from(est.p)).toEqual([1, 0]);
  });
});
