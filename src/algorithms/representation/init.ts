import { ParamError } from "../../errors.js";
import type { Mat } from "../../linalg/mat.js";
import { zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import type { MultiTaskData } from "../../models/multiTaskData.js";
import { foldInString, type Key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { momEstimate } from "./mom.js";
import type { EstimatorContext, EstimatorOptions } from "./types.js";

/**
 * Starting representation of the iterative estimators (AltMin, AltMinGD, Burer–Monteiro):
 * `init: "mom"` (default) the method-of-moments estimate, as in the NumPy reference and
 * Thekumparampil et al.; `"random"` an orthonormal basis of a Gaussian d × k matrix drawn from
 * the key folded with "init"; `ctx.initBasis` (checked d × k, re-orthonormalised) overrides both.
 */
export function initialBasis(
  data: MultiTaskData,
  k: number,
  options: EstimatorOptions,
  ctx: EstimatorContext,
): Mat {
  if (ctx.initBasis !== undefined) {
    const B = ctx.initBasis;
    if (B.rows !== data.d || B.cols !== k) {
      throw new ParamError("init", "initBasis", `must be d × k = ${data.d} × ${k}`, `${B.rows} × ${B.cols}`);
    }
    return orthonormalize(B);
  }
  if ((options.init ?? "mom") === "mom") return momEstimate(data, k, options).B;
  return randomBasis(ctx.key, data.d, k);
}

/** The random start of `initialBasis` (`init: "random"`): an orthonormal basis of a Gaussian d × k. */
export function randomBasis(key: Key, d: number, k: number): Mat {
  const G = zeros(d, k);
  stream(foldInString(key, "init")).fillNormal(G.data);
  return orthonormalize(G);
}
