import { ParamError } from "../../errors.js";
import { gemmStrided, type Operand, type PinnedMat, strided } from "../../linalg/gemm.js";
import type { Mat } from "../../linalg/mat.js";
import type { PatchDataset } from "../../models/patchData.js";
import type { Key } from "../../rng/key.js";
import { Stream } from "../../rng/stream.js";
import { type Activation, activateInto } from "./activation.js";
import { layoutOf, structuredForward, structuredOutputs } from "./structured.js";

/**
 * The two-layer CNN of SPEC §3 (Cao et al. 2022; Kou et al. 2023; Li et al. 2025):
 *
 *   f(W, x) = F₊₁(W₊₁, x) − F₋₁(W₋₁, x),   F_j(W_j, x) = (1/m) Σ_{r=1}^{m} Σ_{p=1}^{P} σ(⟨w_{j,r}, x⁽ᵖ⁾⟩),
 *
 * with the second layer fixed to ±1/m. The weights are one (2m) × d matrix: rows 0 … m − 1 are
 * the filters w_{+1,r} of class +1, rows m … 2m − 1 the filters w_{−1,r} of class −1.
 */
export interface CnnShape {
  /** Filters per class m ≥ 1. */
  m: number;
  /** Patch dimension d. */
  d: number;
}

/** Gaussian initialisation: every entry of W ~ N(0, σ₀²), from the stream of `key`. */
export function initWeights(key: Key, shape: CnnShape, sigma0: number): Mat {
  const { m, d } = shape;
  if (!Number.isInteger(m) || m < 1) throw new ParamError("cnn", "m", "must be an integer ≥ 1", m);
  if (!Number.isInteger(d) || d < 1) throw new ParamError("cnn", "d", "must be an integer ≥ 1", d);
  if (!(sigma0 >= 0 && Number.isFinite(sigma0))) throw new ParamError("cnn", "sigma0", "must be ≥ 0", sigma0);
  const data = new Float64Array(2 * m * d);
  new Stream(key).fillNormal(data, 0, data.length, sigma0);
  return { rows: 2 * m, cols: d, data };
}

/**
 * Buffers of a forward and backward pass over N examples of P patches: preactivations Z, σ(Z) and
 * σ'(Z) ((N·P) × 2m each), outputs f (N), and the gradient (2m × d). Reused across steps.
 */
export interface CnnWorkspace {
  count: number;
  P: number;
  m: number;
  d: number;
  /** Z[i·P + p, j] = ⟨w_j, x_i⁽ᵖ⁾⟩. */
  Z: Mat;
  /** σ(Z). */
  A: Float64Array;
  /** σ'(Z), then overwritten by ∂L/∂Z in a backward pass. */
  S: Mat;
  /** f(W, x_i). */
  out: Float64Array;
  /** ∇_W L. */
  grad: Mat;
  /**
   * The training set's X pinned in the kernel module's memory for a whole run (`trainCnn` sets it
   * and releases it), so the two products of every step read it in place instead of copying it in;
   * used only while `source` is the X of the data passed in.
   */
  pinnedX: { source: Float64Array; mat: PinnedMat } | null;
  /** The same for the compact noise rows of data with known zeros (structured.ts `noiseRows`). */
  pinnedNoise: { source: Float64Array; mat: PinnedMat } | null;
}

export function allocCnnWorkspace(count: number, P: number, shape: CnnShape): CnnWorkspace {
  const rows = count * P;
  const cols = 2 * shape.m;
  return {
    count,
    P,
    m: shape.m,
    d: shape.d,
    Z: { rows, cols, data: new Float64Array(rows * cols) },
    A: new Float64Array(rows * cols),
    S: { rows, cols, data: new Float64Array(rows * cols) },
    out: new Float64Array(count),
    grad: { rows: cols, cols: shape.d, data: new Float64Array(cols * shape.d) },
    pinnedX: null,
    pinnedNoise: null,
  };
}

export function checkFits(W: Mat, data: PatchDataset, ws: CnnWorkspace): void {
  if (
    W.rows !== 2 * ws.m ||
    W.cols !== data.d ||
    ws.count !== data.count ||
    ws.P !== data.P ||
    ws.d !== data.d
  ) {
    throw new RangeError(
      `cnn: W is ${W.rows}×${W.cols}, data has ${data.count} examples of ${data.P} patches in d = ${data.d}, workspace is for ${ws.count}×${ws.P} in d = ${ws.d} with m = ${ws.m}`,
    );
  }
}

/**
 * Doubles of X per block of examples in a pass (8 MiB). Each block is one call of the kernel
 * module per product (forward X Wᵀ, backward Dᵀ X), which copies the block into its memory and
 * packs W once per call; a large block amortises both (a 1000-row step in one call instead of 25
 * small ones), while the bound keeps the module's memory small for large datasets.
 */
export const BLOCK_DOUBLES = 1 << 20;

/** Examples per block for patches of P × d. */
export function blockExamples(P: number, d: number): number {
  return Math.max(1, Math.floor(BLOCK_DOUBLES / (P * d)));
}

/** Rows [r0, r1) of the data's X as a product operand: in place if pinned, else a view. */
export function xRows(data: PatchDataset, ws: CnnWorkspace, r0: number, r1: number): Operand {
  const p = ws.pinnedX;
  const d = data.d;
  if (p !== null && p.source === data.X.data) {
    return { rows: r1 - r0, cols: d, at: p.mat.at + 8 * r0 * d, stride: d };
  }
  return { rows: r1 - r0, cols: d, data: data.X.data, offset: r0 * d, stride: d };
}

/** Row-range view of a row-major matrix (no copy). */
export function rowsOf(A: Mat, r0: number, r1: number): Mat {
  return { rows: r1 - r0, cols: A.cols, data: A.data.subarray(r0 * A.cols, r1 * A.cols) };
}

/**
 * Forward pass over examples [i0, i1): `ws.Z` rows of those examples = X rows · Wᵀ (one GEMM, or
 * the same bits from fewer multiply-adds on data with known zeros: structured.ts), then
 * `activateRows`.
 */
export function forwardRange(
  W: Mat,
  act: Activation,
  data: PatchDataset,
  ws: CnnWorkspace,
  i0: number,
  i1: number,
): void {
  preactivateRange(W, data, ws, i0, i1);
  activateRows(act, ws, i0, i1);
}

/** The product of `forwardRange` alone: `ws.Z` rows of examples [i0, i1) = X rows · Wᵀ. */
export function preactivateRange(W: Mat, data: PatchDataset, ws: CnnWorkspace, i0: number, i1: number): void {
  const layout = layoutOf(data);
  if (layout === null || !structuredForward(W, data, layout, ws, i0, i1)) {
    const r0 = i0 * ws.P;
    const r1 = i1 * ws.P;
    gemmStrided(false, true, 1, xRows(data, ws, r0, r1), strided(W), 0, strided(rowsOf(ws.Z, r0, r1)));
  }
}

/**
 * From the preactivations `ws.Z` of examples [i0, i1): σ(Z) and σ'(Z) there, and
 * `ws.out[i]` = f(W, x_i) = (1/m) Σ_p Σ_r [σ(Z[i·P + p, r]) − σ(Z[i·P + p, m + r])].
 */
export function activateRows(act: Activation, ws: CnnWorkspace, i0: number, i1: number): void {
  const { m, P } = ws;
  const cols = 2 * m;
  const len = (i1 - i0) * P * cols;
  const off = i0 * P * cols;
  activateInto(
    act,
    ws.Z.data.subarray(off, off + len),
    ws.A.subarray(off, off + len),
    ws.S.data.subarray(off, off + len),
  );
  const A = ws.A;
  const inv = 1 / m;
  for (let i = i0; i < i1; i++) {
    let f = 0;
    const start = i * P * cols;
    for (let p = 0; p < P; p++) {
      const row = start + p * cols;
      for (let r = 0; r < m; r++) f += A[row + r] - A[row + m + r];
    }
    ws.out[i] = f * inv;
  }
}

/**
 * Forward pass: fills `ws.Z` = X Wᵀ, σ(Z), σ'(Z) and `ws.out` = f(W, x_i) for every example,
 * block by block. Returns `ws.out`.
 */
export function forwardInto(W: Mat, act: Activation, data: PatchDataset, ws: CnnWorkspace): Float64Array {
  checkFits(W, data, ws);
  const B = blockExamples(ws.P, ws.d);
  for (let i0 = 0; i0 < ws.count; i0 += B) forwardRange(W, act, data, ws, i0, Math.min(ws.count, i0 + B));
  return ws.out;
}

/**
 * f(W, x_i) for every example (`ws.out`, the same bits as `forwardInto`) without σ'(Z) or the
 * σ(Z) buffer: for evaluation, where nothing reads them (`ws.A`, `ws.S` are left as they were;
 * `ws.Z` holds the preactivations, except on data with known zeros, where they are not formed:
 * structured.ts `structuredOutputs`). Returns `ws.out`.
 */
export function outputsInto(W: Mat, act: Activation, data: PatchDataset, ws: CnnWorkspace): Float64Array {
  if (!(act.kind === "relu-power" && act.q === 3)) return forwardInto(W, act, data, ws);
  checkFits(W, data, ws);
  const B = blockExamples(ws.P, ws.d);
  const { m, P } = ws;
  const cols = 2 * m;
  const Z = ws.Z.data;
  const inv = 1 / m;
  for (let i0 = 0; i0 < ws.count; i0 += B) {
    const i1 = Math.min(ws.count, i0 + B);
    const layout = layoutOf(data);
    if (layout !== null && structuredOutputs(W, data, layout, ws, i0, i1)) {
      for (let i = i0; i < i1; i++) if (Number.isNaN(ws.out[i])) return forwardInto(W, act, data, ws);
      continue;
    }
    if (layout === null || !structuredForward(W, data, layout, ws, i0, i1)) {
      gemmStrided(
        false,
        true,
        1,
        xRows(data, ws, i0 * P, i1 * P),
        strided(W),
        0,
        strided(rowsOf(ws.Z, i0 * P, i1 * P)),
      );
    }
    // σ as activateInto computes it (relu³ without a branch: NaN only from a NaN or −∞ preactivation,
    // which forwardInto handles), summed as activateRows sums.
    let bad = false;
    for (let i = i0; i < i1; i++) {
      let f = 0;
      const start = i * P * cols;
      for (let p = 0; p < P; p++) {
        const row = start + p * cols;
        for (let r = 0; r < m; r++) {
          const x = Z[row + r];
          const y = Z[row + m + r];
          const px = 0.5 * (x + Math.abs(x));
          const py = 0.5 * (y + Math.abs(y));
          f += px * px * px - py * py * py;
        }
      }
      if (Number.isNaN(f)) bad = true;
      ws.out[i] = f * inv;
    }
    if (bad) return forwardInto(W, act, data, ws);
  }
  return ws.out;
}

/** f(W, x_i) for every example of `data` (allocates a workspace; for evaluation). */
export function cnnOutputs(W: Mat, act: Activation, data: PatchDataset): Float64Array {
  const ws = allocCnnWorkspace(data.count, data.P, { m: W.rows / 2, d: W.cols });
  return forwardInto(W, act, data, ws).slice();
}
