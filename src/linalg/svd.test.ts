import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { type Mat, toRows, zeros } from "./mat.js";
import { singularValues, spectralNorm, svdExtremes, svdThin } from "./svd.js";
import {
  EPS,
  hilbert,
  maxAbs,
  maxAbsDiff,
  mul,
  orthonormalityError,
  randn,
  randomOrthonormal,
  scaleColumns,
  TestRng,
  tr,
} from "./testing.js";

function mlSingularValues(A: Mat): number[] {
  return new SingularValueDecomposition(new Matrix(toRows(A)), { autoTranspose: true }).diagonal;
}

/** ‖A − U diag(s) Vᵀ‖_max. */
function reconstructionError(A: Mat, U: Mat, s: Float64Array, V: Mat): number {
  return maxAbsDiff(mul(scaleColumns(U, s), tr(V)), A);
}

function expectValidSvd(A: Mat, tolFactor = 50): void {
  const { U, s, V } = svdThin(A);
  const { rows: m, cols: n } = A;
  const r = Math.min(m, n);
  expect([U.rows, U.cols, V.rows, V.cols, s.length]).toEqual([m, r, n, r, r]);
  const size = Math.max(m, n, 4);
  expect(reconstructionError(A, U, s, V)).toBeLessThanOrEqual(
    tolFactor * size * EPS * Math.max(s[0] ?? 0, 1e-300),
  );
  expect(orthonormalityError(U)).toBeLessThanOrEqual(tolFactor * size * EPS);
  expect(orthonormalityError(V)).toBeLessThanOrEqual(tolFactor * size * EPS);
  for (let i = 0; i < r; i++) {
    expect(s[i]).toBeGreaterThanOrEqual(0);
    if (i > 0) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
  }
}

/**
 * Column-graded A = B·diag(s), B with orthonormal columns, so A's singular values are exactly s (up
 * to the rounding of A's entries, which is relative per column); `reversed` puts the small columns
 * first.
 */
function graded(m: number, s: number[], rng: TestRng, reversed = false): Mat {
  const r = s.length;
  const B = scaleColumns(randomOrthonormal(m, r, rng), s);
  if (!reversed) return B;
  const A = zeros(m, r);
  for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) A.data[i * r + j] = B.data[i * r + (r - 1 - j)];
  return A;
}

const logSpaced = (r: number, smallest: number) =>
  Array.from({ length: r }, (_, i) => smallest ** (i / (r - 1)));

describe("svdThin", () => {
  it("reproduces A with orthonormal U and V for tall, wide and square random matrices", () => {
    const rng = new TestRng(51);
    for (const [m, n] of [
      [1, 1],
      [1, 5],
      [6, 1],
      [9, 9],
      [30, 7],
      [7, 30],
      [64, 64],
    ]) {
      expectValidSvd(randn(m, n, rng));
    }
  });

  it("matches ml-matrix's singular values on random matrices", () => {
    const rng = new TestRng(52);
    for (const [m, n] of [
      [20, 20],
      [45, 12],
      [12, 45],
    ]) {
      const A = randn(m, n, rng);
      const ours = svdThin(A).s;
      const theirs = Float64Array.from(mlSingularValues(A));
      expect(maxAbsDiff(ours, theirs)).toBeLessThanOrEqual(100 * Math.max(m, n) * EPS * ours[0]);
    }
  });

  it("recovers constructed singular values from 1 down to 1e-12 to tight relative accuracy when A is column-graded", () => {
    const rng = new TestRng(53);
    const s = logSpaced(12, 1e-12);
    for (const [m, wide, reversed] of [
      [12, false, false],
      [12, false, true],
      [60, false, false],
      [60, false, true],
      [60, true, false],
    ] as const) {
      const G = graded(m, s, rng, reversed);
      const A = wide ? tr(G) : G;
      const got = svdThin(A).s;
      for (let i = 0; i < s.length; i++) expect(Math.abs(got[i] - s[i]) / s[i]).toBeLessThan(1e-13);
    }
  });

  it("is far more accurate than ml-matrix (bidiagonalisation) on the small values of a tall graded matrix", () => {
    const s = logSpaced(12, 1e-12);
    const A = graded(60, s, new TestRng(54));
    const worst = (got: ArrayLike<number>) => Math.max(...s.map((v, i) => Math.abs(got[i] - v) / v));
    const ours = worst(svdThin(A).s);
    const theirs = worst(mlSingularValues(A));
    expect(ours).toBeLessThan(1e-14);
    expect(theirs).toBeGreaterThan(100 * ours);
  });

  it("recovers singular values of a dense U·diag(s)·Vᵀ to absolute accuracy ε‖A‖ (s spanning 1..1e-12)", () => {
    const rng = new TestRng(55);
    const s = logSpaced(15, 1e-12);
    const A = mul(scaleColumns(randomOrthonormal(40, 15, rng), s), tr(randomOrthonormal(15, 15, rng)));
    const got = svdThin(A).s;
    expect(maxAbsDiff(got, Float64Array.from(s))).toBeLessThan(40 * EPS);
    expectValidSvd(A);
  });

  it("gives orthonormal U and V and exact zero singular values for rank-deficient input (zero and duplicated columns)", () => {
    const rng = new TestRng(56);
    const B = randn(10, 3, rng);
    const A = zeros(10, 6);
    for (let i = 0; i < 10; i++) {
      A.data[i * 6 + 0] = B.data[i * 3 + 0];
      A.data[i * 6 + 1] = B.data[i * 3 + 1];
      A.data[i * 6 + 2] = B.data[i * 3 + 0]; // duplicate
      A.data[i * 6 + 4] = B.data[i * 3 + 2]; // columns 3 and 5 stay zero
    }
    expectValidSvd(A);
    expectValidSvd(tr(A));
    const { s } = svdThin(A);
    expect(s[3]).toBeLessThan(1e-14 * s[0]);
    expect(s[4]).toBe(0);
    expect(s[5]).toBe(0);
    expectValidSvd(zeros(5, 3));
    expect(Array.from(svdThin(zeros(5, 3)).s)).toEqual([0, 0, 0]);
  });

  it("keeps U and V orthonormal for a Hilbert matrix and matches ml-matrix's largest singular values", () => {
    const H = hilbert(12);
    expectValidSvd(H);
    const ours = svdThin(H).s;
    const theirs = mlSingularValues(H);
    for (let i = 0; i < 6; i++) expect(Math.abs(ours[i] - theirs[i])).toBeLessThan(1e-14);
  });

  it("is safe for entries near 1e±150 (squared norms would overflow or underflow)", () => {
    const A = randn(8, 5, new TestRng(57));
    const base = svdThin(A).s;
    for (const f of [1e150, 1e-150]) {
      const B = scaleColumns(A, [f, f, f, f, f]);
      const s = svdThin(B).s;
      for (let i = 0; i < 5; i++) expect(s[i] / f / base[i]).toBeCloseTo(1, 12);
    }
  });

  it("rejects non-finite input", () => {
    const A = zeros(3, 3);
    A.data[4] = Number.POSITIVE_INFINITY;
    expect(() => svdThin(A)).toThrow(/entry \(1, 1\) is Infinity/);
  });
});

describe("singularValues and spectralNorm", () => {
  it("singularValues equals svdThin's s, and spectralNorm its largest value", () => {
    const rng = new TestRng(58);
    for (const [m, n] of [
      [13, 13],
      [40, 9],
      [9, 40],
    ]) {
      const A = randn(m, n, rng);
      const s = svdThin(A).s;
      expect(maxAbsDiff(singularValues(A), s)).toBeLessThanOrEqual(10 * EPS * s[0]);
      expect(spectralNorm(A)).toBeCloseTo(s[0], 12);
    }
    expect(spectralNorm(zeros(0, 3))).toBe(0);
  });

  it("spectralNorm bounds ‖Ax‖/‖x‖ and is attained by the top right singular vector", () => {
    const rng = new TestRng(59);
    const A = randn(15, 8, rng);
    const norm = spectralNorm(A);
    for (let t = 0; t < 20; t++) {
      const x = randn(8, 1, rng);
      const ratio = Math.hypot(...mul(A, x).data) / Math.hypot(...x.data);
      expect(ratio).toBeLessThanOrEqual(norm * (1 + 1e-14));
    }
    const { V } = svdThin(A);
    const v = zeros(8, 1);
    for (let i = 0; i < 8; i++) v.data[i] = V.data[i * 8];
    expect(Math.hypot(...mul(A, v).data)).toBeCloseTo(norm, 12);
    expect(maxAbs(A)).toBeLessThanOrEqual(norm);
  });
});

describe("svdExtremes", () => {
  const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  it("gives svdThin's s, V and first and last columns of U bit for bit (tall, square, graded, a zero column, repeated calls)", () => {
    const rng = new TestRng(7);
    const withZero = randn(30, 4, rng);
    for (let i = 0; i < 30; i++) withZero.data[i * 4 + 2] = 0;
    const cases: Mat[] = [
      randn(400, 3, rng),
      randn(400, 3, rng),
      randn(20, 3, rng),
      randn(3, 3, rng),
      randn(7, 1, rng),
      graded(50, [1, 1e-3, 1e-9], rng),
      graded(50, [2, 2, 2], rng, true),
      withZero,
    ];
    for (const A of cases) {
      const ref = svdThin(A);
      const got = svdExtremes(A);
      const { rows: m, cols: n } = A;
      const col = (c: number) => Float64Array.from({ length: m }, (_, i) => ref.U.data[i * n + c]);
      const what = `${m}×${n}`;
      expect(bits(got.s).equals(bits(ref.s)), what).toBe(true);
      expect(bits(got.V.data).equals(bits(ref.V.data)), what).toBe(true);
      expect(bits(got.u1).equals(bits(col(0))), what).toBe(true);
      expect(bits(got.un).equals(bits(col(n - 1))), what).toBe(true);
    }
    expect(() => svdExtremes(randn(2, 3, rng))).toThrow(/needs m ≥ n ≥ 1/);
  });
});
