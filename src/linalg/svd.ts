import { assertFinite } from "./errors.js";
import { GEMM_KC, gemm } from "./gemm.js";
import { type Mat, transpose, zeros } from "./mat.js";
import { qrR, qrThin, ThinQrWorkspace } from "./qr.js";
import { norm2Range } from "./vector.js";

/** Thin SVD A = U diag(s) Vᵀ with r = min(m, n): U m×r, V n×r orthonormal columns, s descending. */
export interface SvdResult {
  U: Mat;
  s: Float64Array;
  V: Mat;
}

/*
 * One-sided (Hestenes) Jacobi: rotate pairs of columns of G (initially A, or R from A = QR when
 * m > n) until all pairs are orthogonal; then σ_j = ‖g_j‖, u_j = g_j/σ_j, and V accumulates the
 * rotations. Unlike bidiagonalisation it is accurate in the relative sense for A = B·D with B
 * well-conditioned and D diagonal (Demmel & Veselić 1992): tiny singular values of column-graded
 * matrices come out with small relative error, not just error ε‖A‖. The preliminary Householder QR
 * is column-wise backward stable, so it keeps that property and speeds up convergence.
 * G and V are stored transposed (row j = column j) so dot products and rotations are contiguous.
 */

const EPS = 2 ** -52;
const MAX_SWEEPS = 60;

/**
 * Orthogonalise the n rows (length m) of g in place by plane rotations; accumulate them into the rows
 * of vt (n×n) unless null. Returns the number of sweeps.
 */
function jacobiRows(g: Float64Array, n: number, m: number, vt: Float64Array | null): number {
  const tol = EPS * Math.sqrt(Math.max(m, 1));
  let sweep = 0;
  while (sweep < MAX_SWEEPS) {
    sweep++;
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const rp = p * m;
      for (let q = p + 1; q < n; q++) {
        const rq = q * m;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = g[rp + i];
          const y = g[rq + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (alpha === 0 || beta === 0) continue;
        if (Math.abs(gamma) <= tol * Math.sqrt(alpha) * Math.sqrt(beta)) continue;
        rotated = true;
        // Rotation zeroing g_pᵀg_q: t is the smaller root of t² + 2ζt − 1 = 0.
        const zeta = (beta - alpha) / (2 * gamma);
        const az = Math.abs(zeta);
        const t = (zeta >= 0 ? 1 : -1) / (az + (az > 1e150 ? az : Math.sqrt(1 + az * az)));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = g[rp + i];
          const y = g[rq + i];
          g[rp + i] = c * x - s * y;
          g[rq + i] = s * x + c * y;
        }
        if (vt !== null) {
          const vp = p * n;
          const vq = q * n;
          for (let i = 0; i < n; i++) {
            const x = vt[vp + i];
            const y = vt[vq + i];
            vt[vp + i] = c * x - s * y;
            vt[vq + i] = s * x + c * y;
          }
        }
      }
    }
    if (!rotated) break;
  }
  return sweep;
}

/** Power of two bringing max|a| near 1, so squared norms can neither overflow nor needlessly underflow. */
function powerOfTwoScale(a: Float64Array): number {
  let big = 0;
  for (let i = 0; i < a.length; i++) big = Math.max(big, Math.abs(a[i]));
  if (big === 0) return 1;
  // 2^-⌊log₂ big⌋ by exact halvings/doublings (Math.log2 differs between JS engines).
  let e = 0;
  for (let v = big; v >= 2; v /= 2) e++;
  for (let v = big; v < 1; v *= 2) e--;
  return 2 ** -e;
}

/** The square or tall (m ≥ n) matrix to run Jacobi on, transposed: G = A, or R of A = QR. */
function jacobiInput(A: Mat, wantQ: boolean): { gt: Float64Array; rows: number; Q: Mat | null } {
  const { rows: m, cols: n } = A;
  let G = A;
  let Q: Mat | null = null;
  if (m > n) {
    if (wantQ) {
      const qr = qrThin(A);
      G = qr.R;
      Q = qr.Q;
    } else G = qrR(A);
  }
  const gm = G.rows;
  const gt = new Float64Array(n * gm);
  const gd = G.data;
  for (let i = 0; i < gm; i++) for (let j = 0; j < n; j++) gt[j * gm + i] = gd[i * n + j];
  return { gt, rows: gm, Q };
}

/** Descending order of the row norms of g (n rows of length m), and the norms. */
function rowNorms(g: Float64Array, n: number, m: number): { norms: Float64Array; order: number[] } {
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) norms[j] = norm2Range(g, j * m, (j + 1) * m);
  const order = Array.from({ length: n }, (_, j) => j).sort((i, j) => norms[j] - norms[i] || i - j);
  return { norms, order };
}

/**
 * Complete the columns of U (m×r, columns `missing` unset) to an orthonormal set, by Gram–Schmidt
 * (twice) on coordinate vectors. Needed for zero singular values, whose g_j carries no direction.
 */
function completeBasis(u: Float64Array, m: number, r: number, have: boolean[]): void {
  const cand = new Float64Array(m);
  let next = 0;
  for (let j = 0; j < r; j++) {
    if (have[j]) continue;
    for (; next < m; next++) {
      cand.fill(0);
      cand[next] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let c = 0; c < r; c++) {
          if (!have[c]) continue;
          let s = 0;
          for (let i = 0; i < m; i++) s += u[i * r + c] * cand[i];
          for (let i = 0; i < m; i++) cand[i] -= s * u[i * r + c];
        }
      }
      const nrm = norm2Range(cand, 0, m);
      if (nrm > 0.5) {
        for (let i = 0; i < m; i++) u[i * r + j] = cand[i] / nrm;
        have[j] = true;
        next++;
        break;
      }
    }
  }
}

/** SVD of a square or tall matrix (m ≥ n). */
function svdTall(A: Mat): SvdResult {
  const { rows: m, cols: n } = A;
  const { gt, rows: gm, Q } = jacobiInput(A, true);
  const scale = powerOfTwoScale(gt);
  for (let i = 0; i < gt.length; i++) gt[i] *= scale;
  const vt = new Float64Array(n * n);
  for (let j = 0; j < n; j++) vt[j * n + j] = 1;
  jacobiRows(gt, n, gm, vt);
  const { norms, order } = rowNorms(gt, n, gm);

  const s = new Float64Array(n);
  const Ug = zeros(gm, n);
  const V = zeros(n, n);
  const have: boolean[] = [];
  for (let c = 0; c < n; c++) {
    const j = order[c];
    s[c] = norms[j] / scale;
    const off = j * gm;
    // A column whose squared norm underflowed never took part in the rotations: no direction.
    let sq = 0;
    for (let i = 0; i < gm; i++) sq += gt[off + i] * gt[off + i];
    have.push(sq > 0);
    if (sq > 0) for (let i = 0; i < gm; i++) Ug.data[i * n + c] = gt[off + i] / norms[j];
    for (let i = 0; i < n; i++) V.data[i * n + c] = vt[j * n + i];
  }
  completeBasis(Ug.data, gm, n, have);
  if (Q === null) return { U: Ug, s, V };
  return { U: gemm(false, false, 1, Q, Ug, 0, zeros(m, n)), s, V };
}

/**
 * Thin singular value decomposition A = U diag(s) Vᵀ of an m×n matrix, r = min(m, n):
 * U m×r and V n×r with orthonormal columns, s (length r) non-negative and descending.
 *
 * One-sided Jacobi (after a QR when m > n; on Aᵀ when m < n): singular values are accurate to
 * about ε‖A‖ in general, and to high relative accuracy for column-graded A = B·D with B
 * well-conditioned. Zero singular values get orthonormal (otherwise arbitrary) singular vectors.
 * Cost O(mn·min(m,n)) plus a few Jacobi sweeps on r×r; intended for r up to a few hundred.
 * Throws `RangeError` for non-finite input.
 *
 * Example: `const { U, s, V } = svdThin(X)` with X 50×8 gives U 50×8, s length 8, V 8×8.
 */
export function svdThin(A: Mat): SvdResult {
  assertFinite("svdThin", "A", A);
  if (A.rows >= A.cols) return svdTall(A);
  const { U, s, V } = svdTall(transpose(A));
  return { U: V, s, V: U };
}

/**
 * Singular values of A (length min(m, n), descending), as `svdThin(A).s` without forming U or V.
 * Example: `singularValues(B)[k - 1]` is σ_k(B).
 */
export function singularValues(A: Mat): Float64Array {
  assertFinite("singularValues", "A", A);
  const M = A.rows >= A.cols ? A : transpose(A);
  const n = M.cols;
  const { gt, rows: gm } = jacobiInput(M, false);
  const scale = powerOfTwoScale(gt);
  for (let i = 0; i < gt.length; i++) gt[i] *= scale;
  jacobiRows(gt, n, gm, null);
  const { norms, order } = rowNorms(gt, n, gm);
  const s = new Float64Array(n);
  for (let c = 0; c < n; c++) s[c] = norms[order[c]] / scale;
  return s;
}

/** ‖A‖₂ = σ_max(A), the operator 2-norm (0 for an empty matrix). Example: `spectralNorm(A)`. */
export function spectralNorm(A: Mat): number {
  const s = singularValues(A);
  return s.length === 0 ? 0 : s[0];
}

/**
 * `singularValues(A)[0]` (σ_max) for many square or tall m×n matrices (m ≥ n ≥ 1) of one shape,
 * with every buffer allocated once: the same arithmetic (QR when m > n, then one-sided Jacobi on
 * R), so the same bits. For hot loops, e.g. a subspace distance per iteration of a trainer.
 */
export class LargestSingularValueWorkspace {
  private readonly qr: ThinQrWorkspace | null;
  private readonly R: Mat;
  private readonly gt: Float64Array;
  private readonly gm: number;
  constructor(
    readonly m: number,
    readonly n: number,
  ) {
    if (!(m >= n && n >= 1)) {
      throw new RangeError(`LargestSingularValueWorkspace: needs m ≥ n ≥ 1; got m = ${m}, n = ${n}`);
    }
    this.qr = m > n ? new ThinQrWorkspace(m, n) : null;
    this.R = zeros(n, n);
    this.gm = Math.min(m, n);
    this.gt = new Float64Array(n * this.gm);
  }

  of(A: Mat): number {
    assertFinite("singularValues", "A", A);
    const { n, gm, gt } = this;
    const G = this.qr ? this.qr.qrR(A, this.R) : A;
    if (G.rows !== gm || G.cols !== n) {
      throw new RangeError(
        `LargestSingularValueWorkspace: expected A ${this.m}×${n}; got ${A.rows}×${A.cols}`,
      );
    }
    const gd = G.data;
    for (let i = 0; i < gm; i++) for (let j = 0; j < n; j++) gt[j * gm + i] = gd[i * n + j];
    const scale = powerOfTwoScale(gt);
    for (let i = 0; i < gt.length; i++) gt[i] *= scale;
    jacobiRows(gt, n, gm, null);
    // singularValues sorts the row norms descending: its first is the largest.
    let best = 0;
    for (let j = 0; j < n; j++) best = Math.max(best, norm2Range(gt, j * gm, (j + 1) * gm));
    return best / scale;
  }
}

/** Buffers of `svdExtremes` for one shape. */
interface ExtremesWorkspace {
  qr: ThinQrWorkspace | null;
  Q: Mat;
  R: Mat;
  gt: Float64Array;
  vt: Float64Array;
  ug: Float64Array;
}

/** `svdExtremes`' buffers, by shape (one per thread; a penalty meets one or two shapes). */
const extremesWorkspaces = new Map<string, ExtremesWorkspace>();

/**
 * σ_1 ≥ … ≥ σ_n, V (n×n) and the first and last left singular vectors u_1, u_n (length m) of an
 * m×n matrix with m ≥ n ≥ 1: `svdThin(A)`'s s, V and columns 0 and n − 1 of its U, by the same
 * arithmetic (QR when m > n, one-sided Jacobi on R, U = Q·U_R; the product's entries summed as the
 * GEMM kernel sums a single block of the inner dimension, ((0 + q_0u_0) + q_1u_1) + …, then 0 + 1·s),
 * so the same bits, without forming U's other columns and with the buffers for A's shape kept
 * between calls. For κ(W)'s gradient on every evaluation of an objective (`headPenalty`; issue 22:
 * 73 → ~25 µs at 400 × 3).
 */
export function svdExtremes(A: Mat): { s: Float64Array; V: Mat; u1: Float64Array; un: Float64Array } {
  assertFinite("svdThin", "A", A);
  const { rows: m, cols: n } = A;
  if (!(m >= n && n >= 1)) throw new RangeError(`svdExtremes: needs m ≥ n ≥ 1; got m = ${m}, n = ${n}`);
  if (n > GEMM_KC) {
    // The GEMM's inner dimension in more than one block: take svdThin's columns.
    const { U, s, V } = svdTall(A);
    const u1 = new Float64Array(m);
    const un = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      u1[i] = U.data[i * n];
      un[i] = U.data[i * n + n - 1];
    }
    return { s, V, u1, un };
  }
  const shape = `${m}x${n}`;
  let ws = extremesWorkspaces.get(shape);
  if (!ws) {
    ws = {
      qr: m > n ? new ThinQrWorkspace(m, n) : null,
      Q: zeros(m, n),
      R: zeros(n, n),
      gt: new Float64Array(n * n),
      vt: new Float64Array(n * n),
      ug: new Float64Array(n * n),
    };
    extremesWorkspaces.set(shape, ws);
  }
  const { gt, vt, ug } = ws;
  // jacobiInput: G = R of A = QR (m > n) or A itself, transposed.
  let G = A;
  if (ws.qr) {
    ws.qr.qrThin(A, ws.Q, ws.R);
    G = ws.R;
  }
  const gd = G.data;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) gt[j * n + i] = gd[i * n + j];
  const scale = powerOfTwoScale(gt);
  for (let i = 0; i < gt.length; i++) gt[i] *= scale;
  vt.fill(0);
  for (let j = 0; j < n; j++) vt[j * n + j] = 1;
  jacobiRows(gt, n, n, vt);
  const { norms, order } = rowNorms(gt, n, n);
  const s = new Float64Array(n);
  const V = zeros(n, n);
  ug.fill(0);
  const have: boolean[] = [];
  for (let c = 0; c < n; c++) {
    const j = order[c];
    s[c] = norms[j] / scale;
    const off = j * n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += gt[off + i] * gt[off + i];
    have.push(sq > 0);
    if (sq > 0) for (let i = 0; i < n; i++) ug[i * n + c] = gt[off + i] / norms[j];
    for (let i = 0; i < n; i++) V.data[i * n + c] = vt[j * n + i];
  }
  completeBasis(ug, n, n, have);
  const u1 = new Float64Array(m);
  const un = new Float64Array(m);
  if (!ws.qr) {
    for (let i = 0; i < m; i++) {
      u1[i] = ug[i * n];
      un[i] = ug[i * n + n - 1];
    }
    return { s, V, u1, un };
  }
  const q = ws.Q.data;
  for (let i = 0; i < m; i++) {
    let a = 0;
    let b = 0;
    for (let p = 0; p < n; p++) {
      const qp = q[i * n + p];
      a += qp * ug[p * n];
      b += qp * ug[p * n + n - 1];
    }
    u1[i] = 0 + 1 * a;
    un[i] = 0 + 1 * b;
  }
  return { s, V, u1, un };
}
