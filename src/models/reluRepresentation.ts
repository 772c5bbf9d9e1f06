import { gemm } from "../linalg/gemm.js";
import { type Mat, matFrom } from "../linalg/mat.js";
import { foldIn, foldInString, type Key } from "../rng/key.js";
import { stream } from "../rng/stream.js";

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

/**
 * y_j ← y_j + ⟨w*, relu(B*ᵀx_j)⟩ for the rows of X (rows × d), task by task: rows j ∈ [b·m, (b+1)·m)
 * belong to task b, whose head is W[b·k …]. The features are one product X B* for all the tasks
 * (its rows are independent, each summed over i in order from zero: the bits of a per-row loop).
 */
function addLabels(
  X: Float64Array,
  rows: number,
  d: number,
  Bstar: Mat,
  m: number,
  W: Float64Array,
  y: Float64Array,
): void {
  const k = Bstar.cols;
  const F = new Float64Array(rows * k);
  gemm(false, false, 1, matFrom(rows, d, X), Bstar, 0, matFrom(rows, k, F));
  for (let j = 0; j < rows; j++) {
    const h = Math.floor(j / m) * k;
    let acc = y[j];
    for (let c = 0; c < k; c++) acc += Math.max(F[j * k + c], 0) * W[h + c];
    y[j] = acc;
  }
}

/**
 * Batch t's n tasks under `key`, from the stream foldIn(foldInString(key, "tasks"), t) in this order
 * per task: the head w* ~ N(0, diag(1, …, 1, µ²)) (k normals), the inner set, the outer set; a set
 * of m samples is x ~ N(0, I_d) (m·d normals) then the noise z (m normals), and y = ⟨w*,
 * relu(B*ᵀx)⟩ + σz. The tasks' sets are consecutive blocks of four arrays (inner X, y, outer X,
 * y), which the blocked meta-gradient (algorithms/network) reads in place.
 */
export function reluTasks(
  p: ReluTaskFamily,
  mu: number,
  Bstar: Mat,
  key: Key,
  t: number,
): { inner: ReluSet; outer: ReluSet }[] {
  const s = stream(foldIn(foldInString(key, "tasks"), t));
  const { n, d, k, m_in: mi, m_out: mo, sigma } = p;
  const W = new Float64Array(n * k);
  const Xi = new Float64Array(n * mi * d);
  const Yi = new Float64Array(n * mi);
  const Xo = new Float64Array(n * mo * d);
  const Yo = new Float64Array(n * mo);
  for (let b = 0; b < n; b++) {
    s.fillNormal(W, b * k, k);
    W[b * k + k - 1] *= mu;
    s.fillNormal(Xi, b * mi * d, mi * d);
    s.fillNormal(Yi, b * mi, mi, sigma);
    s.fillNormal(Xo, b * mo * d, mo * d);
    s.fillNormal(Yo, b * mo, mo, sigma);
  }
  addLabels(Xi, n * mi, d, Bstar, mi, W, Yi);
  addLabels(Xo, n * mo, d, Bstar, mo, W, Yo);
  const set = (X: Float64Array, Y: Float64Array, m: number, b: number): ReluSet => ({
    x: matFrom(m, d, X.subarray(b * m * d, (b + 1) * m * d)),
    y: matFrom(m, 1, Y.subarray(b * m, (b + 1) * m)),
  });
  return Array.from({ length: n }, (_, b) => ({ inner: set(Xi, Yi, mi, b), outer: set(Xo, Yo, mo, b) }));
}
