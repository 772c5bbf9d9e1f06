import { describe, expect, test } from "vitest";
import {
  fillNormal,
  fillUniform,
  foldIn,
  foldInString,
  key,
  keyToString,
  split,
  stream,
  threefry2x32,
} from "./index.js";
import { ZIG_LAYERS, ZIG_X } from "./ziggurat.js";

const hex = (w: readonly number[]) => w.map((x) => x.toString(16).padStart(8, "0"));

describe("threefry2x32", () => {
  test("matches the Random123 known-answer vectors (as used by JAX)", () => {
    expect(hex(threefry2x32(0, 0, 0, 0))).toEqual(["6b200159", "99ba4efe"]);
    expect(hex(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff))).toEqual([
      "1cb996fc",
      "bb002be7",
    ]);
    expect(hex(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3))).toEqual([
      "c4923a9c",
      "483df7a0",
    ]);
  });
});

describe("keys", () => {
  test("golden vectors pin key derivation", () => {
    expect(key(7)).toEqual([0, 7]);
    expect(key(2 ** 40 + 5)).toEqual([256, 5]);
    expect(split(key(7), 2)).toEqual([
      [3625411723, 1954958720],
      [1830345032, 3888369200],
    ]);
    expect(foldIn(key(7), 3)).toEqual([2537802879, 2635747872]);
    expect(keyToString(key(42))).toBe("00000000:0000002a");
  });

  test("split, foldIn and foldInString give distinct keys and leave the parent unchanged", () => {
    const k = key(123);
    const seen = new Set<string>();
    for (const s of split(k, 64)) seen.add(keyToString(s));
    for (let i = 0; i < 64; i++) seen.add(keyToString(foldIn(k, i)));
    for (const s of ["", "a", "ab", "abc", "abcd", "abcde", "collins-convergence", "collins-diversity"]) {
      seen.add(keyToString(foldInString(k, s)));
    }
    expect(seen.size).toBe(64 + 64 + 8);
    expect(k).toEqual([0, 123]);
    expect(Object.isFrozen(k)).toBe(true);
  });

  test("bad seeds and fold-in data are rejected with the parameter named", () => {
    expect(() => key(-1)).toThrow(/"seed" must be an integer in \[0, 2\^53\); got -1/);
    expect(() => key(1.5)).toThrow(/"seed"/);
    expect(() => foldIn(key(1), 2 ** 32)).toThrow(/"data"/);
    expect(() => split(key(1), 0)).toThrow(/"n" must be an integer ≥ 1; got 0/);
  });
});

describe("streams", () => {
  test("golden vectors pin the uniform and normal streams", () => {
    const u = fillUniform(key(42), new Float64Array(4));
    expect(Array.from(u)).toEqual([
      0.8373658244958044, 0.29812938025891444, 0.790476083371376, 0.6060997459248643,
    ]);
    const z = fillNormal(key(42), new Float64Array(6));
    expect(Array.from(z)).toEqual([
      0.9227957768861131, -0.9073579747286498, 1.6039763728569794, 0.254036258992189, 1.2331146254437895,
      0.9251730568598288,
    ]);
  });

  test("a fill in pieces equals one fill of the whole, and offsets write only their range", () => {
    const whole = stream(key(9)).fillNormal(new Float64Array(1000));
    const s = stream(key(9));
    const parts = new Float64Array(1002);
    s.fillNormal(parts, 1, 300);
    s.fillNormal(parts, 301, 700);
    expect(parts[0]).toBe(0);
    expect(parts[1001]).toBe(0);
    expect(Array.from(parts.subarray(1, 1001))).toEqual(Array.from(whole));
  });

  test("fill ranges are validated", () => {
    expect(() => stream(key(1)).fillNormal(new Float64Array(3), 2, 2)).toThrow(/exceeds the buffer length 3/);
    expect(() => stream(key(1)).fillUniform(new Float64Array(3), -1, 1)).toThrow(/"offset"/);
  });

  test("the ziggurat table is finite, decreasing and ends at zero", () => {
    for (let i = 1; i <= ZIG_LAYERS; i++) {
      expect(Number.isFinite(ZIG_X[i])).toBe(true);
      expect(ZIG_X[i]).toBeLessThan(ZIG_X[i - 1]);
    }
    expect(ZIG_X[ZIG_LAYERS]).toBe(0);
    expect(ZIG_X[ZIG_LAYERS - 1]).toBeGreaterThan(0);
  });
});

/** Standard normal CDF (Zelen & Severo 26.2.17 is too coarse; use erf via a high-accuracy series). */
function normalCdf(x: number): number {
  // W. J. Cody's rational approximation through erfc is overkill; the complementary error function
  // by continued fraction / series is accurate to ~1e-14 here.
  const z = Math.abs(x) / Math.SQRT2;
  let erfc: number;
  if (z < 2) {
    // erf series: 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
    let sum = 0;
    let term = z;
    for (let n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= (-z * z) / (n + 1);
    }
    erfc = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // Continued fraction (Lentz) for erfc.
    let f = z;
    let c = z;
    let d = 0;
    for (let n = 1; n < 200; n++) {
      const an = n / 2;
      d = z + an * d;
      d = 1 / d;
      c = z + an / c;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    erfc = Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
  }
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

describe("statistical properties", () => {
  const N = 1_000_000;

  test("uniforms have mean 1/2, variance 1/12 and no values outside [0, 1)", () => {
    const u = fillUniform(key(2024), new Float64Array(N));
    let m = 0;
    let v = 0;
    let min = 1;
    let max = 0;
    for (const x of u) {
      m += x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    m /= N;
    for (const x of u) v += (x - m) ** 2;
    v /= N - 1;
    // 5 standard errors: se(mean) = sqrt(1/12/N), se(var) ≈ sqrt(1/180/N).
    expect(Math.abs(m - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(v - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / N));
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  test("normals match the first four moments of N(0, 1)", () => {
    const z = fillNormal(key(2025), new Float64Array(N));
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    for (const x of z) {
      const x2 = x * x;
      m1 += x;
      m2 += x2;
      m3 += x2 * x;
      m4 += x2 * x2;
    }
    m1 /= N;
    m2 /= N;
    m3 /= N;
    m4 /= N;
    // Standard errors: 1, √2, √15, √96 over √N; allow 5 of them.
    const se = (s: number) => (5 * s) / Math.sqrt(N);
    expect(Math.abs(m1)).toBeLessThan(se(1));
    expect(Math.abs(m2 - 1)).toBeLessThan(se(Math.SQRT2));
    expect(Math.abs(m3)).toBeLessThan(se(Math.sqrt(15)));
    expect(Math.abs(m4 - 3)).toBeLessThan(se(Math.sqrt(96)));
  });

  test("normals pass a Kolmogorov–Smirnov test against the normal CDF", () => {
    const z = fillNormal(key(77), new Float64Array(200_000)).sort();
    let dmax = 0;
    for (let i = 0; i < z.length; i++) {
      const f = normalCdf(z[i]);
      dmax = Math.max(dmax, Math.abs(f - i / z.length), Math.abs(f - (i + 1) / z.length));
    }
    // Critical value at level 0.001: 1.95 / √n.
    expect(dmax).toBeLessThan(1.95 / Math.sqrt(z.length));
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
  });

  test("the tail beyond the ziggurat's base (|z| > R) has the normal's mass", () => {
    const n = 4_000_000;
    const z = fillNormal(key(5), new Float64Array(n));
    const R = ZIG_X[1];
    let tail = 0;
    let far = 0;
    for (const x of z) {
      if (Math.abs(x) > R) tail++;
      if (Math.abs(x) > 4.5) far++;
    }
    const p = 2 * (1 - normalCdf(R));
    const pf = 2 * (1 - normalCdf(4.5));
    expect(Math.abs(tail / n - p)).toBeLessThan(5 * Math.sqrt(p / n));
    expect(Math.abs(far / n - pf)).toBeLessThan(5 * Math.sqrt(pf / n) + 1 / n);
  });

  test("draws under different keys are uncorrelated", () => {
    const [a, b] = split(key(3), 2);
    const x = fillNormal(a, new Float64Array(N));
    const y = fillNormal(b, new Float64Array(N));
    let c = 0;
    for (let i = 0; i < N; i++) c += x[i] * y[i];
    expect(Math.abs(c / N)).toBeLessThan(5 / Math.sqrt(N));
  });
});

describe("NormalSource", () => {
  test("hands out the stream's normals in order, across block boundaries, with scaling", async () => {
    const { NormalSource } = await import("./stream.js");
    const direct = stream(key(11)).fillNormal(new Float64Array(700));
    const src = new NormalSource(stream(key(11)), 64);
    const got = new Float64Array(700);
    let o = 0;
    for (const n of [1, 20, 63, 64, 65, 100, 387]) {
      src.fill(got, o, n, o === 21 ? 2 : 1);
      o += n;
    }
    expect(o).toBe(700);
    for (let i = 0; i < 700; i++) expect(got[i]).toBe(i >= 21 && i < 84 ? 2 * direct[i] : direct[i]);
  });

  test("restart on another stream gives that stream's normals, whatever was left in the block", async () => {
    const { NormalSource } = await import("./stream.js");
    const src = new NormalSource(stream(key(11)), 256);
    src.fill(new Float64Array(100), 0, 100); // 156 normals of key 11 left in the block
    for (const seed of [12, 13]) {
      src.restart(stream(key(seed)));
      const got = new Float64Array(600);
      src.fill(got, 0, 17);
      src.fill(got, 17, 583, 1);
      expect(Array.from(got)).toEqual(Array.from(stream(key(seed)).fillNormal(new Float64Array(600))));
    }
    expect(() => new NormalSource(stream(key(1)), 0)).toThrow(/blockSize.*≥ 1; got 0/);
  });
});
