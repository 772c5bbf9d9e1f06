import { MetarepError } from "../errors.js";

/*
 * The NumPy `.npy` format (NEP 1; numpy.lib.format), read and written from and to bytes, so the
 * same code runs in Node and in a browser. A file is: the magic string "\x93NUMPY", a major and a
 * minor version byte, the header length (uint16 little-endian in version 1.0, uint32 in 2.0 and
 * 3.0), then the header — a Python dict literal such as
 * `{'descr': '<i8', 'fortran_order': False, 'shape': (50000,), }` padded with spaces and ended by
 * "\n" so the data starts at a multiple of 64 bytes — then the raw array bytes in C order.
 *
 * Supported dtypes: booleans (`|b1`), signed and unsigned integers of 1, 2, 4 and 8 bytes, and
 * floats of 4 and 8 bytes, in either byte order (`<` little, `>` big, `|` not applicable, `=`
 * native). Fortran-ordered arrays and structured or object dtypes are rejected with a clear error.
 */

/** A malformed or unsupported `.npy` file: the message says what is wrong. */
export class NpyFormatError extends MetarepError {
  override name = "NpyFormatError";
}

export type NpyTypedArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * An n-dimensional array as stored in a `.npy` file. `descr` is the NumPy type string with its
 * byte order (`'<i8'`, `'>f4'`, `'|u1'`); `data` holds the values in C order, in the host's
 * native representation (byte order is a property of the file, not of `data`).
 */
export interface NpyArray {
  descr: string;
  shape: number[];
  data: NpyTypedArray;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const PREAMBLE_V1 = 10; // magic (6) + version (2) + uint16 header length
const PREAMBLE_V2 = 12; // magic (6) + version (2) + uint32 header length
const ALIGN = 64;

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface DType {
  kind: "b" | "i" | "u" | "f";
  size: 1 | 2 | 4 | 8;
  little: boolean;
}

function parseDescr(descr: string): DType {
  const m = /^([<>|=])([biuf])(\d+)$/.exec(descr);
  if (!m) {
    throw new NpyFormatError(
      `unsupported dtype ${JSON.stringify(descr)}: expected a byte order (<, >, | or =), a kind (b, i, u or f) and a size, e.g. '<i8'`,
    );
  }
  const kind = m[2] as DType["kind"];
  const size = Number(m[3]);
  const ok =
    (kind === "b" && size === 1) ||
    ((kind === "i" || kind === "u") && (size === 1 || size === 2 || size === 4 || size === 8)) ||
    (kind === "f" && (size === 4 || size === 8));
  if (!ok) throw new NpyFormatError(`unsupported dtype ${JSON.stringify(descr)}: no ${kind}${size} type`);
  if (size > 1 && m[1] === "|") {
    throw new NpyFormatError(`dtype ${JSON.stringify(descr)}: a ${size}-byte type needs a byte order < or >`);
  }
  const little = m[1] === "<" || (m[1] === "=" && HOST_LITTLE) || (m[1] === "|" && HOST_LITTLE);
  return { kind, size: size as DType["size"], little };
}

function allocate(t: DType, count: number): NpyTypedArray {
  switch (`${t.kind}${t.size}`) {
    case "b1":
    case "u1":
      return new Uint8Array(count);
    case "i1":
      return new Int8Array(count);
    case "i2":
      return new Int16Array(count);
    case "u2":
      return new Uint16Array(count);
    case "i4":
      return new Int32Array(count);
    case "u4":
      return new Uint32Array(count);
    case "i8":
      return new BigInt64Array(count);
    case "u8":
      return new BigUint64Array(count);
    case "f4":
      return new Float32Array(count);
    default:
      return new Float64Array(count);
  }
}

/** Does a typed array hold the dtype `t` natively (same element type)? */
function matches(t: DType, data: NpyTypedArray): boolean {
  const name = `${t.kind}${t.size}`;
  const expected: Record<string, string> = {
    b1: "Uint8Array",
    u1: "Uint8Array",
    i1: "Int8Array",
    i2: "Int16Array",
    u2: "Uint16Array",
    i4: "Int32Array",
    u4: "Uint32Array",
    i8: "BigInt64Array",
    u8: "BigUint64Array",
    f4: "Float32Array",
    f8: "Float64Array",
  };
  return data.constructor.name === expected[name];
}

// ---------------------------------------------------------------- header: a Python dict literal

type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

/** A recursive-descent reader of the Python literals NumPy writes in headers. */
class HeaderReader {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new NpyFormatError(`malformed header: ${what} at character ${this.i} of ${JSON.stringify(this.s)}`);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private eat(c: string): boolean {
    this.ws();
    if (this.s[this.i] === c) {
      this.i++;
      return true;
    }
    return false;
  }

  value(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.dict();
    if (c === "(" || c === "[") return this.sequence(c === "(" ? ")" : "]");
    if (c === "'" || c === '"') return this.string();
    if (c !== undefined && /[-+\d]/.test(c)) return this.integer();
    const word = /^[A-Za-z_]+/.exec(this.s.slice(this.i))?.[0];
    if (word === "True" || word === "False" || word === "None") {
      this.i += word.length;
      return word === "True" ? true : word === "False" ? false : null;
    }
    return this.fail(c === undefined ? "unexpected end" : `unexpected ${JSON.stringify(c)}`);
  }

  private dict(): Map<string, PyValue> {
    this.eat("{");
    const out = new Map<string, PyValue>();
    while (!this.eat("}")) {
      const k = this.value();
      if (typeof k !== "string") this.fail("a dict key must be a string");
      if (!this.eat(":")) this.fail("expected ':'");
      out.set(k, this.value());
      if (!this.eat(",")) {
        if (!this.eat("}")) this.fail("expected ',' or '}'");
        break;
      }
    }
    return out;
  }

  private sequence(close: string): PyValue[] {
    this.i++;
    const out: PyValue[] = [];
    while (!this.eat(close)) {
      out.push(this.value());
      if (!this.eat(",")) {
        if (!this.eat(close)) this.fail(`expected ',' or '${close}'`);
        break;
      }
    }
    return out;
  }

  private string(): string {
    const q = this.s[this.i++];
    const start = this.i;
    while (this.i < this.s.length && this.s[this.i] !== q) {
      if (this.s[this.i] === "\\") this.fail("escapes in strings are not supported");
      this.i++;
    }
    if (this.i >= this.s.length) this.fail("unterminated string");
    return this.s.slice(start, this.i++);
  }

  private integer(): number {
    const m = /^[-+]?\d+L?/.exec(this.s.slice(this.i));
    if (!m) return this.fail("expected an integer");
    this.i += m[0].length;
    return Number(m[0].replace("L", ""));
  }

  end(): void {
    this.ws();
    if (this.i !== this.s.length) this.fail("trailing characters");
  }
}

/** Where the header and the data are, and what the header says. */
export interface NpyHeader {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first data byte. */
  dataOffset: number;
  /** Number of data bytes the header implies (product of shape × item size). */
  dataBytes: number;
}

/**
 * Read and check the header of a `.npy` file. `bytes` may be just the beginning of the file (the
 * header is at most a few hundred bytes in practice); the data is not looked at.
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < PREAMBLE_V1 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyFormatError('not a .npy file: it does not start with the magic string "\\x93NUMPY"');
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0) {
    throw new NpyFormatError(`unsupported .npy version ${major}.${minor}: expected 1.0, 2.0 or 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pre = major === 1 ? PREAMBLE_V1 : PREAMBLE_V2;
  if (bytes.length < pre) throw new NpyFormatError("truncated: the file ends inside the preamble");
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (bytes.length < pre + headerLen) {
    throw new NpyFormatError(
      `truncated: the header is ${headerLen} bytes long but the file has only ${bytes.length - pre} after the preamble`,
    );
  }
  const raw = bytes.subarray(pre, pre + headerLen);
  const text = major === 3 ? new TextDecoder("utf-8", { fatal: true }).decode(raw) : latin1(raw);
  if (!text.endsWith("\n")) throw new NpyFormatError("malformed header: it does not end with a newline");
  const reader = new HeaderReader(text);
  const dict = reader.value();
  reader.end();
  if (!(dict instanceof Map)) throw new NpyFormatError("malformed header: it is not a dict");
  const keys = [...dict.keys()].sort();
  if (keys.join(",") !== "descr,fortran_order,shape") {
    throw new NpyFormatError(
      `malformed header: expected exactly the keys 'descr', 'fortran_order' and 'shape'; got ${keys.map((k) => `'${k}'`).join(", ") || "none"}`,
    );
  }
  const descr = dict.get("descr");
  if (typeof descr !== "string") {
    throw new NpyFormatError("unsupported dtype: structured (record) dtypes are not supported");
  }
  const dtype = parseDescr(descr);
  const fortranOrder = dict.get("fortran_order");
  if (typeof fortranOrder !== "boolean")
    throw new NpyFormatError("malformed header: 'fortran_order' must be True or False");
  const shape = dict.get("shape");
  if (
    !Array.isArray(shape) ||
    shape.some((s) => typeof s !== "number" || !Number.isSafeInteger(s) || s < 0)
  ) {
    throw new NpyFormatError("malformed header: 'shape' must be a tuple of non-negative integers");
  }
  const dims = shape as number[];
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count * dtype.size))
    throw new NpyFormatError(`shape (${dims.join(", ")}) is too large`);
  return {
    version: [major, minor],
    descr,
    fortranOrder,
    shape: dims,
    dataOffset: pre + headerLen,
    dataBytes: count * dtype.size,
  };
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/**
 * Parse a whole `.npy` file. The data length must be exactly what the header implies (a shorter
 * file is truncated, a longer one is not a single array). Values are converted to the host's byte
 * order; `descr` keeps the file's. With `copy: false`, a uint8 or bool array is a view of `bytes`
 * instead of a copy (for large image files).
 *
 * @example parseNpy(bytes) // { descr: "|u1", shape: [50000, 32, 32, 3], data: Uint8Array(…) }
 */
export function parseNpy(bytes: Uint8Array, options: { copy?: boolean } = {}): NpyArray {
  const h = parseNpyHeader(bytes);
  if (h.fortranOrder && h.shape.filter((s) => s > 1).length > 1) {
    throw new NpyFormatError(
      "Fortran-ordered arrays are not supported (save with C order: np.ascontiguousarray)",
    );
  }
  const got = bytes.length - h.dataOffset;
  if (got !== h.dataBytes) {
    throw new NpyFormatError(
      `${got < h.dataBytes ? "truncated" : "trailing bytes"}: shape (${h.shape.join(", ")}) of ${h.descr} needs ${h.dataBytes} data bytes; the file has ${got}`,
    );
  }
  const t = parseDescr(h.descr);
  const count = h.dataBytes / t.size;
  if (options.copy === false && (t.kind === "u" || t.kind === "b") && t.size === 1) {
    // A view of the file's bytes: no second copy of a large image array.
    return {
      descr: h.descr,
      shape: h.shape,
      data: new Uint8Array(bytes.buffer, bytes.byteOffset + h.dataOffset, count),
    };
  }
  const out = allocate(t, count);
  const src = bytes.subarray(h.dataOffset);
  if (t.size === 1 || t.little === HOST_LITTLE) {
    // Same byte order: a plain copy of the bytes.
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(src);
  } else {
    swapInto(src, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), t.size);
  }
  return { descr: h.descr, shape: h.shape, data: out };
}

/** Copy `src` to `dst` reversing the bytes of every `size`-byte item. */
function swapInto(src: Uint8Array, dst: Uint8Array, size: number): void {
  for (let i = 0; i < src.length; i += size)
    for (let b = 0; b < size; b++) dst[i + b] = src[i + size - 1 - b];
}

/**
 * Serialise an array to `.npy` bytes (version 1.0, or 2.0 when the header needs more than 65535
 * bytes), in the byte order its `descr` names. `data` must be the typed array of that dtype
 * (e.g. `BigInt64Array` for `'<i8'`) with product(shape) elements.
 */
export function writeNpy(a: NpyArray): Uint8Array {
  const t = parseDescr(a.descr);
  if (!matches(t, a.data)) {
    throw new NpyFormatError(`writeNpy: dtype ${a.descr} cannot hold a ${a.data.constructor.name}`);
  }
  const count = a.shape.reduce((p, s) => p * s, 1);
  if (a.shape.some((s) => !Number.isSafeInteger(s) || s < 0) || count !== a.data.length) {
    throw new NpyFormatError(
      `writeNpy: shape (${a.shape.join(", ")}) has ${count} elements but data has ${a.data.length}`,
    );
  }
  const shapeText = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(", ")})`;
  const dict = `{'descr': '${a.descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let pre = PREAMBLE_V1;
  let total = pre + dict.length + 1;
  if (Math.ceil(total / ALIGN) * ALIGN - pre > 0xffff) pre = PREAMBLE_V2;
  total = pre + dict.length + 1;
  const padded = Math.ceil(total / ALIGN) * ALIGN;
  const headerLen = padded - pre;
  const header = `${dict}${" ".repeat(padded - total)}\n`;
  const out = new Uint8Array(padded + a.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = pre === PREAMBLE_V1 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (pre === PREAMBLE_V1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const src = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  if (t.size === 1 || t.little === HOST_LITTLE) out.set(src, padded);
  else swapInto(src, out.subarray(padded), t.size);
  return out;
}

/**
 * The values of an integer or boolean array as numbers (e.g. labels stored as `'<i8'`), checking
 * that 64-bit values are exactly representable. Floats are rejected: labels must be integers.
 */
export function npyIntegers(a: NpyArray): Int32Array | Float64Array {
  const t = parseDescr(a.descr);
  if (t.kind === "f") throw new NpyFormatError(`expected an integer dtype; got ${a.descr}`);
  const d = a.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    const out = new Float64Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new NpyFormatError(`value ${v} at index ${i} is too large to be a label`);
      }
      out[i] = Number(v);
    }
    return out;
  }
  if (d instanceof Uint32Array) return Float64Array.from(d);
  return Int32Array.from(d as ArrayLike<number>);
}
