import type { Mat } from "../linalg/mat.js";
import { matFrom } from "../linalg/mat.js";
import { foldIn, foldInString, type Key } from "../rng/key.js";
import { type Stream, stream } from "../rng/stream.js";

/**
 * Collins et al.'s multi-task model (ICML 2022; SPEC §1) with a ReLU feature map: task t's label is
 * y = ⟨w*_t, relu(B*ᵀx)⟩ + σz, x ~ N(0, I_d), B* ∈ R^{d×k} orthonormal, w*_t ~ N(0, diag(1, …, 1,
 * µ²)). The network experiments (`nonlinear-representation`, `bouniot-network`) draw their tasks
 * here, so both see the same family from the same keys.
 */
export interface ReluTaskFamily {
  d: number;
  k: number;
  /** Tasks per outer iteration. */
  n: number;
  m_in: number;
  m_out: number;
  sigma: number;
}

/** A labelled set as the network methods take it: X (m × d) and y (m × 1). */
export interface ReluSet {
  x: Mat;
  y: Mat;
}

/** relu(B*ᵀx) for the rows of X (m × d) into F (m × k). */
function features(X: Float64Array, m: number, d: number, Bstar: Mat, F: Float64Array): void {
  const k = Bstar.cols;
  const B = Bstar.data;
  for (let j = 0; j < m; j++)
    for (let c = 0; c < k; c++) {
      let acc = 0;
      for (let i = 0; i < d; i++) acc += X[j * d + i] * B[i * k + c];
      F[j * k + c] = Math.max(acc, 0);
    }
}

/** m samples of task w*: x ~ N(0, I_d) (m·d normals), y = ⟨w*, relu(B*ᵀx)⟩ + σz (m normals). */
export function drawReluSet(
  s: Stream,
  m: number,
  d: number,
  Bstar: Mat,
  wStar: Float64Array,
  sigma: number,
): ReluSet {
  const k = Bstar.cols;
  const X = s.fillNormal(new Float64Array(m * d));
  const y = s.fillNormal(new Float64Array(m), 0, m, sigma);
  const F = new Float64Array(m * k);
  features(X, m, d, Bstar, F);
  for (let j = 0; j < m; j++) {
    let acc = y[j];
    for (let c = 0; c < k; c++) acc += F[j * k + c] * wStar[c];
    y[j] = acc;
  }
  return { x: matFrom(m, d, X), y: matFrom(m, 1, y) };
}

/**
 * Batch t's n tasks under `key`: heads w* ~ N(0, diag(1, …, 1, µ²)) (k normals), then inner and
 * outer sets, all from the stream foldIn(foldInString(key, "tasks"), t).
 */
export function reluTasks(
  p: ReluTaskFamily,
  mu: number,
  Bstar: Mat,
  key: Key,
  t: number,
): { inner: ReluSet; outer: ReluSet }[] {
  const s = stream(foldIn(foldInString(key, "tasks"), t));
  const out: { inner: ReluSet; outer: ReluSet }[] = [];
  for (let i = 0; i < p.n; i++) {
    const w = s.fillNormal(new Float64Array(p.k));
    w[p.k - 1] *= mu;
    out.push({
      inner: drawReluSet(s, p.m_in, p.d, Bstar, w, p.sigma),
      outer: drawReluSet(s, p.m_out, p.d, Bstar, w, p.sigma),
    });
  }
  return out;
}
