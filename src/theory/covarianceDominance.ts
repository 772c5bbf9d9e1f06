import { ParamError } from "../errors.js";
import { eighSym } from "../linalg/eigh.js";
import { type Mat, zeros } from "../linalg/mat.js";
import { checkSpectrum } from "../models/covariance.js";

/**
 * The covariance-dominance factor of Du, Hu, Kakade, Lee & Lei (ICLR 2021), as Bouniot & Redko's
 * blog (ICLR 2022 blog track) reads it: source inputs x ~ N(0, Σ_src), target inputs
 * x ~ N(0, Σ_tgt), and the bound's representation term becomes dk/(c·n1·T) (`duBound` with `c`).
 *
 * Definition used [recalled, not verified against the paper's text; SPEC §1.3]: c is the largest
 * constant with c·Σ_tgt ⪯ Σ_src. With Σ_src = S² (S = Σ_src^{1/2}, symmetric positive definite),
 * c·Σ_tgt ⪯ Σ_src ⇔ c·S⁻¹Σ_tgt S⁻¹ ⪯ I ⇔ c·λ_max(S⁻¹Σ_tgt S⁻¹) ≤ 1, so
 *
 *   c = 1 / λ_max(Σ_src^{-1/2} Σ_tgt Σ_src^{-1/2})   (= min_i λ_src,i/λ_tgt,i for diagonal ones).
 *
 * c = 1 for identical covariances; c < 1 when the target puts more variance than the source on
 * some direction (the target leans where the source sees least), c > 1 when the source dominates.
 * Scaling: c(aΣ_src, bΣ_tgt) = (a/b)·c(Σ_src, Σ_tgt); c is invariant to a common rotation.
 */

/** λ_min / λ_max below this (or λ_min ≤ 0) is not positive definite. */
const PD_TOL = 1e-14;

function checkSpd(context: string, name: string, A: Mat, d: number): Float64Array {
  if (A.rows !== d || A.cols !== d) {
    throw new ParamError(context, name, `must be a ${d} × ${d} matrix`, `${A.rows} × ${A.cols}`);
  }
  let asym = 0;
  let big = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      const v = A.data[i * d + j];
      if (!Number.isFinite(v)) throw new ParamError(context, name, "must have finite entries", v);
      asym = Math.max(asym, Math.abs(v - A.data[j * d + i]));
      big = Math.max(big, Math.abs(v));
    }
  if (asym > 1e-12 * big) throw new ParamError(context, name, "must be symmetric", `max |A − Aᵀ| = ${asym}`);
  const { values } = eighSym(A);
  const lmin = values[d - 1];
  if (!(lmin > PD_TOL * values[0])) {
    throw new ParamError(context, name, "must be positive definite", `smallest eigenvalue ${lmin}`);
  }
  return values;
}

/**
 * c = 1/λ_max(Σ_src^{-1/2} Σ_tgt Σ_src^{-1/2}) for symmetric positive definite d × d matrices.
 * Bad input (shape, symmetry, definiteness) → ParamError naming `cov_src` / `cov_tgt`. Cost O(d³).
 *
 * Example: `covarianceDominance(identity(5), identity(5))` = 1.
 */
export function covarianceDominance(covSrc: Mat, covTgt: Mat): number {
  const ctx = "covariance dominance";
  const d = covSrc.rows;
  checkSpd(ctx, "cov_src", covSrc, d);
  checkSpd(ctx, "cov_tgt", covTgt, d);
  const { values, vectors: V } = eighSym(covSrc);
  // S⁻¹ = V diag(λ^{-1/2}) Vᵀ; M = S⁻¹ Σ_tgt S⁻¹.
  const Sinv = zeros(d, d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += (V.data[i * d + c] * V.data[j * d + c]) / Math.sqrt(values[c]);
      Sinv.data[i * d + j] = acc;
    }
  const T1 = zeros(d, d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += Sinv.data[i * d + c] * covTgt.data[c * d + j];
      T1.data[i * d + j] = acc;
    }
  const M = zeros(d, d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += T1.data[i * d + c] * Sinv.data[c * d + j];
      M.data[i * d + j] = acc;
    }
  return 1 / eighSym(M).values[0];
}

/**
 * c for diagonal covariances given by their variances (the few-shot sampler's `cov_src`, `cov_tgt`):
 * min_i src_i / tgt_i. Example: `diagonalCovarianceDominance([1, 1], [1, 4])` = 0.25.
 */
export function diagonalCovarianceDominance(covSrc: ArrayLike<number>, covTgt: ArrayLike<number>): number {
  const ctx = "covariance dominance";
  checkSpectrum(ctx, "cov_src", covSrc, covSrc.length);
  checkSpectrum(ctx, "cov_tgt", covTgt, covSrc.length);
  let c = Number.POSITIVE_INFINITY;
  for (let i = 0; i < covSrc.length; i++) c = Math.min(c, covSrc[i] / covTgt[i]);
  return c;
}
