import { exp, log } from "../linalg/libm.js";
import { f64, i32, kernels, reserve } from "../linalg/wasm/kernels.js";
import type { Key } from "./key.js";
import { threefry2x32 } from "./threefry.js";
import { ZIG_F, ZIG_LAYERS, ZIG_R, ZIG_RATIO, ZIG_X } from "./ziggurat.js";

const TWO_M53 = 1 / 9007199254740992;
const TWO_24 = 16777216;

/**
 * Fills of at least this many normals run in the kernel module (`fillNormal` of
 * linalg/wasm/kernels.as: the same generator, the same tables, the same slow paths, so the same
 * bits and the same final state); shorter ones stay in JS, where the call and the copy-out would
 * cost more than they save.
 */
export const KERNEL_FILL_MIN = 32;

/** Byte address of the stream state in the kernel module; -1 until the tables are written there. */
let kernelState = -1;
/** The kernel instance the tables were written into (a worker may start a fresh one: `releaseIdleMemory`). */
let tablesIn: ReturnType<typeof kernels> | null = null;

/** The kernel module with the ziggurat tables of this realm written into it (once per instance). */
type KernelExports = ReturnType<typeof kernels>["exports"];

function generator(): KernelExports {
  const K = kernels();
  if (K !== tablesIn) {
    tablesIn = K;
    const at = K.exports.zigTables() / 8;
    const mem = f64();
    mem.set(ZIG_X, at);
    mem.set(ZIG_RATIO, at + ZIG_LAYERS + 1);
    mem.set(ZIG_F, at + 2 * ZIG_LAYERS + 1);
    kernelState = K.exports.rngState();
  }
  return K.exports;
}

/**
 * A sequential stream of draws seeded from a key: xoshiro128** (Blackman & Vigna 2018; 32-bit
 * arithmetic, which JS does natively) seeded through Threefry. Keys decide *which* stream; the
 * stream makes bulk fills fast. The draw sequence of a key is pinned by golden vectors in tests:
 * changing anything here changes every result and must bump the records' schema.
 *
 * Uniforms carry 53 random bits in [0, 1). Normals use the 256-layer ziggurat (see ziggurat.ts),
 * two 32-bit words per normal on the fast path (≈99% of draws).
 */
export class Stream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(k: Key) {
    const [a, b] = threefry2x32(k[0], k[1], 0, 0x73747265);
    const [c, d] = threefry2x32(k[0], k[1], 1, 0x73747265);
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the one forbidden state
  }

  /** Next 32-bit word, unsigned. */
  nextUint32(): number {
    const s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = (s3 << 11) | (s3 >>> 21);
    this.s1 = s1;
    return r >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32();
    const b = this.nextUint32();
    return ((a >>> 5) * 67108864 + (b >>> 6)) * TWO_M53;
  }

  /** Uniform in (0, 1]: safe under log(). */
  uniformOpen0(): number {
    return 1 - this.uniform();
  }

  /** One standard normal draw. */
  normal(): number {
    const tmp = new Float64Array(1);
    this.fillNormal(tmp, 0, 1);
    return tmp[0];
  }

  /** Fill `out[offset .. offset+length)` with uniforms in [0, 1). */
  fillUniform(out: Float64Array, offset = 0, length = out.length - offset): Float64Array {
    checkRange(out, offset, length);
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const end = offset + length;
    for (let i = offset; i < end; i++) {
      let m = Math.imul(s1, 5);
      const a = Math.imul((m << 7) | (m >>> 25), 9);
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      m = Math.imul(s1, 5);
      const b = Math.imul((m << 7) | (m >>> 25), 9);
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = ((a >>> 5) * 67108864 + (b >>> 6)) * TWO_M53;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /**
   * Fill `out[offset .. offset+length)` with standard normals, times `scale` (default 1).
   * The fast path is inlined with the generator state in locals; the rare wedge and tail
   * cases go through the slower methods.
   */
  fillNormal(out: Float64Array, offset = 0, length = out.length - offset, scale = 1): Float64Array {
    checkRange(out, offset, length);
    if (length >= KERNEL_FILL_MIN) {
      const at = reserve(8 * length);
      this.fillNormalAt(at, length, scale);
      out.set(f64().subarray(at / 8, at / 8 + length), offset);
      return out;
    }
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const end = offset + length;
    for (let i = offset; i < end; i++) {
      let m = Math.imul(s1, 5);
      const a = Math.imul((m << 7) | (m >>> 25), 9);
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      m = Math.imul(s1, 5);
      const b = Math.imul((m << 7) | (m >>> 25), 9);
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      // 29 + 24 = 53 bits for u, the low 8 bits of b for the layer: disjoint bits.
      const u = ((a >>> 3) * TWO_24 + (b >>> 8)) * (2 * TWO_M53) - 1;
      const layer = b & 0xff;
      if (Math.abs(u) < ZIG_RATIO[layer]) {
        out[i] = u * ZIG_X[layer] * scale;
        continue;
      }
      this.s0 = s0;
      this.s1 = s1;
      this.s2 = s2;
      this.s3 = s3;
      out[i] = this.slowNormal(u, layer) * scale;
      s0 = this.s0;
      s1 = this.s1;
      s2 = this.s2;
      s3 = this.s3;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /**
   * Draw `length` normals times `scale` into the kernel module's memory at byte address `at`
   * (8-byte aligned, inside space the caller reserved there): the same draws as `fillNormal`, for
   * kernels that consume them in place without a copy.
   */
  fillNormalAt(at: number, length: number, scale = 1): void {
    this.inKernel((g) => g.fillNormal(at, length, scale));
  }

  /**
   * Run `draw` on the kernel module with this stream's state handed to it (at `rngState()`) and
   * taken back after: for kernels that draw from the stream themselves (e.g. `drawRows`).
   */
  inKernel(draw: (module: KernelExports) => void): void {
    const g = generator();
    const st = i32();
    const p = kernelState >> 2;
    st[p] = this.s0;
    st[p + 1] = this.s1;
    st[p + 2] = this.s2;
    st[p + 3] = this.s3;
    draw(g);
    const after = i32();
    this.s0 = after[p];
    this.s1 = after[p + 1];
    this.s2 = after[p + 2];
    this.s3 = after[p + 3];
  }

  /** The ziggurat's rejection branch: the wedge of a layer, or the tail beyond R. */
  private slowNormal(u: number, layer: number): number {
    for (;;) {
      if (layer === 0) {
        // Marsaglia's tail method: x = -ln(U1)/R, accept if -2 ln(U2) > x².
        let x: number;
        let y: number;
        do {
          x = log(this.uniformOpen0()) / ZIG_R;
          y = log(this.uniformOpen0());
        } while (-2 * y < x * x);
        return u < 0 ? x - ZIG_R : ZIG_R - x;
      }
      const x = u * ZIG_X[layer];
      const fx = exp(-0.5 * x * x);
      // Height uniform in [f(X[layer]), f(X[layer+1])]: accept under the density.
      if (ZIG_F[layer] + this.uniform() * (ZIG_F[layer + 1] - ZIG_F[layer]) < fx) return x;
      const a = this.nextUint32();
      const b = this.nextUint32();
      u = ((a >>> 3) * TWO_24 + (b >>> 8)) * (2 * TWO_M53) - 1;
      layer = b & 0xff;
      if (Math.abs(u) < ZIG_RATIO[layer]) return u * ZIG_X[layer];
    }
  }
}

function checkRange(out: Float64Array, offset: number, length: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`fill: "offset" and "length" must be integers ≥ 0; got ${offset}, ${length}`);
  }
  if (offset + length > out.length) {
    throw new RangeError(
      `fill: offset + length = ${offset + length} exceeds the buffer length ${out.length}`,
    );
  }
}

/** A new stream for a key. */
export function stream(k: Key): Stream {
  return new Stream(k);
}

/** Fill with uniforms in [0, 1) drawn from the key's stream (the key's first draws). */
export function fillUniform(
  k: Key,
  out: Float64Array,
  offset = 0,
  length = out.length - offset,
): Float64Array {
  return new Stream(k).fillUniform(out, offset, length);
}

/** Fill with standard normals drawn from the key's stream (the key's first draws). */
export function fillNormal(
  k: Key,
  out: Float64Array,
  offset = 0,
  length = out.length - offset,
): Float64Array {
  return new Stream(k).fillNormal(out, offset, length);
}

/**
 * Standard normals from a stream, drawn in bulk blocks and handed out in order: the same
 * sequence as `stream.fillNormal` called piece by piece, with the per-call cost paid once per
 * block. For consumers that take many short runs (a few dozen values) from one stream.
 */
export class NormalSource {
  private readonly buf: Float64Array;
  private pos: number;

  constructor(
    private s: Stream,
    blockSize = 2048,
  ) {
    if (!(Number.isInteger(blockSize) && blockSize >= 1)) {
      throw new RangeError(`NormalSource: "blockSize" must be an integer ≥ 1; got ${blockSize}`);
    }
    this.buf = new Float64Array(blockSize);
    this.pos = blockSize;
  }

  /**
   * Start over on another stream, reusing the block buffer: the same draws as a new
   * `NormalSource(s)` (the draws never depend on the block size, only on the stream).
   */
  restart(s: Stream): void {
    this.s = s;
    this.pos = this.buf.length;
  }

  /** Write the next `length` normals, times `scale`, to `out[offset ..]`. */
  fill(out: Float64Array, offset: number, length: number, scale = 1): void {
    const buf = this.buf;
    let done = 0;
    while (done < length) {
      if (this.pos === buf.length) {
        this.s.fillNormal(buf, 0, buf.length);
        this.pos = 0;
      }
      const take = Math.min(length - done, buf.length - this.pos);
      const p = this.pos;
      const o = offset + done;
      for (let i = 0; i < take; i++) out[o + i] = buf[p + i] * scale;
      this.pos += take;
      done += take;
    }
  }
}
