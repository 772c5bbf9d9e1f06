// Dense float64 kernels of metarep, in AssemblyScript, compiled to one WebAssembly SIMD module by
// `npm run build:wasm` (scripts in src/linalg/wasm/build.mjs). This is the only backend of
// linalg's product entry points (gemm.ts); the JS side copies operands into this module's linear
// memory and calls the functions below with byte addresses.
//
// Bits: IEEE float64 only, f64x2.mul then f64x2.add (never a fused or relaxed multiply-add), and a
// summation order fixed by this file alone, so the same inputs give the same bits in every engine
// and on every machine. Every entry of C is
//   C[i,j] ← β·C[i,j]  (β = 0: C is not read),  then for each block of KC consecutive p, in order:
//   C[i,j] ← C[i,j] + α·s,   s = (((0 + a_{i,p0} b_{p0,j}) + a_{i,p0+1} b_{p0+1,j}) + …)
// where a = op(A) (times w[p] for the weighted rank-k update). Changing KC, the micro-kernel's
// summation or this order changes bits: the golden digests of the experiments pin them.
//
// Design (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", 2008): B is
// packed KC × NC at a time into column micro-panels of NR, A MC × KC at a time into row
// micro-panels of MR, both zero-padded to whole micro-panels; a 4 × 4 micro-kernel keeps eight
// f64x2 accumulators in registers (x64 has 16 xmm registers: 8 accumulators + 2 of B + 1 of A).
// Padded rows and columns only feed padded entries of the tile, which are never written back.

const MR: i32 = 4;
const NR: i32 = 4;
const KC: i32 = 128;
const MC: i32 = 256;
const NC: i32 = 1024;

/** Bytes of scratch the kernels need at `work` (packed A block, packed B block, one tile). */
export function workBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 8;
}

/** First free byte of linear memory after this module's own data. */
export function heapBase(): usize {
  return __heap_base;
}

// Pack op(A)[i0 .. i0+mc, p0 .. p0+kc] (times w[p] if w ≠ 0) into row micro-panels of MR:
// panel r holds, for each p, the MR values of rows i0 + r·MR … contiguously; missing rows are 0.
function packA(
  trans: i32,
  a: usize,
  lda: i32,
  w: usize,
  i0: i32,
  mc: i32,
  p0: i32,
  kc: i32,
  dst: usize,
): void {
  for (let r: i32 = 0; r < mc; r += MR) {
    const rows = min(MR, mc - r);
    const panel = dst + (<usize>(r * kc) << 3);
    if (rows == MR) {
      // Whole panels, branch-free (the values are the same as the general loop's below).
      const i = i0 + r;
      if (trans != 0) {
        // op(A) = Aᵀ: the MR values of one p are contiguous in A.
        for (let p: i32 = 0; p < kc; p++) {
          const src = a + (<usize>((p0 + p) * lda + i) << 3);
          const out = panel + (<usize>(p * MR) << 3);
          let lo = v128.load(src);
          let hi = v128.load(src, 16);
          if (w != 0) {
            const wp = v128.load_splat<f64>(w + (<usize>(p0 + p) << 3));
            lo = f64x2.mul(wp, lo);
            hi = f64x2.mul(wp, hi);
          }
          v128.store(out, lo);
          v128.store(out, hi, 16);
        }
      } else {
        const row = <usize>lda << 3;
        for (let p: i32 = 0; p < kc; p++) {
          const src = a + (<usize>(i * lda + p0 + p) << 3);
          const out = panel + (<usize>(p * MR) << 3);
          let v0 = load<f64>(src);
          let v1 = load<f64>(src + row);
          let v2 = load<f64>(src + 2 * row);
          let v3 = load<f64>(src + 3 * row);
          if (w != 0) {
            const wp = load<f64>(w + (<usize>(p0 + p) << 3));
            v0 = wp * v0;
            v1 = wp * v1;
            v2 = wp * v2;
            v3 = wp * v3;
          }
          store<f64>(out, v0);
          store<f64>(out, v1, 8);
          store<f64>(out, v2, 16);
          store<f64>(out, v3, 24);
        }
      }
      continue;
    }
    for (let p: i32 = 0; p < kc; p++) {
      const out = panel + (<usize>(p * MR) << 3);
      const wp: f64 = w != 0 ? load<f64>(w + (<usize>(p0 + p) << 3)) : 1.0;
      for (let q: i32 = 0; q < MR; q++) {
        let v: f64 = 0.0;
        if (q < rows) {
          const i = i0 + r + q;
          const idx = trans != 0 ? (p0 + p) * lda + i : i * lda + p0 + p;
          v = load<f64>(a + (<usize>idx << 3));
          if (w != 0) v = wp * v;
        }
        store<f64>(out + (<usize>q << 3), v);
      }
    }
  }
}

// Pack op(B)[p0 .. p0+kc, j0 .. j0+nc] into column micro-panels of NR: panel c holds, for each p,
// the NR values of columns j0 + c·NR … contiguously; missing columns are 0.
function packB(trans: i32, b: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let c: i32 = 0; c < nc; c += NR) {
    const cols = min(NR, nc - c);
    const panel = dst + (<usize>(c * kc) << 3);
    if (trans == 0 && cols == NR) {
      // Rows of B are contiguous: two 16-byte moves per p.
      for (let p: i32 = 0; p < kc; p++) {
        const src = b + (<usize>((p0 + p) * ldb + j0 + c) << 3);
        const out = panel + (<usize>(p * NR) << 3);
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
      }
      continue;
    }
    if (cols == NR) {
      // op(B) = Bᵀ: the NR values of one p sit in NR rows of B, one per row.
      const row = <usize>ldb << 3;
      for (let p: i32 = 0; p < kc; p++) {
        const src = b + (<usize>((j0 + c) * ldb + p0 + p) << 3);
        const out = panel + (<usize>(p * NR) << 3);
        store<f64>(out, load<f64>(src));
        store<f64>(out, load<f64>(src + row), 8);
        store<f64>(out, load<f64>(src + 2 * row), 16);
        store<f64>(out, load<f64>(src + 3 * row), 24);
      }
      continue;
    }
    for (let p: i32 = 0; p < kc; p++) {
      const out = panel + (<usize>(p * NR) << 3);
      for (let q: i32 = 0; q < NR; q++) {
        let v: f64 = 0.0;
        if (q < cols) {
          const j = j0 + c + q;
          const idx = trans != 0 ? j * ldb + p0 + p : (p0 + p) * ldb + j;
          v = load<f64>(b + (<usize>idx << 3));
        }
        store<f64>(out + (<usize>q << 3), v);
      }
    }
  }
}

// The 4 × 4 micro-kernel: C[i0.., j0..] += α · (Ap · Bp) over kc, for the valid mr × nr part.
// @inline so the accumulators stay in registers inside the caller's loop.
// @ts-ignore: decorator
@inline
function micro(
  kc: i32,
  ap: usize,
  bp: usize,
  alpha: f64,
  c: usize,
  ldc: i32,
  mr: i32,
  nr: i32,
  tile: usize,
): void {
  let c00 = f64x2.splat(0.0);
  let c01 = f64x2.splat(0.0);
  let c10 = f64x2.splat(0.0);
  let c11 = f64x2.splat(0.0);
  let c20 = f64x2.splat(0.0);
  let c21 = f64x2.splat(0.0);
  let c30 = f64x2.splat(0.0);
  let c31 = f64x2.splat(0.0);
  for (let p: i32 = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load_splat<f64>(ap);
    c00 = f64x2.add(c00, f64x2.mul(a0, b0));
    c01 = f64x2.add(c01, f64x2.mul(a0, b1));
    const a1 = v128.load_splat<f64>(ap, 8);
    c10 = f64x2.add(c10, f64x2.mul(a1, b0));
    c11 = f64x2.add(c11, f64x2.mul(a1, b1));
    const a2 = v128.load_splat<f64>(ap, 16);
    c20 = f64x2.add(c20, f64x2.mul(a2, b0));
    c21 = f64x2.add(c21, f64x2.mul(a2, b1));
    const a3 = v128.load_splat<f64>(ap, 24);
    c30 = f64x2.add(c30, f64x2.mul(a3, b0));
    c31 = f64x2.add(c31, f64x2.mul(a3, b1));
    ap += 32;
    bp += 32;
  }
  const al = f64x2.splat(alpha);
  const rowBytes = <usize>ldc << 3;
  if (mr == MR && nr == NR) {
    // Whole tile: C ← C + α·s, two lanes at a time.
    let r = c;
    v128.store(r, f64x2.add(v128.load(r), f64x2.mul(al, c00)));
    v128.store(r, f64x2.add(v128.load(r, 16), f64x2.mul(al, c01)), 16);
    r += rowBytes;
    v128.store(r, f64x2.add(v128.load(r), f64x2.mul(al, c10)));
    v128.store(r, f64x2.add(v128.load(r, 16), f64x2.mul(al, c11)), 16);
    r += rowBytes;
    v128.store(r, f64x2.add(v128.load(r), f64x2.mul(al, c20)));
    v128.store(r, f64x2.add(v128.load(r, 16), f64x2.mul(al, c21)), 16);
    r += rowBytes;
    v128.store(r, f64x2.add(v128.load(r), f64x2.mul(al, c30)));
    v128.store(r, f64x2.add(v128.load(r, 16), f64x2.mul(al, c31)), 16);
    return;
  }
  // Edge tile: spill α·s to the scratch tile, add the valid part (same operations per entry).
  v128.store(tile, f64x2.mul(al, c00));
  v128.store(tile, f64x2.mul(al, c01), 16);
  v128.store(tile, f64x2.mul(al, c10), 32);
  v128.store(tile, f64x2.mul(al, c11), 48);
  v128.store(tile, f64x2.mul(al, c20), 64);
  v128.store(tile, f64x2.mul(al, c21), 80);
  v128.store(tile, f64x2.mul(al, c30), 96);
  v128.store(tile, f64x2.mul(al, c31), 112);
  for (let i: i32 = 0; i < mr; i++) {
    const row = c + <usize>i * rowBytes;
    for (let j: i32 = 0; j < nr; j++) {
      const q = row + (<usize>j << 3);
      store<f64>(q, load<f64>(q) + load<f64>(tile + (<usize>(i * NR + j) << 3)));
    }
  }
}

// C ← β·C over an m × n block with row stride ldc (β = 0 writes zeros without reading C).
function scale(m: i32, n: i32, beta: f64, c: usize, ldc: i32): void {
  if (beta == 1.0) return;
  for (let i: i32 = 0; i < m; i++) {
    const row = c + (<usize>(i * ldc) << 3);
    if (beta == 0.0) {
      memory.fill(row, 0, <usize>n << 3);
    } else {
      for (let j: i32 = 0; j < n; j++) {
        const q = row + (<usize>j << 3);
        store<f64>(q, beta * load<f64>(q));
      }
    }
  }
}

// The blocked product behind gemm and syrkw. upper ≠ 0: only tiles that reach the upper triangle
// (some column ≥ some row) are computed (m = n; a diagonal tile is computed whole).
function product(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  a: usize,
  lda: i32,
  w: usize,
  b: usize,
  ldb: i32,
  c: usize,
  ldc: i32,
  work: usize,
  upper: i32,
): void {
  const pa = work;
  const pb = work + (<usize>(MC * KC) << 3);
  const tile = pb + (<usize>(KC * NC) << 3);
  for (let j0: i32 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    for (let p0: i32 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      packB(transB, b, ldb, p0, kc, j0, nc, pb);
      // Rows past the block's last column hold no upper-triangle tile.
      const mEnd = upper != 0 ? min(m, j0 + nc) : m;
      for (let i0: i32 = 0; i0 < mEnd; i0 += MC) {
        const mc = min(MC, mEnd - i0);
        packA(transA, a, lda, w, i0, mc, p0, kc, pa);
        for (let jr: i32 = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = pb + (<usize>(jr * kc) << 3);
          const j = j0 + jr;
          for (let ir: i32 = 0; ir < mc; ir += MR) {
            const i = i0 + ir;
            if (upper != 0 && i > j + nr - 1) break;
            const mr = min(MR, mc - ir);
            const ap = pa + (<usize>(ir * kc) << 3);
            micro(kc, ap, bp, alpha, c + (<usize>(i * ldc + j) << 3), ldc, mr, nr, tile);
          }
        }
      }
    }
  }
}

/**
 * C ← α·op(A)·op(B) + β·C, row-major, op(A) m × k, op(B) k × n, C m × n with row strides lda, ldb,
 * ldc (in elements): op(A)[i,p] = A[i·lda + p], or A[p·lda + i] when transA ≠ 0; likewise B.
 * All pointers are byte addresses in this module's memory; `work` has `workBytes()` bytes.
 */
export function gemm(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  beta: f64,
  c: usize,
  ldc: i32,
  work: usize,
): void {
  scale(m, n, beta, c, ldc);
  if (alpha == 0.0 || m == 0 || n == 0 || k == 0) return;
  product(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, c, ldc, work, 0);
}

/**
 * Weighted symmetric rank-k update: C ← β·C + α·Xᵀ diag(w) X with X k × n (row stride ldx), w of
 * length k (w = 0: no weights), C n × n. Only the upper triangle of C is read; the result's upper
 * triangle is computed (op(A)[i,p] = w[p]·X[p,i], op(B)[p,j] = X[p,j]) and mirrored to the lower
 * one, so C is exactly symmetric. Cost ≈ k·n² flops (half of the gemm), plus the diagonal tiles.
 */
export function syrkw(
  n: i32,
  k: i32,
  alpha: f64,
  x: usize,
  ldx: i32,
  w: usize,
  beta: f64,
  c: usize,
  ldc: i32,
  work: usize,
): void {
  // Scale the upper triangle only; the lower one is overwritten by the mirror.
  for (let i: i32 = 0; i < n; i++) scale(1, n - i, beta, c + (<usize>(i * ldc + i) << 3), ldc);
  if (alpha != 0.0 && n != 0 && k != 0) product(1, 0, n, n, k, alpha, x, ldx, w, x, ldx, c, ldc, work, 1);
  for (let i: i32 = 1; i < n; i++) {
    for (let j: i32 = 0; j < i; j++) {
      store<f64>(c + (<usize>(i * ldc + j) << 3), load<f64>(c + (<usize>(j * ldc + i) << 3)));
    }
  }
}
