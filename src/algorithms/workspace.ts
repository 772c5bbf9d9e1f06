import type { Mat } from "../linalg/mat.js";

/** Learner parameters: representation `B` (d × k') and head `w` (k'). */
export interface MetaParams {
  B: Mat;
  w: Float64Array;
}

/**
 * Scratch buffers and gradient accumulators for one method, sized once (d, k') so the per-task
 * loop allocates nothing. `GB`, `Gw` and `uSum` accumulate sums over the tasks of a batch.
 */
export interface MetaWorkspace {
  d: number;
  kp: number;
  /** θ₀ = B w, shared by every task of the batch. */
  theta0: Float64Array;
  r: Float64Array;
  rp: Float64Array;
  thetaP: Float64Array;
  u: Float64Array;
  v: Float64Array;
  btr: Float64Array;
  wp: Float64Array;
  h: Float64Array;
  GB: Float64Array;
  Gw: Float64Array;
  /** Σ_i Σ_in,i u_i, whose outer product with w enters G_B once per batch. */
  uSum: Float64Array;
}

export function allocWorkspace(d: number, kp: number): MetaWorkspace {
  const vd = () => new Float64Array(d);
  const vk = () => new Float64Array(kp);
  return {
    d,
    kp,
    theta0: vd(),
    r: vd(),
    rp: vd(),
    thetaP: vd(),
    u: vd(),
    v: vd(),
    btr: vk(),
    wp: vk(),
    h: vk(),
    GB: new Float64Array(d * kp),
    Gw: vk(),
    uSum: vd(),
  };
}

/** out = Bᵀ v (k'). */
export function btv(B: Mat, v: Float64Array, out: Float64Array): void {
  const { rows: d, cols: kp, data } = B;
  out.fill(0);
  for (let i = 0; i < d; i++) {
    const vi = v[i];
    const o = i * kp;
    for (let c = 0; c < kp; c++) out[c] += data[o + c] * vi;
  }
}

/** out = B a (d). */
export function bv(B: Mat, a: Float64Array, out: Float64Array): void {
  const { rows: d, cols: kp, data } = B;
  for (let i = 0; i < d; i++) {
    const o = i * kp;
    let acc = 0;
    for (let c = 0; c < kp; c++) acc += data[o + c] * a[c];
    out[i] = acc;
  }
}

/** G += s · x yᵀ for G d × k' row-major. */
export function addOuter(G: Float64Array, x: Float64Array, y: Float64Array, s: number): void {
  const d = x.length;
  const kp = y.length;
  for (let i = 0; i < d; i++) {
    const xi = s * x[i];
    const o = i * kp;
    for (let c = 0; c < kp; c++) G[o + c] += xi * y[c];
  }
}
