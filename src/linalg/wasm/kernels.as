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

// ---------------------------------------------------------------------------------------------------
// Random normals: the exact generator of src/rng/stream.ts (xoshiro128** words, the 256-layer
// ziggurat of src/rng/ziggurat.ts, the same slow paths with fdlibm's exp and log as in
// src/linalg/libm.ts), so a fill here gives the same bits as the JS fill and leaves the same state.
// The tables are written by the JS side (built there with the repository's libm) at `zigTables()`;
// the stream state (four 32-bit words s0 … s3) is exchanged at `rngState()`.
// ---------------------------------------------------------------------------------------------------

const ZIG_LAYERS: i32 = 256;
// X[0 … 256], RATIO[0 … 255], F[0 … 256], contiguous.
const ZIG: usize = memory.data(8 * (3 * ZIG_LAYERS + 2), 16);
const ZIG_RATIO_AT: usize = ZIG + 8 * (ZIG_LAYERS + 1);
const ZIG_F_AT: usize = ZIG_RATIO_AT + 8 * ZIG_LAYERS;
const RNG: usize = memory.data(16, 16);

/** Byte address of the ziggurat tables: X (257 doubles), RATIO (256), F (257). */
export function zigTables(): usize {
  return ZIG;
}

/** Byte address of the stream state: four 32-bit words s0, s1, s2, s3. */
export function rngState(): usize {
  return RNG;
}

// The state of the slow paths (the fast loop keeps it in locals and stores it around them).
let r0: u32 = 0;
let r1: u32 = 0;
let r2: u32 = 0;
let r3: u32 = 0;

// @ts-ignore: decorator
@inline
function zx(i: i32): f64 {
  return load<f64>(ZIG + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline
function zratio(i: i32): f64 {
  return load<f64>(ZIG_RATIO_AT + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline
function zf(i: i32): f64 {
  return load<f64>(ZIG_F_AT + (<usize>i << 3));
}

// Stream.nextUint32 on the globals.
function nextWord(): u32 {
  const s0 = r0;
  let s1 = r1;
  let s2 = r2;
  let s3 = r3;
  const m = s1 * 5;
  const r = rotl<u32>(m, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  r0 = s0 ^ s3;
  r2 = s2 ^ t;
  r3 = rotl<u32>(s3, 11);
  r1 = s1;
  return r;
}

const TWO_M53: f64 = 1.0 / 9007199254740992.0;
const TWO_24: f64 = 16777216.0;

// Stream.uniform: 53 random bits in [0, 1).
function uniform53(): f64 {
  const a = nextWord();
  const b = nextWord();
  return (<f64>(a >> 5) * 67108864.0 + <f64>(b >> 6)) * TWO_M53;
}

// Stream.slowNormal: the wedge of a layer, or the tail beyond R (= X[1]).
function slowNormal(u: f64, layer: i32): f64 {
  const R = zx(1);
  for (;;) {
    if (layer == 0) {
      // Marsaglia's tail method: x = -ln(U1)/R, accept if -2 ln(U2) > x².
      let x: f64 = 0;
      let y: f64 = 0;
      do {
        x = fdlibmLog(1.0 - uniform53()) / R;
        y = fdlibmLog(1.0 - uniform53());
      } while (-2.0 * y < x * x);
      return u < 0 ? x - R : R - x;
    }
    const x = u * zx(layer);
    const fx = fdlibmExp(-0.5 * x * x);
    if (zf(layer) + uniform53() * (zf(layer + 1) - zf(layer)) < fx) return x;
    const a = nextWord();
    const b = nextWord();
    u = (<f64>(a >> 3) * TWO_24 + <f64>(b >> 8)) * (2.0 * TWO_M53) - 1.0;
    layer = <i32>(b & 0xff);
    if (abs<f64>(u) < zratio(layer)) return u * zx(layer);
  }
  return 0; // not reached
}

/**
 * Stream.fillNormal: n standard normals times `scale` at byte address `out`, from the state at
 * `rngState()`, which is advanced.
 */
export function fillNormal(out: usize, n: i32, scale: f64): void {
  let s0 = load<u32>(RNG);
  let s1 = load<u32>(RNG, 4);
  let s2 = load<u32>(RNG, 8);
  let s3 = load<u32>(RNG, 12);
  const end = out + (<usize>n << 3);
  for (let p = out; p < end; p += 8) {
    let m = s1 * 5;
    const a = rotl<u32>(m, 7) * 9;
    let t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl<u32>(s3, 11);
    m = s1 * 5;
    const b = rotl<u32>(m, 7) * 9;
    t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl<u32>(s3, 11);
    // 29 + 24 = 53 bits for u, the low 8 bits of b for the layer: disjoint bits.
    const u = (<f64>(a >> 3) * TWO_24 + <f64>(b >> 8)) * (2.0 * TWO_M53) - 1.0;
    const layer = <i32>(b & 0xff);
    if (abs<f64>(u) < zratio(layer)) {
      store<f64>(p, u * zx(layer) * scale);
      continue;
    }
    r0 = s0;
    r1 = s1;
    r2 = s2;
    r3 = s3;
    store<f64>(p, slowNormal(u, layer) * scale);
    s0 = r0;
    s1 = r1;
    s2 = r2;
    s3 = r3;
  }
  store<u32>(RNG, s0);
  store<u32>(RNG, s1, 4);
  store<u32>(RNG, s2, 8);
  store<u32>(RNG, s3, 12);
}

// fdlibm's exp (e_exp.c) and log (e_log.c), as ported in src/linalg/libm.ts: the same operations
// in the same order, so the same bits.

const LN2_HI: f64 = reinterpret<f64>(0x3FE62E42FEE00000); // 0x3FE62E42, 0xFEE00000
const LN2_LO: f64 = reinterpret<f64>(0x3DEA39EF35793C76); // 0x3DEA39EF, 0x35793C76
const HUGE: f64 = 1.0e300;
const O_THRESHOLD: f64 = reinterpret<f64>(0x40862E42FEFA39EF); // 0x40862E42, 0xFEFA39EF
const U_THRESHOLD: f64 = reinterpret<f64>(0xC0874910D52D3051); // 0xC0874910, 0xD52D3051
const INVLN2: f64 = reinterpret<f64>(0x3FF71547652B82FE); // 0x3FF71547, 0x652B82FE
const P1: f64 = reinterpret<f64>(0x3FC555555555553E); // 0x3FC55555, 0x5555553E
const P2: f64 = reinterpret<f64>(0xBF66C16C16BEBD93); // 0xBF66C16C, 0x16BEBD93
const P3: f64 = reinterpret<f64>(0x3F11566AAF25DE2C); // 0x3F11566A, 0xAF25DE2C
const P4: f64 = reinterpret<f64>(0xBEBBBD41C5D26BF1); // 0xBEBBBD41, 0xC5D26BF1
const P5: f64 = reinterpret<f64>(0x3E66376972BEA4D0); // 0x3E663769, 0x72BEA4D0
const E: f64 = reinterpret<f64>(0x4005BF0A8B145769); // 0x4005BF0A, 0x8B145769
const TWOM1000: f64 = reinterpret<f64>(0x0170000000000000); // 2**-1000
const TWO1023: f64 = reinterpret<f64>(0x7FE0000000000000); // 2**1023
const TWO54: f64 = reinterpret<f64>(0x4350000000000000); // 0x43500000, 0x00000000

// 2^k for k in [−1022, 1023], exactly.
// @ts-ignore: decorator
@inline
function pow2(k: i32): f64 {
  return reinterpret<f64>(<u64>(0x3ff + k) << 52);
}

/** e^x (libm.ts `exp`). */
export function fdlibmExp(x: f64): f64 {
  let hx = <i32>(reinterpret<u64>(x) >> 32);
  const xsb = (hx >>> 31) & 1;
  hx &= 0x7fffffff;
  if (hx >= 0x40862e42) {
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | <i32>(<u32>reinterpret<u64>(x))) != 0) return x + x;
      return xsb == 0 ? x : 0.0;
    }
    if (x > O_THRESHOLD) return HUGE * HUGE;
    if (x < U_THRESHOLD) return TWOM1000 * TWOM1000;
  }
  let hi: f64 = 0;
  let lo: f64 = 0;
  let k: i32 = 0;
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      if (x == 1.0) return E;
      hi = x - (xsb == 0 ? LN2_HI : -LN2_HI);
      lo = xsb == 0 ? LN2_LO : -LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = <i32>(INVLN2 * x + (xsb == 0 ? 0.5 : -0.5));
      const t = <f64>k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    if (HUGE + x > 1.0) return 1.0 + x;
  } else {
    k = 0;
  }
  const t = x * x;
  const twopk: f64 = k >= -1021 ? (k == 1024 ? 0.0 : pow2(k)) : pow2(k + 1000);
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - (lo - (x * c) / (2.0 - c) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * TWO1023;
    return y * twopk;
  }
  return y * twopk * TWOM1000;
}

const LG1: f64 = reinterpret<f64>(0x3FE5555555555593); // 0x3FE55555, 0x55555593
const LG2: f64 = reinterpret<f64>(0x3FD999999997FA04); // 0x3FD99999, 0x9997FA04
const LG3: f64 = reinterpret<f64>(0x3FD2492494229359); // 0x3FD24924, 0x94229359
const LG4: f64 = reinterpret<f64>(0x3FCC71C51D8E78AF); // 0x3FCC71C5, 0x1D8E78AF
const LG5: f64 = reinterpret<f64>(0x3FC7466496CB03DE); // 0x3FC74664, 0x96CB03DE
const LG6: f64 = reinterpret<f64>(0x3FC39A09D078C69F); // 0x3FC39A09, 0xD078C69F
const LG7: f64 = reinterpret<f64>(0x3FC2F112DF3E5244); // 0x3FC2F112, 0xDF3E5244

/** Natural logarithm (libm.ts `log`). */
export function fdlibmLog(x: f64): f64 {
  let bits = reinterpret<u64>(x);
  let hx = <i32>(bits >> 32);
  const lx = <u32>bits;
  let k: i32 = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | <i32>lx) == 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54;
    bits = reinterpret<u64>(x);
    hx = <i32>(bits >> 32);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  let i = (hx + 0x95f64) & 0x100000;
  // SET_HIGH_WORD(x, hx | (i ^ 0x3ff00000)): normalise x or x/2.
  x = reinterpret<f64>((<u64>(<u32>(hx | (i ^ 0x3ff00000))) << 32) | (reinterpret<u64>(x) & 0xffffffff));
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f == 0.0) {
      if (k == 0) return 0.0;
      const dk = <f64>k;
      return dk * LN2_HI + dk * LN2_LO;
    }
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    if (k == 0) return f - R;
    const dk = <f64>k;
    return dk * LN2_HI - (R - dk * LN2_LO - f);
  }
  const s = f / (2.0 + f);
  const dk = <f64>k;
  const z = s * s;
  i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
  }
  if (k == 0) return f - s * (f - R);
  return dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
}

/**
 * out ← (1/m) Σ_j (⟨x_j, v⟩ − e_j) x_j over the m rows x_j of X (m × d, row-major at `x`), with
 * e_j = noise[j], or 0 when `noise` = 0: `DenseSet.residual` (v = θ − θ*) and `covApply` of
 * src/models/sampleSets.ts. The dot product keeps dotAt's four running sums (as two f64x2 pairs)
 * and its final (s0 + s1) + (s2 + s3); the update is axpyAt's; so the bits are the JS ones.
 */
export function rowsResidual(x: usize, m: i32, d: i32, v: usize, noise: usize, out: usize): void {
  memory.fill(out, 0, <usize>d << 3);
  const rowBytes = <usize>d << 3;
  let j: i32 = 0;
  // Two rows at a time: their dot products are independent chains (twice the adds in flight), and
  // out[k] still receives row j's term, then row j + 1's, so the bits are those of one row at a time.
  for (; j + 1 < m; j += 2) {
    const row = x + <usize>j * rowBytes;
    const row1 = row + rowBytes;
    let a01 = f64x2.splat(0.0);
    let a23 = f64x2.splat(0.0);
    let b01 = f64x2.splat(0.0);
    let b23 = f64x2.splat(0.0);
    let i: i32 = 0;
    for (; i + 3 < d; i += 4) {
      const o = <usize>i << 3;
      const v01 = v128.load(v + o);
      const v23 = v128.load(v + o, 16);
      a01 = f64x2.add(a01, f64x2.mul(v128.load(row + o), v01));
      a23 = f64x2.add(a23, f64x2.mul(v128.load(row + o, 16), v23));
      b01 = f64x2.add(b01, f64x2.mul(v128.load(row1 + o), v01));
      b23 = f64x2.add(b23, f64x2.mul(v128.load(row1 + o, 16), v23));
    }
    let s0 = f64x2.extract_lane(a01, 0);
    let t0 = f64x2.extract_lane(b01, 0);
    for (; i < d; i++) {
      const o = <usize>i << 3;
      const vi = load<f64>(v + o);
      s0 += load<f64>(row + o) * vi;
      t0 += load<f64>(row1 + o) * vi;
    }
    let c = s0 + f64x2.extract_lane(a01, 1) + (f64x2.extract_lane(a23, 0) + f64x2.extract_lane(a23, 1));
    let e = t0 + f64x2.extract_lane(b01, 1) + (f64x2.extract_lane(b23, 0) + f64x2.extract_lane(b23, 1));
    if (noise != 0) {
      c = c - load<f64>(noise + (<usize>j << 3));
      e = e - load<f64>(noise + (<usize>(j + 1) << 3));
    }
    const cc = f64x2.splat(c);
    const ee = f64x2.splat(e);
    let k: i32 = 0;
    for (; k + 1 < d; k += 2) {
      const o = <usize>k << 3;
      const u = f64x2.add(v128.load(out + o), f64x2.mul(cc, v128.load(row + o)));
      v128.store(out + o, f64x2.add(u, f64x2.mul(ee, v128.load(row1 + o))));
    }
    if (k < d) {
      const o = <usize>k << 3;
      const u = load<f64>(out + o) + c * load<f64>(row + o);
      store<f64>(out + o, u + e * load<f64>(row1 + o));
    }
  }
  for (; j < m; j++) {
    const row = x + <usize>j * rowBytes;
    let a01 = f64x2.splat(0.0);
    let a23 = f64x2.splat(0.0);
    let i: i32 = 0;
    for (; i + 3 < d; i += 4) {
      const o = <usize>i << 3;
      a01 = f64x2.add(a01, f64x2.mul(v128.load(row + o), v128.load(v + o)));
      a23 = f64x2.add(a23, f64x2.mul(v128.load(row + o, 16), v128.load(v + o, 16)));
    }
    let s0 = f64x2.extract_lane(a01, 0);
    for (; i < d; i++) {
      const o = <usize>i << 3;
      s0 += load<f64>(row + o) * load<f64>(v + o);
    }
    let c = s0 + f64x2.extract_lane(a01, 1) + (f64x2.extract_lane(a23, 0) + f64x2.extract_lane(a23, 1));
    if (noise != 0) c = c - load<f64>(noise + (<usize>j << 3));
    const cc = f64x2.splat(c);
    let k: i32 = 0;
    for (; k + 1 < d; k += 2) {
      const o = <usize>k << 3;
      v128.store(out + o, f64x2.add(v128.load(out + o), f64x2.mul(cc, v128.load(row + o))));
    }
    if (k < d) {
      const o = <usize>k << 3;
      store<f64>(out + o, load<f64>(out + o) + c * load<f64>(row + o));
    }
  }
  const inv = 1.0 / <f64>m;
  for (let i: i32 = 0; i < d; i++) {
    const o = out + (<usize>i << 3);
    store<f64>(o, load<f64>(o) * inv);
  }
}

/** dotAt of src/linalg/vector.ts: four running sums, the tail into the first, (s0 + s1) + (s2 + s3). */
function dot4(x: usize, y: usize, n: i32): f64 {
  let s0 = 0.0;
  let s1 = 0.0;
  let s2 = 0.0;
  let s3 = 0.0;
  let i: i32 = 0;
  for (; i + 3 < n; i += 4) {
    const o = <usize>i << 3;
    s0 += load<f64>(x + o) * load<f64>(y + o);
    s1 += load<f64>(x + o, 8) * load<f64>(y + o, 8);
    s2 += load<f64>(x + o, 16) * load<f64>(y + o, 16);
    s3 += load<f64>(x + o, 24) * load<f64>(y + o, 24);
  }
  for (; i < n; i++) s0 += load<f64>(x + (<usize>i << 3)) * load<f64>(y + (<usize>i << 3));
  return s0 + s1 + (s2 + s3);
}

/**
 * FO-ANIL's task meta-gradients (foAnilTaskGradient of src/algorithms/metaGradient.ts on tasks
 * whose rows are pinned, labels as the noise, θ* = 0) for `n` tasks: task i has inner rows
 * [tasks[4i], +tasks[4i+1]) and outer rows [tasks[4i+2], +tasks[4i+3]) of X at `x`, y at `y`
 * (int32 at `tasks`). With Bt (k' × d), w, θ₀ = Bw: r = g_in(θ₀), w' = w − αBᵀr, r' = g_out(Bw'),
 * GBt += w' r'ᵀ, Gw += Bᵀr', in the JS order (so the same bits). `scratch`: 3d + k' doubles.
 */
export function foAnilTasks(
  x: usize,
  y: usize,
  tasks: usize,
  n: i32,
  d: i32,
  kp: i32,
  Bt: usize,
  w: usize,
  theta0: usize,
  alpha: f64,
  GBt: usize,
  Gw: usize,
  scratch: usize,
): void {
  const db = <usize>d << 3;
  const r = scratch;
  const thetaP = scratch + db;
  const rp = thetaP + db;
  const wp = rp + db;
  for (let i: i32 = 0; i < n; i++) {
    const t = tasks + (<usize>i << 4);
    const inRow = load<i32>(t);
    const inM = load<i32>(t, 4);
    const outRow = load<i32>(t, 8);
    const outM = load<i32>(t, 12);
    rowsResidual(x + <usize>inRow * db, inM, d, theta0, y + (<usize>inRow << 3), r);
    for (let c: i32 = 0; c < kp; c++) {
      const btr = dot4(Bt + <usize>c * db, r, d);
      store<f64>(wp + (<usize>c << 3), load<f64>(w + (<usize>c << 3)) - alpha * btr);
    }
    memory.fill(thetaP, 0, db);
    for (let c: i32 = 0; c < kp; c++) {
      const a = load<f64>(wp + (<usize>c << 3));
      const row = Bt + <usize>c * db;
      for (let j: i32 = 0; j < d; j++) {
        const o = <usize>j << 3;
        store<f64>(thetaP + o, load<f64>(thetaP + o) + a * load<f64>(row + o));
      }
    }
    rowsResidual(x + <usize>outRow * db, outM, d, thetaP, y + (<usize>outRow << 3), rp);
    for (let c: i32 = 0; c < kp; c++) {
      const s = 1.0 * load<f64>(wp + (<usize>c << 3));
      const g = GBt + <usize>c * db;
      for (let j: i32 = 0; j < d; j++) {
        const o = <usize>j << 3;
        store<f64>(g + o, load<f64>(g + o) + s * load<f64>(rp + o));
      }
    }
    for (let c: i32 = 0; c < kp; c++) {
      const o = Gw + (<usize>c << 3);
      store<f64>(o, load<f64>(o) + dot4(Bt + <usize>c * db, rp, d));
    }
  }
}

/**
 * n rows of a linear-regression task drawn from the stream at `rngState()`: for each row, d
 * normals x (written to X's row at `x`, row-major n × d) then one z, and y = ⟨θ, x⟩ + σz (θ at
 * `theta`, the sum running left to right from 0): `drawRows` of src/models/fewShotTasks.ts, the
 * same draws and bits, without a pass in JS or a copy of the normals.
 */
export function drawRows(x: usize, y: usize, n: i32, d: i32, theta: usize, sigma: f64): void {
  const rowBytes = <usize>d << 3;
  for (let i: i32 = 0; i < n; i++) {
    const row = x + <usize>i * rowBytes;
    const yi = y + (<usize>i << 3);
    fillNormal(row, d, 1.0);
    fillNormal(yi, 1, 1.0);
    let acc: f64 = 0;
    for (let a: i32 = 0; a < d; a++) {
      const o = <usize>a << 3;
      acc += load<f64>(row + o) * load<f64>(theta + o);
    }
    store<f64>(yi, acc + sigma * load<f64>(yi));
  }
}

/**
 * |Xw| for n points stored by coordinate (xt: d rows of n, row-major) and w of length d, written
 * to `out`: out[i] = |w₀·xt[0][i] + w₁·xt[1][i] + … + w_{d−1}·xt[d−1][i]|, summed left to right as
 * a JS loop `p = w[0]·x[0]; p += w[a]·x[a]` does (two points per f64x2 lane pair, no FMA), so the
 * bits are the JS ones (up to the sign of a zero). Then the indices i with out[i] ≥ `atLeast`
 * are written in increasing order to `idx` (i32) and their count returned. For HRPCA's full
 * passes (src/algorithms/robust/hrpca.ts).
 */
export function absProjections(
  xt: usize,
  n: i32,
  d: i32,
  w: usize,
  out: usize,
  atLeast: f64,
  idx: usize,
): i32 {
  const rowBytes = <usize>n << 3;
  const w0 = v128.load_splat<f64>(w);
  let i: i32 = 0;
  for (; i + 3 < n; i += 4) {
    const o = xt + (<usize>i << 3);
    let p01 = f64x2.mul(w0, v128.load(o));
    let p23 = f64x2.mul(w0, v128.load(o, 16));
    let r = o;
    for (let a: i32 = 1; a < d; a++) {
      r += rowBytes;
      const wa = v128.load_splat<f64>(w + (<usize>a << 3));
      p01 = f64x2.add(p01, f64x2.mul(wa, v128.load(r)));
      p23 = f64x2.add(p23, f64x2.mul(wa, v128.load(r, 16)));
    }
    const q = out + (<usize>i << 3);
    v128.store(q, f64x2.abs(p01));
    v128.store(q, f64x2.abs(p23), 16);
  }
  for (; i < n; i++) {
    const o = xt + (<usize>i << 3);
    let p: f64 = load<f64>(w) * load<f64>(o);
    for (let a: i32 = 1; a < d; a++) p += load<f64>(w + (<usize>a << 3)) * load<f64>(o + <usize>a * rowBytes);
    store<f64>(out + (<usize>i << 3), abs<f64>(p));
  }
  let count: i32 = 0;
  for (let j: i32 = 0; j < n; j++) {
    if (load<f64>(out + (<usize>j << 3)) >= atLeast) {
      store<i32>(idx + (<usize>count << 2), j);
      count++;
    }
  }
  return count;
}

/**
 * The sufficient-statistics part of Burer–Monteiro's objective (burerMonteiroObjective of
 * src/algorithms/representation/burerMonteiro.ts) for tasks two at a time, one per f64x2 lane: each
 * lane does the JS loop's operations in its order, so the bits are the JS ones. Slots s (the tasks
 * read from statistics, task index tasks[s], i32) pair up as (2p, 2p + 1); the block holds pairs
 * p0 … p0 + pairs − 1, interleaved (lane 0, lane 1; 16 bytes per entry): the packed upper
 * triangles of A_t (packed = d(d+1)/2 entries per pair at a), b_t (d entries per pair at b) and c_t
 * (one entry per pair at c). θ_t is row t of `theta` (d doubles per task); per task:
 *   g ← 0; for i: acc = A[i,i]θ_i, for j > i: acc += A[i,j]θ_j, g_j += A[i,j]θ_i; then g_i += acc;
 *   quad = Σ_i θ_i g_i, lin = Σ_i b_i θ_i (in order), g_i −= b_i; loss = (quad − 2·lin) + c.
 * Writes g_t to row t of `g` and the loss term of slot s to loss[s]; a missing second task
 * (slot = used) computes on zeros and writes nothing. `scratch`: 4d doubles.
 */
export function packedStatsPairs(
  a: usize,
  b: usize,
  c: usize,
  p0: i32,
  pairs: i32,
  d: i32,
  tasks: usize,
  used: i32,
  theta: usize,
  g: usize,
  loss: usize,
  scratch: usize,
): void {
  const packed = (d * (d + 1)) >> 1;
  const zero = f64x2.splat(0.0);
  const two = f64x2.splat(2.0);
  const th = scratch;
  const gp = scratch + (<usize>d << 4);
  const rowBytes = <usize>d << 3;
  for (let q: i32 = 0; q < pairs; q++) {
    const s0 = 2 * (p0 + q);
    const has1 = s0 + 1 < used;
    const r0 = <usize>load<i32>(tasks + (<usize>s0 << 2)) * rowBytes;
    const r1 = has1 ? <usize>load<i32>(tasks + (<usize>(s0 + 1) << 2)) * rowBytes : 0;
    for (let i: i32 = 0; i < d; i++) {
      const at = <usize>i << 3;
      const hi = has1 ? load<f64>(theta + r1 + at) : 0.0;
      v128.store(th + (at << 1), f64x2.replace_lane(f64x2.splat(load<f64>(theta + r0 + at)), 1, hi));
      v128.store(gp + (at << 1), zero);
    }
    const bp = b + (<usize>(q * d) << 4);
    let o = a + ((<usize>q * <usize>packed) << 4);
    for (let i: i32 = 0; i < d; i++) {
      const ti = v128.load(th + (<usize>i << 4));
      let acc = f64x2.mul(v128.load(o), ti);
      for (let j: i32 = i + 1; j < d; j++) {
        const v = v128.load(o + (<usize>(j - i) << 4));
        acc = f64x2.add(acc, f64x2.mul(v, v128.load(th + (<usize>j << 4))));
        const gj = gp + (<usize>j << 4);
        v128.store(gj, f64x2.add(v128.load(gj), f64x2.mul(v, ti)));
      }
      const gi = gp + (<usize>i << 4);
      v128.store(gi, f64x2.add(v128.load(gi), acc));
      o += <usize>(d - i) << 4;
    }
    let quad = zero;
    let lin = zero;
    for (let i: i32 = 0; i < d; i++) {
      const at = <usize>i << 4;
      const ti = v128.load(th + at);
      const gi = v128.load(gp + at);
      const bi = v128.load(bp + at);
      quad = f64x2.add(quad, f64x2.mul(ti, gi));
      lin = f64x2.add(lin, f64x2.mul(bi, ti));
      const out = f64x2.sub(gi, bi);
      store<f64>(g + r0 + (<usize>i << 3), f64x2.extract_lane(out, 0));
      if (has1) store<f64>(g + r1 + (<usize>i << 3), f64x2.extract_lane(out, 1));
    }
    const l = f64x2.add(f64x2.sub(quad, f64x2.mul(two, lin)), v128.load(c + (<usize>q << 4)));
    store<f64>(loss + (<usize>s0 << 3), f64x2.extract_lane(l, 0));
    if (has1) store<f64>(loss + (<usize>(s0 + 1) << 3), f64x2.extract_lane(l, 1));
  }
}

/**
 * projectRows of src/algorithms/representation/heads.ts: out (n × k, row-major) = X B for X (n × d,
 * row-major) at `x` and Bt = Bᵀ (k × d) at `bt`, in the JS order: columns in pairs, each dot
 * product as its (even a, odd a) running sums (one f64x2 lane each), an odd d's last term into the
 * even sum, then even + odd; an odd k's last column as dotAt (dot4). So the bits are the JS ones.
 */
export function projectRows(x: usize, n: i32, d: i32, bt: usize, k: i32, out: usize): void {
  const rowBytes = <usize>d << 3;
  for (let i: i32 = 0; i < n; i++) {
    const row = x + <usize>i * rowBytes;
    const o = out + ((<usize>i * <usize>k) << 3);
    let c: i32 = 0;
    for (; c + 1 < k; c += 2) {
      const b0 = bt + <usize>c * rowBytes;
      const b1 = b0 + rowBytes;
      let s = f64x2.splat(0.0);
      let t = f64x2.splat(0.0);
      let a: i32 = 0;
      for (; a + 1 < d; a += 2) {
        const off = <usize>a << 3;
        const xv = v128.load(row + off);
        s = f64x2.add(s, f64x2.mul(xv, v128.load(b0 + off)));
        t = f64x2.add(t, f64x2.mul(xv, v128.load(b1 + off)));
      }
      let s0 = f64x2.extract_lane(s, 0);
      let t0 = f64x2.extract_lane(t, 0);
      if (a < d) {
        const off = <usize>a << 3;
        const xa = load<f64>(row + off);
        s0 += xa * load<f64>(b0 + off);
        t0 += xa * load<f64>(b1 + off);
      }
      const oc = o + (<usize>c << 3);
      store<f64>(oc, s0 + f64x2.extract_lane(s, 1));
      store<f64>(oc, t0 + f64x2.extract_lane(t, 1), 8);
    }
    if (c < k) store<f64>(o + (<usize>c << 3), dot4(row, bt + <usize>c * rowBytes, d));
  }
}

/**
 * The part moments of a mixture batch whose X and label noise lie in this memory
 * (`sampleMixturePartMoments` of src/models/mixedLinearRegression.ts): for task i < n (component
 * ids[i], int32), over its examples r in [from, from + parts·m): y_r ← ⟨x_r, w_id⟩ + s_id·e_r (in
 * place over e, dotAt's order), then for each part q, out row (i·parts + q) ← (1/m) Σ y x over
 * its m examples in partMoments' order (four examples at a time: o + (((c₀x₀ + c₁x₁) + c₂x₂) +
 * c₃x₃), c = y·(1/m); the rest one by one), so the bits are those of sampleMixtureTasks then
 * partMoments in JS. X: n·t rows of d at `x`; e: n·t at `e`; W: rows of d at `w`; s at `sc`.
 */
export function mixtureParts(
  x: usize,
  e: usize,
  n: i32,
  t: i32,
  d: i32,
  w: usize,
  sc: usize,
  ids: usize,
  from: i32,
  parts: i32,
  m: i32,
  out: usize,
): void {
  const rowBytes = <usize>d << 3;
  const inv = 1.0 / <f64>m;
  for (let i: i32 = 0; i < n; i++) {
    const l = load<i32>(ids + (<usize>i << 2));
    const v = w + <usize>l * rowBytes;
    const sl = load<f64>(sc + (<usize>l << 3));
    const r0 = i * t + from;
    for (let j: i32 = 0; j < parts * m; j++) {
      const r = r0 + j;
      const row = x + <usize>r * rowBytes;
      let a01 = f64x2.splat(0.0);
      let a23 = f64x2.splat(0.0);
      let k: i32 = 0;
      for (; k + 3 < d; k += 4) {
        const o = <usize>k << 3;
        a01 = f64x2.add(a01, f64x2.mul(v128.load(row + o), v128.load(v + o)));
        a23 = f64x2.add(a23, f64x2.mul(v128.load(row + o, 16), v128.load(v + o, 16)));
      }
      let s0 = f64x2.extract_lane(a01, 0);
      for (; k < d; k++) {
        const o = <usize>k << 3;
        s0 += load<f64>(row + o) * load<f64>(v + o);
      }
      const dot = s0 + f64x2.extract_lane(a01, 1) + (f64x2.extract_lane(a23, 0) + f64x2.extract_lane(a23, 1));
      const ea = e + (<usize>r << 3);
      store<f64>(ea, dot + sl * load<f64>(ea));
    }
    for (let q: i32 = 0; q < parts; q++) {
      const o0 = out + <usize>(i * parts + q) * rowBytes;
      memory.fill(o0, 0, rowBytes);
      const start = r0 + q * m;
      const end = start + m;
      let r = start;
      for (; r + 3 < end; r += 4) {
        const ya = e + (<usize>r << 3);
        const c0 = load<f64>(ya) * inv;
        const c1 = load<f64>(ya, 8) * inv;
        const c2 = load<f64>(ya, 16) * inv;
        const c3 = load<f64>(ya, 24) * inv;
        const v0 = f64x2.splat(c0);
        const v1 = f64x2.splat(c1);
        const v2 = f64x2.splat(c2);
        const v3 = f64x2.splat(c3);
        const x0 = x + <usize>r * rowBytes;
        const x1 = x0 + rowBytes;
        const x2 = x1 + rowBytes;
        const x3 = x2 + rowBytes;
        let k: i32 = 0;
        for (; k + 1 < d; k += 2) {
          const o = <usize>k << 3;
          let s = f64x2.mul(v0, v128.load(x0 + o));
          s = f64x2.add(s, f64x2.mul(v1, v128.load(x1 + o)));
          s = f64x2.add(s, f64x2.mul(v2, v128.load(x2 + o)));
          s = f64x2.add(s, f64x2.mul(v3, v128.load(x3 + o)));
          v128.store(o0 + o, f64x2.add(v128.load(o0 + o), s));
        }
        if (k < d) {
          const o = <usize>k << 3;
          const s = c0 * load<f64>(x0 + o) + c1 * load<f64>(x1 + o) + c2 * load<f64>(x2 + o) + c3 * load<f64>(x3 + o);
          store<f64>(o0 + o, load<f64>(o0 + o) + s);
        }
      }
      for (; r < end; r++) {
        const c = load<f64>(e + (<usize>r << 3)) * inv;
        const vc = f64x2.splat(c);
        const xr = x + <usize>r * rowBytes;
        let k: i32 = 0;
        for (; k + 1 < d; k += 2) {
          const o = <usize>k << 3;
          v128.store(o0 + o, f64x2.add(v128.load(o0 + o), f64x2.mul(vc, v128.load(xr + o))));
        }
        if (k < d) {
          const o = <usize>k << 3;
          store<f64>(o0 + o, load<f64>(o0 + o) + c * load<f64>(xr + o));
        }
      }
    }
  }
}

/**
 * The half-sample moments of `count` light tasks from their normals (`sampleMixtureHalfMoments` of
 * src/models/mixedLinearRegression.ts, the projected sampler): task i's `per` = 2t + 2d normals at
 * z + i·per hold, per half h (m₁ = ⌊t/2⌋ examples, then t − m₁), g then ε, and after all 2t of
 * them z₁, z₂ (d each). With y = ω·g + s·ε: a = Σ g y, r = ‖y‖, c = ⟨u, z_h⟩ (dotAt's order), and
 * row i of B_h ← ((a − r·c)/len)·u + (r/len)·z_h — the JS loops' operations in their order, so
 * the same bits. ids (int32), ω = ‖w_ℓ‖ and s per component, u = w_ℓ/ω as rows of d.
 */
export function halfMoments(
  z: usize,
  count: i32,
  t: i32,
  d: i32,
  ids: usize,
  norms: usize,
  sc: usize,
  u: usize,
  b1: usize,
  b2: usize,
): void {
  const per = 2 * t + 2 * d;
  const m1 = t / 2;
  const rowBytes = <usize>d << 3;
  for (let i: i32 = 0; i < count; i++) {
    const l = load<i32>(ids + (<usize>i << 2));
    const omega = load<f64>(norms + (<usize>l << 3));
    const sl = load<f64>(sc + (<usize>l << 3));
    const uo = u + <usize>l * rowBytes;
    const base = z + ((<usize>i * <usize>per) << 3);
    for (let h: i32 = 0; h < 2; h++) {
      const start = h == 0 ? 0 : m1;
      const len = h == 0 ? m1 : t - m1;
      const go = base + (<usize>(2 * start) << 3);
      const eo = go + (<usize>len << 3);
      let a = 0.0;
      let r2 = 0.0;
      for (let j: i32 = 0; j < len; j++) {
        const g = load<f64>(go + (<usize>j << 3));
        const y = omega * g + sl * load<f64>(eo + (<usize>j << 3));
        a += g * y;
        r2 += y * y;
      }
      const zo = base + (<usize>(2 * t + h * d) << 3);
      const r = sqrt<f64>(r2);
      const c = omega > 0 ? dot4(uo, zo, d) : 0.0;
      const coefU = (a - r * c) / <f64>len;
      const coefZ = r / <f64>len;
      const bo = (h == 0 ? b1 : b2) + <usize>i * rowBytes;
      const vu = f64x2.splat(coefU);
      const vz = f64x2.splat(coefZ);
      let q: i32 = 0;
      for (; q + 1 < d; q += 2) {
        const o = <usize>q << 3;
        v128.store(bo + o, f64x2.add(f64x2.mul(vu, v128.load(uo + o)), f64x2.mul(vz, v128.load(zo + o))));
      }
      if (q < d) {
        const o = <usize>q << 3;
        store<f64>(bo + o, coefU * load<f64>(uo + o) + coefZ * load<f64>(zo + o));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Per-task minimum-norm least squares, two tasks per f64x2 lane pair (minNormSolve of
// src/algorithms/mlr/baselines.ts): each lane does the JS function's operations in its order.
// ---------------------------------------------------------------------------------------------------

// The host's Math.hypot (imported, not a port: engines differ in its last bit, and each lane must
// give the bits of the JS function in the engine that runs both).
// @ts-ignore: decorator
@external("js", "hypot")
declare function jsHypot(a: f64, b: f64): f64;

// The last reflector's τ and β (reflectorLane's two results).
let reflTau: f64 = 0;
let reflBeta: f64 = 0;
let reflTau1: f64 = 0;
let reflBeta1: f64 = 0;

// `reflector` of baselines.ts on one lane: entries x[o .. o+len) of an interleaved column (16 bytes
// per entry; `x` already offset to the lane).
function reflectorLane(x: usize, len: i32): void {
  const alpha = load<f64>(x);
  let scale: f64 = 0;
  for (let i: i32 = 1; i < len; i++) scale = max<f64>(scale, abs<f64>(load<f64>(x + (<usize>i << 4))));
  if (scale == 0) {
    reflTau = 0;
    reflBeta = alpha;
    return;
  }
  let ss: f64 = 0;
  for (let i: i32 = 1; i < len; i++) {
    const q = load<f64>(x + (<usize>i << 4)) / scale;
    ss += q * q;
  }
  const xnorm = scale * sqrt<f64>(ss);
  const h = jsHypot(alpha, xnorm);
  const beta = alpha >= 0 ? -h : h;
  const denom = alpha - beta;
  for (let i: i32 = 1; i < len; i++) {
    const at = x + (<usize>i << 4);
    store<f64>(at, load<f64>(at) / denom);
  }
  store<f64>(x, beta);
  reflTau = (beta - alpha) / beta;
  reflBeta = beta;
}

// `reflector` on both lanes at once (x at an interleaved column's entry o): the same operations
// per lane, the divisions two at a time. Sets reflTau/reflBeta (lane 0) and reflTau1/reflBeta1.
// A lane whose column below o is zero (scale = 0: returns early in JS) sends both to reflectorLane.
function reflectorPair(x: usize, len: i32): void {
  let scale = f64x2.splat(0.0);
  for (let i: i32 = 1; i < len; i++) scale = f64x2.max(scale, f64x2.abs(v128.load(x + (<usize>i << 4))));
  if (f64x2.extract_lane(scale, 0) == 0 || f64x2.extract_lane(scale, 1) == 0) {
    reflectorLane(x + 8, len);
    reflTau1 = reflTau;
    reflBeta1 = reflBeta;
    reflectorLane(x, len);
    return;
  }
  const alpha = v128.load(x);
  let ss = f64x2.splat(0.0);
  for (let i: i32 = 1; i < len; i++) {
    const q = f64x2.div(v128.load(x + (<usize>i << 4)), scale);
    ss = f64x2.add(ss, f64x2.mul(q, q));
  }
  const xnorm = f64x2.mul(scale, f64x2.sqrt(ss));
  const a0 = f64x2.extract_lane(alpha, 0);
  const a1 = f64x2.extract_lane(alpha, 1);
  const h0 = jsHypot(a0, f64x2.extract_lane(xnorm, 0));
  const h1 = jsHypot(a1, f64x2.extract_lane(xnorm, 1));
  const beta = f64x2.replace_lane(f64x2.splat(a0 >= 0 ? -h0 : h0), 1, a1 >= 0 ? -h1 : h1);
  const denom = f64x2.sub(alpha, beta);
  for (let i: i32 = 1; i < len; i++) {
    const at = x + (<usize>i << 4);
    v128.store(at, f64x2.div(v128.load(at), denom));
  }
  v128.store(x, beta);
  const tau = f64x2.div(f64x2.sub(beta, alpha), beta);
  reflTau = f64x2.extract_lane(tau, 0);
  reflTau1 = f64x2.extract_lane(tau, 1);
  reflBeta = f64x2.extract_lane(beta, 0);
  reflBeta1 = f64x2.extract_lane(beta, 1);
}

// `applyReflector` of baselines.ts on one lane (x, y offset to the lane, 16 bytes per entry).
function applyLane(tau: f64, x: usize, y: usize, len: i32): void {
  if (tau == 0) return;
  let s = load<f64>(y);
  for (let i: i32 = 1; i < len; i++) s += load<f64>(x + (<usize>i << 4)) * load<f64>(y + (<usize>i << 4));
  s *= tau;
  store<f64>(y, load<f64>(y) - s);
  for (let i: i32 = 1; i < len; i++) {
    const at = y + (<usize>i << 4);
    store<f64>(at, load<f64>(at) - s * load<f64>(x + (<usize>i << 4)));
  }
}

// `applyReflector` on both lanes: y ← (I − τ v vᵀ) y per lane, for `cnt` interleaved columns y,
// y + step, … (four, then two at a time: independent chains of adds in flight). A lane with τ = 0 is left
// alone, as the JS returns early (a lane-wise τ·s would turn −0 into +0).
function applyPairs(tau: v128, x: usize, y: usize, step: usize, cnt: i32, len: i32): void {
  const t0 = f64x2.extract_lane(tau, 0);
  const t1 = f64x2.extract_lane(tau, 1);
  if (t0 == 0 || t1 == 0) {
    for (let c: i32 = 0; c < cnt; c++) {
      const yc = y + <usize>c * step;
      applyLane(t0, x, yc, len);
      applyLane(t1, x + 8, yc + 8, len);
    }
    return;
  }
  let c: i32 = 0;
  for (; c + 3 < cnt; c += 4) {
    const ya = y + <usize>c * step;
    const yb = ya + step;
    const yc = yb + step;
    const yd = yc + step;
    let sa = v128.load(ya);
    let sb = v128.load(yb);
    let sc = v128.load(yc);
    let sd = v128.load(yd);
    for (let i: i32 = 1; i < len; i++) {
      const o = <usize>i << 4;
      const xi = v128.load(x + o);
      sa = f64x2.add(sa, f64x2.mul(xi, v128.load(ya + o)));
      sb = f64x2.add(sb, f64x2.mul(xi, v128.load(yb + o)));
      sc = f64x2.add(sc, f64x2.mul(xi, v128.load(yc + o)));
      sd = f64x2.add(sd, f64x2.mul(xi, v128.load(yd + o)));
    }
    sa = f64x2.mul(sa, tau);
    sb = f64x2.mul(sb, tau);
    sc = f64x2.mul(sc, tau);
    sd = f64x2.mul(sd, tau);
    v128.store(ya, f64x2.sub(v128.load(ya), sa));
    v128.store(yb, f64x2.sub(v128.load(yb), sb));
    v128.store(yc, f64x2.sub(v128.load(yc), sc));
    v128.store(yd, f64x2.sub(v128.load(yd), sd));
    for (let i: i32 = 1; i < len; i++) {
      const o = <usize>i << 4;
      const xi = v128.load(x + o);
      v128.store(ya + o, f64x2.sub(v128.load(ya + o), f64x2.mul(sa, xi)));
      v128.store(yb + o, f64x2.sub(v128.load(yb + o), f64x2.mul(sb, xi)));
      v128.store(yc + o, f64x2.sub(v128.load(yc + o), f64x2.mul(sc, xi)));
      v128.store(yd + o, f64x2.sub(v128.load(yd + o), f64x2.mul(sd, xi)));
    }
  }
  for (; c + 1 < cnt; c += 2) {
    const ya = y + <usize>c * step;
    const yb = ya + step;
    let sa = v128.load(ya);
    let sb = v128.load(yb);
    for (let i: i32 = 1; i < len; i++) {
      const o = <usize>i << 4;
      const xi = v128.load(x + o);
      sa = f64x2.add(sa, f64x2.mul(xi, v128.load(ya + o)));
      sb = f64x2.add(sb, f64x2.mul(xi, v128.load(yb + o)));
    }
    sa = f64x2.mul(sa, tau);
    sb = f64x2.mul(sb, tau);
    v128.store(ya, f64x2.sub(v128.load(ya), sa));
    v128.store(yb, f64x2.sub(v128.load(yb), sb));
    for (let i: i32 = 1; i < len; i++) {
      const o = <usize>i << 4;
      const xi = v128.load(x + o);
      v128.store(ya + o, f64x2.sub(v128.load(ya + o), f64x2.mul(sa, xi)));
      v128.store(yb + o, f64x2.sub(v128.load(yb + o), f64x2.mul(sb, xi)));
    }
  }
  if (c < cnt) {
    const ya = y + <usize>c * step;
    let sa = v128.load(ya);
    for (let i: i32 = 1; i < len; i++) {
      const o = <usize>i << 4;
      sa = f64x2.add(sa, f64x2.mul(v128.load(x + o), v128.load(ya + o)));
    }
    sa = f64x2.mul(sa, tau);
    v128.store(ya, f64x2.sub(v128.load(ya), sa));
    for (let i: i32 = 1; i < len; i++) {
      const o = <usize>i << 4;
      v128.store(ya + o, f64x2.sub(v128.load(ya + o), f64x2.mul(sa, v128.load(x + o))));
    }
  }
}

/**
 * Bytes of scratch `minNormPairs` needs for m × n systems: the two factored matrices, right-hand
 * sides, τ's and solutions, interleaved.
 */
export function minNormPairsScratch(m: i32, n: i32): i32 {
  const big = m > n ? m : n;
  const small = m < n ? m : n;
  return 16 * (m * n + big + small + n);
}

/**
 * minNormSolve of src/algorithms/mlr/baselines.ts for `count` systems of one size m × n, two per
 * f64x2 lane pair (tasks 2p and 2p + 1; an odd count's last task runs in both lanes): system s has
 * A (m × n, row-major) at a + 8·s·m·n and b (m) at b + 8·s·m; its solution goes to out + 8·s·n and
 * status[s] (i32) is 1, or 0 when R is numerically singular and the caller must take the SVD
 * fallback (out is then not meaningful). Householder QR of A (m ≥ n) or Aᵀ (m < n), each lane in
 * the JS order, so the bits are the JS ones. `scratch`: minNormPairsScratch(m, n) bytes, 16-aligned.
 */
export function minNormPairs(
  a: usize,
  b: usize,
  count: i32,
  m: i32,
  n: i32,
  out: usize,
  status: usize,
  scratch: usize,
): void {
  const tall = m >= n;
  const rows = tall ? m : n;
  const cols = tall ? n : m;
  const big = m > n ? m : n;
  const w = scratch;
  const rhs = w + (<usize>(m * n) << 4);
  const taus = rhs + (<usize>big << 4);
  const sol = taus + (<usize>cols << 4);
  const sysBytes = <usize>(m * n) << 3;
  const rowsStep = <usize>rows << 4;
  const eps: f64 = 2.220446049250313e-16; // 2^-52
  for (let s0: i32 = 0; s0 < count; s0 += 2) {
    const s1 = s0 + 1 < count ? s0 + 1 : s0;
    const a0 = a + <usize>s0 * sysBytes;
    const a1 = a + <usize>s1 * sysBytes;
    // Columns of the factored matrix, each contiguous: work[(col·rows + row)] per lane.
    if (tall) {
      for (let i: i32 = 0; i < m; i++)
        for (let j: i32 = 0; j < n; j++) {
          const src = <usize>(i * n + j) << 3;
          const dst = w + (<usize>(j * m + i) << 4);
          store<f64>(dst, load<f64>(a0 + src));
          store<f64>(dst, load<f64>(a1 + src), 8);
        }
    } else {
      for (let e: i32 = 0; e < m * n; e++) {
        const src = <usize>e << 3;
        const dst = w + (<usize>e << 4);
        store<f64>(dst, load<f64>(a0 + src));
        store<f64>(dst, load<f64>(a1 + src), 8);
      }
    }
    let big0: f64 = 0;
    let big1: f64 = 0;
    for (let j: i32 = 0; j < cols; j++) {
      const cj = w + <usize>j * rowsStep + (<usize>j << 4);
      const len = rows - j;
      reflectorPair(cj, len);
      big0 = max<f64>(big0, abs<f64>(reflBeta));
      big1 = max<f64>(big1, abs<f64>(reflBeta1));
      const tv = f64x2.replace_lane(f64x2.splat(reflTau), 1, reflTau1);
      v128.store(taus + (<usize>j << 4), tv);
      applyPairs(tv, cj, cj + rowsStep, rowsStep, cols - j - 1, len);
    }
    const cut0 = <f64>big * eps * big0;
    const cut1 = <f64>big * eps * big1;
    let ok0 = 1;
    let ok1 = 1;
    for (let j: i32 = 0; j < cols; j++) {
      const rjj = w + <usize>j * rowsStep + (<usize>j << 4);
      if (!(abs<f64>(load<f64>(rjj)) > cut0)) ok0 = 0;
      if (!(abs<f64>(load<f64>(rjj, 8)) > cut1)) ok1 = 0;
    }
    const b0 = b + (<usize>s0 * <usize>m << 3);
    const b1 = b + (<usize>s1 * <usize>m << 3);
    if (tall) {
      // R[i][q] (i ≤ q < n) = work[q·m + i]; rhs ← Qᵀb, then back substitution.
      for (let i: i32 = 0; i < m; i++) {
        const at = rhs + (<usize>i << 4);
        store<f64>(at, load<f64>(b0 + (<usize>i << 3)));
        store<f64>(at, load<f64>(b1 + (<usize>i << 3)), 8);
      }
      for (let j: i32 = 0; j < n; j++) {
        const cj = w + <usize>j * rowsStep + (<usize>j << 4);
        applyPairs(v128.load(taus + (<usize>j << 4)), cj, rhs + (<usize>j << 4), 0, 1, m - j);
      }
      for (let j: i32 = n - 1; j >= 0; j--) {
        let sv = v128.load(rhs + (<usize>j << 4));
        for (let q: i32 = j + 1; q < n; q++) {
          const r = v128.load(w + (<usize>(q * m + j) << 4));
          sv = f64x2.sub(sv, f64x2.mul(r, v128.load(sol + (<usize>q << 4))));
        }
        v128.store(sol + (<usize>j << 4), f64x2.div(sv, v128.load(w + (<usize>(j * m + j) << 4))));
      }
    } else {
      // Rᵀu = b (forward; R[q][i] = work[i·n + q]), then w = H₀ ⋯ H_{m−1} [u; 0].
      for (let i: i32 = 0; i < m; i++) {
        let sv = f64x2.replace_lane(
          f64x2.splat(load<f64>(b0 + (<usize>i << 3))),
          1,
          load<f64>(b1 + (<usize>i << 3)),
        );
        for (let q: i32 = 0; q < i; q++) {
          const r = v128.load(w + (<usize>(i * n + q) << 4));
          sv = f64x2.sub(sv, f64x2.mul(r, v128.load(rhs + (<usize>q << 4))));
        }
        v128.store(rhs + (<usize>i << 4), f64x2.div(sv, v128.load(w + (<usize>(i * n + i) << 4))));
      }
      for (let i: i32 = 0; i < n; i++) {
        const at = sol + (<usize>i << 4);
        v128.store(at, i < m ? v128.load(rhs + (<usize>i << 4)) : f64x2.splat(0.0));
      }
      for (let j: i32 = m - 1; j >= 0; j--) {
        const cj = w + <usize>j * rowsStep + (<usize>j << 4);
        applyPairs(v128.load(taus + (<usize>j << 4)), cj, sol + (<usize>j << 4), 0, 1, n - j);
      }
    }
    const o0 = out + (<usize>s0 * <usize>n << 3);
    const o1 = out + (<usize>s1 * <usize>n << 3);
    for (let i: i32 = 0; i < n; i++) {
      const at = sol + (<usize>i << 4);
      store<f64>(o0 + (<usize>i << 3), load<f64>(at));
      if (s1 != s0) store<f64>(o1 + (<usize>i << 3), load<f64>(at, 8));
    }
    store<i32>(status + (<usize>s0 << 2), ok0);
    if (s1 != s0) store<i32>(status + (<usize>s1 << 2), ok1);
  }
}

// dotAt of src/linalg/vector.ts on f64x2 pairs: (s0, s1) and (s2, s3) as two lanes each, the tail
// into s0, then (s0 + s1) + (s2 + s3), as in rowsResidual: the JS bits.
// @ts-ignore: decorator
@inline
function dotPairs(x: usize, v: usize, d: i32): f64 {
  let a01 = f64x2.splat(0.0);
  let a23 = f64x2.splat(0.0);
  let i: i32 = 0;
  for (; i + 3 < d; i += 4) {
    const o = <usize>i << 3;
    a01 = f64x2.add(a01, f64x2.mul(v128.load(x + o), v128.load(v + o)));
    a23 = f64x2.add(a23, f64x2.mul(v128.load(x + o, 16), v128.load(v + o, 16)));
  }
  let s0 = f64x2.extract_lane(a01, 0);
  for (; i < d; i++) {
    const o = <usize>i << 3;
    s0 += load<f64>(x + o) * load<f64>(v + o);
  }
  return s0 + f64x2.extract_lane(a01, 1) + (f64x2.extract_lane(a23, 0) + f64x2.extract_lane(a23, 1));
}

/**
 * The labels of sampleMixtureTasks (src/models/mixedLinearRegression.ts) in place: for n tasks of
 * t rows (X row-major n·t × d at `x`), task i of component ids[i] (i32), y_r ← ⟨x_r, w_l⟩ + s_l·y_r
 * with y holding the noise draws, w_l row l of W (k × d) and s at `s`. The dot product in dotAt's
 * order (dotPairs), so the JS bits.
 */
export function mixtureLabels(x: usize, y: usize, n: i32, t: i32, d: i32, w: usize, ids: usize, s: usize): void {
  const rowBytes = <usize>d << 3;
  for (let i: i32 = 0; i < n; i++) {
    const l = load<i32>(ids + (<usize>i << 2));
    const wl = w + <usize>l * rowBytes;
    const sl = load<f64>(s + (<usize>l << 3));
    for (let j: i32 = 0; j < t; j++) {
      const r = i * t + j;
      const yr = y + (<usize>r << 3);
      store<f64>(yr, dotPairs(x + <usize>r * rowBytes, wl, d) + sl * load<f64>(yr));
    }
  }
}

/**
 * `count` thin products C_b ← op(A_b)·op(B_b) (op(A_b) m × k, op(B_b) k × n, row strides lda, ldb;
 * block b of A at `a + b·stepA`, of B at `b + b·stepB`, bytes; C_b at `c + b·m·n·8`, row stride n),
 * without packing: for the products of a meta-batch's tasks (100 × 20 by 20 × 3, 20 × 100 by
 * 100 × 3, …), where packing into 4 × 4 tiles costs more than the multiply-adds. The bits of
 * `gemm` (α = 1, β = 0): every entry is, for each block of KC consecutive p in order, C ← C + s
 * with s = (((0 + a_{i,p0} b_{p0,j}) + …) in p order; the lanes of f64x2 are separate entries
 * (rows of op(A)), four or two rows and up to four columns of op(B) accumulated at once.
 */
export function thinBlocks(
  transA: i32,
  transB: i32,
  count: i32,
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  stepA: usize,
  b: usize,
  ldb: i32,
  stepB: usize,
  c: usize,
): void {
  // op(A)[i, p] at A0 + i·ai + p·ap, op(B)[p, j] at B0 + p·bp + j·bj (bytes).
  const ai: usize = (transA != 0 ? 1 : <usize>lda) << 3;
  const ap: usize = (transA != 0 ? <usize>lda : 1) << 3;
  const bp: usize = (transB != 0 ? 1 : <usize>ldb) << 3;
  const bj: usize = (transB != 0 ? <usize>ldb : 1) << 3;
  const cBytes = <usize>(m * n) << 3;
  const rowC = <usize>n << 3;
  for (let blk: i32 = 0; blk < count; blk++) {
    const A0 = a + <usize>blk * stepA;
    const B0 = b + <usize>blk * stepB;
    const C0 = c + <usize>blk * cBytes;
    let i: i32 = 0;
    // Four rows of op(A) at a time (two f64x2 of rows), then two, then one.
    for (; i + 3 < m; i += 4) {
      const ar = A0 + <usize>i * ai;
      const cr = C0 + <usize>i * rowC;
      for (let j0: i32 = 0; j0 < n; j0 += 4) {
        const nj = min(4, n - j0);
        const b0 = B0 + <usize>j0 * bj;
        const b1 = B0 + <usize>(j0 + min(1, nj - 1)) * bj;
        const b2 = B0 + <usize>(j0 + min(2, nj - 1)) * bj;
        const b3 = B0 + <usize>(j0 + min(3, nj - 1)) * bj;
        let t0 = f64x2.splat(0.0);
        let t1 = f64x2.splat(0.0);
        let t2 = f64x2.splat(0.0);
        let t3 = f64x2.splat(0.0);
        let u0 = f64x2.splat(0.0);
        let u1 = f64x2.splat(0.0);
        let u2 = f64x2.splat(0.0);
        let u3 = f64x2.splat(0.0);
        for (let p0: i32 = 0; p0 < k; p0 += KC) {
          const end = min(k, p0 + KC);
          let s0 = f64x2.splat(0.0);
          let s1 = f64x2.splat(0.0);
          let s2 = f64x2.splat(0.0);
          let s3 = f64x2.splat(0.0);
          let r0 = f64x2.splat(0.0);
          let r1 = f64x2.splat(0.0);
          let r2 = f64x2.splat(0.0);
          let r3 = f64x2.splat(0.0);
          let pa = ar + <usize>p0 * ap;
          let pb = <usize>p0 * bp;
          for (let p: i32 = p0; p < end; p++) {
            let av: v128;
            let aw: v128;
            if (transA != 0) {
              av = v128.load(pa);
              aw = v128.load(pa, 16);
            } else {
              av = f64x2.replace_lane(f64x2.splat(load<f64>(pa)), 1, load<f64>(pa + ai));
              aw = f64x2.replace_lane(f64x2.splat(load<f64>(pa + 2 * ai)), 1, load<f64>(pa + 3 * ai));
            }
            const v0 = v128.load_splat<f64>(b0 + pb);
            s0 = f64x2.add(s0, f64x2.mul(av, v0));
            r0 = f64x2.add(r0, f64x2.mul(aw, v0));
            const v1 = v128.load_splat<f64>(b1 + pb);
            s1 = f64x2.add(s1, f64x2.mul(av, v1));
            r1 = f64x2.add(r1, f64x2.mul(aw, v1));
            const v2 = v128.load_splat<f64>(b2 + pb);
            s2 = f64x2.add(s2, f64x2.mul(av, v2));
            r2 = f64x2.add(r2, f64x2.mul(aw, v2));
            const v3 = v128.load_splat<f64>(b3 + pb);
            s3 = f64x2.add(s3, f64x2.mul(av, v3));
            r3 = f64x2.add(r3, f64x2.mul(aw, v3));
            pa += ap;
            pb += bp;
          }
          t0 = f64x2.add(t0, s0);
          t1 = f64x2.add(t1, s1);
          t2 = f64x2.add(t2, s2);
          t3 = f64x2.add(t3, s3);
          u0 = f64x2.add(u0, r0);
          u1 = f64x2.add(u1, r1);
          u2 = f64x2.add(u2, r2);
          u3 = f64x2.add(u3, r3);
        }
        const c0 = cr + (<usize>j0 << 3);
        const c2 = c0 + 2 * rowC;
        store<f64>(c0, f64x2.extract_lane(t0, 0));
        store<f64>(c0 + rowC, f64x2.extract_lane(t0, 1));
        store<f64>(c2, f64x2.extract_lane(u0, 0));
        store<f64>(c2 + rowC, f64x2.extract_lane(u0, 1));
        if (nj > 1) {
          store<f64>(c0, f64x2.extract_lane(t1, 0), 8);
          store<f64>(c0 + rowC, f64x2.extract_lane(t1, 1), 8);
          store<f64>(c2, f64x2.extract_lane(u1, 0), 8);
          store<f64>(c2 + rowC, f64x2.extract_lane(u1, 1), 8);
        }
        if (nj > 2) {
          store<f64>(c0, f64x2.extract_lane(t2, 0), 16);
          store<f64>(c0 + rowC, f64x2.extract_lane(t2, 1), 16);
          store<f64>(c2, f64x2.extract_lane(u2, 0), 16);
          store<f64>(c2 + rowC, f64x2.extract_lane(u2, 1), 16);
        }
        if (nj > 3) {
          store<f64>(c0, f64x2.extract_lane(t3, 0), 24);
          store<f64>(c0 + rowC, f64x2.extract_lane(t3, 1), 24);
          store<f64>(c2, f64x2.extract_lane(u3, 0), 24);
          store<f64>(c2 + rowC, f64x2.extract_lane(u3, 1), 24);
        }
      }
    }
    for (; i + 1 < m; i += 2) {
      const ar = A0 + <usize>i * ai;
      const cr = C0 + <usize>i * rowC;
      for (let j0: i32 = 0; j0 < n; j0 += 4) {
        const nj = min(4, n - j0);
        // Columns past the last are computed on a copy of the last (never stored).
        const b0 = B0 + <usize>j0 * bj;
        const b1 = B0 + <usize>(j0 + min(1, nj - 1)) * bj;
        const b2 = B0 + <usize>(j0 + min(2, nj - 1)) * bj;
        const b3 = B0 + <usize>(j0 + min(3, nj - 1)) * bj;
        let t0 = f64x2.splat(0.0);
        let t1 = f64x2.splat(0.0);
        let t2 = f64x2.splat(0.0);
        let t3 = f64x2.splat(0.0);
        for (let p0: i32 = 0; p0 < k; p0 += KC) {
          const end = min(k, p0 + KC);
          let s0 = f64x2.splat(0.0);
          let s1 = f64x2.splat(0.0);
          let s2 = f64x2.splat(0.0);
          let s3 = f64x2.splat(0.0);
          let pa = ar + <usize>p0 * ap;
          let pb = <usize>p0 * bp;
          for (let p: i32 = p0; p < end; p++) {
            let av: v128;
            if (transA != 0) av = v128.load(pa);
            else av = f64x2.replace_lane(f64x2.splat(load<f64>(pa)), 1, load<f64>(pa + ai));
            s0 = f64x2.add(s0, f64x2.mul(av, v128.load_splat<f64>(b0 + pb)));
            s1 = f64x2.add(s1, f64x2.mul(av, v128.load_splat<f64>(b1 + pb)));
            s2 = f64x2.add(s2, f64x2.mul(av, v128.load_splat<f64>(b2 + pb)));
            s3 = f64x2.add(s3, f64x2.mul(av, v128.load_splat<f64>(b3 + pb)));
            pa += ap;
            pb += bp;
          }
          t0 = f64x2.add(t0, s0);
          t1 = f64x2.add(t1, s1);
          t2 = f64x2.add(t2, s2);
          t3 = f64x2.add(t3, s3);
        }
        const c0 = cr + (<usize>j0 << 3);
        store<f64>(c0, f64x2.extract_lane(t0, 0));
        store<f64>(c0 + rowC, f64x2.extract_lane(t0, 1));
        if (nj > 1) {
          store<f64>(c0, f64x2.extract_lane(t1, 0), 8);
          store<f64>(c0 + rowC, f64x2.extract_lane(t1, 1), 8);
        }
        if (nj > 2) {
          store<f64>(c0, f64x2.extract_lane(t2, 0), 16);
          store<f64>(c0 + rowC, f64x2.extract_lane(t2, 1), 16);
        }
        if (nj > 3) {
          store<f64>(c0, f64x2.extract_lane(t3, 0), 24);
          store<f64>(c0 + rowC, f64x2.extract_lane(t3, 1), 24);
        }
      }
    }
    if (i < m) {
      // The last row when m is odd.
      const ar = A0 + <usize>i * ai;
      const cr = C0 + <usize>i * rowC;
      for (let j: i32 = 0; j < n; j++) {
        const bc = B0 + <usize>j * bj;
        let tot: f64 = 0.0;
        for (let p0: i32 = 0; p0 < k; p0 += KC) {
          const end = min(k, p0 + KC);
          let s: f64 = 0.0;
          let pa = ar + <usize>p0 * ap;
          let pb = bc + <usize>p0 * bp;
          for (let p: i32 = p0; p < end; p++) {
            s += load<f64>(pa) * load<f64>(pb);
            pa += ap;
            pb += bp;
          }
          tot += s;
        }
        store<f64>(cr + (<usize>j << 3), tot);
      }
    }
  }
}
