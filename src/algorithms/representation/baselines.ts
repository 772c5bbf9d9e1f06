import { ParamError } from "../../errors.js";
import { identity } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import type { EstimatorContext, RepresentationFit } from "./types.js";

/**
 * The oracle (SPEC §1.3): B̂ = B*, the representation the source stage is trying to learn. Its
 * target excess risk is the floor ≈ σ²k/(n2 − k − 1) of any k-dimensional representation.
 * Needs the ground truth, so only for generated data.
 */
export function oracleEstimate(data: MultiTaskData, k: number, ctx: EstimatorContext): RepresentationFit {
  const B = ctx.Bstar;
  if (B === undefined) {
    throw new ParamError(
      "oracle",
      "Bstar",
      "is needed (the oracle uses the ground truth; only generated data have one)",
      null,
    );
  }
  if (B.rows !== data.d || B.cols !== k) {
    throw new ParamError("oracle", "Bstar", `must be d × k = ${data.d} × ${k}`, `${B.rows} × ${B.cols}`);
  }
  return { method: "oracle", B: orthonormalize(B), iterations: 0, converged: null, status: "ok", info: {} };
}

/**
 * No representation (SPEC §1.3): B̂ = I_d, so the target head is plain least squares in R^d
 * (minimum-norm when n2 < d), ER ≈ σ²d/(n2 − d − 1) for n2 > d + 1 — the O(d/n2) baseline that
 * representation learning improves on.
 */
export function olsEstimate(data: MultiTaskData): RepresentationFit {
  return { method: "ols", B: identity(data.d), iterations: 0, converged: null, status: "ok", info: {} };
}
