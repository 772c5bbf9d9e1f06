import { ParamError } from "../../errors.js";
import type { Mat } from "../../linalg/mat.js";
import type { Key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { keptGram, topEigenvectors } from "./pca.js";
import { quantileInPlace } from "./quantile.js";

/**
 * High-dimensional robust PCA (HRPCA; Xu, Caramanis, Mannor 2013), as run by the official code of
 * Kong et al. (NeurIPS 2020) for comparison [paper code]. For s = 0, 1, …, steps − 1:
 * W = top-k eigenvectors of the kept points' covariance; its robust variance estimate
 * `V̄(W) = Σ_c mean{ (w_cᵀx)² : |w_cᵀx| < the (1 − α) quantile of |w_cᵀx| }` over ALL n points;
 * keep the W with the largest V̄ seen; then remove one kept point at random with probability
 * ∝ ‖Wᵀxᵢ‖². Default steps = ⌊n/4⌋ (the official code's n/4). Returns the best W and the kept set
 * at the step it was found.
 */
export interface HrpcaResult {
  U: Mat;
  kept: Uint8Array;
  /** The step at which the best W was found (= number of points removed by then). */
  bestStep: number;
  steps: number;
}

export function hrpca(
  X: Mat,
  k: number,
  alpha: number,
  key: Key,
  options: { steps?: number } = {},
): HrpcaResult {
  const { rows: n, cols: d } = X;
  const ctx = "hrpca";
  if (!Number.isInteger(k) || k < 1 || k >= d)
    throw new ParamError(ctx, "k", `must be an integer in [1, d = ${d})`, k);
  if (!(alpha > 0 && alpha < 1)) throw new ParamError(ctx, "alpha", "must be in (0, 1)", alpha);
  const steps = options.steps ?? Math.floor(n / 4);
  if (!Number.isInteger(steps) || steps < 1 || steps >= n) {
    throw new ParamError(ctx, "steps", `must be an integer in [1, n = ${n})`, steps);
  }
  const st = stream(key);
  const x = X.data;
  const kept = new Uint8Array(n).fill(1);
  const G = keptGram(X, kept);
  const removed = new Int32Array(steps);
  const proj = new Float64Array(n * k);
  const scratch = new Float64Array(n);
  const weight = new Float64Array(n);
  // Columns of X, each contiguous: projections are then d axpys of length n (fast, vectorisable).
  const xt = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) xt[a * n + i] = x[i * d + a];
  let best = Number.NEGATIVE_INFINITY;
  let bestU: Mat | null = null;
  let bestStep = 0;
  for (let s = 0; s < steps; s++) {
    const W = topEigenvectors(G, k);
    let vbar = 0;
    let total = 0;
    for (let c = 0; c < k; c++) {
      const po = c * n;
      const w0 = W.data[c];
      for (let i = 0; i < n; i++) proj[po + i] = w0 * xt[i];
      for (let a = 1; a < d - 1; a++) {
        const wa = W.data[a * k + c];
        const xo = a * n;
        for (let i = 0; i < n; i++) proj[po + i] += wa * xt[xo + i];
      }
      // Last column (d ≥ 2): finish the projection and take |·| for the quantile in one pass.
      const wl = W.data[(d - 1) * k + c];
      const xl = (d - 1) * n;
      for (let i = 0; i < n; i++) {
        const p = proj[po + i] + wl * xt[xl + i];
        proj[po + i] = p;
        scratch[i] = p < 0 ? -p : p;
      }
      const thr = quantileInPlace(scratch, n, 1 - alpha);
      let sum = 0;
      let cnt = 0;
      // V̄'s trimmed mean, and the removal weights ‖Wᵀxᵢ‖² of the kept points, in one pass.
      for (let i = 0; i < n; i++) {
        const v = proj[po + i];
        const v2 = v * v;
        if ((v < 0 ? -v : v) < thr) {
          sum += v2;
          cnt++;
        }
        const w = kept[i] ? v2 : 0;
        weight[i] = c === 0 ? w : weight[i] + w;
        if (c === k - 1) total += weight[i];
      }
      vbar += cnt > 0 ? sum / cnt : 0;
    }
    if (vbar > best) {
      best = vbar;
      bestU = W;
      bestStep = s;
    }
    // Remove one kept point with probability ∝ ‖Wᵀxᵢ‖².
    const u = st.uniform() * total;
    let acc = 0;
    let pick = -1;
    for (let i = 0; i < n; i++) {
      if (weight[i] === 0) continue;
      acc += weight[i];
      pick = i;
      if (acc > u) break;
    }
    if (pick < 0) break;
    removed[s] = pick;
    kept[pick] = 0;
    // G ← G − x xᵀ for the removed point.
    const o = pick * d;
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) G.data[a * d + b] -= x[o + a] * x[o + b];
  }
  const keptAtBest = new Uint8Array(n).fill(1);
  for (let s = 0; s < bestStep; s++) keptAtBest[removed[s]] = 0;
  return { U: bestU as Mat, kept: keptAtBest, bestStep, steps };
}
