import { MetarepError } from "../../errors.js";
import { lstsq } from "../../linalg/lstsq.js";
import { type Mat, matFrom } from "../../linalg/mat.js";
import { projectRows, transposeBasis } from "./heads.js";

/**
 * A task's head on a frozen representation for users' data, whatever its scale (issue 23):
 * `ŵ = argmin_w ‖y − XB̂w‖² + λ‖w‖²` computed without forming AᵀA (which squares A's range and
 * condition number), in float64 from 1e-300 to 1.7e308:
 *
 * 1. exact scalings by powers of two: each row of A = XB̂ is formed from x scaled to |x| ≤ 1 (so
 *    the product cannot overflow) and kept with its exponent; A's columns and y are equilibrated;
 * 2. ridge as k extra rows √λ·D (the augmented least-squares problem), so λ never meets AᵀA;
 * 3. Householder QR with rows sorted by decreasing size (Powell and Reid's row sorting, stable
 *    for rows of very different sizes) and norms computed scaled (no underflow of squares);
 * 4. back substitution, with the condition number of R after equilibrating its rows, checked:
 *    rank-deficient (collinear rows, fewer rows than k) gives the minimum-norm solution when the
 *    rows' sizes allow it, else a one-line refusal; a result outside float64's normal range, or
 *    non-finite, is a one-line `HeadRangeError` naming the scale, never a silently wrong number;
 * 5. a residual check (`normalResidual`): the normal equations hold to O(ε) of the scaled problem,
 *    as for every backward-stable solve, or the head is refused (one line).
 */

/** A head that float64 cannot give correctly: the message names the task's scale. */
export class HeadRangeError extends MetarepError {
  override name = "HeadRangeError";
}

export interface ScaledHead {
  /** ŵ (k), in the data's units. */
  w: Float64Array;
  /** ŷ for a row x (length d, from `x0`): computed in scaled units, so it is finite when ŷ is. */
  predict(x: Float64Array, x0: number): number;
  /**
   * The cancellation the solve went through (≈ 10^digits lost; 1 for none), a condition number
   * that rows of very different sizes do not inflate; Infinity when rank-deficient.
   */
  condition: number;
  rank: number;
  /** ‖y − Aŵ‖ (without the ridge term), or Infinity when it overflows float64. */
  residualNorm: number;
  /**
   * Σ ((y_i − ŷ_i)·2^−e)² over the solve's own rows, each ŷ_i as `predict` gives it but kept in
   * scaled units (no overflow of ŷ on the way): the training residuals in units of 2^e.
   */
  squaredResiduals(e: number): number;
}

/** v·2^e, as two factors so that scaling by a subnormal power of two stays exact. */
export function scale(v: number, e: number): number {
  const h = Math.trunc(e / 2);
  return v * 2 ** h * 2 ** (e - h);
}

/** `out[o0 + i] = a[a0 + i]·2^e` for i < n: `scale` with its two factors formed once (same bits). */
function scaleInto(a: Float64Array, a0: number, n: number, e: number, out: Float64Array, o0 = 0): void {
  const h = Math.trunc(e / 2);
  const f1 = 2 ** h;
  const f2 = 2 ** (e - h);
  for (let i = 0; i < n; i++) out[o0 + i] = a[a0 + i] * f1 * f2;
}

const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);

/**
 * The exponent e with 2^(e−1) ≤ m < 2^e (m > 0, finite), read from the IEEE bits (exact, and the
 * same in every engine, unlike Math.log2).
 */
export function exponentOf(m: number): number {
  BITS[0] = m;
  const biased = (WORDS[1] >>> 20) & 0x7ff;
  return biased === 0 ? exponentOf(m * 2 ** 64) - 64 : biased - 1022;
}

/** ‖v[i0..i1)‖ with column stride, computed scaled (no overflow or underflow of the squares). */
function norm(a: Float64Array, cols: number, c: number, i0: number, i1: number): number {
  let big = 0;
  for (let i = i0; i < i1; i++) big = Math.max(big, Math.abs(a[i * cols + c]));
  if (big === 0 || !Number.isFinite(big)) return big;
  let s = 0;
  for (let i = i0; i < i1; i++) s += (a[i * cols + c] / big) ** 2;
  return big * Math.sqrt(s);
}

const fmt = (v: number) => v.toExponential(1);

/**
 * The residual check of a solve, in the scaled problem ([A'' y''] n × (k+1) row-major, ridge rows
 * diag(ρ)): ‖A''ᵀ(y'' − A''v) − ρ²v‖ relative to ‖A''‖(‖A''‖‖v‖ + ‖y''‖) + ρ²‖v‖. A backward-stable
 * least-squares solve makes it O(ε) whatever the conditioning, so a larger value is a broken
 * solve (overflow, lost bits), never a number to report. v is scaled by its own exponent first
 * (exactly) so that no product overflows; Infinity when something is not finite.
 */
export function normalResidual(
  Ay: Float64Array,
  n: number,
  k: number,
  ridgeRow: Float64Array,
  v: Float64Array,
): number {
  const cols = k + 1;
  let vMax = 0;
  for (let c = 0; c < k; c++) vMax = Math.max(vMax, Math.abs(v[c]));
  if (!Number.isFinite(vMax)) return Number.POSITIVE_INFINITY;
  const ev = vMax > 0 ? exponentOf(vMax) : 0;
  const vs = Float64Array.from(v, (x) => scale(x, -ev));
  const g = new Float64Array(k);
  let aNorm2 = 0;
  let yNorm2 = 0;
  for (let i = 0; i < n; i++) {
    const yi = scale(Ay[i * cols + k], -ev);
    let r = yi;
    for (let c = 0; c < k; c++) {
      r -= Ay[i * cols + c] * vs[c];
      aNorm2 += Ay[i * cols + c] ** 2;
    }
    yNorm2 += yi * yi;
    for (let c = 0; c < k; c++) g[c] += Ay[i * cols + c] * r;
  }
  let vNorm2 = 0;
  let rho2 = 0;
  let gNorm2 = 0;
  for (let c = 0; c < k; c++) {
    g[c] -= ridgeRow[c] ** 2 * vs[c];
    vNorm2 += vs[c] ** 2;
    rho2 = Math.max(rho2, ridgeRow[c] ** 2);
    gNorm2 += g[c] ** 2;
  }
  const aNorm = Math.sqrt(aNorm2);
  const size = aNorm * (aNorm * Math.sqrt(vNorm2) + Math.sqrt(yNorm2)) + rho2 * Math.sqrt(vNorm2);
  if (size === 0) return 0;
  const out = Math.sqrt(gNorm2) / size;
  return Number.isFinite(out) ? out : Number.POSITIVE_INFINITY;
}
const LOG10_2 = 0.3010299956639812;

/**
 * The head of one task: rows `X` (n × d, row-major, every value finite) with labels `y`, on B̂
 * (d × k, finite), ridge λ ≥ 0. `what` names the task in messages.
 */
export function scaledHead(
  X: Float64Array,
  y: Float64Array,
  n: number,
  B: Mat,
  ridge: number,
  what: string,
): ScaledHead {
  const { rows: d, cols: k } = B;
  // B̂'s columns equilibrated (exactly): B' = B D_B.
  const eB = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let m = 0;
    for (let a = 0; a < d; a++) m = Math.max(m, Math.abs(B.data[a * k + c]));
    eB[c] = m > 0 ? exponentOf(m) : 0;
  }
  const Bs = new Float64Array(d * k);
  for (let a = 0; a < d; a++) for (let c = 0; c < k; c++) Bs[a * k + c] = scale(B.data[a * k + c], -eB[c]);
  // Rows of A' = X B' with their exponents: A'_i = 2^{eRow_i} · (2^{−eX_i} x_i) B'.
  const m = n + k;
  const cols = k + 1;
  const M = new Float64Array(m * cols);
  const eRow = new Float64Array(n);
  let yMax = 0;
  for (let i = 0; i < n; i++) yMax = Math.max(yMax, Math.abs(y[i]));
  const eY = yMax > 0 ? exponentOf(yMax) : 0;
  const BsT = transposeBasis(matFrom(d, k, Bs));
  // Each row scaled to |x| ≤ 1 by its own power of two, then all projected in one call.
  const xs = new Float64Array(n * d);
  const rowsA = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let xm = 0;
    for (let a = 0; a < d; a++) xm = Math.max(xm, Math.abs(X[i * d + a]));
    const ex = xm > 0 ? exponentOf(xm) : 0;
    scaleInto(X, i * d, d, -ex, xs, i * d);
    eRow[i] = ex;
  }
  projectRows(xs, 0, n, d, BsT, k, rowsA);
  // One exponent for all of A (its largest row), so that the rows keep their relative sizes.
  let eA = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    let am = 0;
    for (let c = 0; c < k; c++) am = Math.max(am, Math.abs(rowsA[i * k + c]));
    if (am > 0) eA = Math.max(eA, eRow[i] + exponentOf(am));
  }
  if (!Number.isFinite(eA)) eA = 0;
  // Scaled problem: A'' = 2^{−eA} A D_B, y'' = 2^{−eY} y; w = 2^{eY − eA} D_B v.
  const order = Array.from({ length: n }, (_, i) => i);
  const size = (i: number) => {
    let am = 0;
    for (let c = 0; c < k; c++) am = Math.max(am, Math.abs(rowsA[i * k + c]));
    return am > 0 ? eRow[i] + exponentOf(am) : Number.NEGATIVE_INFINITY;
  };
  const sizes = order.map(size);
  order.sort((a, b) => sizes[b] - sizes[a] || a - b);
  for (const [r, i] of order.entries()) {
    for (let c = 0; c < k; c++) M[r * cols + c] = scale(rowsA[i * k + c], eRow[i] - eA);
    M[r * cols + k] = scale(y[i], -eY);
  }
  // Ridge rows, capped at 2^500 (a ridge that large makes v_c zero to working precision anyway).
  const ridgeRow = new Float64Array(k);
  if (ridge > 0) {
    for (let c = 0; c < k; c++) {
      // √λ‖w‖ with w_c = 2^{eY−eA−eB_c} v_c, in units of 2^{eY}: √λ·2^{−eA−eB_c} v_c.
      const l2 = exponentOf(ridge) / 2 - eA - eB[c];
      ridgeRow[c] = l2 > 500 ? 2 ** 500 : scale(Math.sqrt(ridge), -eA - eB[c]);
      M[(n + c) * cols + c] = ridgeRow[c];
    }
  }
  const scaled = M.slice(0, n * cols);
  // Householder QR of [A'' y''] (m × (k+1)): H = I − τuuᵀ with u = v/v₁ (u₁ = 1), so every
  // product is of a size-1 factor and an entry: none underflows where the entry is meaningful.
  // noise[j] bounds the rounding error left in column j by the updates (ε × what was subtracted),
  // so a pivot at the noise level is a dependent column whatever the rows' scales, and
  // noise/ε ÷ pivot is the cancellation the pivot went through (the digits it lost).
  const EPS = 2 ** -52;
  const diag = new Float64Array(k);
  const noise = new Float64Array(cols);
  const u = new Float64Array(m);
  let rank = 0;
  let condition = 1;
  for (let c = 0; c < k; c++) {
    const alpha = norm(M, cols, c, c, m);
    if (!(alpha > 8 * Math.sqrt(m) * noise[c])) break; // dependent on the columns before it
    rank++;
    if (noise[c] > 0) condition = Math.max(condition, noise[c] / EPS / alpha);
    const x1 = M[c * cols + c];
    const beta = x1 >= 0 ? -alpha : alpha;
    const v1 = x1 - beta;
    const tau = (beta - x1) / beta;
    u[c] = 1;
    for (let i = c + 1; i < m; i++) u[i] = M[i * cols + c] / v1;
    for (let j = c + 1; j < cols; j++) {
      let s = 0;
      for (let i = c; i < m; i++) s += u[i] * M[i * cols + j];
      const f = tau * s;
      let sub = 0;
      for (let i = c; i < m; i++) {
        const t = f * u[i];
        if (i > c) sub = Math.max(sub, Math.abs(t), Math.abs(M[i * cols + j]));
        M[i * cols + j] -= t;
      }
      noise[j] = Math.max(noise[j], EPS * sub);
    }
    diag[c] = beta;
  }
  const v = new Float64Array(k);
  let resid: number;
  if (rank === k) {
    // Back substitution R v = z.
    for (let i = k - 1; i >= 0; i--) {
      let s = M[i * cols + k];
      for (let j = i + 1; j < k; j++) s -= M[i * cols + j] * v[j];
      v[i] = s / diag[i];
    }
    resid = norm(M, cols, k, k, m);
  } else {
    // Rank-deficient (collinear rows; ridge 0): the minimum-norm solution, by the SVD of the
    // scaled rows — which holds only when their sizes are within float64's reach of each other.
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, eRow[i]);
      hi = Math.max(hi, eRow[i]);
    }
    const spread = n === 0 ? 0 : hi - lo;
    if (spread > 400) {
      throw new HeadRangeError(
        `${what}: its labelled rows determine only ${rank} of the head's k = ${k} directions, and their sizes differ by 2^${spread} (about 1e${Math.round(spread * LOG10_2)}), too far apart for a minimum-norm solution in float64; rescale or remove the outlying rows, or pass --ridge > 0`,
      );
    }
    const A = matFrom(n, k, new Float64Array(n * k));
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) A.data[i * k + c] = scaled[i * cols + c];
      b[i] = scaled[i * cols + k];
    }
    const res = lstsq(A, b);
    v.set(res.x);
    resid = res.residualNorm;
    condition = Number.POSITIVE_INFINITY;
  }
  const check = normalResidual(scaled, n, k, ridgeRow, v);
  if (!(check <= 64 * (m + k) * EPS)) {
    let largestX = 0;
    for (let i = 0; i < n * d; i++) largestX = Math.max(largestX, Math.abs(X[i]));
    throw new HeadRangeError(
      `${what}: its head fails the residual check (normal-equations residual ${fmt(check)} of the scaled problem's size, allowed ${fmt(64 * (m + k) * EPS)}; features up to ${fmt(largestX)}, labels up to ${fmt(yMax)}); rescale the feature or target columns`,
    );
  }
  const w = new Float64Array(k);
  // B' = B·2^{−eB} ⇒ w_c = 2^{eY−eA−eB_c}·v_c.
  for (let c = 0; c < k; c++) w[c] = scale(v[c], eY - eA - eB[c]);
  let vMax = 0;
  for (let c = 0; c < k; c++) vMax = Math.max(vMax, Math.abs(v[c]));
  const eV = vMax > 0 && Number.isFinite(vMax) ? exponentOf(vMax) : 0;
  for (let c = 0; c < k; c++) {
    const exact = v[c] === 0 ? 0 : exponentOf(Math.abs(v[c])) - 1 + eY - eA - eB[c];
    if (!Number.isFinite(v[c]) || exact > 1023) {
      throw new HeadRangeError(
        `${what}: its head ŵ would have entries of order 2^${Math.round(exact)} (about 1e${Math.round(exact * LOG10_2)}), beyond float64's range (labels up to ${fmt(yMax)}); rescale the feature or target columns`,
      );
    }
    // An entry below the normal range is rounded to 2^-1074: refused only when that rounding is
    // visible in ŷ, i.e. its term (|v_c|, columns equilibrated) is not 2^-52 below the largest.
    if (v[c] !== 0 && exact < -1022 && exponentOf(Math.abs(v[c])) - eV - 1075 - exact > -52) {
      throw new HeadRangeError(
        `${what}: its head ŵ would have entries of order 1e${Math.round(exact * LOG10_2)}, below float64's normal range (labels up to ${fmt(yMax)}); rescale the feature or target columns`,
      );
    }
  }
  // Predictions in scaled units: ŷ = x B w = 2^{eY} (2^{−eA} x B') v.
  const xq = new Float64Array(d);
  const aq = new Float64Array(k);
  const predict = (x: Float64Array, x0: number): number => {
    let xm = 0;
    for (let a = 0; a < d; a++) xm = Math.max(xm, Math.abs(x[x0 + a]));
    const ex = xm > 0 ? exponentOf(xm) : 0;
    scaleInto(x, x0, d, -ex, xq);
    projectRows(xq, 0, 1, d, BsT, k, aq);
    let p = 0;
    for (let c = 0; c < k; c++) p += aq[c] * v[c];
    const out = scale(p, ex - eA + eY);
    if (!Number.isFinite(out)) {
      throw new HeadRangeError(
        `${what}: a prediction overflows float64 (features up to ${fmt(xm)}, labels up to ${fmt(yMax)}); rescale the feature or target columns`,
      );
    }
    return out;
  };
  const squaredResiduals = (e: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let p = 0;
      for (let c = 0; c < k; c++) p += rowsA[i * k + c] * v[c];
      const r = scale(y[i], -e) - scale(p, eRow[i] - eA + eY - e);
      sum += r * r;
    }
    return sum;
  };
  return { w, predict, condition, rank, residualNorm: scale(resid, eY), squaredResiduals };
}
