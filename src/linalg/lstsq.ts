import { DimensionError, shapeOf } from "./errors.js";
import { gemm } from "./gemm.js";
import { type Mat, matFrom, zeros } from "./mat.js";
import { svdThin } from "./svd.js";

/** Options of `lstsq`: the pseudo-inverse cut-off, or a ridge penalty. */
export interface LstsqOptions {
  /**
   * Singular values s_i ≤ rcond·s_max are treated as zero (the pseudo-inverse cut-off).
   * Default max(m, n)·ε, as NumPy. Ignored when `ridge` > 0 (ridge regularises every direction).
   */
  rcond?: number;
  /** λ ≥ 0: solve (AᵀA + λI)x = Aᵀb instead. Default 0. */
  ridge?: number;
}

/** What `lstsq` returns: the solution, A's numerical rank, the residual norm and A's singular values. */
export interface LstsqResult<T> {
  /** n-vector (or n×p for a matrix right-hand side). */
  x: T;
  /** Number of singular values above rcond·s_max. */
  rank: number;
  /** ‖Ax − b‖₂ (Frobenius norm over all columns for a matrix right-hand side). */
  residualNorm: number;
  /** Singular values of A, descending (length min(m, n)). */
  singularValues: Float64Array;
}

/**
 * Least squares: the minimum-norm x minimising ‖Ax − b‖₂, for any m×n A (tall, wide, square,
 * rank-deficient), via the thin SVD: x = V diag(1/s_i, s_i > rcond·s_max; 0 otherwise) Uᵀb.
 * With `ridge: λ > 0`, x = V diag(s_i/(s_i² + λ)) Uᵀb, which solves (AᵀA + λI)x = Aᵀb without
 * forming AᵀA (so without squaring A's condition number).
 * `b` is an m-vector or an m×p matrix (p right-hand sides solved at once); `x` has the same kind.
 *
 * Example: `const { x, rank } = lstsq(X, y)` fits linear regression weights.
 */
export function lstsq(A: Mat, b: Float64Array, options?: LstsqOptions): LstsqResult<Float64Array>;
export function lstsq(A: Mat, b: Mat, options?: LstsqOptions): LstsqResult<Mat>;
export function lstsq(
  A: Mat,
  b: Mat | Float64Array,
  options: LstsqOptions = {},
): LstsqResult<Mat | Float64Array> {
  const { rows: m, cols: n } = A;
  const isVector = b instanceof Float64Array;
  const B = isVector ? matFrom(b.length, 1, b) : b;
  if (B.rows !== m) {
    const got = isVector ? `b of length ${b.length}` : `b ${shapeOf(B)}`;
    throw new DimensionError(`lstsq: b must have m = ${m} rows to match A ${shapeOf(A)}; got ${got}`);
  }
  const ridge = options.ridge ?? 0;
  if (!(ridge >= 0) || !Number.isFinite(ridge)) {
    throw new RangeError(`lstsq: "ridge" must be a finite number ≥ 0; got ${ridge}`);
  }
  const rcond = options.rcond ?? Math.max(m, n) * 2 ** -52;
  if (!(rcond >= 0) || !Number.isFinite(rcond)) {
    throw new RangeError(`lstsq: "rcond" must be a finite number ≥ 0; got ${rcond}`);
  }
  const p = B.cols;
  const { U, s, V } = svdThin(A);
  const r = s.length;
  const cutoff = r === 0 ? 0 : rcond * s[0];
  let rank = 0;
  for (let i = 0; i < r; i++) if (s[i] > cutoff) rank++;

  // c = diag(f) Uᵀ b, then x = V c.
  const c = gemm(true, false, 1, U, B, 0, zeros(r, p));
  for (let i = 0; i < r; i++) {
    const si = s[i];
    const f = ridge > 0 ? si / (si * si + ridge) : si > cutoff ? 1 / si : 0;
    for (let j = 0; j < p; j++) c.data[i * p + j] *= f;
  }
  const X = gemm(false, false, 1, V, c, 0, zeros(n, p));

  const R = zeros(m, p);
  R.data.set(B.data);
  gemm(false, false, 1, A, X, -1, R);
  let ssq = 0;
  let big = 0;
  for (let i = 0; i < R.data.length; i++) big = Math.max(big, Math.abs(R.data[i]));
  if (big > 0) for (let i = 0; i < R.data.length; i++) ssq += (R.data[i] / big) ** 2;
  const residualNorm = big * Math.sqrt(ssq);
  return { x: isVector ? X.data : X, rank, residualNorm, singularValues: s };
}
