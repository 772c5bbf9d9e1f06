import { describe, expect, test } from "vitest";
import { exp, log } from "../linalg/libm.js";
import { f64, kernels, reserve } from "../linalg/wasm/kernels.js";
import { foldIn, key } from "./key.js";
import { KERNEL_FILL_MIN, type Stream, stream } from "./stream.js";
import { ZIG_X } from "./ziggurat.js";

/** The JS generator alone: one normal per call (below KERNEL_FILL_MIN, so never the kernel). */
function jsNormals(s: Stream, n: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) s.fillNormal(out, i, 1, scale);
  return out;
}

/** Bits of a double, so that −0 and NaN payloads compare exactly too. */
function bits(x: Float64Array): bigint[] {
  return Array.from(new BigUint64Array(x.buffer, x.byteOffset, x.length));
}

describe("normals drawn in the kernel module", () => {
  test("equal the JS generator's bit for bit on many keys, including the tail and the wedges, and leave the same state", () => {
    const R = ZIG_X[1];
    let tail = 0;
    for (let k = 0; k < 6; k++) {
      const kk = foldIn(key(2026), k);
      const n = 150_000;
      const a = stream(kk);
      const b = stream(kk);
      const viaKernel = a.fillNormal(new Float64Array(n));
      const viaJs = jsNormals(b, n);
      expect(bits(viaKernel)).toEqual(bits(viaJs));
      for (const x of viaKernel) if (Math.abs(x) > R) tail++;
      // Same state afterwards: the slow paths consumed the same extra words.
      expect(a.nextUint32()).toBe(b.nextUint32());
      expect(a.uniform()).toBe(b.uniform());
    }
    // ~2.6e-4 of the draws come from the tail path (|z| > R only arises there).
    expect(tail).toBeGreaterThan(100);
  });

  test(`every length 0 … 3·${KERNEL_FILL_MIN} at offsets and scales gives the same values as the JS generator`, () => {
    for (let len = 0; len <= 3 * KERNEL_FILL_MIN; len++) {
      for (const [offset, scale] of [
        [0, 1],
        [3, 0.5],
        [1, -2],
      ] as const) {
        const kk = foldIn(key(7), len * 10 + offset);
        const a = stream(kk);
        const out = new Float64Array(offset + len + 2).fill(9);
        a.fillNormal(out, offset, len, scale);
        const b = stream(kk);
        const expected = jsNormals(b, len, scale);
        expect(bits(out.subarray(offset, offset + len))).toEqual(bits(expected));
        expect(Array.from(out.subarray(0, offset))).toEqual(new Array(offset).fill(9));
        expect(Array.from(out.subarray(offset + len))).toEqual([9, 9]);
        expect(a.nextUint32()).toBe(b.nextUint32());
      }
    }
  });

  test("interleaved kernel and JS fills continue one stream", () => {
    const kk = key(31);
    const whole = jsNormals(stream(kk), 5000);
    const s = stream(kk);
    const got = new Float64Array(5000);
    let o = 0;
    for (const n of [1, 31, 32, 33, 5, 1000, 7, 64, 2000, 1827]) {
      s.fillNormal(got, o, n);
      o += n;
    }
    expect(o).toBe(5000);
    expect(bits(got)).toEqual(bits(whole));
  });

  test("fillNormalAt writes the same draws into the kernel memory", () => {
    const kk = key(5);
    const expected = jsNormals(stream(kk), 777, 3);
    const at = reserve(8 * 777);
    stream(kk).fillNormalAt(at, 777, 3);
    expect(bits(f64().slice(at / 8, at / 8 + 777))).toEqual(bits(expected));
  });

  test("the module's exp and log equal libm's bit for bit", () => {
    const { fdlibmExp, fdlibmLog } = kernels().exports;
    const xs: number[] = [
      0, -0, 1, -1, 0.5, 2, 1e-300, 5e-324, 2.2250738585072014e-308, 709.78, 709.79, -745.13,
    ];
    xs.push(-745.2, 1e-9, -1e-9, 0.34657359027997264, 0.3465735902799727, 1.0397207708399179, 1e300);
    xs.push(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1 - 2 ** -53, 1 + 2 ** -52);
    const s = stream(key(99));
    for (let i = 0; i < 20000; i++) {
      const u = s.uniform();
      xs.push(u, 1 - u, -7 * u, 40 * (u - 0.5), 1400 * (u - 0.5), u * 2 ** -1040, 1 + (u - 0.5) * 2 ** -18);
    }
    const e = new Float64Array(xs.length);
    const eJs = new Float64Array(xs.length);
    const l = new Float64Array(xs.length);
    const lJs = new Float64Array(xs.length);
    xs.forEach((x, i) => {
      e[i] = fdlibmExp(x);
      eJs[i] = exp(x);
      l[i] = fdlibmLog(x);
      lJs[i] = log(x);
    });
    expect(bits(e)).toEqual(bits(eJs));
    expect(bits(l)).toEqual(bits(lJs));
  });
});
