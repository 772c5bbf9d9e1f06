/** Test support for the algorithms' gradient checks (STYLE.md §6): one finite-difference oracle. */

import { eighSym } from "../linalg/eigh.js";
import { fromRows } from "../linalg/mat.js";

/** Central differences (f(x + h·e_i) − f(x − h·e_i)) / 2h of f at x, for every coordinate i. */
export function centralDifference<V extends number[] | Float64Array>(
  f: (x: V) => number,
  x: V,
  h = 1e-6,
): number[] {
  const g: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const a = x.slice() as V;
    const b = x.slice() as V;
    a[i] += h;
    b[i] -= h;
    g.push((f(a) - f(b)) / (2 * h));
  }
  return g;
}

/** ‖a − b‖₂ / ‖b‖₂: the relative error of a gradient a against its reference b. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/**
 * Bouniot et al.'s penalty written out from SPEC §1.3 with no shared code: W̃ = W/√n formed
 * explicitly, ‖W̃W̃ᵀ‖_F from the n × n product, κ(W̃)² as the ratio of the largest to the smallest
 * of the r = min(n, k) eigenvalues of the smaller Gram matrix (W̃ᵀW̃ or W̃W̃ᵀ; a symmetric eigensolver,
 * not the SVD the penalty uses). An oracle for `headPenalty` and its callers' gradients.
 */
export function naiveHeadPenalty(
  W: readonly (readonly number[])[],
  pen: { lambdaCond: number; lambdaNorm: number },
): number {
  const n = W.length;
  const k = W[0].length;
  const Wt = W.map((row) => row.map((v) => v / Math.sqrt(n)));
  let fro = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let c = 0; c < k; c++) v += Wt[i][c] * Wt[j][c];
      fro += v * v;
    }
  const small =
    n >= k
      ? Array.from({ length: k }, (_, a) =>
          Array.from({ length: k }, (_, b) => Wt.reduce((s, r) => s + r[a] * r[b], 0)),
        )
      : Wt.map((ri) => Wt.map((rj) => ri.reduce((s, v, c) => s + v * rj[c], 0)));
  const ev = eighSym(fromRows(small)).values;
  const kappa2 = ev[0] / ev[ev.length - 1];
  return pen.lambdaCond * kappa2 + pen.lambdaNorm * Math.sqrt(fro);
}
