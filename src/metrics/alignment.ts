import type { Mat } from "../linalg/mat.js";

/*
 * Feature learning vs noise memorisation in the two-layer CNN (SPEC §3; Cao et al. 2022, Kou et
 * al. 2023): how far the filters have turned towards a feature, or towards the noise patches of
 * the training data. The quantities are inner products ⟨w, x⟩ — the preactivations the activation
 * sees — not cosines, so feature and noise alignments are on the same scale. W is (2m) × d, rows
 * 0 … m − 1 the filters of class +1, rows m … 2m − 1 those of class −1.
 */

/**
 * Largest alignment of each class's filters with the feature `v` as that class sees it:
 * `{plus: max_r ⟨w_{+1,r}, v⟩, minus: max_r ⟨w_{−1,r}, −v⟩}` (a feature appears as y·v, so class
 * −1 learns −v).
 */
export function classAlignments(W: Mat, v: Float64Array): { plus: number; minus: number } {
  const m = W.rows / 2;
  const d = W.cols;
  if (v.length !== d) throw new RangeError(`featureAlignment: v has length ${v.length}; W has ${d} columns`);
  let plus = Number.NEGATIVE_INFINITY;
  let minus = Number.NEGATIVE_INFINITY;
  const w = W.data;
  for (let r = 0; r < 2 * m; r++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += w[r * d + k] * v[k];
    if (r < m) plus = Math.max(plus, s);
    else minus = Math.max(minus, -s);
  }
  return { plus, minus };
}

/**
 * Feature alignment `½ Σ_{j=±1} max_r ⟨w_{j,r}, j·v⟩`: the mean over the two classes of their
 * largest filter alignment with the feature (SPEC §3's `max_r⟨w_r, u⟩`, for both classes).
 */
export function featureAlignment(W: Mat, v: Float64Array): number {
  const a = classAlignments(W, v);
  return (a.plus + a.minus) / 2;
}

/**
 * Noise alignment from the preactivations `Z` ((N·P) × 2m, `Z[i·P + p, j] = ⟨w_j, x_i⁽ᵖ⁾⟩`) of
 * the training data: for each example i, the largest `⟨w_{y_i,r}, ξ_i⟩` over its own class's
 * filters r and its noise patches ξ_i (patches `firstNoise … P − 1`), then the mean over examples
 * (SPEC §3's `max_r⟨w_r, ξ_i⟩`, averaged over i). Large values mean the network fits the
 * training labels through the noise: memorisation.
 */
export function noiseAlignment(Z: Mat, y: Float64Array, P: number, firstNoise = 1): number {
  const cols = Z.cols;
  const m = cols / 2;
  const N = y.length;
  if (Z.rows !== N * P) throw new RangeError(`noiseAlignment: Z has ${Z.rows} rows; expected N·P = ${N * P}`);
  if (N === 0 || firstNoise >= P) return Number.NaN;
  const z = Z.data;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const off = y[i] > 0 ? 0 : m;
    let best = Number.NEGATIVE_INFINITY;
    for (let p = firstNoise; p < P; p++) {
      const row = (i * P + p) * cols + off;
      for (let r = 0; r < m; r++) if (z[row + r] > best) best = z[row + r];
    }
    sum += best;
  }
  return sum / N;
}
