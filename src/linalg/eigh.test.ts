import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { eighSym, topKEigh } from "./eigh.js";
import { DimensionError } from "./errors.js";
import { gemm } from "./gemm.js";
import { fromRows, identity, type Mat, toRows, zeros } from "./mat.js";
import {
  EPS,
  maxAbs,
  maxAbsDiff,
  mul,
  orthonormalityError,
  randn,
  randomOrthonormal,
  scaleColumns,
  TestRng,
  tr,
  withSpectrum,
} from "./testing.js";

function randomSymmetric(n: number, rng: TestRng): Mat {
  const G = randn(n, n, rng);
  const S = zeros(n, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) S.data[i * n + j] = G.data[i * n + j] + G.data[j * n + i];
  return S;
}

/** ‖AV − VΛ‖_max for the first columns of V. */
function eigResidual(A: Mat, values: Float64Array, V: Mat): number {
  return maxAbsDiff(mul(A, V), scaleColumns(V, values));
}

describe("eighSym", () => {
  it("matches ml-matrix's eigenvalues with small residual ‖AV − VΛ‖ for random symmetric matrices", () => {
    const rng = new TestRng(31);
    for (const n of [1, 2, 3, 10, 57]) {
      const A = randomSymmetric(n, rng);
      const { values, vectors } = eighSym(A);
      const norm = maxAbs(A) * n;
      const theirs = new EigenvalueDecomposition(new Matrix(toRows(A)), {
        assumeSymmetric: true,
      }).realEigenvalues
        .slice()
        .sort((a, b) => b - a);
      expect(maxAbsDiff(values, Float64Array.from(theirs))).toBeLessThanOrEqual(50 * EPS * norm);
      expect(eigResidual(A, values, vectors)).toBeLessThanOrEqual(50 * EPS * norm);
      expect(orthonormalityError(vectors)).toBeLessThanOrEqual(50 * n * EPS);
      for (let i = 1; i < n; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
    }
  });

  it("recovers a constructed spectrum with repeated eigenvalues and an orthonormal basis of each eigenspace", () => {
    const rng = new TestRng(32);
    const spectrum = [5, 3, 3, 3, 1, 1, 0, -2, -2, -7];
    const Q = randomOrthonormal(10, 10, rng);
    const A = withSpectrum(Q, spectrum);
    const { values, vectors } = eighSym(A);
    expect(maxAbsDiff(values, Float64Array.from(spectrum))).toBeLessThan(1e-13);
    expect(eigResidual(A, values, vectors)).toBeLessThan(1e-13);
    expect(orthonormalityError(vectors)).toBeLessThan(1e-13);
    // The eigenspace of 3 (columns 1..3) equals the one constructed: projectors agree.
    const pick = (M: Mat, cols: number[]) => {
      const out = zeros(M.rows, cols.length);
      for (let i = 0; i < M.rows; i++)
        for (let j = 0; j < cols.length; j++) out.data[i * cols.length + j] = M.data[i * M.cols + cols[j]];
      return out;
    };
    const P = (B: Mat) => mul(B, tr(B));
    expect(maxAbsDiff(P(pick(vectors, [1, 2, 3])), P(pick(Q, [1, 2, 3])))).toBeLessThan(1e-12);
  });

  it("handles the zero matrix, a diagonal matrix and a matrix with eigenvalues of widely different scales", () => {
    const Z = eighSym(zeros(4, 4));
    expect(Array.from(Z.values)).toEqual([0, 0, 0, 0]);
    expect(orthonormalityError(Z.vectors)).toBe(0);
    const D = fromRows([
      [1, 0, 0],
      [0, -4, 0],
      [0, 0, 2],
    ]);
    const d = eighSym(D);
    expect(Array.from(d.values)).toEqual([2, 1, -4]);
    expect(toRows(d.vectors)).toEqual([
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const Q = randomOrthonormal(8, 8, new TestRng(33));
    const spectrum = [1e6, 1e3, 1, 1e-3, -1e-6, -1, -1e3, -1e6];
    const A = withSpectrum(Q, spectrum);
    const { values } = eighSym(A);
    expect(maxAbsDiff(values, Float64Array.from(spectrum))).toBeLessThan(100 * EPS * 1e6);
  });

  it("uses only the symmetric part and fixes each eigenvector's sign (largest entry positive)", () => {
    const rng = new TestRng(34);
    const S = randomSymmetric(12, rng);
    const skew = randn(12, 12, rng);
    const A = zeros(12, 12);
    for (let i = 0; i < 12; i++) {
      for (let j = 0; j < 12; j++)
        A.data[i * 12 + j] = S.data[i * 12 + j] + skew.data[i * 12 + j] - skew.data[j * 12 + i];
    }
    const a = eighSym(A);
    const s = eighSym(S);
    expect(maxAbsDiff(a.values, s.values)).toBeLessThan(1e-12);
    expect(maxAbsDiff(a.vectors, s.vectors)).toBeLessThan(1e-10);
    for (let c = 0; c < 12; c++) {
      let big = 0;
      for (let r = 0; r < 12; r++)
        if (Math.abs(s.vectors.data[r * 12 + c]) > Math.abs(big)) big = s.vectors.data[r * 12 + c];
      expect(big).toBeGreaterThan(0);
    }
  });

  it("stays accurate at n = 150", () => {
    const A = randomSymmetric(150, new TestRng(35));
    const { values, vectors } = eighSym(A);
    const norm = maxAbs(A) * 150;
    expect(eigResidual(A, values, vectors)).toBeLessThanOrEqual(50 * EPS * norm);
    expect(orthonormalityError(vectors)).toBeLessThanOrEqual(1e-12);
  });

  it("rejects non-square and non-finite input, naming the shape or the entry", () => {
    expect(() => eighSym(zeros(2, 3))).toThrow(DimensionError);
    const A = identity(3);
    A.data[5] = Number.NaN;
    expect(() => eighSym(A)).toThrow(/entry \(1, 2\) is NaN/);
  });
});

describe("topKEigh", () => {
  const n = 80;
  const rng = new TestRng(41);
  const Q = randomOrthonormal(n, n, rng);
  // Known spectrum: 10, 9, …, 1 at the top (a gap ratio of 0.9 per step), then values in [0, 0.5].
  const spectrum = Array.from({ length: n }, (_, i) => (i < 10 ? 10 - i : 0.5 * (1 - i / n)));
  const A = withSpectrum(Q, spectrum);

  /** The top-k eigenvector subspaces agree: ‖V Vᵀ − U Uᵀ‖ small. */
  function subspaceGap(V: Mat, U: Mat): number {
    return maxAbsDiff(mul(V, tr(V)), mul(U, tr(U)));
  }
  function firstColumns(M: Mat, k: number): Mat {
    const out = zeros(M.rows, k);
    for (let i = 0; i < M.rows; i++) for (let j = 0; j < k; j++) out.data[i * k + j] = M.data[i * M.cols + j];
    return out;
  }

  it("finds the top-k eigenpairs of a matrix with a known spectrum, matching eighSym", () => {
    const k = 4;
    const res = topKEigh(A, n, k);
    expect(res.converged).toBe(true);
    expect(res.iterations).toBeGreaterThan(1);
    expect(maxAbsDiff(res.values, Float64Array.from([10, 9, 8, 7]))).toBeLessThan(1e-12);
    const full = eighSym(A);
    expect(subspaceGap(res.vectors, firstColumns(full.vectors, k))).toBeLessThan(1e-9);
    expect(orthonormalityError(res.vectors)).toBeLessThan(1e-13);
    expect(eigResidual(A, res.values, res.vectors)).toBeLessThan(1e-8);
  });

  it("works with a function operator applying XᵀX without forming it", () => {
    const X = randn(200, n, new TestRng(42));
    const tmp = zeros(200, 6 + 5);
    let calls = 0;
    const op = (B: Mat, out: Mat) => {
      calls++;
      const t = tmp.cols === B.cols ? tmp : zeros(200, B.cols);
      gemm(false, false, 1, X, B, 0, t);
      gemm(true, false, 1, X, t, 0, out);
    };
    const res = topKEigh(op, n, 6, { tol: 1e-11 });
    expect(res.converged).toBe(true);
    expect(calls).toBe(res.iterations);
    const G = mul(tr(X), X);
    const full = eighSym(G);
    expect(maxAbsDiff(res.values, full.values.slice(0, 6)) / full.values[0]).toBeLessThan(1e-12);
    expect(eigResidual(G, res.values, res.vectors) / full.values[0]).toBeLessThan(1e-9);
  });

  it("by magnitude finds large negative eigenvalues, while by algebraic ignores them", () => {
    // Twelve eigenvalues in [−30, −19]: more than the block holds, so unshifted iteration would lock
    // onto them and never see the top of the spectrum.
    const spec = spectrum.map((v, i) => (i >= n - 12 ? -30 + (n - 1 - i) : v));
    const B = withSpectrum(Q, spec);
    const mag = topKEigh(B, n, 3, { by: "magnitude" });
    expect(mag.converged).toBe(true);
    expect(maxAbsDiff(mag.values, Float64Array.from([-30, -29, -28]))).toBeLessThan(1e-11);
    const alg = topKEigh(B, n, 3, { by: "algebraic" });
    expect(alg.converged).toBe(true);
    expect(maxAbsDiff(alg.values, Float64Array.from([10, 9, 8]))).toBeLessThan(1e-11);
    expect(eigResidual(B, alg.values, alg.vectors)).toBeLessThan(1e-8);
  });

  it("handles a repeated eigenvalue straddling the k boundary (values are still exact)", () => {
    const spec = spectrum.map((v, i) => (i >= 2 && i <= 4 ? 7 : v));
    const B = withSpectrum(Q, spec);
    const res = topKEigh(B, n, 3);
    expect(res.converged).toBe(true);
    expect(maxAbsDiff(res.values, Float64Array.from([10, 9, 7]))).toBeLessThan(1e-11);
    expect(eigResidual(B, res.values, res.vectors)).toBeLessThan(1e-8);
  });

  it("reports converged = false when maxIter runs out, with the best estimates so far", () => {
    const res = topKEigh(A, n, 4, { maxIter: 2, oversample: 1 });
    expect(res.converged).toBe(false);
    expect(res.iterations).toBe(2);
    expect(res.residual).toBeGreaterThan(1e-10);
    expect(res.values.length).toBe(4);
  });

  it("is deterministic and accepts a starting block", () => {
    const a = topKEigh(A, n, 3);
    const b = topKEigh(A, n, 3);
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(Array.from(a.vectors.data)).toEqual(Array.from(b.vectors.data));
    const exact = firstColumns(Q, 3);
    const warm = topKEigh(A, n, 3, { init: exact });
    expect(warm.converged).toBe(true);
    expect(warm.iterations).toBeLessThan(a.iterations);
    const filled = topKEigh(A, n, 3, {
      init: (out) => {
        for (let i = 0; i < out.length; i++) out[i] = Math.cos(i);
      },
    });
    expect(filled.converged).toBe(true);
    expect(maxAbsDiff(filled.values, a.values)).toBeLessThan(1e-11);
  });

  it("falls back to a dense solve for small n and validates its arguments", () => {
    const small = withSpectrum(randomOrthonormal(6, 6, new TestRng(43)), [4, 3, 2, 1, 0, -1]);
    const res = topKEigh(small, 6, 2);
    expect(res.converged).toBe(true);
    expect(maxAbsDiff(res.values, Float64Array.from([4, 3]))).toBeLessThan(1e-13);
    expect(() => topKEigh(small, 6, 7)).toThrow(/"k" must be ≤ n = 6; got 7/);
    expect(() => topKEigh(small, 5, 2)).toThrow(DimensionError);
    expect(() => topKEigh(small, 6, 2, { maxIter: 0 })).toThrow(/"maxIter" must be an integer ≥ 1; got 0/);
  });
});
