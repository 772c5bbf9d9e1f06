import type { Mat } from "../linalg/mat.js";
import { singularValues } from "../linalg/svd.js";

/**
 * Diagnostics of the assumptions behind Du et al.'s bound (Bouniot & Redko, "normalised predictors"
 * and "task diversity"), for a head matrix W (T × k, row t = head of task t): its singular values'
 * extremes and condition number σ₁/σ_k, the task-diversity ratio σ_k(W)²·k/T (Du et al. assume
 * σ_k(W*)² ≳ T/k, i.e. a ratio of order 1 or more), and the row norms ‖w_t‖.
 */
export interface HeadDiagnostics {
  /** σ₁(W)/σ_k(W); +∞ when σ_k = 0. */
  condition: number;
  sigmaMax: number;
  sigmaMin: number;
  /** σ_k(W)² · k / T. */
  diversity: number;
  meanNorm: number;
  minNorm: number;
  maxNorm: number;
}

/** σ_max/σ_min of A (min(rows, cols) singular values); +∞ for a rank-deficient A. */
export function conditionNumber(A: Mat): number {
  const s = singularValues(A);
  if (s.length === 0) return Number.NaN;
  const lo = s[s.length - 1];
  return lo === 0 ? Number.POSITIVE_INFINITY : s[0] / lo;
}

/** Head diagnostics of W (T × k). Example: `headDiagnostics(src.W).condition`. */
export function headDiagnostics(W: Mat): HeadDiagnostics {
  const { rows: T, cols: k, data } = W;
  const s = singularValues(W);
  const sigmaMax = s.length ? s[0] : 0;
  const sigmaMin = s.length === k ? s[k - 1] : 0;
  let sum = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let c = 0; c < k; c++) ss += data[t * k + c] ** 2;
    const n = Math.sqrt(ss);
    sum += n;
    lo = Math.min(lo, n);
    hi = Math.max(hi, n);
  }
  return {
    condition: sigmaMin === 0 ? Number.POSITIVE_INFINITY : sigmaMax / sigmaMin,
    sigmaMax,
    sigmaMin,
    diversity: T === 0 ? Number.NaN : (sigmaMin * sigmaMin * k) / T,
    meanNorm: T === 0 ? Number.NaN : sum / T,
    minNorm: T === 0 ? Number.NaN : lo,
    maxNorm: hi,
  };
}
