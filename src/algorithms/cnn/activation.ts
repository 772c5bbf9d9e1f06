import { ParamError } from "../../errors.js";
import { exp, log, powi } from "../../linalg/libm.js";

/**
 * Activations of the two-layer CNN (SPEC §3):
 * - `relu-power`: σ(z) = max(0, z)^q, q ≥ 1 (q = 1 is the ReLU, with σ'(0) = 0; the theory of
 *   Cao et al. 2022 and Kou et al. 2023 takes q > 2, default 3);
 * - `polynomial`: σ(z) = z^q for an odd integer q ≥ 1 (odd, so that σ(−z) = −σ(z) and a feature
 *   seen with label −1 is the mirror of the same feature with label +1);
 * - `smoothed-relu`: the "polynomial then linear" activation of Allen-Zhu & Li (2020):
 *   σ(z) = 0 for z ≤ 0, z^q / (q ρ^{q−1}) for 0 < z ≤ ρ, z − (1 − 1/q) ρ for z > ρ (C¹ at ρ).
 */
export const ACTIVATION_KINDS = ["relu-power", "polynomial", "smoothed-relu"] as const;
export type ActivationKind = (typeof ACTIVATION_KINDS)[number];

export interface Activation {
  kind: ActivationKind;
  /** Exponent q ≥ 1 (an odd integer for `polynomial`). */
  q: number;
  /** Threshold ρ > 0 of `smoothed-relu`, where the polynomial part meets the linear part. */
  rho?: number;
}

/** Check an activation's settings; bad values throw a one-line ParamError. */
export function checkActivation(a: Activation, context = "cnn"): void {
  if (!(ACTIVATION_KINDS as readonly string[]).includes(a.kind)) {
    throw new ParamError(context, "activation", `must be one of ${ACTIVATION_KINDS.join(", ")}`, a.kind);
  }
  if (!(a.q >= 1 && Number.isFinite(a.q))) throw new ParamError(context, "q", "must be ≥ 1", a.q);
  if (a.kind === "polynomial" && !(Number.isInteger(a.q) && a.q % 2 === 1)) {
    throw new ParamError(context, "q", "must be an odd integer for the polynomial activation", a.q);
  }
  if (a.kind === "smoothed-relu" && !(a.rho !== undefined && a.rho > 0 && Number.isFinite(a.rho))) {
    throw new ParamError(context, "rho", "must be > 0 for the smoothed-relu activation", a.rho);
  }
}

/** z^e for z ≥ 0 with fast paths for small integer exponents. */
function powPos(z: number, e: number): number {
  switch (e) {
    case 0:
      return 1;
    case 1:
      return z;
    case 2:
      return z * z;
    case 3:
      return z * z * z;
    case 4: {
      const s = z * z;
      return s * s;
    }
    default:
      return Number.isInteger(e) && e >= 0 ? powi(z, e) : exp(e * log(z));
  }
}

/** σ(z). */
export function activation(a: Activation, z: number): number {
  const q = a.q;
  switch (a.kind) {
    case "relu-power":
      return z > 0 ? powPos(z, q) : 0;
    case "polynomial":
      return z >= 0 ? powPos(z, q) : -powPos(-z, q);
    default: {
      const rho = a.rho as number;
      if (z <= 0) return 0;
      if (z <= rho) return powPos(z, q) / (q * powPos(rho, q - 1));
      return z - (1 - 1 / q) * rho;
    }
  }
}

/** σ'(z) (σ'(0) = 0 for the ReLU, q = 1). */
export function activationDerivative(a: Activation, z: number): number {
  const q = a.q;
  switch (a.kind) {
    case "relu-power":
      return z > 0 ? q * powPos(z, q - 1) : 0;
    case "polynomial":
      return q * powPos(Math.abs(z), q - 1);
    default: {
      const rho = a.rho as number;
      if (z <= 0) return 0;
      if (z <= rho) return powPos(z / rho, q - 1);
      return 1;
    }
  }
}

/**
 * Elementwise over `z[0 … len)`: `value[i] = σ(z[i])` and `slope[i] = σ'(z[i])`, in one pass.
 * One loop per kind, so the hot loop has no branch on the kind.
 */
export function activateInto(
  a: Activation,
  z: Float64Array,
  value: Float64Array,
  slope: Float64Array,
  len = z.length,
): void {
  const q = a.q;
  if (a.kind === "relu-power" && q === 3) {
    // Without a branch on the sign (half the preactivations are negative, in no order: a branch
    // mispredicts half the time): p = (x + |x|)/2 is exactly x for x > 0 (below 2^1023, where x³
    // is ∞ either way) and +0 for x ≤ 0, so the values are those of the branch on x > 0 but for
    // x NaN or −∞, which then take the branchy loop.
    let bad = false;
    for (let i = 0; i < len; i++) {
      const x = z[i];
      const p = 0.5 * (x + Math.abs(x));
      const x2 = p * p;
      value[i] = x2 * p;
      slope[i] = 3 * x2;
      if (Number.isNaN(p)) bad = true;
    }
    if (!bad) return;
    for (let i = 0; i < len; i++) {
      const x = z[i];
      if (x > 0) {
        const x2 = x * x;
        value[i] = x2 * x;
        slope[i] = 3 * x2;
      } else {
        value[i] = 0;
        slope[i] = 0;
      }
    }
    return;
  }
  if (a.kind === "relu-power") {
    for (let i = 0; i < len; i++) {
      const x = z[i];
      if (x > 0) {
        const p = powPos(x, q - 1);
        value[i] = p * x;
        slope[i] = q * p;
      } else {
        value[i] = 0;
        slope[i] = 0;
      }
    }
    return;
  }
  for (let i = 0; i < len; i++) {
    value[i] = activation(a, z[i]);
    slope[i] = activationDerivative(a, z[i]);
  }
}
