import { ParamError } from "../../errors.js";
import { log } from "../../linalg/libm.js";
import type { Mat } from "../../linalg/mat.js";
import { dotAt } from "../../linalg/vector.js";
import type { MixtureTaskBatch } from "../../models/mixedLinearRegression.js";
import type { ProjectedTaskBatch } from "../../models/mixtureProjected.js";
import { type MixtureEstimate, VARIANCE_FLOOR } from "./initialEstimates.js";

/**
 * Residual sums of squares `R[i, g] = Σ_{j∈[from,to)} (y_ij − ŵ_gᵀx_ij)²` of every task under every
 * estimated component (n×c, row-major). Cost n·(to − from)·d·c.
 */
export function taskResiduals(batch: MixtureTaskBatch, W: Mat, from = 0, to = batch.t): Float64Array {
  const { n, t, d, X, y } = batch;
  if (W.cols !== d)
    throw new ParamError("taskResiduals", "W", `must have d = ${d} columns`, `${W.rows}×${W.cols}`);
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to > from && to <= t)) {
    throw new ParamError("taskResiduals", "range", `must satisfy 0 ≤ from < to ≤ t = ${t}`, [from, to]);
  }
  const c = W.rows;
  const w = W.data;
  const R = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let j = from;
    // Two rows at a time: eight independent chains of adds instead of four (each sum still runs
    // over q in order, and R[i, g] still takes row j's term before row j + 1's: the same bits).
    for (; j + 1 < to; j += 2) {
      const r = i * t + j;
      const xo = r * d;
      const xp = xo + d;
      const yr = y[r];
      const yp = y[r + 1];
      let g = 0;
      for (; g + 3 < c; g += 4) {
        const w0 = g * d;
        const w1 = w0 + d;
        const w2 = w1 + d;
        const w3 = w2 + d;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let u0 = 0;
        let u1 = 0;
        let u2 = 0;
        let u3 = 0;
        for (let q = 0; q < d; q++) {
          const x = X[xo + q];
          const z = X[xp + q];
          const a0 = w[w0 + q];
          const a1 = w[w1 + q];
          const a2 = w[w2 + q];
          const a3 = w[w3 + q];
          s0 += x * a0;
          s1 += x * a1;
          s2 += x * a2;
          s3 += x * a3;
          u0 += z * a0;
          u1 += z * a1;
          u2 += z * a2;
          u3 += z * a3;
        }
        const ro = i * c + g;
        R[ro] += (yr - s0) * (yr - s0);
        R[ro + 1] += (yr - s1) * (yr - s1);
        R[ro + 2] += (yr - s2) * (yr - s2);
        R[ro + 3] += (yr - s3) * (yr - s3);
        R[ro] += (yp - u0) * (yp - u0);
        R[ro + 1] += (yp - u1) * (yp - u1);
        R[ro + 2] += (yp - u2) * (yp - u2);
        R[ro + 3] += (yp - u3) * (yp - u3);
      }
      for (; g < c; g++) {
        const e = yr - dotAt(X, xo, w, g * d, d);
        R[i * c + g] += e * e;
        const f = yp - dotAt(X, xp, w, g * d, d);
        R[i * c + g] += f * f;
      }
    }
    for (; j < to; j++) {
      const r = i * t + j;
      const xo = r * d;
      const yr = y[r];
      let g = 0;
      // Four components at a time share each load of x.
      for (; g + 3 < c; g += 4) {
        const w0 = g * d;
        const w1 = w0 + d;
        const w2 = w1 + d;
        const w3 = w2 + d;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let q = 0; q < d; q++) {
          const x = X[xo + q];
          s0 += x * w[w0 + q];
          s1 += x * w[w1 + q];
          s2 += x * w[w2 + q];
          s3 += x * w[w3 + q];
        }
        const ro = i * c + g;
        R[ro] += (yr - s0) * (yr - s0);
        R[ro + 1] += (yr - s1) * (yr - s1);
        R[ro + 2] += (yr - s2) * (yr - s2);
        R[ro + 3] += (yr - s3) * (yr - s3);
      }
      for (; g < c; g++) {
        const e = yr - dotAt(X, xo, w, g * d, d);
        R[i * c + g] += e * e;
      }
    }
  }
  return R;
}

/**
 * Gaussian log-likelihood scores `−R[i,g]/(2σ²_g) − (m/2) log σ²_g` (n×c), m = examples per task,
 * from residuals R (n×c) and variances σ² (floored at `VARIANCE_FLOOR`). Adding log p̂_g gives the
 * log posterior up to a constant.
 */
export function likelihoodScores(R: Float64Array, s2: Float64Array, m: number): Float64Array {
  const c = s2.length;
  const out = new Float64Array(R.length);
  const half = new Float64Array(c);
  const logTerm = new Float64Array(c);
  for (let g = 0; g < c; g++) {
    const v = Math.max(VARIANCE_FLOOR, s2[g]);
    half[g] = 0.5 / v;
    logTerm[g] = 0.5 * m * log(v);
  }
  for (let i = 0; i < R.length; i++) {
    const g = i % c;
    out[i] = -R[i] * half[g] - logTerm[g];
  }
  return out;
}

/** Row-wise argmax of an n×c score matrix (first index on ties). */
export function argmaxRows(S: Float64Array, c: number): Int32Array {
  const n = S.length / c;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let g = 1; g < c; g++) if (S[i * c + g] > S[i * c + best]) best = g;
    out[i] = best;
  }
  return out;
}

/**
 * Stage 3a of Kong et al. (ICML 2020; SPEC §2): each light task goes to the component of highest
 * Gaussian likelihood, `argmax_g −Σ(y − ŵ_gᵀx)²/(2r̂²_g) − t log r̂_g` (no prior term, as in the
 * paper and the official code). Throws when a task has fewer than 2 examples in [from, to).
 */
export function classifyByLikelihood(
  batch: MixtureTaskBatch,
  estimate: Pick<MixtureEstimate, "W" | "s2">,
  from = 0,
  to = batch.t,
): Int32Array {
  if (to - from < 2) {
    throw new ParamError("classifyByLikelihood", "t", "must be ≥ 2 examples per light task", to - from);
  }
  if (estimate.s2.length !== estimate.W.rows) {
    throw new ParamError(
      "classifyByLikelihood",
      "s2",
      `must have c = ${estimate.W.rows} entries`,
      estimate.s2.length,
    );
  }
  const R = taskResiduals(batch, estimate.W, from, to);
  return argmaxRows(likelihoodScores(R, estimate.s2, to - from), estimate.W.rows);
}

/**
 * `taskResiduals` for tasks revealed along V (a `ProjectedTaskBatch`): ŵ_gᵀx = (Vᵀŵ_g)·p exactly
 * when ŵ_g ∈ col(V), which holds for the directions the batch was revealed along.
 */
export function projectedTaskResiduals(pb: ProjectedTaskBatch, W: Mat, from = 0, to = pb.t): Float64Array {
  const { n, t, d, q, V, P, y } = pb;
  if (W.cols !== d)
    throw new ParamError("projectedTaskResiduals", "W", `must have d = ${d} columns`, `${W.rows}×${W.cols}`);
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to > from && to <= t)) {
    throw new ParamError("projectedTaskResiduals", "range", `must satisfy 0 ≤ from < to ≤ t = ${t}`, [
      from,
      to,
    ]);
  }
  const c = W.rows;
  const Wv = new Float64Array(c * q);
  for (let g = 0; g < c; g++)
    for (let a = 0; a < q; a++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += W.data[g * d + i] * V.data[i * q + a];
      Wv[g * q + a] = s;
    }
  const R = new Float64Array(n * c);
  // Component by component over a task's rows, the sum in a register: rows still in order.
  for (let i = 0; i < n; i++)
    for (let g = 0; g < c; g++) {
      let acc = 0;
      for (let j = from; j < to; j++) {
        const r = i * t + j;
        const e = y[r] - dotAt(P, r * q, Wv, g * q, q);
        acc += e * e;
      }
      R[i * c + g] = acc;
    }
  return R;
}

/** `classifyByLikelihood` on a `ProjectedTaskBatch` revealed along (at least) the estimates' directions. */
export function classifyProjectedByLikelihood(
  pb: ProjectedTaskBatch,
  estimate: Pick<MixtureEstimate, "W" | "s2">,
  from = 0,
  to = pb.t,
): Int32Array {
  if (to - from < 2) {
    throw new ParamError("classifyByLikelihood", "t", "must be ≥ 2 examples per light task", to - from);
  }
  const R = projectedTaskResiduals(pb, estimate.W, from, to);
  return argmaxRows(likelihoodScores(R, estimate.s2, to - from), estimate.W.rows);
}
