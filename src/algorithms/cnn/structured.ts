import {
  GEMM_KC,
  gemmStrided,
  type Operand,
  type PinnedMat,
  pinned,
  release,
  type StridedMat,
} from "../../linalg/gemm.js";
import type { Mat } from "../../linalg/mat.js";
import type { PatchDataset, PatchLayout } from "../../models/patchData.js";
import type { CnnWorkspace } from "./network.js";

/*
 * The CNN's two products on data with known zeros (`PatchDataset.layout`: synthetic patches, whose
 * feature patch has one non-zero column and whose noise patches are zero on the K + 1 feature
 * axes), with the same bits as the dense products of network.ts / gradient.ts:
 *
 * - forward Z = X Wᵀ: a feature row's entries are the single product x·W[j, col]; the noise rows
 *   go through the kernel on the columns [noiseFrom, d) only;
 * - backward ∇ = Dᵀ X: the columns [noiseFrom, d) from the noise rows only, the feature columns
 *   from the feature rows only (a scalar loop: one multiply-add per row and filter).
 *
 * Why the bits agree (wasm/kernels.as): an entry is a sum, in order, of its terms within each block
 * of GEMM_KC consecutive inner indices, starting from +0, and the blocks' sums are added to C in
 * order. A term known to be zero is x·0 = ±0 for finite x, and adding ±0 to a running sum leaves
 * it as it was (+0 + −0 = +0): dropping such terms changes nothing as long as the remaining terms
 * keep their order and their blocks. So the skipped leading columns of the forward product are cut
 * at the first block boundary, and the backward product runs one call per block of X's rows. Both
 * need finite operands (0·∞ is NaN): `structuredOk` checks.
 *
 * With K = 20 tasks in d = 100 and P = 2 patches the kernel does (1/2)·(79/100) ≈ 0.4 of the
 * dense products' multiply-adds.
 */

/** The layout of `data` if it describes its current X, else null. */
export function layoutOf(data: PatchDataset): PatchLayout | null {
  const l = data.layout;
  return l !== undefined && l.of === data.X.data && data.P >= 2 && l.noiseFrom < data.d ? l : null;
}

function allFinite(v: Float64Array, from = 0, to = v.length): boolean {
  for (let k = from; k < to; k++) if (!Number.isFinite(v[k])) return false;
  return true;
}

/** The noise patches' non-zero columns, compact: row i·(P − 1) + q − 1 is X row i·P + q, q ≥ 1. */
const noiseCache = new WeakMap<Float64Array, Float64Array>();

/** The compact noise rows of `data` (see `noiseCache`), made once per X. */
export function noiseRows(data: PatchDataset, layout: PatchLayout): Float64Array {
  const hit = noiseCache.get(data.X.data);
  if (hit) return hit;
  const { count, P, d } = data;
  const w = d - layout.noiseFrom;
  const X = data.X.data;
  const out = new Float64Array(count * (P - 1) * w);
  let o = 0;
  for (let i = 0; i < count; i++)
    for (let q = 1; q < P; q++) {
      const r = (i * P + q) * d + layout.noiseFrom;
      out.set(X.subarray(r, r + w), o);
      o += w;
    }
  noiseCache.set(data.X.data, out);
  return out;
}

/** The compact noise rows [c0, c1) as a product operand: in the pinned copy if the workspace has one. */
function noiseOperand(Xn: Float64Array, w: number, ws: CnnWorkspace, c0: number, c1: number): Operand {
  const p = ws.pinnedNoise;
  if (p !== null && p.source === Xn) return { rows: c1 - c0, cols: w, at: p.mat.at + 8 * c0 * w, stride: w };
  return { rows: c1 - c0, cols: w, data: Xn, offset: c0 * w, stride: w };
}

/** Columns [from, to) of an operand (a view). */
function colsOf(a: Operand, from: number, to: number): Operand {
  if ("at" in a) return { rows: a.rows, cols: to - from, at: a.at + 8 * from, stride: a.stride };
  return { rows: a.rows, cols: to - from, data: a.data, offset: a.offset + from, stride: a.stride };
}

/** Noise rows of X before row r (rows i·P + q with q ≥ 1). */
function noiseBefore(r: number, P: number): number {
  return Math.floor(r / P) * (P - 1) + Math.max(0, (r % P) - 1);
}

let featureScratch = new Float64Array(0);
function featureScratchOf(n: number): Float64Array {
  if (featureScratch.length < n) featureScratch = new Float64Array(n);
  return featureScratch;
}

let accScratch = new Float64Array(0);
function accOf(n: number): Float64Array {
  if (accScratch.length < n) accScratch = new Float64Array(n);
  return accScratch.subarray(0, n);
}

let scratch = new Float64Array(0);
function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(n);
  return scratch;
}

/**
 * Forward product for examples [i0, i1): `ws.Z` rows of those examples = X rows · Wᵀ, the same
 * bits as the dense product. Returns false (nothing done) when W is not finite.
 */
export function structuredForward(
  W: Mat,
  data: PatchDataset,
  layout: PatchLayout,
  ws: CnnWorkspace,
  i0: number,
  i1: number,
): boolean {
  if (!allFinite(W.data)) return false;
  const { P, d } = data;
  const F = W.rows;
  const nf = layout.noiseFrom;
  const w = d - nf;
  const Z = ws.Z.data;
  const X = data.X.data;
  const Wd = W.data;
  const col = layout.featureCol;
  // W's feature columns, each contiguous.
  const Wf = featureScratchOf(nf * F);
  for (let j = 0; j < F; j++) for (let c = 0; c < nf; c++) Wf[c * F + j] = Wd[j * d + c];
  for (let i = i0; i < i1; i++) {
    const c = col[i] * F;
    const x = X[i * P * d + col[i]];
    const z = i * P * F;
    // + 0: the kernel's sum starts at +0, so a zero product comes out as +0.
    for (let j = 0; j < F; j++) Z[z + j] = x * Wf[c + j] + 0;
  }
  const rows = (i1 - i0) * (P - 1);
  if (rows === 0) return true;
  const Xn = noiseRows(data, layout);
  const A = noiseOperand(Xn, w, ws, i0 * (P - 1), i1 * (P - 1));
  const B: StridedMat = { rows: F, cols: w, data: Wd, offset: nf, stride: d };
  // P = 2: the noise rows of Z are every other row, a strided view the kernel writes in place.
  const out = P === 2 ? Z : scratchOf(rows * F);
  const C: StridedMat =
    P === 2
      ? { rows, cols: F, data: Z, offset: (i0 * P + 1) * F, stride: P * F }
      : { rows, cols: F, data: out, offset: 0, stride: F };
  // The dense sum's first block ends at the first multiple of GEMM_KC above nf.
  const cut = Math.min(d, (Math.floor(nf / GEMM_KC) + 1) * GEMM_KC);
  gemmStrided(false, true, 1, colsOf(A, 0, cut - nf), colsOf(B, 0, cut - nf) as StridedMat, 0, C);
  if (cut < d)
    gemmStrided(false, true, 1, colsOf(A, cut - nf, w), colsOf(B, cut - nf, w) as StridedMat, 1, C);
  if (P === 2) return true;
  let o = 0;
  for (let i = i0; i < i1; i++)
    for (let q = 1; q < P; q++) {
      const r = (i * P + q) * F;
      for (let j = 0; j < F; j++) Z[r + j] = out[o + j];
      o += F;
    }
  return true;
}

/**
 * Backward product for examples [i0, i1): `ws.grad` ← β·grad + Dᵀ X over those examples' rows, D
 * the rows of `ws.S`; the same bits as the dense product (one call over those rows). Returns false
 * (nothing done) when D is not finite.
 */
export function structuredBackward(
  data: PatchDataset,
  layout: PatchLayout,
  ws: CnnWorkspace,
  i0: number,
  i1: number,
  beta: 0 | 1,
): boolean {
  const { P, d } = data;
  const F = 2 * ws.m;
  const D = ws.S.data;
  if (!allFinite(D, i0 * P * F, i1 * P * F)) return false;
  const nf = layout.noiseFrom;
  const w = d - nf;
  const G = ws.grad.data;
  const X = data.X.data;
  const col = layout.featureCol;
  const Xn = noiseRows(data, layout);
  // D's noise rows, compact (the same order as Xn's).
  const base = i0 * (P - 1);
  const nRows = (i1 - i0) * (P - 1);
  // P = 2: D's noise rows are every other row (a strided view); else gathered.
  const Dn = P === 2 ? D : scratchOf(nRows * F);
  if (P !== 2) {
    let o = 0;
    for (let i = i0; i < i1; i++)
      for (let q = 1; q < P; q++) {
        const r = (i * P + q) * F;
        for (let j = 0; j < F; j++) Dn[o + j] = D[r + j];
        o += F;
      }
  }
  const C: StridedMat = { rows: F, cols: w, data: G, offset: nf, stride: d };
  const acc = accOf(nf * F);
  const r0 = i0 * P;
  const r1 = i1 * P;
  for (let b0 = r0; b0 < r1; b0 += GEMM_KC) {
    const b1 = Math.min(r1, b0 + GEMM_KC);
    const first = b0 === r0 && beta === 0;
    // Noise columns: this block's noise rows through the kernel.
    const c0 = noiseBefore(b0, P) - base;
    const c1 = noiseBefore(b1, P) - base;
    if (c1 > c0) {
      const A: StridedMat =
        P === 2
          ? { rows: c1 - c0, cols: F, data: D, offset: ((i0 + c0) * 2 + 1) * F, stride: 2 * F }
          : { rows: c1 - c0, cols: F, data: Dn, offset: c0 * F, stride: F };
      gemmStrided(true, false, 1, A, noiseOperand(Xn, w, ws, base + c0, base + c1), first ? 0 : 1, C);
    } else if (first) {
      for (let j = 0; j < F; j++) G.fill(0, j * d + nf, (j + 1) * d);
    }
    // Feature columns: this block's feature rows, each adding D[r, j]·x to its column's sum.
    acc.fill(0);
    for (let i = Math.ceil(b0 / P); i * P < b1; i++) {
      const c = col[i];
      const x = X[i * P * d + c];
      const r = i * P * F;
      const a = c * F;
      for (let j = 0; j < F; j++) acc[a + j] += D[r + j] * x;
    }
    for (let j = 0; j < F; j++)
      for (let c = 0; c < nf; c++) {
        const g = j * d + c;
        G[g] = (first ? 0 : G[g]) + acc[c * F + j];
      }
  }
  return true;
}

/*
 * The dual path (train.ts `CnnPath`) on data with known zeros, with the same bits as its dense
 * products. Its two products sum over the rows r of X (the inner index): Z = a Z_0 + G C with the
 * Gram matrix G = X Xᵀ, and W = a W_0 + Cᵀ X. A noise row is zero on the feature columns and a
 * feature row is zero but on its one feature column, so G[r, s] is exactly +0 unless r and s are
 * both noise rows, or both feature rows on the same column (then G[r, s] = x_r x_s, one rounded
 * product, as the dense sum gives it). So, dropping the zero terms as above (in order, kernel
 * blocks of GEMM_KC rows kept):
 *
 * - Z's noise rows = a Z_0 + G_nn C_n (G_nn: the noise rows' Gram matrix, from the compact noise
 *   rows; C_n: C's noise rows) and its feature rows = a Z_0 + G_ff C_f (G_ff: the feature rows'
 *   Gram matrix, x_i x_k on a shared column and +0 elsewhere, whose zeros stay in the sum: adding
 *   ±0 changes nothing), two kernel products per block of rows;
 * - W's noise columns = a W_0 + C_nᵀ X_n through the kernel, its feature columns from the
 *   feature rows only (one multiply-add per row and filter).
 *
 * With P = 2, n examples and F filters a step then costs 2n²F multiply-adds instead of (2n)²F,
 * and forming W (at every record) (n·w + n)·F instead of 2n·d·F (w = d − noiseFrom): single-task
 * training in li-multitask-cnn (n = 30, 60) takes about 0.6 of the time it did. (Skipping G_ff's
 * zeros too, by a scalar loop over each column's rows, was slower than the kernel doing them.)
 */

/** What the dual path's structured products need, made once per run (`dualStructure`). */
export interface DualStructure {
  R: number;
  F: number;
  P: number;
  d: number;
  nf: number;
  /** Noise rows. */
  Rn: number;
  /** G_nn (Rn × Rn) pinned in the kernel memory (released by `disposeDual`). */
  Gnn: PinnedMat;
  /** Examples. */
  count: number;
  /** G_ff (count × count), the feature rows' Gram matrix, pinned after G_nn. */
  Gff: PinnedMat;
  /** The feature rows' x (the one non-zero entry of example i's patch 0) and column. */
  fx: Float64Array;
  fcol: Int32Array;
  /** C's (or Z_0's) noise rows, compact, for P > 2 (P = 2 reads them in place, strided). */
  gather: Float64Array;
  acc: Float64Array;
}

/**
 * The structure of `data` for the dual path (same F = 2m as `ws`), or null when the path must use
 * its dense products (no layout, X not finite: 0·∞ is NaN, or a Gram block of more than
 * `maxPinned` doubles, which the kernel memory should not hold).
 */
export function dualStructure(data: PatchDataset, ws: CnnWorkspace, maxPinned: number): DualStructure | null {
  const layout = layoutOf(data);
  if (layout === null || !allFinite(data.X.data)) return null;
  const { count, P, d } = data;
  if ((count * (P - 1)) ** 2 > maxPinned || count ** 2 > maxPinned) return null;
  const F = 2 * ws.m;
  const nf = layout.noiseFrom;
  const w = d - nf;
  const R = count * P;
  const Rn = count * (P - 1);
  const Xn = noiseRows(data, layout);
  // G_nn = X_n X_nᵀ over the noise columns: the dense sum's first block ends at the first multiple
  // of GEMM_KC above nf (as in structuredForward).
  const gnn = { rows: Rn, cols: Rn, data: new Float64Array(Rn * Rn) };
  const A = noiseOperand(Xn, w, ws, 0, Rn);
  const C: StridedMat = { rows: Rn, cols: Rn, data: gnn.data, offset: 0, stride: Rn };
  const cut = Math.min(d, (Math.floor(nf / GEMM_KC) + 1) * GEMM_KC);
  if (Rn > 0) {
    gemmStrided(false, true, 1, colsOf(A, 0, cut - nf), colsOf(A, 0, cut - nf), 0, C);
    if (cut < d) gemmStrided(false, true, 1, colsOf(A, cut - nf, w), colsOf(A, cut - nf, w), 1, C);
  }
  const fx = new Float64Array(count);
  const fcol = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    fcol[i] = layout.featureCol[i];
    fx[i] = data.X.data[i * P * d + fcol[i]];
  }
  // G_ff[i, k] = x_i x_k on a shared column (the dense sum's one non-zero term), else +0.
  const gff = { rows: count, cols: count, data: new Float64Array(count * count) };
  for (let i = 0; i < count; i++)
    for (let k = 0; k < count; k++) if (fcol[i] === fcol[k]) gff.data[i * count + k] = fx[i] * fx[k];
  const Gnn = pinned(gnn);
  return {
    R,
    F,
    P,
    d,
    nf,
    Rn,
    Gnn,
    count,
    Gff: pinned(gff),
    fx,
    fcol,
    gather: new Float64Array(P > 2 ? 2 * Rn * F : 0),
    acc: new Float64Array(Math.max(nf, F) * F),
  };
}

/** Release the pinned G_nn and G_ff. */
export function disposeDual(s: DualStructure): void {
  release(s.Gnn);
}

/** C's noise rows [c0, c1) (compact index) as an operand: in place (P = 2) or gathered. */
function noiseRowsOf(s: DualStructure, M: Float64Array, c0: number, c1: number, into: number): StridedMat {
  const { P, F } = s;
  if (P === 2) return { rows: c1 - c0, cols: F, data: M, offset: (2 * c0 + 1) * F, stride: 2 * F };
  const g = s.gather;
  for (let c = c0; c < c1; c++) {
    const r = Math.floor(c / (P - 1)) * P + (c % (P - 1)) + 1;
    g.set(M.subarray(r * F, (r + 1) * F), into + (c - c0) * F);
  }
  return { rows: c1 - c0, cols: F, data: g, offset: into, stride: F };
}

/** β·v as the kernel's scaling computes it (β = 1: v unchanged, β = 0: +0 without reading v). */
function scaled(beta: number, v: number): number {
  return beta === 1 ? v : beta === 0 ? 0 : beta * v;
}

/**
 * `Z` ← a·Z_0 + G C with the bits of the dense product (`Z` holds Z_0 on entry; C finite): the
 * noise rows through the kernel, the feature rows from their column's feature rows.
 */
export function dualPreactivations(s: DualStructure, a: number, C: Float64Array, Z: Float64Array): void {
  const { R, F, P, Rn, count } = s;
  // One call per kernel block of X's rows for each kind of row (each block holds noise rows).
  for (let b0 = 0; b0 < R; b0 += GEMM_KC) {
    const b1 = Math.min(R, b0 + GEMM_KC);
    const c0 = noiseBefore(b0, P);
    const c1 = noiseBefore(b1, P);
    const beta = b0 === 0 ? a : 1;
    // Feature rows: their block of G (x_i x_k on a shared column, +0 elsewhere) times C's feature
    // rows; a block always holds a feature row but perhaps the last (then only β, here 1, applies).
    const f0 = Math.ceil(b0 / P);
    const f1 = Math.ceil(b1 / P);
    const Gf: PinnedMat = { rows: count, cols: f1 - f0, at: s.Gff.at + 8 * f0, stride: count };
    const Cf: StridedMat = { rows: f1 - f0, cols: F, data: C, offset: f0 * P * F, stride: P * F };
    gemmStrided(false, false, 1, Gf, Cf, beta, { rows: count, cols: F, data: Z, offset: 0, stride: P * F });
    const A: PinnedMat = { rows: Rn, cols: c1 - c0, at: s.Gnn.at + 8 * c0, stride: Rn };
    if (P === 2) {
      const out: StridedMat = { rows: Rn, cols: F, data: Z, offset: F, stride: 2 * F };
      gemmStrided(false, false, 1, A, noiseRowsOf(s, C, c0, c1, 0), beta, out);
    } else {
      const B = noiseRowsOf(s, C, c0, c1, 0);
      const out = noiseRowsOf(s, Z, 0, Rn, Rn * F);
      gemmStrided(false, false, 1, A, B, beta, out);
      for (let c = 0; c < Rn; c++) {
        const r = Math.floor(c / (P - 1)) * P + (c % (P - 1)) + 1;
        Z.set(s.gather.subarray(Rn * F + c * F, Rn * F + (c + 1) * F), r * F);
      }
    }
  }
}

/**
 * `W` ← a·W_0 + Cᵀ X with the bits of the dense product (C finite): the noise columns through the
 * kernel from the compact noise rows, the feature columns from the feature rows.
 */
export function dualWeights(
  s: DualStructure,
  data: PatchDataset,
  ws: CnnWorkspace,
  W0: Float64Array,
  a: number,
  C: Float64Array,
  W: Float64Array,
): void {
  const { R, F, P, d, nf, fx, fcol, acc } = s;
  const layout = layoutOf(data) as PatchLayout;
  const Xn = noiseRows(data, layout);
  const w = d - nf;
  W.set(W0);
  const out: StridedMat = { rows: F, cols: w, data: W, offset: nf, stride: d };
  for (let j = 0; j < F; j++) for (let c = 0; c < nf; c++) W[j * d + c] = scaled(a, W[j * d + c]);
  for (let b0 = 0; b0 < R; b0 += GEMM_KC) {
    const b1 = Math.min(R, b0 + GEMM_KC);
    const c0 = noiseBefore(b0, P);
    const c1 = noiseBefore(b1, P);
    gemmStrided(
      true,
      false,
      1,
      noiseRowsOf(s, C, c0, c1, 0),
      noiseOperand(Xn, w, ws, c0, c1),
      b0 === 0 ? a : 1,
      out,
    );
    // Feature columns: this block's feature rows, each adding C[iP, j]·x_i to its column's sum.
    acc.fill(0, 0, nf * F);
    for (let i = Math.ceil(b0 / P); i * P < b1; i++) {
      const x = fx[i];
      const r = i * P * F;
      const o = fcol[i] * F;
      for (let j = 0; j < F; j++) acc[o + j] += C[r + j] * x;
    }
    for (let j = 0; j < F; j++) for (let c = 0; c < nf; c++) W[j * d + c] += acc[c * F + j];
  }
}

/**
 * Outputs f(W, x_i) of examples [i0, i1) into `ws.out` for relu³ on data with known zeros, the
 * bits of network.ts `outputsInto` (for evaluation): the noise rows' preactivations through the
 * kernel into a compact buffer (no copy of Z's strided rows in and out), and each feature row's
 * part of the output sum, a function of its column and its one non-zero x only, computed once per
 * such pair (a test set's feature patches are ±‖u‖ e₀ or ±‖v_t‖ e_{1+t}: a few pairs). `ws.Z` is
 * not written. Returns false (nothing done) when W or X is not finite.
 */
export function structuredOutputs(
  W: Mat,
  data: PatchDataset,
  layout: PatchLayout,
  ws: CnnWorkspace,
  i0: number,
  i1: number,
): boolean {
  if (!allFinite(W.data)) return false;
  const { P, d } = data;
  const F = W.rows;
  const m = F / 2;
  const nf = layout.noiseFrom;
  const w = d - nf;
  const X = data.X.data;
  const Wd = W.data;
  const col = layout.featureCol;
  const Wf = featureScratchOf(nf * F);
  for (let j = 0; j < F; j++) for (let c = 0; c < nf; c++) Wf[c * F + j] = Wd[j * d + c];
  const rows = (i1 - i0) * (P - 1);
  const Zn = scratchOf(rows * F);
  if (rows > 0) {
    const Xn = noiseRows(data, layout);
    const A = noiseOperand(Xn, w, ws, i0 * (P - 1), i1 * (P - 1));
    const B: StridedMat = { rows: F, cols: w, data: Wd, offset: nf, stride: d };
    const C: StridedMat = { rows, cols: F, data: Zn, offset: 0, stride: F };
    const cut = Math.min(d, (Math.floor(nf / GEMM_KC) + 1) * GEMM_KC);
    gemmStrided(false, true, 1, colsOf(A, 0, cut - nf), colsOf(B, 0, cut - nf) as StridedMat, 0, C);
    if (cut < d)
      gemmStrided(false, true, 1, colsOf(A, cut - nf, w), colsOf(B, cut - nf, w) as StridedMat, 1, C);
  }
  // Feature rows' partial sums per (column, x), as outputsInto forms them (z = x·w + 0, then σ).
  const seenX: number[] = [];
  const seenCol: number[] = [];
  const seenF: number[] = [];
  const inv = 1 / m;
  for (let i = i0; i < i1; i++) {
    const c = col[i];
    const x = X[i * P * d + c];
    if (!Number.isFinite(x)) return false;
    let f = Number.NaN;
    for (let s = 0; s < seenX.length; s++)
      if (seenCol[s] === c && Object.is(seenX[s], x)) {
        f = seenF[s];
        break;
      }
    if (Number.isNaN(f)) {
      f = 0;
      const o = c * F;
      for (let r = 0; r < m; r++) {
        const zx = x * Wf[o + r] + 0;
        const zy = x * Wf[o + m + r] + 0;
        const px = 0.5 * (zx + Math.abs(zx));
        const py = 0.5 * (zy + Math.abs(zy));
        f += px * px * px - py * py * py;
      }
      if (seenX.length < 64) {
        seenX.push(x);
        seenCol.push(c);
        seenF.push(f);
      }
    }
    let o = (i - i0) * (P - 1) * F;
    for (let q = 1; q < P; q++, o += F) {
      for (let r = 0; r < m; r++) {
        const zx = Zn[o + r];
        const zy = Zn[o + m + r];
        const px = 0.5 * (zx + Math.abs(zx));
        const py = 0.5 * (zy + Math.abs(zy));
        f += px * px * px - py * py * py;
      }
    }
    ws.out[i] = f * inv;
  }
  return true;
}

/** Pin `data`'s compact noise rows in the kernel memory for `ws` (until `unpinNoise`), if it has any. */
export function pinNoise(data: PatchDataset, ws: CnnWorkspace, maxDoubles: number): void {
  const layout = layoutOf(data);
  if (layout === null || ws.pinnedNoise !== null) return;
  const Xn = noiseRows(data, layout);
  if (Xn.length > 0 && Xn.length <= maxDoubles)
    ws.pinnedNoise = { source: Xn, mat: pinned({ rows: 1, cols: Xn.length, data: Xn }) };
}

/** Release what `pinNoise` pinned. */
export function unpinNoise(ws: CnnWorkspace): void {
  if (ws.pinnedNoise !== null) release(ws.pinnedNoise.mat);
  ws.pinnedNoise = null;
}
