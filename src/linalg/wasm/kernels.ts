import { KERNELS_WASM_BASE64 } from "./kernels.generated.js";

/*
 * The WebAssembly SIMD kernel module (kernels.as) and its linear memory, seen from JS.
 *
 * Loading: the bytes are embedded (kernels.generated.ts), compiled and instantiated synchronously
 * with `new WebAssembly.Module` / `new WebAssembly.Instance` on first use, so importing this file
 * has no side effects and the same code runs in Node, in worker threads and in a browser worker.
 *
 * Memory: [module data | work (packed panels) | pinned blocks | operand arena]. Callers reserve
 * arena space for one call, copy operands in, call a kernel with byte addresses, and copy results
 * out; the arena is reused by the next call (single-threaded: one instance per JS realm, calls
 * never overlap). An operand used by many calls (a training set's X) can instead be pinned: it
 * stays at its address until unpinned (last pinned, first unpinned), and the arena starts above
 * it. Growing the memory detaches earlier views (never addresses), so callers take `f64()` after
 * `reserve()` or `pin()`.
 */

interface Exports {
  memory: WebAssembly.Memory;
  workBytes(): number;
  heapBase(): number;
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
    work: number,
  ): void;
  syrkw(
    n: number,
    k: number,
    alpha: number,
    x: number,
    ldx: number,
    w: number,
    beta: number,
    c: number,
    ldc: number,
    work: number,
  ): void;
  zigTables(): number;
  rngState(): number;
  fillNormal(out: number, n: number, scale: number): void;
  fdlibmExp(x: number): number;
  fdlibmLog(x: number): number;
  rowsResidual(x: number, m: number, d: number, v: number, noise: number, out: number): void;
  foAnilTasks(
    x: number,
    y: number,
    tasks: number,
    n: number,
    d: number,
    kp: number,
    Bt: number,
    w: number,
    theta0: number,
    alpha: number,
    GBt: number,
    Gw: number,
    scratch: number,
  ): void;
  drawRows(x: number, y: number, n: number, d: number, theta: number, sigma: number): void;
  absProjections(
    xt: number,
    n: number,
    d: number,
    w: number,
    out: number,
    atLeast: number,
    idx: number,
  ): number;
  packedStatsPairs(
    a: number,
    b: number,
    c: number,
    p0: number,
    pairs: number,
    d: number,
    tasks: number,
    used: number,
    theta: number,
    g: number,
    loss: number,
    scratch: number,
  ): void;
  projectRows(x: number, n: number, d: number, bt: number, k: number, out: number): void;
  mixtureParts(
    x: number,
    e: number,
    n: number,
    t: number,
    d: number,
    w: number,
    sc: number,
    ids: number,
    from: number,
    parts: number,
    m: number,
    out: number,
  ): void;
  halfMoments(
    z: number,
    count: number,
    t: number,
    d: number,
    ids: number,
    norms: number,
    sc: number,
    u: number,
    b1: number,
    b2: number,
  ): void;
  mixtureLabels(
    x: number,
    y: number,
    n: number,
    t: number,
    d: number,
    w: number,
    ids: number,
    s: number,
  ): void;
  minNormPairsScratch(m: number, n: number): number;
  minNormPairs(
    a: number,
    b: number,
    count: number,
    m: number,
    n: number,
    out: number,
    status: number,
    scratch: number,
  ): void;
  thinBlocks(
    transA: number,
    transB: number,
    count: number,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    stepA: number,
    b: number,
    ldb: number,
    stepB: number,
    c: number,
  ): void;
}

/** The loaded module: its exports, the work area and the start of the pinned blocks (bytes). */
export interface Kernels {
  readonly exports: Exports;
  readonly work: number;
  readonly arena: number;
}

/** First byte above the pinned blocks: where the operand arena starts. */
let top = -1;

let loaded: Kernels | null = null;
let view: Float64Array | null = null;
let view32: Int32Array | null = null;

function decodeBase64(text: string): Uint8Array {
  // atob exists in Node ≥ 16, browsers and workers; Buffer would tie this file to Node.
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const PAGE = 65536;

let compiled: WebAssembly.Module | null = null;

/** The kernel module, instantiated on first call (and again after `releaseIdleMemory`). */
export function kernels(): Kernels {
  if (loaded) return loaded;
  compiled ??= new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64) as Uint8Array<ArrayBuffer>);
  const module = compiled;
  // The one import: the host's Math.hypot, so `minNormPairs` gives the bits of the JS it replaces
  // in whichever engine runs both (engines differ in hypot's last bit).
  const imports = { js: { hypot: Math.hypot } };
  const exports = new WebAssembly.Instance(module, imports).exports as unknown as Exports;
  // 64-byte alignment: every f64x2 load and store of the packed panels is aligned.
  const work = Math.ceil(exports.heapBase() / 64) * 64;
  const arena = Math.ceil((work + exports.workBytes()) / 64) * 64;
  loaded = { exports, work, arena };
  top = arena;
  return loaded;
}

/**
 * Make the arena hold at least `bytes` bytes; returns the arena's first byte address. Views from
 * `f64()` taken before a call to `reserve` may be detached by it.
 */
export function reserve(bytes: number): number {
  kernels();
  grow(top + bytes);
  return top;
}

function grow(need: number): void {
  const mem = kernels().exports.memory;
  if (mem.buffer.byteLength < need) {
    mem.grow(Math.ceil((need - mem.buffer.byteLength) / PAGE));
    view = null;
    view32 = null;
  }
}

/**
 * Pin `bytes` bytes of the module's memory: returns their first byte address (64-byte aligned),
 * valid until `unpin` of that address. Blocks are released in the reverse order of pinning (a
 * stack), so a pass pins at its start and unpins in a `finally`. Views may be detached by it.
 */
export function pin(bytes: number): number {
  kernels();
  const at = top;
  top = at + Math.ceil(bytes / 64) * 64;
  grow(top);
  return at;
}

/** Release the block pinned at `at` and every block pinned after it. */
export function unpin(at: number): void {
  const k = kernels();
  if (!(at >= k.arena && at <= top)) throw new RangeError(`unpin: ${at} is not a pinned block`);
  top = at;
}

/** A float64 view of the whole linear memory (index = byte address / 8). */
export function f64(): Float64Array {
  const buf = kernels().exports.memory.buffer;
  if (view === null || view.buffer !== buf) view = new Float64Array(buf);
  return view;
}

/** An int32 view of the whole linear memory (index = byte address / 4). */
export function i32(): Int32Array {
  const buf = kernels().exports.memory.buffer;
  if (view32 === null || view32.buffer !== buf) view32 = new Int32Array(buf);
  return view32;
}

/**
 * Drop the instance when nothing is pinned and its linear memory has grown past `maxBytes`, so the
 * next call starts a fresh one at its initial size: a WebAssembly memory never shrinks, and a
 * worker thread that once ran a cell needing hundreds of megabytes kept them for every later cell
 * (a full reproduction's peak RSS was two such high-water marks). Called by `runCell`
 * between cells, when no address into the old memory is live; the module's only state across
 * calls, the generator's tables, is written into each instance by `rng/stream.ts`. Returns whether
 * it dropped the instance.
 */
export function releaseIdleMemory(maxBytes: number): boolean {
  if (loaded === null || top !== loaded.arena) return false;
  if (loaded.exports.memory.buffer.byteLength <= maxBytes) return false;
  loaded = null;
  view = null;
  view32 = null;
  top = -1;
  return true;
}

/** Bytes of linear memory now (for tests and the bench's copy-cost figures). */
export function memoryBytes(): number {
  return kernels().exports.memory.buffer.byteLength;
}
