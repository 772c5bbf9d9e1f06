import { ParamError } from "../../errors.js";
import { type Mat, zeros } from "../../linalg/mat.js";
import type { MixtureTaskBatch } from "../../models/mixedLinearRegression.js";
import type { ProjectedTaskBatch } from "../../models/mixtureProjected.js";
import type { ProjectedParts } from "./projectedDistances.js";

/**
 * An estimated mixture: c components (c may differ from the true k when a clustering rule finds
 * another number of clusters).
 */
export interface MixtureEstimate {
  /** c×d: row g is ŵ_g. */
  W: Mat;
  /** Noise variance estimates ŝ²_g (r̂²_g for the initial estimates), length c. */
  s2: Float64Array;
  /** Mixing probability estimates p̂_g, length c. */
  p: Float64Array;
}

/** Variances are floored here so that log and division stay finite for noiseless data. */
export const VARIANCE_FLOOR = 1e-300;

/**
 * Stage 2c of Kong et al. (ICML 2020; SPEC §2): initial estimates from the clustered heavy tasks.
 * `ŵ_g = Û · mean(Ûᵀβ̂)` over the cluster's tasks and all their parts in `proj`; `p̂_g = |C_g|/n`;
 * `r̂²_g` = mean squared residual of ŵ_g on the cluster's held-out examples [from, to) of `heldOut`
 * (the same tasks as `proj`, fresh examples). Labels must be in 0..c−1.
 */
export function clusterInitialEstimates(
  proj: ProjectedParts,
  U: Mat,
  labels: Int32Array,
  c: number,
  heldOut: { batch: MixtureTaskBatch | ProjectedTaskBatch; from: number; to: number },
): MixtureEstimate {
  const { n, parts, k, data } = proj;
  const d = U.rows;
  if (labels.length !== n) {
    throw new ParamError("clusterInitialEstimates", "labels", `must have n = ${n} entries`, labels.length);
  }
  if (U.cols !== k)
    throw new ParamError("clusterInitialEstimates", "U", `must have k = ${k} columns`, U.cols);
  const { batch, from, to } = heldOut;
  if (batch.n !== n || batch.d !== d) {
    throw new ParamError("clusterInitialEstimates", "heldOut", `must hold the same ${n} tasks in d = ${d}`, [
      batch.n,
      batch.d,
    ]);
  }
  if (!(from >= 0 && to > from && to <= batch.t)) {
    throw new ParamError(
      "clusterInitialEstimates",
      "heldOut",
      `range must satisfy 0 ≤ from < to ≤ ${batch.t}`,
      [from, to],
    );
  }
  const size = new Float64Array(c);
  const mean = new Float64Array(c * k);
  for (let i = 0; i < n; i++) {
    const g = labels[i];
    if (!(g >= 0 && g < c))
      throw new ParamError("clusterInitialEstimates", "labels", `must be in [0, ${c})`, g);
    size[g]++;
    for (let q = 0; q < parts; q++) {
      const o = (i * parts + q) * k;
      for (let a = 0; a < k; a++) mean[g * k + a] += data[o + a];
    }
  }
  const W = zeros(c, d);
  for (let g = 0; g < c; g++) {
    const inv = size[g] > 0 ? 1 / (size[g] * parts) : 0;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let a = 0; a < k; a++) s += U.data[i * k + a] * mean[g * k + a];
      W.data[g * d + i] = s * inv;
    }
  }
  const rss = new Float64Array(c);
  const { t, y } = batch;
  if ("P" in batch) {
    // Revealed along V ⊇ col(Û) ∋ ŵ_g: ŵ_gᵀx = (Vᵀŵ_g)·p.
    const { q, V, P } = batch;
    const Wv = new Float64Array(c * q);
    for (let g = 0; g < c; g++)
      for (let a = 0; a < q; a++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += W.data[g * d + i] * V.data[i * q + a];
        Wv[g * q + a] = s;
      }
    for (let i = 0; i < n; i++) {
      const g = labels[i];
      for (let j = from; j < to; j++) {
        const r = i * t + j;
        let pred = 0;
        for (let a = 0; a < q; a++) pred += P[r * q + a] * Wv[g * q + a];
        rss[g] += (y[r] - pred) ** 2;
      }
    }
  } else {
    const { X } = batch;
    for (let i = 0; i < n; i++) {
      const g = labels[i];
      const wo = g * d;
      for (let j = from; j < to; j++) {
        const r = i * t + j;
        let pred = 0;
        for (let q = 0; q < d; q++) pred += X[r * d + q] * W.data[wo + q];
        rss[g] += (y[r] - pred) ** 2;
      }
    }
  }
  const s2 = new Float64Array(c);
  const p = new Float64Array(c);
  for (let g = 0; g < c; g++) {
    s2[g] = size[g] > 0 ? Math.max(VARIANCE_FLOOR, rss[g] / (size[g] * (to - from))) : Number.NaN;
    p[g] = size[g] / n;
  }
  return { W, s2, p };
}
