import type { Mat } from "../linalg/mat.js";

/**
 * Excess risk of a target predictor in the linear representation model with x ~ N(0, I_d)
 * (Du et al. 2021, SPEC §1.3 step 3): `ER = ‖B̂ŵ − B*w*‖²`, the expected squared error of the
 * prediction minus the noise level σ². B̂ is d × k', ŵ length k'; B* is d × k, w* length k.
 *
 * With inputs x ~ N(0, Σ) for a diagonal Σ (`covDiag`, its d variances) the excess risk is
 * `‖Σ^{1/2}(B̂ŵ − B*w*)‖² = Σ_a Σ_aa (B̂ŵ − B*w*)_a²`, not the identity-covariance formula.
 *
 * Example: `excessRisk(Bhat, fitHead(X, y, n2, Bhat), Bstar, wStar)`.
 */
export function excessRisk(
  Bhat: Mat,
  what: Float64Array,
  Bstar: Mat,
  wStar: Float64Array,
  covDiag: ArrayLike<number> | null = null,
): number {
  checkShapes(Bhat, what, Bstar, wStar);
  const d = Bhat.rows;
  const kh = Bhat.cols;
  const ks = Bstar.cols;
  let ss = 0;
  for (let a = 0; a < d; a++) {
    let v = 0;
    for (let c = 0; c < kh; c++) v += Bhat.data[a * kh + c] * what[c];
    for (let c = 0; c < ks; c++) v -= Bstar.data[a * ks + c] * wStar[c];
    ss += covDiag ? covDiag[a] * v * v : v * v;
  }
  return ss;
}

/**
 * Excess risk with inputs of second moment Σ = E[xxᵀ] (a full d × d matrix, e.g. a task family's
 * `covariance`): `‖Σ^{1/2}(B̂ŵ − B*w*)‖² = Δᵀ Σ Δ` with `Δ = B̂ŵ − B*w*`, summed as
 * `Σ_a Δ_a (ΣΔ)_a`. With Σ = I every (ΣΔ)_a is exactly Δ_a (the other terms are exact zeros), so
 * the result is bit for bit `excessRisk` without a covariance. `scratch` (length d) avoids
 * allocating.
 */
export function excessRiskCovariance(
  Bhat: Mat,
  what: Float64Array,
  Bstar: Mat,
  wStar: Float64Array,
  cov: Mat,
  scratch: Float64Array = new Float64Array(Bhat.rows),
): number {
  checkShapes(Bhat, what, Bstar, wStar);
  const d = Bhat.rows;
  if (cov.rows !== d || cov.cols !== d) {
    throw new RangeError(`excessRisk: Σ must be ${d} × ${d}; got ${cov.rows} × ${cov.cols}`);
  }
  const kh = Bhat.cols;
  const ks = Bstar.cols;
  const delta = scratch;
  for (let a = 0; a < d; a++) {
    let v = 0;
    for (let c = 0; c < kh; c++) v += Bhat.data[a * kh + c] * what[c];
    for (let c = 0; c < ks; c++) v -= Bstar.data[a * ks + c] * wStar[c];
    delta[a] = v;
  }
  let ss = 0;
  for (let a = 0; a < d; a++) {
    let sd = 0;
    for (let b = 0; b < d; b++) sd += cov.data[a * d + b] * delta[b];
    ss += delta[a] * sd;
  }
  return ss;
}

/** Mean and standard error (sample sd/√n; null for n < 2) of a set of values. */
export function meanAndStandardError(values: ArrayLike<number>): { mean: number; se: number | null } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = n === 0 ? Number.NaN : s / n;
  if (n < 2) return { mean, se: null };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (n - 1) / n) };
}

/** B̂ and B* have d rows alike; each head matches its representation's width. */
function checkShapes(Bhat: Mat, what: Float64Array, Bstar: Mat, wStar: Float64Array): void {
  if (Bhat.rows !== Bstar.rows) {
    throw new RangeError(`excessRisk: B̂ and B* must have d rows alike; got ${Bhat.rows} and ${Bstar.rows}`);
  }
  if (what.length !== Bhat.cols || wStar.length !== Bstar.cols) {
    throw new RangeError(
      `excessRisk: heads must match the representations' widths (${Bhat.cols}, ${Bstar.cols}); got ${what.length}, ${wStar.length}`,
    );
  }
}
