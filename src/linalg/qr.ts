import { DimensionError, shapeOf } from "./errors.js";
import { type Mat, zeros } from "./mat.js";
import { norm2Range } from "./vector.js";

/*
 * Householder QR, computed on the transpose (row j of the work array is column j of A) so that every
 * reflector and every update runs over contiguous memory. Reflectors are orthogonal whatever the
 * input, so Q has orthonormal columns to rounding even when A is rank-deficient: a column that is
 * already zero below the diagonal simply gets no reflector.
 */

/** Compact Householder factorisation of an m×n matrix (m ≥ n). */
interface Householder {
  m: number;
  n: number;
  /** n×m: row j holds R[0..j-1, j] then (R[j, j] in `diag`) the reflector's tail v[j+1..m-1]. */
  w: Float64Array;
  /** H_j = I − τ_j v_j v_jᵀ with v_j[j] = 1; τ_j = 0 means H_j = I. */
  tau: Float64Array;
  /** R's diagonal before the sign fix (may be negative). */
  diag: Float64Array;
}

/** `into`: buffers of the same shape to factor into (reused; every entry is rewritten). */
function factor(operation: string, A: Mat, into?: Householder): Householder {
  const { rows: m, cols: n } = A;
  if (m < n) {
    throw new DimensionError(
      `${operation}: A must have at least as many rows as columns (m ≥ n); got A ${shapeOf(A)} (factor Aᵀ instead)`,
    );
  }
  const w = into ? into.w : new Float64Array(n * m);
  const a = A.data;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j * m + i] = a[i * n + j];
  const tau = into ? into.tau.fill(0) : new Float64Array(n);
  const diag = into ? into.diag : new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const rj = j * m;
    const alpha = w[rj + j];
    const xnorm = norm2Range(w, rj + j + 1, rj + m);
    if (xnorm === 0) {
      // Already upper triangular in this column: no reflector (also covers zero columns).
      diag[j] = alpha;
      continue;
    }
    const beta = alpha >= 0 ? -Math.hypot(alpha, xnorm) : Math.hypot(alpha, xnorm);
    tau[j] = (beta - alpha) / beta;
    // |alpha − beta| ≥ |beta| ≥ xnorm, so |v_i| ≤ 1: dividing (not multiplying by the reciprocal)
    // keeps this finite even when xnorm is subnormal.
    const denom = alpha - beta;
    for (let i = j + 1; i < m; i++) w[rj + i] /= denom;
    w[rj + j] = beta;
    diag[j] = beta;
    reflect(w, w, rj, j, j + 1, n, m, tau[j]);
  }
  return { m, n, w, tau, diag };
}

/**
 * Apply H_j = I − τ v vᵀ (v = [1, w[rj+j+1 .. rj+m)] on rows j..m−1) to rows `from`..n−1 of `a`
 * (n×m, row k = a column of the matrix reflected): for each, s = a[k, j] + Σ_{i>j} v_i a[k, i]
 * in order, s *= τ, a[k, j] −= s, a[k, i] −= s·v_i. Rows are independent, so two at a time share
 * each pass over v (two dependency chains instead of one): the same operations per row, the same bits.
 */
function reflect(
  w: Float64Array,
  a: Float64Array,
  rj: number,
  j: number,
  from: number,
  n: number,
  m: number,
  t: number,
): void {
  let k = from;
  for (; k + 1 < n; k += 2) {
    const ra = k * m;
    const rb = ra + m;
    let sa = a[ra + j];
    let sb = a[rb + j];
    for (let i = j + 1; i < m; i++) {
      const v = w[rj + i];
      sa += v * a[ra + i];
      sb += v * a[rb + i];
    }
    sa *= t;
    sb *= t;
    a[ra + j] -= sa;
    a[rb + j] -= sb;
    for (let i = j + 1; i < m; i++) {
      const v = w[rj + i];
      a[ra + i] -= sa * v;
      a[rb + i] -= sb * v;
    }
  }
  if (k < n) {
    const rk = k * m;
    let s = a[rk + j];
    for (let i = j + 1; i < m; i++) s += w[rj + i] * a[rk + i];
    s *= t;
    a[rk + j] -= s;
    for (let i = j + 1; i < m; i++) a[rk + i] -= s * w[rj + i];
  }
}

/** Qᵀ (n×m, rows are Q's columns) by backward accumulation of the reflectors on [I_n; 0]. */
function formQt(h: Householder, into?: Float64Array): Float64Array {
  const { m, n, w, tau } = h;
  const qt = into ? into.fill(0) : new Float64Array(n * m);
  for (let j = 0; j < n; j++) qt[j * m + j] = 1;
  for (let j = n - 1; j >= 0; j--) {
    const t = tau[j];
    if (t === 0) continue;
    // Columns k < j of Q are still e_k here, which H_j leaves alone.
    reflect(w, qt, j * m, j, j, n, m, t);
  }
  // Sign convention: R[j, j] ≥ 0, so flip Q's column j wherever the reflector left it negative.
  for (let j = 0; j < n; j++) {
    if (h.diag[j] < 0) for (let i = 0, rj = j * m; i < m; i++) qt[rj + i] = -qt[rj + i];
  }
  return qt;
}

function formR(h: Householder, into?: Mat): Mat {
  const { m, n, w, diag } = h;
  const R = into ?? zeros(n, n);
  if (into) into.data.fill(0);
  const r = R.data;
  for (let j = 0; j < n; j++) {
    const flip = diag[j] < 0 ? -1 : 1;
    r[j * n + j] = flip * diag[j];
    for (let k = j + 1; k < n; k++) r[j * n + k] = flip * w[k * m + j];
  }
  return R;
}

function transposeInto(src: Float64Array, rows: number, cols: number, into?: Mat): Mat {
  const out = into ?? zeros(cols, rows);
  const o = out.data;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) o[j * rows + i] = src[i * cols + j];
  return out;
}

/**
 * Thin Householder QR of an m×n matrix with m ≥ n: A = QR, Q m×n with orthonormal columns, R n×n
 * upper triangular.
 *
 * Sign convention: R's diagonal is non-negative, which makes Q and R unique when A has full column
 * rank. For rank-deficient or ill-conditioned A, R has (near-)zero diagonal entries and Q still has
 * orthonormal columns to rounding (no pivoting, so a zero R[j, j] does not mean anything about the
 * later columns). Throws `DimensionError` when m < n.
 *
 * Example: `const { Q, R } = qrThin(X)` with X 100×5 gives Q 100×5 and R 5×5.
 */
export function qrThin(A: Mat): { Q: Mat; R: Mat } {
  const h = factor("qrThin", A);
  return { Q: transposeInto(formQt(h), h.n, h.m), R: formR(h) };
}

/**
 * An orthonormal basis (m×n, m ≥ n) of A's column space, as Q of `qrThin(A)` without forming R.
 * For rank-deficient A the extra columns are orthonormal but otherwise arbitrary.
 * Example: `const B = orthonormalize(randomGaussian)` gives a uniformly random frame.
 */
export function orthonormalize(A: Mat): Mat {
  const h = factor("orthonormalize", A);
  return transposeInto(formQt(h), h.n, h.m);
}

/**
 * The R factor alone (n×n, non-negative diagonal) of the thin QR of an m×n matrix, m ≥ n; RᵀR = AᵀA
 * without forming AᵀA. Example: `qrR(X)` then triangular solves for least squares or SVD of R.
 */
export function qrR(A: Mat): Mat {
  return formR(factor("qrR", A));
}

/**
 * `orthonormalize` and `qrR` for many matrices of one shape (m×n, m ≥ n) with the factorisation's
 * buffers allocated once: the same arithmetic, so the same bits. For hot loops (e.g. a subspace
 * distance per iteration of a trainer), where the allocations of the one-shot functions dominate.
 */
export class ThinQrWorkspace {
  private readonly h: Householder;
  private readonly qt: Float64Array;
  constructor(
    readonly m: number,
    readonly n: number,
  ) {
    if (m < n) {
      throw new DimensionError(`ThinQrWorkspace: m must be ≥ n; got m = ${m}, n = ${n}`);
    }
    this.h = { m, n, w: new Float64Array(n * m), tau: new Float64Array(n), diag: new Float64Array(n) };
    this.qt = new Float64Array(n * m);
  }

  private check(operation: string, A: Mat, out: Mat, rows: number, cols: number): void {
    if (A.rows !== this.m || A.cols !== this.n || out.rows !== rows || out.cols !== cols) {
      throw new DimensionError(
        `${operation}: expected A ${this.m}×${this.n} and out ${rows}×${cols}; got A ${shapeOf(A)} and out ${shapeOf(out)}`,
      );
    }
  }

  /** out (m×n) ← `orthonormalize(A)`. */
  orthonormalize(A: Mat, out: Mat): Mat {
    this.check("ThinQrWorkspace.orthonormalize", A, out, this.m, this.n);
    const h = factor("orthonormalize", A, this.h);
    return transposeInto(formQt(h, this.qt), h.n, h.m, out);
  }

  /** Q (m×n) and R (n×n) ← `qrThin(A)`, from one factorisation. */
  qrThin(A: Mat, Q: Mat, R: Mat): void {
    this.check("ThinQrWorkspace.qrThin", A, Q, this.m, this.n);
    this.check("ThinQrWorkspace.qrThin", A, R, this.n, this.n);
    const h = factor("qrThin", A, this.h);
    transposeInto(formQt(h, this.qt), h.n, h.m, Q);
    formR(h, R);
  }

  /** out (n×n) ← `qrR(A)`. */
  qrR(A: Mat, out: Mat): Mat {
    this.check("ThinQrWorkspace.qrR", A, out, this.n, this.n);
    return formR(factor("qrR", A, this.h), out);
  }
}
