import { assertFinite, ConvergenceError, DimensionError, shapeOf } from "./errors.js";
import { gemm } from "./gemm.js";
import { type Mat, zeros } from "./mat.js";
import { orthonormalize } from "./qr.js";
import { norm2Range } from "./vector.js";

/** Eigenpairs of a symmetric matrix: `vectors[:, i]` is the unit eigenvector for `values[i]`. */
export interface EighResult {
  values: Float64Array;
  vectors: Mat;
}

/*
 * eighSym: Householder reduction to tridiagonal form T = QᵀAQ, then implicit QL with Wilkinson-like
 * shifts on T (the tql2 scheme of the EISPACK/JAMA lineage), accumulating rotations into V = QG.
 * O(n³) with small constants; backward stable, so eigenvalues are accurate to ε‖A‖ absolutely.
 * Eigenvectors are kept as the rows of Vᵀ while working, so every rotation touches contiguous rows.
 */

const EPS = 2 ** -52;

/** Reduce the symmetric n×n `a` (overwritten) to tridiagonal d (diagonal), e (e[i] = T[i+1, i]). */
function tridiagonalize(
  n: number,
  a: Float64Array,
  d: Float64Array,
  e: Float64Array,
  tau: Float64Array,
): void {
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const rk = k * n;
    d[k] = a[rk + k];
    // Reflect x = A[k, k+1..n-1] (row k; A is symmetric) onto a multiple of e_{k+1}.
    const alpha = a[rk + k + 1];
    const xnorm = norm2Range(a, rk + k + 2, rk + n);
    if (xnorm === 0) {
      e[k] = alpha;
      continue;
    }
    const beta = alpha >= 0 ? -Math.hypot(alpha, xnorm) : Math.hypot(alpha, xnorm);
    const t = (beta - alpha) / beta;
    tau[k] = t;
    e[k] = beta;
    const denom = alpha - beta;
    v[k + 1] = 1;
    for (let i = k + 2; i < n; i++) {
      a[rk + i] /= denom;
      v[i] = a[rk + i];
    }
    // Two-sided update of the trailing block B ← HBH = B − v wᵀ − w vᵀ with p = τBv, w = p − (τ/2)(pᵀv)v.
    let pv = 0;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let j = k + 1; j < n; j++) s += a[ri + j] * v[j];
      p[i] = t * s;
      pv += p[i] * v[i];
    }
    const half = 0.5 * t * pv;
    for (let i = k + 1; i < n; i++) p[i] -= half * v[i];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = v[i];
      const wi = p[i];
      for (let j = k + 1; j < n; j++) a[ri + j] -= vi * p[j] + wi * v[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 2) * n + n - 1];
  }
  if (n >= 1) d[n - 1] = a[n * n - 1];
  if (n >= 1) e[n - 1] = 0;
}

/** Vᵀ where V = H_0 H_1 ⋯ H_{n-3} (reflectors stored in rows of `a`), by backward accumulation. */
function accumulate(n: number, a: Float64Array, tau: Float64Array): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const z = new Float64Array(n);
  for (let k = n - 3; k >= 0; k--) {
    const t = tau[k];
    if (t === 0) continue;
    const rk = k * n;
    // Q ← H_k Q on rows/cols k+1..n-1 (the rest of Q is still the identity there).
    z.fill(0, k + 1, n);
    for (let i = k + 1; i < n; i++) {
      const vi = i === k + 1 ? 1 : a[rk + i];
      const ri = i * n;
      for (let j = k + 1; j < n; j++) z[j] += vi * q[ri + j];
    }
    for (let i = k + 1; i < n; i++) {
      const f = t * (i === k + 1 ? 1 : a[rk + i]);
      const ri = i * n;
      for (let j = k + 1; j < n; j++) q[ri + j] -= f * z[j];
    }
  }
  // Transpose in place: rows of the result are columns of Q.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const x = q[i * n + j];
      q[i * n + j] = q[j * n + i];
      q[j * n + i] = x;
    }
  }
  return q;
}

/** Implicit QL on (d, e), rotating rows of vt (n×n). Eigenvalues left unsorted in d. */
function tridiagonalQL(n: number, d: Float64Array, e: Float64Array, vt: Float64Array): void {
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > EPS * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) {
          throw new ConvergenceError(`eighSym: QL iteration did not converge for eigenvalue ${l}`, iter);
        }
        // Shift from the leading 2×2 block.
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        // Chase the bulge from m up to l with plane rotations.
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const ri = i * n;
          const rj = ri + n;
          for (let k = 0; k < n; k++) {
            const x = vt[ri + k];
            const y = vt[rj + k];
            vt[rj + k] = s * x + c * y;
            vt[ri + k] = c * x - s * y;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > EPS * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

/**
 * Full eigendecomposition of a symmetric n×n matrix: A = V diag(values) Vᵀ.
 *
 * `values` are in descending order; column i of `vectors` (n×n, orthonormal) belongs to `values[i]`.
 * Only the symmetric part (A + Aᵀ)/2 is used. Each eigenvector's sign is fixed so that its entry of
 * largest magnitude (the first, on ties) is positive; within a repeated eigenvalue the basis is
 * orthonormal but otherwise arbitrary. Eigenvalues are accurate to about ε‖A‖ (absolute).
 * Suited to n up to a few hundred; for a few extreme eigenpairs of a large or implicit matrix use
 * `topKEigh`. Throws `DimensionError` for non-square and `RangeError` for non-finite input.
 *
 * Example: `const { values, vectors } = eighSym(covariance)`.
 */
export function eighSym(A: Mat): EighResult {
  const n = A.rows;
  if (A.cols !== n) throw new DimensionError(`eighSym: A must be square; got A ${shapeOf(A)}`);
  assertFinite("eighSym", "A", A);
  const a = new Float64Array(n * n);
  const src = A.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (src[i * n + j] + src[j * n + i]);
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const tau = new Float64Array(n);
  tridiagonalize(n, a, d, e, tau);
  const vt = accumulate(n, a, tau);
  tridiagonalQL(n, d, e, vt);

  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  const values = new Float64Array(n);
  const vectors = zeros(n, n);
  const out = vectors.data;
  for (let c = 0; c < n; c++) {
    const src0 = order[c] * n;
    values[c] = d[order[c]];
    let big = 0;
    for (let r = 0; r < n; r++) if (Math.abs(vt[src0 + r]) > Math.abs(vt[src0 + big])) big = r;
    const sign = vt[src0 + big] < 0 ? -1 : 1;
    for (let r = 0; r < n; r++) out[r * n + c] = sign * vt[src0 + r];
  }
  return { values, vectors };
}

/** A symmetric n×n matrix, or a function writing A·X into `out` for an n×b block X (b given by X). */
export type SymOperator = Mat | ((X: Mat, out: Mat) => void);

export interface TopKEighOptions {
  /**
   * Which eigenvalues: "algebraic" (default) the k largest, most positive first; "magnitude" the k
   * largest in |λ|, ordered by |λ| descending (signs kept).
   */
  by?: "algebraic" | "magnitude";
  /** Stop when every wanted Ritz pair has ‖Ax − θx‖ ≤ tol·max|θ|. Default 1e-10. */
  tol?: number;
  /** Maximum number of block applications of the operator. Default 1000. */
  maxIter?: number;
  /** Extra block columns beyond k, which speed convergence. Default max(5, ⌈k/2⌉), capped at n − k. */
  oversample?: number;
  /**
   * Starting block: an n×c matrix (its first min(c, b) columns are used, the rest filled by the
   * default), or a function filling the n×b row-major start block. Default: a fixed deterministic
   * pseudo-random block, so results are reproducible without a key.
   */
  init?: Mat | ((out: Float64Array) => void);
}

export interface TopKEighResult {
  /** k eigenvalues, ordered as described by `by`. */
  values: Float64Array;
  /** n×k, orthonormal columns, column i belongs to values[i]. */
  vectors: Mat;
  /** Number of block applications of the operator. */
  iterations: number;
  converged: boolean;
  /** max_i ‖Ax_i − θ_i x_i‖ / max|θ| at exit. */
  residual: number;
}

/** Deterministic fill in (−1, 1): a 32-bit integer hash of the index (no hidden random state). */
function defaultStart(out: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    let h = Math.imul(i + 0x9e3779b9, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out[i] = (h >>> 0) / 2147483648 - 1;
  }
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`topKEigh: "${name}" must be an integer ≥ ${min}; got ${value}`);
  }
}

/**
 * The k extreme eigenpairs of a symmetric n×n operator by block subspace iteration with
 * Rayleigh–Ritz (Golub & Van Loan §8.2.4): X ← orth(A X), project H = XᵀAX (b×b, b = k + oversample),
 * take H's eigenpairs, repeat until the k wanted Ritz residuals are below `tol`.
 *
 * `op` may be a function applying A to a block, so A = XᵀX/m-style operators never form an n×n matrix
 * (DESIGN: O(mdk) products instead of d×d). For `by: "algebraic"` the power step uses A + cI with a
 * shift c ≥ 0 raised to −(smallest Ritz value seen), so large negative eigenvalues cannot capture the
 * block. When 2b ≥ n the matrix is formed (n applications to the identity) and `eighSym` used.
 * Convergence rate is |λ_{b+1}/λ_k| per iteration (of the shifted spectrum); `converged` is false if
 * `maxIter` ran out, and the best current estimates are returned.
 *
 * Example: `topKEigh((X, out) => { gemm(false, false, 1, S, X, 0, out) }, d, 3).vectors`.
 */
export function topKEigh(
  op: SymOperator,
  n: number,
  k: number,
  options: TopKEighOptions = {},
): TopKEighResult {
  checkInteger("n", n, 1);
  checkInteger("k", k, 1);
  if (k > n) throw new RangeError(`topKEigh: "k" must be ≤ n = ${n}; got ${k}`);
  const by = options.by ?? "algebraic";
  if (by !== "algebraic" && by !== "magnitude") {
    throw new RangeError(`topKEigh: "by" must be "algebraic" or "magnitude"; got ${String(by)}`);
  }
  const tol = options.tol ?? 1e-10;
  if (!(tol > 0)) throw new RangeError(`topKEigh: "tol" must be > 0; got ${tol}`);
  const maxIter = options.maxIter ?? 1000;
  checkInteger("maxIter", maxIter, 1);
  const oversample = options.oversample ?? Math.max(5, Math.ceil(k / 2));
  checkInteger("oversample", oversample, 0);
  if (typeof op !== "function" && (op.rows !== n || op.cols !== n)) {
    throw new DimensionError(`topKEigh: operator matrix must be ${n}×${n}; got ${shapeOf(op)}`);
  }
  const apply =
    typeof op === "function"
      ? op
      : (X: Mat, out: Mat): void => {
          gemm(false, false, 1, op, X, 0, out);
        };
  const b = Math.min(n, k + oversample);
  const magnitude = by === "magnitude";

  if (2 * b >= n) return dense(apply, n, k, magnitude);

  const start = zeros(n, b);
  const init = options.init;
  if (typeof init === "function") init(start.data);
  else if (init !== undefined) {
    if (init.rows !== n) {
      throw new DimensionError(`topKEigh: "init" must have n = ${n} rows; got ${shapeOf(init)}`);
    }
    const c = Math.min(init.cols, b);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < c; j++) start.data[i * b + j] = init.data[i * init.cols + j];
    if (c < b) {
      const fill = new Float64Array(n * b);
      defaultStart(fill);
      for (let i = 0; i < n; i++) for (let j = c; j < b; j++) start.data[i * b + j] = fill[i * b + j];
    }
  } else defaultStart(start.data);
  assertFinite("topKEigh", "init", start);

  let X = orthonormalize(start);
  const Y = zeros(n, b);
  const H = zeros(b, b);
  const W = zeros(b, b);
  const Z = zeros(n, b);
  const AZ = zeros(n, b);
  const theta = new Float64Array(b);
  let shift = 0;
  let residual = Number.POSITIVE_INFINITY;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    apply(X, Y);
    iterations++;
    assertFinite("topKEigh", `operator output at iteration ${iterations}`, Y);
    gemm(true, false, 1, X, Y, 0, H);
    const ritz = eighSym(H);
    const order = ritzOrder(ritz.values, magnitude);
    for (let c = 0; c < b; c++) {
      theta[c] = ritz.values[order[c]];
      for (let r = 0; r < b; r++) W.data[r * b + c] = ritz.vectors.data[r * b + order[c]];
    }
    gemm(false, false, 1, X, W, 0, Z);
    gemm(false, false, 1, Y, W, 0, AZ);
    residual = ritzResidual(Z, AZ, theta, k);
    if (residual <= tol) {
      converged = true;
      break;
    }
    if (iterations === maxIter) break;
    if (!magnitude) shift = Math.max(shift, -Math.min(...theta));
    // Next block: orth((A + cI) Z), reusing AZ so the operator is applied once per iteration.
    if (shift !== 0) for (let i = 0; i < AZ.data.length; i++) AZ.data[i] += shift * Z.data[i];
    X = orthonormalize(AZ);
  }
  return { values: theta.slice(0, k), vectors: firstColumns(Z, k), iterations, converged, residual };
}

/** Indices of Ritz values, wanted first: descending (already) or by |θ| descending. */
function ritzOrder(values: Float64Array, magnitude: boolean): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  if (magnitude) order.sort((i, j) => Math.abs(values[j]) - Math.abs(values[i]) || i - j);
  return order;
}

/** max_{i<k} ‖AZ_i − θ_i Z_i‖ / max_i |θ_i| over all given θ (0 for the zero operator). */
function ritzResidual(Z: Mat, AZ: Mat, theta: Float64Array, k: number): number {
  const { rows: n, cols: b } = Z;
  let scale = 0;
  for (let i = 0; i < b; i++) scale = Math.max(scale, Math.abs(theta[i]));
  const col = new Float64Array(n);
  let worst = 0;
  for (let c = 0; c < k; c++) {
    for (let r = 0; r < n; r++) col[r] = AZ.data[r * b + c] - theta[c] * Z.data[r * b + c];
    worst = Math.max(worst, norm2Range(col, 0, n));
  }
  return worst === 0 ? 0 : worst / scale;
}

function firstColumns(A: Mat, k: number): Mat {
  const out = zeros(A.rows, k);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < k; j++) out.data[i * k + j] = A.data[i * A.cols + j];
  return out;
}

/** Small problems: form A from n applications to the identity and decompose it fully. */
function dense(apply: (X: Mat, out: Mat) => void, n: number, k: number, magnitude: boolean): TopKEighResult {
  const I = zeros(n, n);
  for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
  const M = zeros(n, n);
  apply(I, M);
  const { values, vectors } = eighSym(M);
  const order = ritzOrder(values, magnitude);
  const out = zeros(n, k);
  const vals = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    vals[c] = values[order[c]];
    for (let r = 0; r < n; r++) out.data[r * k + c] = vectors.data[r * n + order[c]];
  }
  const product = zeros(n, k);
  gemm(false, false, 1, M, out, 0, product);
  return {
    values: vals,
    vectors: out,
    iterations: 1,
    converged: true,
    residual: ritzResidual(out, product, vals, k),
  };
}
