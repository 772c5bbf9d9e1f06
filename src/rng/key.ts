import { threefry2x32 } from "./threefry.js";

/**
 * An immutable counter-based random key: two unsigned 32-bit words (JAX's PRNG design).
 * Keys are values: deriving a new key never changes the old one, so any sub-computation can
 * be given its own independent stream, whatever order the work runs in.
 *
 * @example
 *   const k = key(42);
 *   const [kData, kInit] = split(k, 2);
 *   const kTask7 = foldIn(kData, 7);
 */
export type Key = readonly [number, number];

const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** The root key of a seed: an integer in [0, 2^53). */
export function key(seed: number): Key {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`key: "seed" must be an integer in [0, 2^53); got ${seed}`);
  }
  const hi = Math.floor(seed / 4294967296) >>> 0;
  const lo = seed >>> 0;
  return Object.freeze([hi, lo]) as Key;
}

/** `n` independent keys derived from `k` (counter (i, 0) through Threefry). */
export function split(k: Key, n: number): Key[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`split: "n" must be an integer ≥ 1; got ${n}`);
  const out: Key[] = [];
  for (let i = 0; i < n; i++) out.push(Object.freeze(threefry2x32(k[0], k[1], i, 0)) as Key);
  return out;
}

/** A key derived from `k` and the data word `data` (an integer in [0, 2^32)), counter (data, 1). */
export function foldIn(k: Key, data: number): Key {
  if (!Number.isInteger(data) || data < 0 || data > 0xffffffff) {
    throw new RangeError(`foldIn: "data" must be an integer in [0, 2^32); got ${data}`);
  }
  return Object.freeze(threefry2x32(k[0], k[1], data, 1)) as Key;
}

/**
 * A key derived from `k` and a string (e.g. an experiment id or a condition name): folds in the
 * UTF-8 bytes four at a time, then the byte length, so distinct strings give distinct keys.
 */
export function foldInString(k: Key, s: string): Key {
  const bytes = new TextEncoder().encode(s);
  let out: readonly [number, number] = k;
  for (let i = 0; i < bytes.length; i += 4) {
    const w = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0;
    out = threefry2x32(out[0], out[1], w, 2);
  }
  return Object.freeze(threefry2x32(out[0], out[1], bytes.length, 3)) as Key;
}

/** Stable text form, e.g. for records: "0000002a:9e3779b9". */
export function keyToString(k: Key): string {
  return `${k[0].toString(16).padStart(8, "0")}:${k[1].toString(16).padStart(8, "0")}`;
}
