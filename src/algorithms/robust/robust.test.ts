import { describe, expect, test } from "vitest";
import { fromRows } from "../../linalg/mat.js";
import { key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import {
  capturedVariance,
  countKeptCorrupted,
  countRemovedClean,
  sampleCorruptedPcaData,
} from "./corruptedDistribution.js";
import { doubleFiltering } from "./doubleFiltering.js";
import { hrpca } from "./hrpca.js";
import { keptGram, principalDirections } from "./pca.js";
import { quantileInPlace } from "./quantile.js";

/** Oracle: sort, then interpolate between order statistics (NumPy's "linear"). */
function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return h === lo ? sorted[lo] : sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}

describe("quantiles by selection", () => {
  test.each([1, 2, 3, 7, 100, 1001])(
    "match sorted type-7 quantiles (NumPy's default), n = %i, with ties",
    (n) => {
      const v = new Float64Array(n);
      stream(key(n)).fillUniform(v);
      for (let i = 0; i < n; i += 3) v[i] = Math.round(v[i] * 4) / 4; // ties
      const sorted = v.slice().sort();
      for (const q of [0, 0.005, 0.1, 0.5, 0.9, 0.9875, 1])
        expect(quantileInPlace(v.slice(), n, q)).toBe(quantile(sorted, q));
    },
  );
});

describe("the corrupted test distribution", () => {
  const n = 20000;
  const data = sampleCorruptedPcaData(n, 10, 0.02, key(1));

  test("clean points: covariance diag(1.1, 1, …) and the hidden coupling |x₁| = |x₀|/√1.1", () => {
    const G = keptGram(data.clean);
    for (let a = 0; a < 10; a++)
      for (let b = 0; b < 10; b++) {
        const expected = a === b ? (a === 0 ? 1.1 : 1) : 0;
        expect(Math.abs(G.data[a * 10 + b] / n - expected)).toBeLessThan(5 * Math.sqrt(2.5 / n));
      }
    for (let i = 0; i < n; i++)
      expect(Math.abs(data.clean.data[i * 10 + 1])).toBeCloseTo(
        Math.abs(data.clean.data[i * 10]) / Math.sqrt(1.1),
        12,
      );
  });

  test("a fraction ≈ α is corrupted: x₀ = 0 and |x₁| = 2/α^{1/4}; the rest is untouched", () => {
    const m = countKeptCorrupted(new Uint8Array(n).fill(1), data.corrupted);
    expect(Math.abs(m / n - 0.02)).toBeLessThan(4 * Math.sqrt(0.02 / n));
    for (let i = 0; i < n; i++) {
      const row = data.data.data.subarray(i * 10, (i + 1) * 10);
      if (data.corrupted[i]) {
        expect(row[0]).toBe(0);
        expect(Math.abs(row[1])).toBeCloseTo(2 / 0.02 ** 0.25, 12);
      } else expect(Array.from(row)).toEqual(Array.from(data.clean.data.subarray(i * 10, (i + 1) * 10)));
    }
  });

  test("captured variance Tr(UᵀΣU): 1.1 for e₀, 1 for e₁, invariant to sign", () => {
    expect(capturedVariance(fromRows([[1], [0], [0]]), Float64Array.from([1.1, 1, 1]))).toBeCloseTo(1.1, 15);
    expect(capturedVariance(fromRows([[0], [-1], [0]]), Float64Array.from([1.1, 1, 1]))).toBeCloseTo(1, 15);
  });

  test("naive PCA is captured by the corruption (≈ 1.0); PCA of the clean points is not (≈ 1.09)", () => {
    expect(capturedVariance(principalDirections(data.data, 1), data.sigma)).toBeLessThan(1.01);
    expect(capturedVariance(principalDirections(data.clean, 1), data.sigma)).toBeGreaterThan(1.07);
  });
});

describe("double filtering and HRPCA", () => {
  const data = sampleCorruptedPcaData(5000, 10, 0.02, key(2));

  test("double filtering removes the corrupted points and recovers e₀", () => {
    const r = doubleFiltering(data.data, 1, 0.02, key(3));
    expect(countKeptCorrupted(r.kept, data.corrupted)).toBeLessThan(5);
    expect(countRemovedClean(r.kept, data.corrupted)).toBeLessThan(100);
    expect(capturedVariance(r.U, data.sigma)).toBeGreaterThan(1.06);
    expect(r.rounds).toBeGreaterThan(1);
  });

  test("double filtering on clean data stops at once (mean gap below 2α log 1/α)", () => {
    const clean = sampleCorruptedPcaData(5000, 10, 0.02, key(4)).clean;
    const r = doubleFiltering(clean, 1, 0.02, key(5));
    expect(r.rounds).toBeLessThanOrEqual(2);
  });

  test("HRPCA keeps the best of its steps; kept = n − points removed before it", () => {
    const r = hrpca(data.data, 1, 0.02, key(6), { steps: 300 });
    let kept = 0;
    for (const v of r.kept) kept += v;
    expect(kept).toBe(5000 - r.bestStep);
    let norm = 0;
    for (const v of r.U.data) norm += v * v;
    expect(norm).toBeCloseTo(1, 12);
  });

  test("bad input names the parameter", () => {
    expect(() => doubleFiltering(data.data, 10, 0.02, key(0))).toThrow(
      /"k" must be an integer in \[1, d = 10\); got 10/,
    );
    expect(() => doubleFiltering(data.data, 1, 0.7, key(0))).toThrow(
      /"alpha" must be in \(0, 0\.5\); got 0\.7/,
    );
    expect(() => sampleCorruptedPcaData(10, 1, 0.1, key(0))).toThrow(/"d" must be an integer ≥ 2; got 1/);
  });
});
