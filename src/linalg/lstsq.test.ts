import { Matrix, QrDecomposition, solve } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { DimensionError } from "./errors.js";
import { lstsq } from "./lstsq.js";
import { identity, type Mat, matFrom, toRows, zeros } from "./mat.js";
import { EPS, hilbert, maxAbs, maxAbsDiff, mul, randn, randVec, TestRng, tr } from "./testing.js";

const col = (x: Float64Array) => matFrom(x.length, 1, x);
const ml = (A: Mat) => new Matrix(toRows(A));
const norm = (x: Float64Array) => Math.hypot(...x);

/** Aᵀ(Ax − b): zero at a least-squares solution (the normal equations). */
function normalResidual(A: Mat, x: Float64Array, b: Float64Array): Float64Array {
  const r = mul(A, col(x));
  for (let i = 0; i < b.length; i++) r.data[i] -= b[i];
  return mul(tr(A), r).data;
}

describe("lstsq", () => {
  it("matches ml-matrix's QR solution and satisfies the normal equations for a full-rank tall system", () => {
    const rng = new TestRng(61);
    const A = randn(40, 7, rng);
    const b = randVec(40, rng);
    const { x, rank, residualNorm, singularValues } = lstsq(A, b);
    expect(rank).toBe(7);
    expect(singularValues.length).toBe(7);
    const theirs = new QrDecomposition(ml(A)).solve(Matrix.columnVector(Array.from(b))).to1DArray();
    expect(maxAbsDiff(x, Float64Array.from(theirs))).toBeLessThan(1e-12);
    expect(maxAbs(normalResidual(A, x, b))).toBeLessThan(1e-12);
    const r = mul(A, col(x)).data.map((v, i) => v - b[i]);
    expect(residualNorm).toBeCloseTo(norm(r), 12);
  });

  it("returns the minimum-norm solution for a rank-deficient system (duplicated and zero columns)", () => {
    const rng = new TestRng(62);
    const B = randn(20, 3, rng);
    // Columns: b0, b1, b0 (duplicate), 0, b2. Null space: e0 − e2 and e3.
    const A = zeros(20, 5);
    for (let i = 0; i < 20; i++) {
      A.data[i * 5] = B.data[i * 3];
      A.data[i * 5 + 1] = B.data[i * 3 + 1];
      A.data[i * 5 + 2] = B.data[i * 3];
      A.data[i * 5 + 4] = B.data[i * 3 + 2];
    }
    const b = randVec(20, rng);
    const { x, rank } = lstsq(A, b);
    expect(rank).toBe(3);
    expect(maxAbs(normalResidual(A, x, b))).toBeLessThan(1e-12);
    // Minimum norm ⇔ x ⟂ null space: x0 = x2 and x3 = 0.
    expect(Math.abs(x[0] - x[2])).toBeLessThan(1e-13);
    expect(Math.abs(x[3])).toBeLessThan(1e-13);
    // Against the reduced full-rank problem: x0 = x2 = c0/2, x1 = c1, x4 = c2.
    const c = lstsq(B, b).x;
    expect(maxAbsDiff(x, Float64Array.from([c[0] / 2, c[1], c[0] / 2, 0, c[2]]))).toBeLessThan(1e-12);
    // Any other solution x + z (z in the null space) has a larger norm.
    const other = x.slice();
    other[0] += 0.1;
    other[2] -= 0.1;
    expect(norm(other)).toBeGreaterThan(norm(x));
  });

  it("solves an underdetermined system (m < n) exactly with the minimum-norm solution Aᵀ(AAᵀ)⁻¹b", () => {
    const rng = new TestRng(63);
    const A = randn(6, 15, rng);
    const b = randVec(6, rng);
    const { x, rank, residualNorm } = lstsq(A, b);
    expect(rank).toBe(6);
    expect(residualNorm).toBeLessThan(1e-13);
    const y = solve(ml(mul(A, tr(A))), Matrix.columnVector(Array.from(b)));
    const expected = mul(tr(A), matFrom(6, 1, Float64Array.from(y.to1DArray())));
    expect(maxAbsDiff(x, expected)).toBeLessThan(1e-12);
  });

  it("cuts off singular values below rcond·s_max for an ill-conditioned Hilbert system", () => {
    const H = hilbert(12, 8); // κ ≈ 1e10
    const b = randVec(12, new TestRng(64));
    expect(lstsq(H, b).rank).toBe(8);
    const cut = lstsq(H, b, { rcond: 1e-6 });
    expect(cut.rank).toBe(cut.singularValues.filter((s) => s > 1e-6 * cut.singularValues[0]).length);
    expect(cut.rank).toBeLessThan(8);
    // Truncation trades a slightly larger residual for a much smaller solution.
    const full = lstsq(H, b);
    expect(norm(cut.x)).toBeLessThan(norm(full.x));
    expect(cut.residualNorm).toBeGreaterThanOrEqual(full.residualNorm * (1 - 1e-8));
  });

  it("with ridge λ solves (AᵀA + λI)x = Aᵀb, matching ml-matrix's solve of the regularised normal equations", () => {
    const rng = new TestRng(65);
    for (const [m, n] of [
      [30, 6],
      [5, 12],
    ]) {
      const A = randn(m, n, rng);
      const b = randVec(m, rng);
      const lambda = 0.7;
      const { x } = lstsq(A, b, { ridge: lambda });
      const M = mul(tr(A), A);
      for (let i = 0; i < n; i++) M.data[i * n + i] += lambda;
      const rhs = mul(tr(A), col(b));
      expect(maxAbsDiff(mul(M, col(x)), rhs)).toBeLessThan(1e-12 * maxAbs(M));
      const theirs = solve(ml(M), ml(rhs)).to1DArray();
      expect(maxAbsDiff(x, Float64Array.from(theirs))).toBeLessThan(1e-12);
    }
  });

  it("solves every column of a matrix right-hand side as the vector solve does", () => {
    const rng = new TestRng(66);
    const A = randn(14, 5, rng);
    const Bm = randn(14, 3, rng);
    const X = lstsq(A, Bm).x;
    expect([X.rows, X.cols]).toEqual([5, 3]);
    for (let j = 0; j < 3; j++) {
      const bj = Float64Array.from({ length: 14 }, (_, i) => Bm.data[i * 3 + j]);
      const xj = lstsq(A, bj).x;
      for (let i = 0; i < 5; i++) expect(Math.abs(X.data[i * 3 + j] - xj[i])).toBeLessThan(1e-13);
    }
    // Exactly consistent systems have a zero residual.
    const exact = mul(A, randn(5, 2, rng));
    expect(lstsq(A, exact).residualNorm).toBeLessThan(100 * EPS * maxAbs(exact));
    expect(maxAbsDiff(lstsq(identity(3), identity(3)).x, identity(3))).toBeLessThan(1e-15);
  });

  it("validates b's length and the options, naming the parameter and the value", () => {
    const A = zeros(4, 2);
    expect(() => lstsq(A, new Float64Array(3))).toThrow(DimensionError);
    expect(() => lstsq(A, new Float64Array(3))).toThrow(/m = 4 rows to match A 4×2; got b of length 3/);
    expect(() => lstsq(A, new Float64Array(4), { ridge: -1 })).toThrow(
      /"ridge" must be a finite number ≥ 0; got -1/,
    );
    expect(() => lstsq(A, new Float64Array(4), { rcond: Number.NaN })).toThrow(/"rcond"/);
    const zero = lstsq(A, Float64Array.from([1, 2, 3, 4]));
    expect(zero.rank).toBe(0);
    expect(Array.from(zero.x)).toEqual([0, 0]);
  });
});
