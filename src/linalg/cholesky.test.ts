import { CholeskyDecomposition, Matrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { cholesky, choleskySolve, solveSPD } from "./cholesky.js";
import { DimensionError, NotPositiveDefiniteError } from "./errors.js";
import { fromRows, type Mat, matFrom, toRows, zeros } from "./mat.js";
import { EPS, hilbert, maxAbs, maxAbsDiff, mul, randn, randVec, TestRng, tr } from "./testing.js";

function randomSPD(n: number, rng: TestRng): Mat {
  const G = randn(n + 3, n, rng);
  return mul(tr(G), G);
}

describe("cholesky", () => {
  it("reproduces an SPD matrix as LLᵀ and matches ml-matrix's factor", () => {
    const rng = new TestRng(71);
    for (const n of [1, 2, 7, 40]) {
      const A = randomSPD(n, rng);
      const L = cholesky(A);
      for (let i = 0; i < n; i++) {
        expect(L.data[i * n + i]).toBeGreaterThan(0);
        for (let j = i + 1; j < n; j++) expect(L.data[i * n + j]).toBe(0);
      }
      expect(maxAbsDiff(mul(L, tr(L)), A)).toBeLessThanOrEqual(10 * n * EPS * maxAbs(A));
      const theirs = fromRows(
        new CholeskyDecomposition(new Matrix(toRows(A))).lowerTriangularMatrix.to2DArray(),
      );
      expect(maxAbsDiff(L, theirs)).toBeLessThanOrEqual(1e3 * n * EPS * Math.sqrt(maxAbs(A)));
    }
  });

  it("factors the 10×10 Hilbert matrix (condition ~1e13), which is SPD", () => {
    const H = hilbert(10);
    const L = cholesky(H);
    expect(maxAbsDiff(mul(L, tr(L)), H)).toBeLessThan(1e-15);
  });

  it("throws NotPositiveDefiniteError naming the failing pivot and its value for an indefinite matrix", () => {
    const A = fromRows([
      [4, 2, 0],
      [2, 1, 0],
      [0, 0, 1],
    ]); // singular: pivot 1 is 1 − 2²/4 = 0
    expect(() => cholesky(A)).toThrow(NotPositiveDefiniteError);
    try {
      cholesky(
        fromRows([
          [2, 0, 0],
          [0, 3, 0],
          [0, 0, -0.5],
        ]),
      );
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NotPositiveDefiniteError);
      const err = e as NotPositiveDefiniteError;
      expect(err.pivot).toBe(2);
      expect(err.value).toBe(-0.5);
      expect(err.message).toMatch(/cholesky: matrix is not positive definite: pivot 2 \(0-based\) is -0.5/);
    }
    const nan = zeros(2, 2);
    nan.data[0] = Number.NaN;
    expect(() => cholesky(nan)).toThrow(/pivot 0 .* is NaN/);
  });

  it("rejects a non-square matrix with a DimensionError", () => {
    expect(() => cholesky(zeros(2, 3))).toThrow(DimensionError);
    expect(() => cholesky(zeros(2, 3))).toThrow(/got A 2×3/);
  });
});

describe("choleskySolve and solveSPD", () => {
  it("solve vector and matrix right-hand sides, leaving b untouched", () => {
    const rng = new TestRng(72);
    const A = randomSPD(12, rng);
    const L = cholesky(A);
    const b = randVec(12, rng);
    const b0 = b.slice();
    const x = choleskySolve(L, b);
    expect(Array.from(b)).toEqual(Array.from(b0));
    expect(maxAbsDiff(mul(A, matFrom(12, 1, x)).data, b)).toBeLessThan(1e-11);
    const B = randn(12, 4, rng);
    const X = choleskySolve(L, B);
    expect([X.rows, X.cols]).toEqual([12, 4]);
    expect(maxAbsDiff(mul(A, X), B)).toBeLessThan(1e-11);
  });

  it("solveSPD matches ml-matrix's Cholesky solve", () => {
    const rng = new TestRng(73);
    const A = randomSPD(9, rng);
    const B = randn(9, 2, rng);
    const ours = solveSPD(A, B);
    const theirs = new CholeskyDecomposition(new Matrix(toRows(A))).solve(new Matrix(toRows(B)));
    expect(maxAbsDiff(ours, fromRows(theirs.to2DArray()))).toBeLessThan(1e-11);
    const x = solveSPD(A, randVec(9, rng));
    expect(x).toBeInstanceOf(Float64Array);
  });

  it("rejects a right-hand side of the wrong length", () => {
    const L = cholesky(randomSPD(3, new TestRng(74)));
    expect(() => choleskySolve(L, new Float64Array(4))).toThrow(
      /n = 3 rows to match L 3×3; got b of length 4/,
    );
  });
});
