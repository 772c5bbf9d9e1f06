import { exp, log } from "../../linalg/libm.js";
import { geometricSpectrum } from "../../models/covariance.js";
import { diagonalCovarianceDominance } from "../../theory/covarianceDominance.js";
import { duRepresentationTerm } from "../../theory/duBound.js";

/**
 * The covariances of `du-covariance` (Du et al.'s covariance-dominance assumption): a fixed
 * source spectrum, targets leaning away from it, and the factors c and c̄ with their terms.
 */

/** Σ_src's variances: a geometric spectrum of ratio `src_ratio`, trace d. */
export function sourceVariances(p: { d: number; src_ratio: number }): Float64Array {
  return geometricSpectrum(p.d, p.src_ratio);
}

/**
 * Σ_tgt's variances for a lean ℓ: v_a ∝ s_a^(1−ℓ), normalised to trace d (the same total signal as
 * the source). ℓ = 0 gives Σ_tgt = Σ_src (c = 1); ℓ = 1 the identity; larger ℓ put the target's
 * variance where the source's is smallest, so c = min_a s_a/v_a shrinks.
 */
export function targetVariances(source: Float64Array, lean: number): Float64Array {
  const v = source.map((s) => exp((1 - lean) * log(s)));
  const sum = v.reduce((a, b) => a + b, 0);
  return v.map((x) => (x * source.length) / sum);
}

/**
 * At one lean: c and the c-corrected first term dk/(c·n1T) of the bound, and the average factor
 * c̄ = d / tr(Σ_src^{-1}Σ_tgt) with its term dk/(c̄·n1T). c weighs the target against the source's
 * worst direction (max_a v_a/s_a), c̄ against the average one: an estimate of B* whose error in
 * direction a scales like 1/s_a (less source signal there), seen through target variance v_a,
 * errs by about Σ_a v_a/s_a, which is what c̄ measures; the bound's c is its worst case.
 */
export function factorOf(
  p: { d: number; k: number; n1: number; T: number; src_ratio: number },
  lean: number,
): { c: number; term: number; cAverage: number; averageTerm: number } {
  const src = sourceVariances(p);
  const tgt = targetVariances(src, lean);
  const c = diagonalCovarianceDominance(src, tgt);
  let ratio = 0;
  for (let a = 0; a < p.d; a++) ratio += tgt[a] / src[a];
  const cAverage = p.d / ratio;
  return {
    c,
    term: duRepresentationTerm(p.d, p.k, p.n1, p.T, c),
    cAverage,
    averageTerm: duRepresentationTerm(p.d, p.k, p.n1, p.T, cAverage),
  };
}
