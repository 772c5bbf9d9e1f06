import type { Mat } from "../linalg/mat.js";
import { zeros } from "../linalg/mat.js";
import { orthonormalize } from "../linalg/qr.js";
import type { Key } from "../rng/key.js";
import { type Stream, stream } from "../rng/stream.js";

/**
 * The multi-task linear representation model (SPEC §1; Du et al. 2021, Collins et al. 2022,
 * Tripuraneni et al. 2021).
 *
 * Ground truth `B* ∈ R^{d×k}` with orthonormal columns; task t has head `w*_t ∈ R^k` and data
 * `x ~ N(0, I_d)`, `y = ⟨B* w*_t, x⟩ + σ z`. A task's data set is either finite (`m` samples) or
 * the population (`m = ∞`, represented by `null`), for which the sample covariance is `I` and
 * the cross-moment is `θ*_t = B* w*_t`.
 */
export interface LinearRepModel {
  /** Ambient dimension d. */
  d: number;
  /** Ground-truth representation dimension k. */
  k: number;
  /**
   * Head distribution: `w* = mean + scale · D z`, z ~ N(0, I_k), with
   * "collins": D = diag(1, …, 1, µ) (µ sets task diversity: λ_min of the head covariance is
   * (scale·µ)²); "isotropic": D = I_k/√k (Tripuraneni et al.).
   */
  heads: "collins" | "isotropic";
  mu: number;
  headScale: number;
  /** Mean of every head coordinate (0 for the theory's zero-mean heads). */
  headMean: number;
  /** Label noise σ. */
  sigma: number;
  /** Inner (adaptation) samples per task; null = population (∞). */
  mIn: number | null;
  /** Outer (evaluation) samples per task; null = population (∞). */
  mOut: number | null;
}

/** A task's data set: `X` is m × d row-major, `y` has m entries; `m = null` is the population. */
export interface SampleSet {
  m: number | null;
  X: Float64Array;
  y: Float64Array;
}

/** One task: its true head and regression vector, inner and outer data (buffers reused). */
export interface TaskData {
  wStar: Float64Array;
  /** θ* = B* w*, length d. */
  theta: Float64Array;
  inner: SampleSet;
  outer: SampleSet;
}

/** A task buffer sized for the model; fill it with `sampleTask`. */
export function allocTask(model: LinearRepModel): TaskData {
  const set = (m: number | null): SampleSet => ({
    m,
    X: new Float64Array((m ?? 0) * model.d),
    y: new Float64Array(m ?? 0),
  });
  return {
    wStar: new Float64Array(model.k),
    theta: new Float64Array(model.d),
    inner: set(model.mIn),
    outer: set(model.mOut),
  };
}

/** Ground truth B*: orthonormal basis of a Gaussian d × k matrix (thin QR). */
export function sampleGroundTruth(key: Key, d: number, k: number): Mat {
  const G = zeros(d, k);
  stream(key).fillNormal(G.data);
  return orthonormalize(G);
}

/** Per-coordinate standard deviation of the heads. */
export function headStd(model: LinearRepModel): Float64Array {
  const sd = new Float64Array(model.k);
  if (model.heads === "collins") {
    sd.fill(model.headScale);
    sd[model.k - 1] = model.headScale * model.mu;
  } else sd.fill(model.headScale / Math.sqrt(model.k));
  return sd;
}

/**
 * Draw one task into `out` from stream `s`, in a fixed order: head (k normals), then inner X
 * (m_in·d), inner noise (m_in), outer X (m_out·d), outer noise (m_out). Population sets draw
 * nothing, so a task's head is the same in population and finite-sample runs with one key.
 */
export function sampleTask(
  s: Stream,
  model: LinearRepModel,
  Bstar: Mat,
  sd: Float64Array,
  out: TaskData,
): void {
  const { d, k, sigma } = model;
  const { wStar, theta } = out;
  s.fillNormal(wStar, 0, k);
  for (let c = 0; c < k; c++) wStar[c] = model.headMean + sd[c] * wStar[c];
  const Bs = Bstar.data;
  for (let i = 0; i < d; i++) {
    let acc = 0;
    for (let c = 0; c < k; c++) acc += Bs[i * k + c] * wStar[c];
    theta[i] = acc;
  }
  fillSet(s, out.inner, theta, d, sigma);
  fillSet(s, out.outer, theta, d, sigma);
}

function fillSet(s: Stream, set: SampleSet, theta: Float64Array, d: number, sigma: number): void {
  const m = set.m;
  if (m === null) return;
  const { X, y } = set;
  s.fillNormal(X, 0, m * d);
  s.fillNormal(y, 0, m, sigma);
  for (let j = 0; j < m; j++) {
    const o = j * d;
    let acc = 0;
    for (let i = 0; i < d; i++) acc += X[o + i] * theta[i];
    y[j] += acc;
  }
}

/**
 * Loss of a regression vector θ on a data set: `(1/2m) Σ_j (⟨θ, x_j⟩ − y_j)²`, or for the
 * population `½‖θ − θ*‖² + σ²/2`.
 */
export function setLoss(set: SampleSet, thetaStar: Float64Array, theta: Float64Array, sigma: number): number {
  const d = theta.length;
  if (set.m === null) {
    let acc = 0;
    for (let i = 0; i < d; i++) acc += (theta[i] - thetaStar[i]) ** 2;
    return 0.5 * acc + 0.5 * sigma * sigma;
  }
  const { m, X, y } = set;
  let acc = 0;
  for (let j = 0; j < m; j++) {
    let e = -y[j];
    for (let i = 0; i < d; i++) e += X[j * d + i] * theta[i];
    acc += e * e;
  }
  return acc / (2 * m);
}

/**
 * Gradient residual `g(θ) = Σ̂θ − ĉ = Xᵀ(Xθ − y)/m` (population: `θ − θ*`), written to `out`.
 * One fused pass per sample row: the dot product and the update touch the row while in cache.
 */
export function residual(
  set: SampleSet,
  thetaStar: Float64Array,
  theta: Float64Array,
  out: Float64Array,
): void {
  const d = theta.length;
  if (set.m === null) {
    for (let i = 0; i < d; i++) out[i] = theta[i] - thetaStar[i];
    return;
  }
  const { m, X, y } = set;
  out.fill(0);
  for (let j = 0; j < m; j++) {
    const o = j * d;
    let e = -y[j];
    for (let i = 0; i < d; i++) e += X[o + i] * theta[i];
    for (let i = 0; i < d; i++) out[i] += e * X[o + i];
  }
  const inv = 1 / m;
  for (let i = 0; i < d; i++) out[i] *= inv;
}

/** `Σ̂ v = Xᵀ(Xv)/m` (population: `v`), written to `out`. */
export function covApply(set: SampleSet, v: Float64Array, out: Float64Array): void {
  const d = v.length;
  if (set.m === null) {
    out.set(v);
    return;
  }
  const { m, X } = set;
  out.fill(0);
  for (let j = 0; j < m; j++) {
    const o = j * d;
    let e = 0;
    for (let i = 0; i < d; i++) e += X[o + i] * v[i];
    for (let i = 0; i < d; i++) out[i] += e * X[o + i];
  }
  const inv = 1 / m;
  for (let i = 0; i < d; i++) out[i] *= inv;
}
