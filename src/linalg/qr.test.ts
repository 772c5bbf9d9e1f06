import { Matrix, QrDecomposition } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { DimensionError } from "./errors.js";
import { clone, fromRows, type Mat, toRows, zeros } from "./mat.js";
import { orthonormalize, qrR, qrThin } from "./qr.js";
import {
  EPS,
  hilbert,
  maxAbs,
  maxAbsDiff,
  mul,
  orthonormalityError,
  randn,
  scaleColumns,
  TestRng,
  tr,
} from "./testing.js";

/** Checks every thin-QR invariant; tolerances scale with size and ‖A‖. */
function expectValidQR(A: Mat, Q: Mat, R: Mat): void {
  const { rows: m, cols: n } = A;
  expect([Q.rows, Q.cols, R.rows, R.cols]).toEqual([m, n, n, n]);
  const scale = Math.max(m, 4) * EPS;
  expect(maxAbsDiff(mul(Q, R), A)).toBeLessThanOrEqual(10 * scale * Math.max(maxAbs(A), Number.MIN_VALUE));
  expect(orthonormalityError(Q)).toBeLessThanOrEqual(10 * scale);
  for (let i = 0; i < n; i++) {
    expect(R.data[i * n + i]).toBeGreaterThanOrEqual(0);
    for (let j = 0; j < i; j++) expect(R.data[i * n + j]).toBe(0);
  }
}

describe("qrThin", () => {
  it("reproduces A and Q has orthonormal columns for random tall and square matrices", () => {
    const rng = new TestRng(21);
    for (const [m, n] of [
      [1, 1],
      [5, 3],
      [7, 7],
      [40, 40],
      [120, 25],
    ]) {
      const A = randn(m, n, rng);
      const { Q, R } = qrThin(A);
      expectValidQR(A, Q, R);
    }
  });

  it("matches ml-matrix's R up to the signs of its rows", () => {
    const A = randn(30, 12, new TestRng(22));
    const { R } = qrThin(A);
    const theirs = fromRows(new QrDecomposition(new Matrix(toRows(A))).upperTriangularMatrix.to2DArray());
    const n = 12;
    for (let i = 0; i < n; i++) {
      const sign = theirs.data[i * n + i] < 0 ? -1 : 1;
      for (let j = 0; j < n; j++) {
        expect(Math.abs(R.data[i * n + j] - sign * theirs.data[i * n + j])).toBeLessThan(1e-12);
      }
    }
  });

  it("gives the same Q for A and for A times a positive diagonal (the sign convention makes Q unique)", () => {
    const rng = new TestRng(23);
    const A = randn(20, 6, rng);
    const scaled = scaleColumns(A, [3, 0.5, 7, 1e-3, 2, 10]);
    expect(maxAbsDiff(qrThin(A).Q, qrThin(scaled).Q)).toBeLessThan(1e-12);
  });

  it("reproduces A and Q has orthonormal columns for a rank-deficient input (duplicated and zero columns)", () => {
    const rng = new TestRng(24);
    const B = randn(15, 6, rng);
    const A = zeros(15, 6);
    for (let i = 0; i < 15; i++) {
      A.data[i * 6 + 0] = B.data[i * 6 + 0];
      A.data[i * 6 + 1] = B.data[i * 6 + 0]; // duplicate of column 0
      A.data[i * 6 + 2] = 0; // zero column
      A.data[i * 6 + 3] = B.data[i * 6 + 3];
      A.data[i * 6 + 4] = 2 * B.data[i * 6 + 3] - B.data[i * 6 + 0]; // combination
      A.data[i * 6 + 5] = B.data[i * 6 + 5];
    }
    const { Q, R } = qrThin(A);
    expect(Q.data.every(Number.isFinite)).toBe(true);
    expectValidQR(A, Q, R);
    // Dependent columns show up as (near-)zero diagonal entries of R.
    expect(R.data[1 * 6 + 1]).toBeLessThan(1e-13);
    expect(R.data[2 * 6 + 2]).toBe(0);
    expect(R.data[4 * 6 + 4]).toBeLessThan(1e-13);
  });

  it("keeps Q orthonormal for an all-zero matrix and for a Hilbert matrix of condition ~1e13", () => {
    const Z = zeros(6, 4);
    const qz = qrThin(Z);
    expectValidQR(Z, qz.Q, qz.R);
    const H = hilbert(14, 10); // κ ≈ 1e13
    const { Q, R } = qrThin(H);
    expectValidQR(H, Q, R);
  });

  it("is safe from overflow and underflow for entries near 1e±200", () => {
    const A = randn(9, 4, new TestRng(25));
    const base = qrThin(A).Q;
    for (const f of [1e200, 1e-200]) {
      const B = clone(A);
      for (let i = 0; i < B.data.length; i++) B.data[i] *= f;
      const { Q, R } = qrThin(B);
      expect(maxAbsDiff(Q, base)).toBeLessThan(1e-12);
      expectValidQR(B, Q, R);
    }
  });

  it("rejects a wide matrix with a DimensionError naming its shape", () => {
    expect(() => qrThin(zeros(3, 5))).toThrow(DimensionError);
    expect(() => qrThin(zeros(3, 5))).toThrow(/m ≥ n.*got A 3×5/);
  });
});

describe("orthonormalize and qrR", () => {
  it("orthonormalize returns qrThin's Q and qrR its R", () => {
    const A = randn(25, 8, new TestRng(26));
    const { Q, R } = qrThin(A);
    expect(maxAbsDiff(orthonormalize(A), Q)).toBe(0);
    expect(maxAbsDiff(qrR(A), R)).toBe(0);
  });

  it("orthonormalize spans A's column space", () => {
    const A = randn(12, 3, new TestRng(27));
    const Q = orthonormalize(A);
    // A − Q(QᵀA) = 0 when range(Q) = range(A).
    const proj = mul(Q, mul(tr(Q), A));
    expect(maxAbsDiff(proj, A)).toBeLessThan(1e-13);
  });
});
