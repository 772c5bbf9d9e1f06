import { exp, log } from "../linalg/libm.js";
/**
 * Du, Hu, Kakade, Lee, Lei. Few-Shot Learning via Learning the Representation, Provably (ICLR
 * 2021), low-dimensional linear representations (SPEC §1.3 [paper]): with T source tasks × n1 rows
 * and a target task with n2 rows, under task diversity (σ_k(W*)² ≳ T/k) and n1 ≳ d, the two-stage
 * estimator has excess risk `Õ(dk/(n1T) + k/n2)`; without representation learning `O(d/n2)`. The
 * bound hides constants and σ²: figures overlay `C·(terms)` with C fitted and say so.
 */

/**
 * The source-stage (representation) term dk/(c·n1·T); c is the covariance-dominance factor
 * (`covarianceDominance`: the largest c with c·Σ_tgt ⪯ Σ_src), 1 for identical covariances.
 */
export function duRepresentationTerm(d: number, k: number, n1: number, T: number, c = 1): number {
  return (d * k) / (c * n1 * T);
}

/** The target-stage term k/n2. */
export function duTargetTerm(k: number, n2: number): number {
  return k / n2;
}

/**
 * `dk/(c·n1T) + k/n2`: Du et al.'s rate without constants or σ² (the NumPy reference's
 * `theory_ref` for c = 1, the default). With source and target covariances, c is the
 * covariance-dominance factor (`covarianceDominance`). Example:
 * `duBound({ d: 20, k: 3, n1: 25, T: 400, n2: 30 })` = 0.106.
 */
export function duBound(p: { d: number; k: number; n1: number; T: number; n2: number; c?: number }): number {
  return duRepresentationTerm(p.d, p.k, p.n1, p.T, p.c ?? 1) + duTargetTerm(p.k, p.n2);
}

/** The rate without representation learning, d/n2. */
export function noRepresentationRate(d: number, n2: number): number {
  return d / n2;
}

/**
 * Excess risk of the oracle (B̂ = B*, head by least squares on n2 rows) [derived]:
 * E‖B*(ŵ − w*)‖² = σ² tr(E[(AᵀA)⁻¹]) = σ²k/(n2 − k − 1) for Gaussian rows (inverse Wishart);
 * null when n2 ≤ k + 1 (infinite mean).
 */
export function oracleLevel(sigma: number, k: number, n2: number): number | null {
  return n2 > k + 1 ? (sigma * sigma * k) / (n2 - k - 1) : null;
}

/** Excess risk of plain least squares in R^d [derived]: σ²d/(n2 − d − 1), null when n2 ≤ d + 1. */
export function olsLevel(sigma: number, d: number, n2: number): number | null {
  return n2 > d + 1 ? (sigma * sigma * d) / (n2 - d - 1) : null;
}

/**
 * The constant C of `measured ≈ C·predicted` fitted by least squares in log space (the geometric
 * mean of measured/predicted over pairs where both are > 0); null if there is no such pair. This is
 * a fitted constant, not one from the paper.
 */
export function fitConstant(measured: readonly number[], predicted: readonly number[]): number | null {
  let s = 0;
  let n = 0;
  for (let i = 0; i < Math.min(measured.length, predicted.length); i++) {
    const m = measured[i];
    const p = predicted[i];
    if (m > 0 && p > 0 && Number.isFinite(m) && Number.isFinite(p)) {
      s += log(m / p);
      n++;
    }
  }
  return n === 0 ? null : exp(s / n);
}
