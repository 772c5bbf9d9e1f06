import { atan2 } from "../linalg/libm.js";
import type { Mat } from "../linalg/mat.js";
import { zeros } from "../linalg/mat.js";
import { orthonormalize, ThinQrWorkspace } from "../linalg/qr.js";
import { LargestSingularValueWorkspace, singularValues } from "../linalg/svd.js";

/** R = Q − P (Pᵀ Q) for P with orthonormal columns: the part of col(Q) outside col(P). */
function residualOutside(P: Mat, Q: Mat, into?: { PtQ: Float64Array; R: Mat }): Mat {
  const d = P.rows;
  const kp = P.cols;
  const kq = Q.cols;
  const PtQ = into ? into.PtQ.fill(0) : new Float64Array(kp * kq);
  for (let i = 0; i < d; i++)
    for (let a = 0; a < kp; a++) {
      const pia = P.data[i * kp + a];
      for (let b = 0; b < kq; b++) PtQ[a * kq + b] += pia * Q.data[i * kq + b];
    }
  const R = into ? into.R : zeros(d, kq);
  for (let i = 0; i < d; i++)
    for (let b = 0; b < kq; b++) {
      let acc = Q.data[i * kq + b];
      for (let a = 0; a < kp; a++) acc -= P.data[i * kp + a] * PtQ[a * kq + b];
      R.data[i * kq + b] = acc;
    }
  return R;
}

function checkRows(fn: string, B: Mat, Bstar: Mat): void {
  if (B.rows !== Bstar.rows) {
    throw new RangeError(
      `${fn}: B and B* must have the same number of rows (d); got ${B.rows} and ${Bstar.rows}`,
    );
  }
}

/**
 * `dist(B, B*) = ‖(I − B*B*ᵀ) Q‖₂` with Q an orthonormal basis of col(B) (SPEC §1.1): the sine of
 * the largest principal angle, in [0, 1], **unsquared**. `Bstar` must have orthonormal columns
 * (it is re-orthonormalised here to be safe). Invariant to B → B R for invertible R.
 *
 * Computed from the residual R = Q − B*(B*ᵀQ) and its largest singular value, not as
 * √(1 − cos²): that would lose every digit below ~1e-8.
 */
export function subspaceDistance(B: Mat, Bstar: Mat): number {
  checkRows("subspaceDistance", B, Bstar);
  const s = singularValues(residualOutside(orthonormalize(Bstar), orthonormalize(B)));
  return Math.min(1, s.length ? s[0] : 0);
}

/**
 * `‖(I − QQᵀ) B*‖₂`, Q a basis of col(B): how far col(B*) is from lying inside col(B). Equal to
 * `subspaceDistance` when both have k columns; the meaningful measure for a wider learner k' > k
 * (for which `subspaceDistance` is 1 whenever col(B) has any direction outside col(B*)).
 */
export function captureDistance(B: Mat, Bstar: Mat): number {
  checkRows("captureDistance", B, Bstar);
  const s = singularValues(residualOutside(orthonormalize(B), orthonormalize(Bstar)));
  return Math.min(1, s.length ? s[0] : 0);
}

/**
 * `subspaceDistance(·, B*)` or `captureDistance(·, B*)` for many B of one shape (d × k'): the
 * orthonormal basis of B* is computed once and every buffer is allocated once, with the same
 * arithmetic, so the same bits as the one-shot functions. For a distance per iteration of a
 * trainer (`metaTrain`), where the one-shot functions' third QR and allocations cost about a
 * quarter of a population run.
 */
export function distanceTo(Bstar: Mat, kPrime: number, kind: "subspace" | "capture"): (B: Mat) => number {
  const d = Bstar.rows;
  const k = Bstar.cols;
  const Qstar = orthonormalize(Bstar);
  const qr = new ThinQrWorkspace(d, kPrime);
  const QB = zeros(d, kPrime);
  // subspace: the part of col(B) outside col(B*) (d × k'); capture: of col(B*) outside col(B) (d × k).
  const cols = kind === "subspace" ? kPrime : k;
  const res = { PtQ: new Float64Array(kPrime * k), R: zeros(d, cols) };
  const sv = cols > 0 && d >= cols ? new LargestSingularValueWorkspace(d, cols) : null;
  const fn = kind === "subspace" ? "subspaceDistance" : "captureDistance";
  return (B) => {
    checkRows(fn, B, Bstar);
    if (sv === null) return kind === "subspace" ? subspaceDistance(B, Bstar) : captureDistance(B, Bstar);
    qr.orthonormalize(B, QB);
    const R = kind === "subspace" ? residualOutside(Qstar, QB, res) : residualOutside(QB, Qstar, res);
    return Math.min(1, sv.of(R));
  };
}

/**
 * Principal angles (radians, ascending) between col(A) and col(B): θ_i with cos θ_i the singular
 * values of QaᵀQb. Small angles are computed from the sines (singular values of the residual)
 * so that angles near 0 keep full relative precision; returns min(rank A, rank B) angles.
 */
export function principalAngles(A: Mat, B: Mat): Float64Array {
  checkRows("principalAngles", A, B);
  let Qa = orthonormalize(A);
  let Qb = orthonormalize(B);
  if (Qa.cols > Qb.cols) [Qa, Qb] = [Qb, Qa];
  // Qa has the fewer columns (p). Sines: singular values of (I − QbQbᵀ)Qa; cosines: of QbᵀQa.
  const p = Qa.cols;
  const sines = singularValues(residualOutside(Qb, Qa)); // descending
  const C = zeros(Qb.cols, p);
  for (let i = 0; i < Qa.rows; i++)
    for (let a = 0; a < Qb.cols; a++)
      for (let b = 0; b < p; b++) C.data[a * p + b] += Qb.data[i * Qb.cols + a] * Qa.data[i * p + b];
  const cosines = singularValues(C); // descending
  const out = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    // i-th smallest angle: largest cosine, smallest sine.
    const c = Math.min(1, cosines[i] ?? 0);
    const s = Math.min(1, sines[p - 1 - i] ?? 0);
    out[i] = atan2(s, c);
  }
  return out;
}
