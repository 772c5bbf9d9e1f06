import { exp, log1p } from "../../linalg/libm.js";
/**
 * The logistic loss ℓ(z) = log(1 + e^{−z}) of a margin z = y·f(x) (SPEC §3), and its derivative
 * ℓ'(z) = −1 / (1 + e^{z}), both evaluated without overflow for any finite or infinite z.
 */
export function logisticLoss(z: number): number {
  return z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z));
}

/** ℓ'(z) = −1 / (1 + e^{z}) ∈ (−1, 0). */
export function logisticLossDerivative(z: number): number {
  if (z >= 0) {
    const e = exp(-z);
    return -e / (1 + e);
  }
  return -1 / (1 + exp(z));
}
