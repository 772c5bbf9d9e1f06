import type { Mat } from "../linalg/mat.js";
import { axpyAt, dotAt } from "../linalg/vector.js";

/** Learner parameters: representation `B` (d × k', row-major) and head `w` (k'). */
export interface MetaParams {
  B: Mat;
  w: Float64Array;
}

/**
 * Scratch buffers and gradient accumulators for one method, sized once (d, k') so the per-task
 * loop allocates nothing. Per-task products use `Bt` (k' × d, a copy of Bᵀ refreshed once per
 * batch) and accumulate `GBt = G_Bᵀ` (k' × d), so every product is a contiguous length-d dot
 * or axpy; `finishMetaGradient` writes `GB` (d × k').
 */
export interface MetaWorkspace {
  d: number;
  kp: number;
  Bt: Float64Array;
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
  GBt: Float64Array;
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
    Bt: new Float64Array(kp * d),
    theta0: vd(),
    r: vd(),
    rp: vd(),
    thetaP: vd(),
    u: vd(),
    v: vd(),
    btr: vk(),
    wp: vk(),
    h: vk(),
    GBt: new Float64Array(kp * d),
    GB: new Float64Array(d * kp),
    Gw: vk(),
    uSum: vd(),
  };
}

/** ws.Bt ← Bᵀ. */
export function refreshBt(B: Mat, ws: MetaWorkspace): void {
  const { rows: d, cols: kp, data } = B;
  for (let i = 0; i < d; i++) for (let c = 0; c < kp; c++) ws.Bt[c * d + i] = data[i * kp + c];
}

/** out = Bᵀ v (k'), from Bt. */
export function btv(ws: MetaWorkspace, v: Float64Array, out: Float64Array): void {
  const { d, kp, Bt } = ws;
  for (let c = 0; c < kp; c++) out[c] = dotAt(Bt, c * d, v, 0, d);
}

/**
 * out = B a (d), from Bt: per entry `((0 + a₀B_i0) + a₁B_i1) + …`, the sums of zeroing `out` and
 * adding one column at a time, in one pass.
 */
export function bv(ws: MetaWorkspace, a: Float64Array, out: Float64Array): void {
  const { d, kp, Bt } = ws;
  if (kp === 3) {
    const a0 = a[0];
    const a1 = a[1];
    const a2 = a[2];
    for (let i = 0; i < d; i++) out[i] = 0 + a0 * Bt[i] + a1 * Bt[d + i] + a2 * Bt[2 * d + i];
    return;
  }
  for (let i = 0; i < d; i++) {
    let acc = 0;
    for (let c = 0; c < kp; c++) acc += a[c] * Bt[c * d + i];
    out[i] = acc;
  }
}

/** Gᵀ += s · y xᵀ for Gᵀ k' × d (i.e. G += s x yᵀ). */
export function addOuterT(Gt: Float64Array, x: Float64Array, y: Float64Array, s: number): void {
  const d = x.length;
  for (let c = 0; c < y.length; c++) axpyAt(s * y[c], x, 0, Gt, c * d, d);
}

/**
 * `addOuterT(Gt, x, y, s)` then `addOuterT(Gt, x2, y2, s2)` in one pass over Gᵀ: per entry
 * `(G + (s·y_c)·x_i) + (s2·y2_c)·x2_i`, the same two roundings in the same order (same bits).
 */
export function addOuterT2(
  Gt: Float64Array,
  x: Float64Array,
  y: Float64Array,
  s: number,
  x2: Float64Array,
  y2: Float64Array,
  s2: number,
): void {
  const d = x.length;
  for (let c = 0; c < y.length; c++) {
    const f = s * y[c];
    const f2 = s2 * y2[c];
    const o = c * d;
    for (let i = 0; i < d; i++) Gt[o + i] = Gt[o + i] + f * x[i] + f2 * x2[i];
  }
}
