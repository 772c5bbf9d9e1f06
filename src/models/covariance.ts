import { ParamError } from "../errors.js";
import { exp, log } from "../linalg/libm.js";

/**
 * Input covariances of the few-shot model (Du et al. 2021's source/target covariances; SPEC §1.3):
 * a covariance is diagonal, given by its d variances (`cov_src`, `cov_tgt`), so x = diag(√v) z with
 * z ~ N(0, I_d). The basis is the coordinate one; B* is uniformly random (QR of a Gaussian), so
 * relative to the representation it is a random basis. `covarianceDominance` (theory/) handles full
 * matrices.
 */

/**
 * A diagonal covariance given as its d variances: length d, every entry finite and > 0 (positive
 * definite). One-line ParamError naming the parameter otherwise.
 */
export function checkSpectrum(context: string, name: string, v: ArrayLike<number>, d: number): void {
  if (v.length !== d) {
    throw new ParamError(
      context,
      name,
      `must list d = ${d} variances (a diagonal covariance)`,
      `${v.length} values`,
    );
  }
  for (let i = 0; i < d; i++) {
    if (typeof v[i] !== "number" || !Number.isFinite(v[i]) || !(v[i] > 0)) {
      throw new ParamError(
        context,
        name,
        `must be positive definite: every variance finite and > 0 (entry ${i})`,
        v[i],
      );
    }
  }
}

/**
 * d variances geometric from 1 down to 1/ratio (ratio ≥ 1), rescaled to mean 1 (tr Σ = d, as
 * I_d); `reversed` runs them from 1/ratio up to 1 before rescaling. A source with
 * `geometricSpectrum(d, r)` and a target with `geometricSpectrum(d, r, true)` lean opposite ways:
 * the target puts its largest variances where the source's are smallest.
 * Example: `geometricSpectrum(3, 4)` ∝ [1, 1/2, 1/4].
 */
export function geometricSpectrum(d: number, ratio: number, reversed = false): Float64Array {
  if (!Number.isInteger(d) || d < 1) throw new ParamError("covariance", "d", "must be an integer ≥ 1", d);
  if (!(ratio >= 1) || !Number.isFinite(ratio)) {
    throw new ParamError("covariance", "ratio", "must be a finite number ≥ 1", ratio);
  }
  const v = new Float64Array(d);
  let sum = 0;
  for (let i = 0; i < d; i++) {
    const j = reversed ? d - 1 - i : i;
    v[i] = d === 1 ? 1 : exp((-j / (d - 1)) * log(ratio));
    sum += v[i];
  }
  for (let i = 0; i < d; i++) v[i] *= d / sum;
  return v;
}
