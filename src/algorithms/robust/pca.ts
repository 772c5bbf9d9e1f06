import { ParamError } from "../../errors.js";
import { eighSym, topKEigh } from "../../linalg/eigh.js";
import { type Mat, zeros } from "../../linalg/mat.js";

/**
 * G = Σ_{i kept} x_i x_iᵀ (d×d) over the rows of X (n×d), or over all rows without `kept`.
 * Uncentred, as the official code's `svds(X[S])`: the top right singular vectors of the kept rows
 * are the top eigenvectors of G.
 */
export function keptGram(X: Mat, kept?: Uint8Array): Mat {
  const { rows: n, cols: d } = X;
  const G = zeros(d, d);
  const g = G.data;
  const x = X.data;
  for (let i = 0; i < n; i++) {
    if (kept && !kept[i]) continue;
    const o = i * d;
    for (let a = 0; a < d; a++) {
      const xa = x[o + a];
      if (xa === 0) continue;
      const ga = a * d;
      for (let b = a; b < d; b++) g[ga + b] += xa * x[o + b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) g[a * d + b] = g[b * d + a];
  return G;
}

/** Top-k eigenvectors (d×k) of a symmetric PSD d×d matrix (largest eigenvalues first). */
export function topEigenvectors(G: Mat, k: number): Mat {
  const d = G.rows;
  // Where topKEigh would form G (G·I) and decompose it fully anyway (2b ≥ d for its block of
  // b = k + max(5, ⌈k/2⌉)), decompose G at once: the same vectors, bit for bit, without the two
  // products and the residual (HRPCA takes one per step: ~30 % of its cost at d = 10).
  if (k >= 1 && k <= d && G.cols === d && 2 * Math.min(d, k + Math.max(5, Math.ceil(k / 2))) >= d) {
    const all = eighSym(G).vectors.data;
    const out = zeros(d, k);
    for (let r = 0; r < d; r++) for (let c = 0; c < k; c++) out.data[r * k + c] = all[r * d + c];
    return out;
  }
  return topKEigh(G, d, k, { by: "algebraic", tol: 1e-12 }).vectors;
}

/**
 * Principal directions: the top-k right singular vectors (d×k) of the kept rows of X, uncentred.
 * Naive PCA on corrupted data, or the oracle on the clean points.
 */
export function principalDirections(X: Mat, k: number, kept?: Uint8Array): Mat {
  if (!Number.isInteger(k) || k < 1 || k >= X.cols) {
    throw new ParamError("principalDirections", "k", `must be an integer in [1, d = ${X.cols})`, k);
  }
  return topEigenvectors(keptGram(X, kept), k);
}
