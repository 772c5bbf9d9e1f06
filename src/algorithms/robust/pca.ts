import { ParamError } from "../../errors.js";
import { topKEigh } from "../../linalg/eigh.js";
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
  return topKEigh(G, G.rows, k, { by: "algebraic", tol: 1e-12 }).vectors;
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
