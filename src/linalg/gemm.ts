import { DimensionError, shapeOf } from "./errors.js";
import { type Mat, zeros } from "./mat.js";
import { f64, kernels, pin, reserve, unpin } from "./wasm/kernels.js";

/*
 * Dense products: the entry points for every multiplication of matrices in metarep, backed by one
 * WebAssembly SIMD module (wasm/kernels.as: packed panels, a 4 × 4 f64x2 micro-kernel, plain
 * multiply then add, so the same bits in Node and in browsers). Operands are copied into the
 * module's memory and C back out: O(mk + kn + mn) moves for O(mnk) multiply-adds, a few percent
 * of a call once the three dimensions pass ~30 (bench "kernels" prints the split).
 */

/**
 * The kernel's block of the inner dimension (KC in wasm/kernels.as; gemm.test.ts checks it): every
 * entry of C gets one partial sum per block of GEMM_KC consecutive p. A caller that skips terms
 * known to be zero keeps the same bits by keeping those block boundaries.
 */
export const GEMM_KC = 128;

/** A row-major matrix inside a larger buffer: element (i, j) is `data[offset + i·stride + j]`. */
export interface StridedMat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  readonly offset: number;
  /** Row stride in elements, ≥ cols. */
  readonly stride: number;
}

/**
 * A row-major matrix pinned in the kernel module's memory (`pinned`): element (i, j) is at byte
 * address `at + 8·(i·stride + j)` there. Products read it in place, without the copy a `Mat`
 * operand costs on every call: for an operand many calls share (a training set's X).
 */
export interface PinnedMat {
  readonly rows: number;
  readonly cols: number;
  /** Byte address in the kernel module's memory. */
  readonly at: number;
  /** Row stride in elements, ≥ cols. */
  readonly stride: number;
}

/** An operand of the products: in JS memory, or pinned in the kernel module's memory. */
export type Operand = StridedMat | PinnedMat;

function isPinned(a: Operand): a is PinnedMat {
  return (a as PinnedMat).at !== undefined;
}

/**
 * Copy `a` into the kernel module's memory, pinned there until `release(result)`; pins are
 * released last-pinned first, so pin at the start of a pass and release in a `finally`.
 */
export function pinned(a: Mat | StridedMat): PinnedMat {
  const s: StridedMat = "offset" in a ? a : strided(a);
  checkStrided("pinned", "a", s);
  const at = pin(8 * span(s));
  copyIn(f64(), at, s);
  return { rows: s.rows, cols: s.cols, at, stride: s.stride };
}

/** Release a pinned matrix (and any pinned after it). */
export function release(a: PinnedMat): void {
  unpin(a.at);
}

/** A `Mat` as a strided matrix (offset 0, stride = cols, or 1 when it has no columns). */
export function strided(a: Mat): StridedMat {
  return { rows: a.rows, cols: a.cols, data: a.data, offset: 0, stride: Math.max(1, a.cols) };
}

/** Elements from the first to one past the last entry of `a` (0 when it has no entries). */
function span(a: Operand): number {
  return a.rows === 0 || a.cols === 0 ? 0 : (a.rows - 1) * a.stride + a.cols;
}

function checkStrided(op: string, name: string, a: Operand): void {
  const { rows, cols, stride } = a;
  const offset = isPinned(a) ? 0 : a.offset;
  for (const [field, v] of [
    ["rows", rows],
    ["cols", cols],
    ["offset", offset],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`${op}: ${name}.${field} must be an integer ≥ 0; got ${v}`);
    }
  }
  if (!Number.isInteger(stride) || stride < Math.max(1, cols)) {
    throw new RangeError(`${op}: ${name}.stride must be an integer ≥ max(1, cols = ${cols}); got ${stride}`);
  }
  if (isPinned(a)) {
    if (!Number.isInteger(a.at) || a.at % 8 !== 0 || a.at < 0)
      throw new RangeError(`${op}: ${name}.at must be an 8-byte aligned address; got ${a.at}`);
    return;
  }
  if (offset + span(a) > a.data.length) {
    throw new RangeError(
      `${op}: ${name} (${rows}×${cols}, offset ${offset}, stride ${stride}) needs ${offset + span(a)} elements; its buffer has ${a.data.length}`,
    );
  }
}

/** Whether the element ranges that `a` and `b` touch share memory (a pinned `b` never does: C is copied). */
function overlaps(a: StridedMat, b: Operand): boolean {
  if (isPinned(b) || a.data.buffer !== b.data.buffer) return false;
  const a0 = a.data.byteOffset + 8 * a.offset;
  const b0 = b.data.byteOffset + 8 * b.offset;
  return a0 < b0 + 8 * span(b) && b0 < a0 + 8 * span(a);
}

/** Copy `a`'s span into the kernel memory at byte address `at` (view `mem`). */
function copyIn(mem: Float64Array, at: number, a: StridedMat): void {
  mem.set(a.data.subarray(a.offset, a.offset + span(a)), at / 8);
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/**
 * General matrix product on strided operands, in place: C ← α op(A) op(B) + β C, where op(X) is X
 * or Xᵀ. Shapes: op(A) m×k, op(B) k×n, C m×n (as stored: A is m×k, or k×m when transposed).
 * As in BLAS, β = 0 means C is not read (NaN in C does not propagate). C must not share memory
 * with A or B. Entries of C's buffer between its rows (stride > cols) are left as they are.
 * Allocates nothing on the JS heap.
 */
export function gemmStrided(
  transA: boolean,
  transB: boolean,
  alpha: number,
  A: Operand,
  B: Operand,
  beta: number,
  C: StridedMat,
): StridedMat {
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const kB = transB ? B.cols : B.rows;
  const n = transB ? B.rows : B.cols;
  // The messages are built only on error: small products are called often.
  const opA = () => `op(A) = ${transA ? "Aᵀ" : "A"} is ${m}×${k} (A ${A.rows}×${A.cols})`;
  const opB = () => `op(B) = ${transB ? "Bᵀ" : "B"} is ${kB}×${n} (B ${B.rows}×${B.cols})`;
  if (k !== kB) throw new DimensionError(`gemm: inner dimensions differ: ${opA()} but ${opB()}`);
  if (C.rows !== m || C.cols !== n) {
    throw new DimensionError(
      `gemm: C must be ${m}×${n} for ${opA()} and ${opB()}; got C ${C.rows}×${C.cols}`,
    );
  }
  checkStrided("gemm", "A", A);
  checkStrided("gemm", "B", B);
  checkStrided("gemm", "C", C);
  if (overlaps(C, A) || overlaps(C, B)) {
    throw new RangeError("gemm: C must not share memory with A or B (the product is written in place)");
  }
  if (m === 0 || n === 0) return C;
  // Pinned operands are read in place; the others are copied into the arena.
  const sa = isPinned(A) ? 0 : span(A);
  const sb = isPinned(B) ? 0 : span(B);
  const sc = span(C);
  const base = reserve(align(8 * sa) + align(8 * sb) + align(8 * sc));
  const pa = isPinned(A) ? A.at : base;
  const pb = isPinned(B) ? B.at : base + align(8 * sa);
  const pc = base + align(8 * sa) + align(8 * sb);
  const mem = f64();
  if (!isPinned(A)) copyIn(mem, pa, A);
  if (!isPinned(B)) copyIn(mem, pb, B);
  // β = 0: the kernel writes C without reading it, so a C without gaps between its rows (stride =
  // cols) need not be copied in; with gaps, they come back as they were.
  if (beta !== 0 || C.stride !== C.cols) copyIn(mem, pc, C);
  const K = kernels();
  K.exports.gemm(
    transA ? 1 : 0,
    transB ? 1 : 0,
    m,
    n,
    k,
    alpha,
    pa,
    A.stride,
    pb,
    B.stride,
    beta,
    pc,
    C.stride,
    K.work,
  );
  C.data.set(mem.subarray(pc / 8, pc / 8 + sc), C.offset);
  return C;
}

/**
 * General matrix product, in place: C ← α op(A) op(B) + β C, where op(X) is X or Xᵀ.
 * Shapes: op(A) m×k, op(B) k×n, C m×n. Returns C. As in BLAS, β = 0 means C is not read (NaN in C
 * does not propagate). C must not share memory with A or B. Summation order (fixed, so the bits
 * are the same in every engine): see wasm/kernels.as.
 *
 * Example: `gemm(true, false, 1, X, Y, 0, G)` sets G = XᵀY.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  alpha: number,
  A: Mat,
  B: Mat,
  beta: number,
  C: Mat,
): Mat {
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const kB = transB ? B.cols : B.rows;
  const n = transB ? B.rows : B.cols;
  const opA = () => `op(A) = ${transA ? "Aᵀ" : "A"} is ${m}×${k} (A ${shapeOf(A)})`;
  const opB = () => `op(B) = ${transB ? "Bᵀ" : "B"} is ${kB}×${n} (B ${shapeOf(B)})`;
  if (k !== kB) throw new DimensionError(`gemm: inner dimensions differ: ${opA()} but ${opB()}`);
  if (C.rows !== m || C.cols !== n) {
    throw new DimensionError(`gemm: C must be ${m}×${n} for ${opA()} and ${opB()}; got C ${shapeOf(C)}`);
  }
  for (const [name, X] of [
    ["A", A],
    ["B", B],
    ["C", C],
  ] as const) {
    if (X.data.length !== X.rows * X.cols) {
      throw new DimensionError(
        `gemm: ${name} is ${shapeOf(X)} so its data must have ${X.rows * X.cols} entries; got ${X.data.length}`,
      );
    }
  }
  gemmStrided(transA, transB, alpha, strided(A), strided(B), beta, strided(C));
  return C;
}

/**
 * Weighted symmetric rank-k update, in place: C ← β C + α Xᵀ diag(w) X, i.e.
 * `C[i,j] = β C[i,j] + α Σ_p w_p X[p,i] X[p,j]` (X k × n rows, w length k, C n × n). `w = null`
 * means unit weights (C ← β C + α XᵀX). Only the upper triangle of C is read (β ≠ 0); the result
 * is exactly symmetric (its upper triangle is computed, then mirrored). Costs about half a gemm:
 * k·n² multiply-adds plus the diagonal tiles. C must not share memory with X or w.
 *
 * Example: the method-of-moments matrix `M̂ = (1/N) Σ_i y_i² x_i x_iᵀ` is
 * `syrkWeighted(1, X, y²/N, 0, M)`, or streamed: `syrkWeighted(1, X_chunk, w_chunk, 1, M)` per chunk.
 */
export function syrkWeighted(alpha: number, X: Operand, w: Float64Array | null, beta: number, C: Mat): Mat {
  const k = X.rows;
  const n = X.cols;
  if (C.rows !== n || C.cols !== n || C.data.length !== n * n) {
    throw new DimensionError(`syrkWeighted: C must be ${n}×${n} for X ${k}×${n}; got C ${shapeOf(C)}`);
  }
  checkStrided("syrkWeighted", "X", X);
  if (w !== null && w.length !== k) {
    throw new DimensionError(`syrkWeighted: w must have length ${k} (the rows of X); got ${w.length}`);
  }
  const Cs = strided(C);
  const wAsMat: StridedMat | null = w && { rows: 1, cols: k, data: w, offset: 0, stride: Math.max(1, k) };
  if (overlaps(Cs, X) || (wAsMat && overlaps(Cs, wAsMat))) {
    throw new RangeError("syrkWeighted: C must not share memory with X or w (it is written in place)");
  }
  if (n === 0) return C;
  const sx = isPinned(X) ? 0 : span(X);
  const base = reserve(align(8 * sx) + align(8 * k) + align(8 * n * n));
  const px = isPinned(X) ? X.at : base;
  const pw = base + align(8 * sx);
  const pc = pw + align(8 * k);
  const mem = f64();
  if (!isPinned(X)) copyIn(mem, px, X);
  if (w) mem.set(w, pw / 8);
  mem.set(C.data, pc / 8);
  const K = kernels();
  K.exports.syrkw(n, k, alpha, px, X.stride, w ? pw : 0, beta, pc, n, K.work);
  C.data.set(mem.subarray(pc / 8, pc / 8 + n * n));
  return C;
}

/** A B, allocated. Example: `matmul(A, B)` with A m×k, B k×n gives m×n. */
export function matmul(A: Mat, B: Mat): Mat {
  return gemm(false, false, 1, A, B, 0, zeros(A.rows, B.cols));
}

/** Aᵀ B, allocated, without forming Aᵀ. A k×m, B k×n gives m×n (e.g. a Gram matrix XᵀX). */
export function matmulTN(A: Mat, B: Mat): Mat {
  return gemm(true, false, 1, A, B, 0, zeros(A.cols, B.cols));
}

/** A Bᵀ, allocated, without forming Bᵀ. A m×k, B n×k gives m×n. */
export function matmulNT(A: Mat, B: Mat): Mat {
  return gemm(false, true, 1, A, B, 0, zeros(A.rows, B.rows));
}

function overlapsArrays(a: Float64Array, b: Float64Array): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * Matrix–vector product, in place: y ← α op(A) x + β y. Shapes: op(A) m×n, x length n, y length m.
 * β = 0 means y is not read. Returns y. Example: `gemv(true, 1, X, r, 0, g)` sets g = Xᵀr.
 * Stays in JS: a matrix–vector product is bound by reading A once, which copying A into the
 * kernel memory would double.
 */
export function gemv(
  trans: boolean,
  alpha: number,
  A: Mat,
  x: Float64Array,
  beta: number,
  y: Float64Array,
): Float64Array {
  const m = trans ? A.cols : A.rows;
  const n = trans ? A.rows : A.cols;
  if (x.length !== n || y.length !== m) {
    throw new DimensionError(
      `gemv: op(A) = ${trans ? "Aᵀ" : "A"} is ${m}×${n} (A ${shapeOf(A)}), so x must have length ${n} and y length ${m}; got x ${x.length}, y ${y.length}`,
    );
  }
  if (overlapsArrays(y, A.data) || overlapsArrays(y, x)) {
    throw new RangeError("gemv: y must not share memory with A or x (the product is written in place)");
  }
  if (beta === 0) y.fill(0);
  else if (beta !== 1) for (let i = 0; i < m; i++) y[i] *= beta;
  if (alpha === 0) return y;
  const a = A.data;
  const cols = A.cols;
  if (!trans) {
    for (let i = 0; i < m; i++) {
      const ai = i * cols;
      let s = 0;
      for (let j = 0; j < n; j++) s += a[ai + j] * x[j];
      y[i] += alpha * s;
    }
  } else {
    // y += α Σ_r x[r] A[r, :]: axpys over contiguous rows of A.
    for (let r = 0; r < n; r++) {
      const xr = alpha * x[r];
      const ar = r * cols;
      for (let j = 0; j < m; j++) y[j] += xr * a[ar + j];
    }
  }
  return y;
}

/**
 * Blocks with at most this many rows or columns (op(A_b) m × k by op(B_b) k × n, m or n ≤ THIN) go
 * to the kernel's `thinBlocks`, which skips the packing into 4 × 4 tiles (mostly padding for them)
 * and loops over the blocks itself: the same bits as the tiled `gemm` (gemm.test.ts).
 */
const THIN = 4;

/**
 * A batch of `count` independent products, C_b ← op(A_b) op(B_b) for b = 0 … count−1, where A, B
 * and C stack their blocks vertically (A is count·ra × ca with block b its rows b·ra …, likewise B
 * and C): op(A_b) m×k, op(B_b) k×n, C count·m × n. Each block has the bits of `gemm(transA, transB,
 * 1, A_b, B_b, 0, C_b)` (the same kernel call, or `thinBlocks` for thin blocks); the batch
 * copies the operands into the kernel's memory once and pays the checks once, which is most of the
 * cost of a product as small as one task's (e.g. 100 × 20 by 20 × 3). C must not share memory
 * with A or B.
 */
export function gemmBlocks(transA: boolean, transB: boolean, count: number, A: Mat, B: Mat, C: Mat): Mat {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`gemmBlocks: count must be an integer ≥ 1; got ${count}`);
  for (const [name, X] of [
    ["A", A],
    ["B", B],
    ["C", C],
  ] as const) {
    if (X.rows % count !== 0)
      throw new DimensionError(
        `gemmBlocks: ${name} (${shapeOf(X)}) must stack ${count} blocks of equal rows; ${X.rows} rows do not divide`,
      );
    if (X.data.length !== X.rows * X.cols)
      throw new DimensionError(
        `gemmBlocks: ${name} is ${shapeOf(X)} so its data must have ${X.rows * X.cols} entries; got ${X.data.length}`,
      );
  }
  const ra = A.rows / count;
  const rb = B.rows / count;
  const m = transA ? A.cols : ra;
  const k = transA ? ra : A.cols;
  const kB = transB ? B.cols : rb;
  const n = transB ? rb : B.cols;
  const opA = () => `op(A_b) = ${transA ? "A_bᵀ" : "A_b"} is ${m}×${k} (A_b ${ra}×${A.cols})`;
  const opB = () => `op(B_b) = ${transB ? "B_bᵀ" : "B_b"} is ${kB}×${n} (B_b ${rb}×${B.cols})`;
  if (k !== kB) throw new DimensionError(`gemmBlocks: inner dimensions differ: ${opA()} but ${opB()}`);
  if (C.rows !== count * m || C.cols !== n)
    throw new DimensionError(
      `gemmBlocks: C must be ${count * m}×${n} for ${count} blocks of ${opA()} and ${opB()}; got C ${shapeOf(C)}`,
    );
  if (A.data.buffer === C.data.buffer || B.data.buffer === C.data.buffer) {
    const sc = strided(C);
    if (overlaps(sc, strided(A)) || overlaps(sc, strided(B)))
      throw new RangeError(
        "gemmBlocks: C must not share memory with A or B (the product is written in place)",
      );
  }
  if (m === 0 || n === 0) return C;
  const sa = A.data.length;
  const sb = B.data.length;
  const sc = C.data.length;
  const base = reserve(align(8 * sa) + align(8 * sb) + align(8 * sc));
  const pa = base;
  const pb = base + align(8 * sa);
  const pc = pb + align(8 * sb);
  const mem = f64();
  mem.set(A.data, pa / 8);
  mem.set(B.data, pb / 8);
  const K = kernels();
  const gemmK = K.exports.gemm;
  const ta = transA ? 1 : 0;
  const tb = transB ? 1 : 0;
  const lda = Math.max(1, A.cols);
  const ldb = Math.max(1, B.cols);
  const ldc = Math.max(1, n);
  const stepA = 8 * ra * A.cols;
  const stepB = 8 * rb * B.cols;
  const stepC = 8 * m * n;
  if (m <= THIN || n <= THIN)
    K.exports.thinBlocks(ta, tb, count, m, n, k, pa, lda, stepA, pb, ldb, stepB, pc);
  else
    for (let b = 0; b < count; b++)
      gemmK(ta, tb, m, n, k, 1, pa + b * stepA, lda, pb + b * stepB, ldb, 0, pc + b * stepC, ldc, K.work);
  C.data.set(mem.subarray(pc / 8, pc / 8 + sc));
  return C;
}
