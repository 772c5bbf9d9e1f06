import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { type NpyArray, NpyFormatError, npyIntegers, parseNpy, parseNpyHeader, writeNpy } from "./npy.js";

const CASES: NpyArray[] = [
  { descr: "|u1", shape: [2, 3, 4], data: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256) },
  { descr: "|i1", shape: [5], data: Int8Array.from([-128, -1, 0, 1, 127]) },
  { descr: "|b1", shape: [3], data: Uint8Array.from([1, 0, 1]) },
  { descr: "<i2", shape: [3], data: Int16Array.from([-32768, 258, 32767]) },
  { descr: ">u2", shape: [2], data: Uint16Array.from([0x0102, 0xfffe]) },
  { descr: "<i4", shape: [2, 2], data: Int32Array.from([-1, 2 ** 31 - 1, -(2 ** 31), 7]) },
  { descr: ">u4", shape: [1], data: Uint32Array.from([0xdeadbeef]) },
  { descr: "<i8", shape: [4], data: BigInt64Array.from([-5n, 0n, 9007199254740993n, -(2n ** 63n)]) },
  { descr: ">i8", shape: [4], data: BigInt64Array.from([-5n, 0n, 9007199254740993n, 2n ** 63n - 1n]) },
  { descr: ">u8", shape: [1], data: BigUint64Array.from([2n ** 64n - 1n]) },
  { descr: "<f4", shape: [2], data: Float32Array.from([1.5, -0.25]) },
  { descr: ">f8", shape: [3], data: Float64Array.from([Math.PI, -0, Number.NEGATIVE_INFINITY]) },
  { descr: "<f8", shape: [], data: Float64Array.from([2.5]) },
  { descr: "<f8", shape: [0, 3], data: new Float64Array(0) },
];

function same(a: NpyArray, b: NpyArray): void {
  expect(b.descr).toBe(a.descr);
  expect(b.shape).toEqual(a.shape);
  expect(b.data.constructor).toBe(a.data.constructor);
  expect(Array.from(b.data as ArrayLike<number | bigint>)).toEqual(
    Array.from(a.data as ArrayLike<number | bigint>),
  );
}

describe(".npy writer and parser", () => {
  test.each(CASES.map((c) => [`${c.descr} (${c.shape.join("×") || "scalar"})`, c] as const))(
    "%s round-trips: shape, dtype, byte order and values",
    (_name, c) => {
      const bytes = writeNpy(c);
      const back = parseNpy(bytes);
      same(c, back);
      // Writing what was read gives the same bytes: the byte order is part of the file.
      expect(Buffer.from(writeNpy(back)).equals(Buffer.from(bytes))).toBe(true);
    },
  );

  test("the data starts at a multiple of 64 bytes and the header ends with a newline", () => {
    for (const c of CASES) {
      const bytes = writeNpy(c);
      const h = parseNpyHeader(bytes);
      expect(h.dataOffset % 64).toBe(0);
      expect(bytes[h.dataOffset - 1]).toBe(0x0a);
      expect(bytes.length - h.dataOffset).toBe(h.dataBytes);
    }
  });

  test("big-endian files store the most significant byte first", () => {
    const bytes = writeNpy({ descr: ">u2", shape: [1], data: Uint16Array.from([0x0102]) });
    const off = parseNpyHeader(bytes).dataOffset;
    expect([bytes[off], bytes[off + 1]]).toEqual([0x01, 0x02]);
    const le = writeNpy({ descr: "<u2", shape: [1], data: Uint16Array.from([0x0102]) });
    expect([le[off], le[off + 1]]).toEqual([0x02, 0x01]);
  });

  test("integer labels become numbers; 64-bit values beyond 2^53 are refused", () => {
    expect(Array.from(npyIntegers(parseNpy(writeNpy(CASES[0]))))).toEqual(
      Array.from(CASES[0].data as Uint8Array),
    );
    const small: NpyArray = { descr: "<i8", shape: [3], data: BigInt64Array.from([0n, 9n, -3n]) };
    expect(Array.from(npyIntegers(small))).toEqual([0, 9, -3]);
    expect(() => npyIntegers(CASES[7])).toThrow(/too large/);
    expect(() => npyIntegers(CASES[10])).toThrow(/integer dtype/);
  });
});

describe("corrupt .npy files are rejected with a message saying what is wrong", () => {
  const good = writeNpy(CASES[0]);
  const headerText = (b: Uint8Array) =>
    Buffer.from(b.subarray(10, parseNpyHeader(b).dataOffset)).toString("latin1");
  /** `good` with its header text replaced (same length, so offsets stay valid). */
  const withHeader = (text: string) => {
    const b = good.slice();
    const padded = text.padEnd(headerText(good).length - 1, " ");
    expect(padded.length).toBe(headerText(good).length - 1);
    Buffer.from(`${padded}\n`, "latin1").copy(b, 10);
    return b;
  };

  test.each([
    ["wrong magic", (() => Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58, 1, 0, 0, 0]))(), /magic/],
    ["empty file", new Uint8Array(0), /magic/],
    [
      "unknown version",
      (() => {
        const b = good.slice();
        b[6] = 4;
        return b;
      })(),
      /version 4\.0/,
    ],
    ["header length past the end", good.subarray(0, 40), /truncated: the header/],
    ["truncated data", good.subarray(0, good.length - 1), /truncated: shape \(2, 3, 4\).*needs 24.*has 23/],
    ["trailing bytes", Uint8Array.from([...good, 0]), /trailing bytes/],
    [
      "missing newline",
      (() => {
        const b = good.slice();
        b[parseNpyHeader(good).dataOffset - 1] = 0x20;
        return b;
      })(),
      /newline/,
    ],
    [
      "trailing characters",
      withHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 4), }X"),
      /trailing/,
    ],
    ["not a dict", withHeader("[1, 2]"), /not a dict/],
    ["missing key", withHeader("{'descr': '|u1', 'shape': (2, 3, 4), }"), /expected exactly the keys/],
    ["extra key", withHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (24,), 'x': 1}"), /keys/],
    [
      "unknown dtype",
      withHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (24,), }"),
      /unsupported dtype/,
    ],
    [
      "object dtype",
      withHeader("{'descr': '|O', 'fortran_order': False, 'shape': (24,), }"),
      /unsupported dtype/,
    ],
    [
      "multi-byte without order",
      withHeader("{'descr': '|i4', 'fortran_order': False, 'shape': (6,), }"),
      /byte order/,
    ],
    ["negative shape", withHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (-24,), }"), /shape/],
    [
      "bad fortran_order",
      withHeader("{'descr': '|u1', 'fortran_order': 0, 'shape': (24,), }"),
      /fortran_order/,
    ],
    ["unbalanced", withHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (24,"), /malformed header/],
    ["fortran order", withHeader("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3, 4), }"), /Fortran/],
  ] as const)("%s", (_name, bytes, message) => {
    expect(() => parseNpy(bytes)).toThrow(NpyFormatError);
    expect(() => parseNpy(bytes)).toThrow(message);
  });

  test("a writer refuses data that does not match the dtype or the shape", () => {
    expect(() => writeNpy({ descr: "<i8", shape: [1], data: Int32Array.from([1]) })).toThrow(/cannot hold/);
    expect(() => writeNpy({ descr: "|u1", shape: [2, 2], data: new Uint8Array(3) })).toThrow(/4 elements/);
  });
});

function hasNumpy(): boolean {
  try {
    execFileSync("python3", ["-c", "import numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe.runIf(hasNumpy())("agreement with NumPy's own reader and writer", () => {
  test("files written by np.save parse to the same values, and numpy loads ours", () => {
    const dir = mkdtempSync(join(tmpdir(), "metarep-npy-"));
    try {
      const script = `
import numpy as np, sys, json
d = sys.argv[1]
np.save(d + "/img.npy", (np.arange(2*4*4*3) * 7 % 256).astype(np.uint8).reshape(2, 4, 4, 3))
np.save(d + "/lab.npy", np.array([3, 1, 4, 1, 5], dtype=np.int64))
np.save(d + "/be.npy", np.array([1.5, -2.25], dtype=">f8"))
ours = np.load(d + "/ours.npy")
print(json.dumps({"dtype": ours.dtype.str, "shape": list(ours.shape), "values": ours.ravel().tolist()}))
`;
      const ours: NpyArray = { descr: ">i4", shape: [2, 2], data: Int32Array.from([1, -2, 3, 2 ** 30]) };
      writeFileSync(join(dir, "ours.npy"), writeNpy(ours));
      const out = JSON.parse(execFileSync("python3", ["-c", script, dir], { encoding: "utf8" })) as {
        dtype: string;
        shape: number[];
        values: number[];
      };
      expect(out).toEqual({ dtype: ">i4", shape: [2, 2], values: [1, -2, 3, 2 ** 30] });
      const img = parseNpy(readFileSync(join(dir, "img.npy")));
      expect(img.descr).toBe("|u1");
      expect(img.shape).toEqual([2, 4, 4, 3]);
      expect(Array.from(img.data as Uint8Array)).toEqual(Array.from({ length: 96 }, (_, i) => (i * 7) % 256));
      const lab = parseNpy(readFileSync(join(dir, "lab.npy")));
      expect(lab.descr).toBe("<i8");
      expect(Array.from(npyIntegers(lab))).toEqual([3, 1, 4, 1, 5]);
      const be = parseNpy(readFileSync(join(dir, "be.npy")));
      expect(be.descr).toBe(">f8");
      expect(Array.from(be.data as Float64Array)).toEqual([1.5, -2.25]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
