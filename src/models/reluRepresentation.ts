import { gemmBlocks } from "../linalg/gemm.js";
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
  F: Float64Array,
): void {
  const k = Bstar.cols;
  // One block of `gemmBlocks`: a k ≤ 4 column product takes its thin kernel (no packing), with
  // gemm's bits.
  gemmBlocks(false, false, 1, matFrom(rows, d, X), Bstar, matFrom(rows, k, F));
  for (let j = 0; j < rows; j++) {
    const h = Math.floor(j / m) * k;
    let acc = y[j];
    for (let c = 0; c < k; c++) acc += Math.max(F[j * k + c], 0) * W[h + c];
    y[j] = acc;
  }
}

/**
 * The arrays one batch of `reluTasks` fills, to reuse across batches: a caller that is done with
 * batch t before drawing batch t + 1 (a training loop) then allocates nothing per batch. Every
 * entry is overwritten by each draw, so reused buffers give the same bits as fresh ones.
 */
export interface ReluTaskBuffers {
  readonly W: Float64Array;
  readonly Xi: Float64Array;
  readonly Yi: Float64Array;
  readonly Xo: Float64Array;
  readonly Yo: Float64Array;
  /** The features X B* of the larger set, for the labels. */
  readonly F: Float64Array;
}

/** Buffers for batches of the family `p` (see `ReluTaskBuffers`). */
export function reluTaskBuffers(p: ReluTaskFamily): ReluTaskBuffers {
  const { n, d, k, m_in: mi, m_out: mo } = p;
  return {
    W: new Float64Array(n * k),
    Xi: new Float64Array(n * mi * d),
    Yi: new Float64Array(n * mi),
    Xo: new Float64Array(n * mo * d),
    Yo: new Float64Array(n * mo),
    F: new Float64Array(n * Math.max(mi, mo) * k),
  };
}

/**
 * Batch t's n tasks under `key`, from the stream foldIn(foldInString(key, "tasks"), t) in this order
 * per task: the head w* ~ N(0, diag(1, …, 1, µ²)) (k normals), the inner set, the outer set; a set
 * of m samples is x ~ N(0, I_d) (m·d normals) then the noise z (m normals), and y = ⟨w*,
 * relu(B*ᵀx)⟩ + σz. The tasks' sets are consecutive blocks of four arrays (inner X, y, outer X,
 * y), which the blocked meta-gradient (algorithms/network) reads in place. With `into` (buffers of
 * this family, `reluTaskBuffers`) the batch is written there: the previous batch's sets, views of
 * the same arrays, are overwritten.
 */
export function reluTasks(
  p: ReluTaskFamily,
  mu: number,
  Bstar: Mat,
  key: Key,
  t: number,
  into?: ReluTaskBuffers,
): { inner: ReluSet; outer: ReluSet }[] {
  const s = stream(foldIn(foldInString(key, "tasks"), t));
  const { n, d, k, m_in: mi, m_out: mo, sigma } = p;
  const buf = into ?? reluTaskBuffers(p);
  const { W, Xi, Yi, Xo, Yo, F } = buf;
  if (
    W.length !== n * k ||
    Xi.length !== n * mi * d ||
    Xo.length !== n * mo * d ||
    F.length < n * Math.max(mi, mo) * k
  )
    throw new RangeError("reluTasks: the buffers were made for another family (n, d, k, m_in, m_out)");
  for (let b = 0; b < n; b++) {
    s.fillNormal(W, b * k, k);
    W[b * k + k - 1] *= mu;
    s.fillNormal(Xi, b * mi * d, mi * d);
    s.fillNormal(Yi, b * mi, mi, sigma);
    s.fillNormal(Xo, b * mo * d, mo * d);
    s.fillNormal(Yo, b * mo, mo, sigma);
  }
  addLabels(Xi, n * mi, d, Bstar, mi, W, Yi, F.subarray(0, n * mi * k));
  addLabels(Xo, n * mo, d, Bstar, mo, W, Yo, F.subarray(0, n * mo * k));
  const set = (X: Float64Array, Y: Float64Array, m: number, b: number): ReluSet => ({
    x: matFrom(m, d, X.subarray(b * m * d, (b + 1) * m * d)),
    y: matFrom(m, 1, Y.subarray(b * m, (b + 1) * m)),
  });
  return Array.from({ length: n }, (_, b) => ({ inner: set(Xi, Yi, mi, b), outer: set(Xo, Yo, mo, b) }));
}
