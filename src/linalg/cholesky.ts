import { DimensionError, NotPositiveDefiniteError, shapeOf } from "./errors.js";
import { type Mat, matFrom, zeros } from "./mat.js";

/**
 * Cholesky factor of a symmetric positive definite n×n matrix: A = L Lᵀ, L lower triangular with a
 * positive diagonal. Reads only the lower triangle of A. Throws `NotPositiveDefiniteError` (with the
 * failing pivot's index and value) if a pivot is not > 0, `DimensionError` if A is not square.
 * Row-oriented (Cholesky–Banachiewicz): each entry is a dot product of two contiguous row prefixes.
 *
 * Example: `const L = cholesky(fromRows([[4, 2], [2, 3]]))` gives [[2, 0], [1, √2]].
 */
export function cholesky(A: Mat): Mat {
  const n = A.rows;
  if (A.cols !== n) throw new DimensionError(`cholesky: A must be square; got A ${shapeOf(A)}`);
  const a = A.data;
  const L = zeros(n, n);
  const l = L.data;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= l[ri + k] * l[rj + k];
      if (i === j) {
        // !(s > 0) also catches NaN.
        if (!(s > 0)) throw new NotPositiveDefiniteError("cholesky", i, s);
        l[ri + i] = Math.sqrt(s);
      } else l[ri + j] = s / l[rj + j];
    }
  }
  return L;
}

/**
 * Solve A x = b given A's Cholesky factor L (A = LLᵀ): forward substitution with L, then backward
 * with Lᵀ. `b` is an n-vector or an n×p matrix; the result has the same kind and b is not modified.
 *
 * Example: `choleskySolve(cholesky(S), y)` computes S⁻¹y.
 */
export function choleskySolve(L: Mat, b: Float64Array): Float64Array;
export function choleskySolve(L: Mat, b: Mat): Mat;
export function choleskySolve(L: Mat, b: Mat | Float64Array): Mat | Float64Array {
  const n = L.rows;
  if (L.cols !== n) throw new DimensionError(`choleskySolve: L must be square; got L ${shapeOf(L)}`);
  const isVector = b instanceof Float64Array;
  const B = isVector ? matFrom(b.length, 1, b) : b;
  if (B.rows !== n) {
    const got = isVector ? `b of length ${b.length}` : `b ${shapeOf(B)}`;
    throw new DimensionError(`choleskySolve: b must have n = ${n} rows to match L ${shapeOf(L)}; got ${got}`);
  }
  const p = B.cols;
  const l = L.data;
  const x = B.data.slice();
  // L y = b: row i of y is (b_i − Σ_{k<i} L[i,k] y_k) / L[i,i]; rows are contiguous axpys.
  for (let i = 0; i < n; i++) {
    const ri = i * p;
    for (let k = 0; k < i; k++) {
      const f = l[i * n + k];
      const rk = k * p;
      for (let j = 0; j < p; j++) x[ri + j] -= f * x[rk + j];
    }
    const d = l[i * n + i];
    for (let j = 0; j < p; j++) x[ri + j] /= d;
  }
  // Lᵀ x = y, from the bottom: x_i = (y_i − Σ_{k>i} L[k,i] x_k) / L[i,i].
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * p;
    for (let k = i + 1; k < n; k++) {
      const f = l[k * n + i];
      const rk = k * p;
      for (let j = 0; j < p; j++) x[ri + j] -= f * x[rk + j];
    }
    const d = l[i * n + i];
    for (let j = 0; j < p; j++) x[ri + j] /= d;
  }
  return isVector ? x : matFrom(n, p, x);
}

/**
 * Solve A x = b for symmetric positive definite A (vector or n×p right-hand side) by Cholesky.
 * Throws `NotPositiveDefiniteError` if A is not SPD. Example: `solveSPD(gram, rhs)`.
 */
export function solveSPD(A: Mat, b: Float64Array): Float64Array;
export function solveSPD(A: Mat, b: Mat): Mat;
export function solveSPD(A: Mat, b: Mat | Float64Array): Mat | Float64Array {
  const L = cholesky(A);
  return b instanceof Float64Array ? choleskySolve(L, b) : choleskySolve(L, b);
}
