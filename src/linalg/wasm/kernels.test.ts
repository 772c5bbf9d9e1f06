import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Matrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { gemm, gemmStrided, pinned, release, type StridedMat, strided, syrkWeighted } from "../gemm.js";
import { gemmJs } from "../gemmJs.js";
import { fromRows, type Mat, matFrom, toRows, zeros } from "../mat.js";
import { EPS, naiveGemm, randn, TestRng } from "../testing.js";
import { axpyAt, dotAt } from "../vector.js";
import { f64, i32, kernels, memoryBytes, pin, releaseIdleMemory, reserve, unpin } from "./kernels.js";

const combos = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;
const SCALARS = [0, 1, -0.5];

/** A rows × cols matrix placed at `offset` in a larger random buffer with row stride `stride`. */
function embedded(M: Mat, offset: number, stride: number, rng: TestRng): StridedMat {
  const data = randn(1, offset + Math.max(0, M.rows - 1) * stride + M.cols + 3, rng).data;
  for (let i = 0; i < M.rows; i++)
    data.set(M.data.subarray(i * M.cols, (i + 1) * M.cols), offset + i * stride);
  return { rows: M.rows, cols: M.cols, data, offset, stride };
}

function extract(S: StridedMat): Mat {
  const out = zeros(S.rows, S.cols);
  for (let i = 0; i < S.rows; i++)
    out.data.set(S.data.subarray(S.offset + i * S.stride, S.offset + i * S.stride + S.cols), i * S.cols);
  return out;
}

/** Largest |a − b| relative to the scale of a length-k dot product of unit normals. */
function relErr(a: Mat, b: Mat, k: number): number {
  let e = 0;
  for (let i = 0; i < a.data.length; i++) e = Math.max(e, Math.abs(a.data[i] - b.data[i]));
  return e / (EPS * Math.max(1, k));
}

describe("the WebAssembly gemm kernel", () => {
  for (const [transA, transB] of combos) {
    it(`matches the naive triple loop and the JS kernel for transA=${transA}, transB=${transB}, every m, k, n in 1–17 and α, β ∈ {0, 1, −0.5}`, () => {
      const rng = new TestRng(17);
      let worst = 0;
      let worstJs = 0;
      let idx = 0;
      for (let m = 1; m <= 17; m++) {
        for (let k = 1; k <= 17; k++) {
          for (let n = 1; n <= 17; n++) {
            // Cycle through the nine (α, β) pairs so each shape class meets each of them.
            const alpha = SCALARS[idx % 3];
            const beta = SCALARS[Math.floor(idx / 3) % 3];
            idx++;
            const A = transA ? randn(k, m, rng) : randn(m, k, rng);
            const B = transB ? randn(n, k, rng) : randn(k, n, rng);
            const C0 = randn(m, n, rng);
            const expected = naiveGemm(transA, transB, alpha, A, B, beta, C0);
            const viaJs = gemmJs(transA, transB, alpha, A, B, beta, matFrom(m, n, C0.data.slice()));
            const C = matFrom(m, n, C0.data.slice());
            gemm(transA, transB, alpha, A, B, beta, C);
            worst = Math.max(worst, relErr(C, expected, k));
            worstJs = Math.max(worstJs, relErr(C, viaJs, k));
          }
        }
      }
      // Rounding of a length-k sum is at most k·ε times the sum of |terms| (≈ k for unit normals).
      expect(worst).toBeLessThan(20);
      expect(worstJs).toBeLessThan(20);
    });

    it(`handles offsets and odd row strides of A, B and C for transA=${transA}, transB=${transB}, leaving C's gaps untouched`, () => {
      const rng = new TestRng(23);
      for (const [m, k, n] of [
        [1, 1, 1],
        [5, 3, 7],
        [17, 13, 9],
        [9, 16, 17],
        [40, 131, 37],
      ]) {
        for (const [alpha, beta] of [
          [1, 0],
          [-0.5, 1],
          [1, -0.5],
        ]) {
          const A = transA ? randn(k, m, rng) : randn(m, k, rng);
          const B = transB ? randn(n, k, rng) : randn(k, n, rng);
          const C0 = randn(m, n, rng);
          const As = embedded(A, 3, A.cols + 5, rng);
          const Bs = embedded(B, 1, B.cols + 3, rng);
          const Cs = embedded(C0, 7, C0.cols + 1, rng);
          const before = Cs.data.slice();
          gemmStrided(transA, transB, alpha, As, Bs, beta, Cs);
          const expected = naiveGemm(transA, transB, alpha, A, B, beta, C0);
          expect(relErr(extract(Cs), expected, k)).toBeLessThan(20);
          // Everything outside C's rows is as it was.
          for (let q = 0; q < before.length; q++) {
            const r = Math.floor((q - Cs.offset) / Cs.stride);
            const c = q - Cs.offset - r * Cs.stride;
            const inside = q >= Cs.offset && r < m && c < n;
            if (!inside) expect(Cs.data[q]).toBe(before[q]);
          }
        }
      }
    });
  }

  it("agrees with ml-matrix on products that cross every blocking panel (k > 128, n > 1024, m > 256)", () => {
    const rng = new TestRng(5);
    for (const [m, k, n] of [
      [260, 300, 7],
      [9, 130, 1030],
    ]) {
      for (const [transA, transB] of combos) {
        const A = transA ? randn(k, m, rng) : randn(m, k, rng);
        const B = transB ? randn(n, k, rng) : randn(k, n, rng);
        const ml = (X: Mat, t: boolean) => (t ? new Matrix(toRows(X)).transpose() : new Matrix(toRows(X)));
        const expected = fromRows(ml(A, transA).mmul(ml(B, transB)).to2DArray());
        const C = gemm(transA, transB, 1, A, B, 0, zeros(m, n));
        expect(relErr(C, expected, k)).toBeLessThan(20);
      }
    }
  });

  it("gives the same bits as a second call, whatever was in C when β = 0", () => {
    const rng = new TestRng(8);
    const A = randn(33, 70, rng);
    const B = randn(70, 21, rng);
    const C1 = gemm(false, false, 0.7, A, B, 0, zeros(33, 21));
    const C2 = zeros(33, 21);
    C2.data.fill(Number.NaN);
    gemm(false, false, 0.7, A, B, 0, C2);
    expect(Array.from(C2.data)).toEqual(Array.from(C1.data));
  });

  it("rejects a C whose strided span overlaps A or B, and accepts interleaved-free disjoint spans", () => {
    const buf = new Float64Array(40);
    const A: StridedMat = { rows: 2, cols: 2, data: buf, offset: 0, stride: 4 };
    const C: StridedMat = { rows: 2, cols: 2, data: buf, offset: 2, stride: 4 }; // inside A's span
    expect(() => gemmStrided(false, false, 1, A, strided(zeros(2, 2)), 0, C)).toThrow(/share memory/);
    const D: StridedMat = { rows: 2, cols: 2, data: buf, offset: 20, stride: 4 };
    expect(() => gemmStrided(false, false, 1, A, A, 0, D)).not.toThrow();
    expect(() => gemmStrided(false, false, 1, A, D, 1, D)).toThrow(/share memory/);
  });

  it("rejects a stride below the column count or a span past the buffer, naming the operand", () => {
    const B = strided(zeros(2, 2));
    const bad: StridedMat = { rows: 2, cols: 3, data: new Float64Array(10), offset: 0, stride: 2 };
    expect(() => gemmStrided(false, false, 1, bad, zeros(3, 2) as never, 0, B)).toThrow(
      /A\.stride must be an integer ≥ max\(1, cols = 3\); got 2/,
    );
    const short: StridedMat = { rows: 3, cols: 2, data: new Float64Array(8), offset: 1, stride: 3 };
    expect(() => gemmStrided(true, false, 1, short, strided(zeros(3, 2)), 0, B)).toThrow(
      /A \(3×2, offset 1, stride 3\) needs 9 elements; its buffer has 8/,
    );
  });

  it("grows its memory for large operands and keeps working for small ones afterwards", () => {
    const rng = new TestRng(9);
    const A = randn(700, 600, rng);
    const B = randn(600, 3, rng);
    const C = gemm(false, false, 1, A, B, 0, zeros(700, 3));
    expect(memoryBytes()).toBeGreaterThan(8 * 700 * 600);
    expect(relErr(C, naiveGemm(false, false, 1, A, B, 0, zeros(700, 3)), 600)).toBeLessThan(20);
    const s = gemm(false, false, 1, fromRows([[2]]), fromRows([[3]]), 0, zeros(1, 1));
    expect(s.data[0]).toBe(6);
  });
});

describe("the weighted symmetric rank-k update", () => {
  it("equals gemm(Xᵀ, diag(w) X) bit for bit on the upper triangle and is exactly symmetric", () => {
    const rng = new TestRng(31);
    for (const [k, n] of [
      [1, 1],
      [7, 5],
      [17, 17],
      [300, 13],
      [129, 100],
    ]) {
      for (const [alpha, beta] of [
        [1, 0],
        [-0.5, 1],
        [0.25, -0.5],
      ]) {
        const X = randn(k, n, rng);
        const w = randn(k, 1, rng).data;
        const S = randn(n, n, rng);
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) S.data[i * n + j] = S.data[j * n + i];
        // gemm's op(A)[i,p] = (w_p X[p,i]) is exactly the kernel's weighted packing.
        const WX = zeros(k, n);
        for (let p = 0; p < k; p++) for (let i = 0; i < n; i++) WX.data[p * n + i] = w[p] * X.data[p * n + i];
        const G = gemm(true, false, alpha, WX, X, beta, matFrom(n, n, S.data.slice()));
        const C = syrkWeighted(alpha, strided(X), w, beta, matFrom(n, n, S.data.slice()));
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            expect(C.data[i * n + j]).toBe(C.data[j * n + i]);
            if (j >= i) expect(C.data[i * n + j]).toBe(G.data[i * n + j]);
          }
        }
      }
    }
  });

  it("with no weights is XᵀX, and reads only the upper triangle of C", () => {
    const rng = new TestRng(32);
    const X = randn(50, 9, rng);
    const C = zeros(9, 9);
    for (let i = 0; i < 9; i++) for (let j = 0; j < i; j++) C.data[i * 9 + j] = Number.NaN;
    syrkWeighted(1, strided(X), null, 1, C);
    expect(relErr(C, naiveGemm(true, false, 1, X, X, 0, zeros(9, 9)), 50)).toBeLessThan(20);
  });

  it("accumulated over row chunks equals one call up to rounding, and rejects a w of the wrong length", () => {
    const rng = new TestRng(33);
    const X = randn(1000, 20, rng);
    const w = randn(1000, 1, rng).data;
    const whole = syrkWeighted(1, strided(X), w, 0, zeros(20, 20));
    const parts = zeros(20, 20);
    for (let r0 = 0; r0 < 1000; r0 += 300) {
      const rows = Math.min(300, 1000 - r0);
      const Xc: StridedMat = { rows, cols: 20, data: X.data, offset: r0 * 20, stride: 20 };
      syrkWeighted(1, Xc, w.subarray(r0, r0 + rows), 1, parts);
    }
    expect(relErr(parts, whole, 1000)).toBeLessThan(20);
    expect(() => syrkWeighted(1, strided(X), new Float64Array(3), 0, zeros(20, 20))).toThrow(
      /w must have length 1000 \(the rows of X\); got 3/,
    );
  });
});

describe("operands pinned in the kernel memory", () => {
  it("give the same bits as the same operands copied per call, in every transpose case, and survive memory growth", () => {
    const rng = new TestRng(23);
    for (const [transA, transB] of combos) {
      const A = transA ? randn(37, 19, rng) : randn(19, 37, rng);
      const B = transB ? randn(11, 37, rng) : randn(37, 11, rng);
      const pa = pinned(A);
      const pb = pinned(embedded(B, 3, B.cols + 2, rng));
      try {
        const C1 = randn(19, 11, rng);
        const C2 = matFrom(19, 11, C1.data.slice());
        gemm(transA, transB, -0.5, A, B, 1, C1);
        reserve(64 << 20); // grow the memory: addresses of pinned blocks stay valid
        gemmStrided(transA, transB, -0.5, pa, pb, 1, strided(C2));
        expect(Array.from(C2.data)).toEqual(Array.from(C1.data));
      } finally {
        release(pb);
        release(pa);
      }
    }
  });

  it("serve the weighted rank-k update in place", () => {
    const rng = new TestRng(29);
    const X = randn(301, 13, rng);
    const w = randn(1, 301, rng).data;
    const M1 = syrkWeighted(1, strided(X), w, 0, zeros(13, 13));
    const px = pinned(X);
    try {
      const M2 = syrkWeighted(1, px, w, 0, zeros(13, 13));
      expect(Array.from(M2.data)).toEqual(Array.from(M1.data));
    } finally {
      release(px);
    }
  });

  it("are released last-pinned first, and the arena starts above them", () => {
    const a = pin(100);
    const b = pin(8);
    expect(b).toBeGreaterThanOrEqual(a + 100);
    expect(reserve(8)).toBeGreaterThanOrEqual(b + 8);
    unpin(a); // releases b too
    expect(reserve(8)).toBe(a);
    expect(() => unpin(a + 1e9)).toThrow(/not a pinned block/);
  });
});

describe("the kernel module's build", () => {
  it("the committed kernels.generated.ts is the build of kernels.as", () => {
    const here = dirname(fileURLToPath(import.meta.url));
    // Throws (non-zero exit) when the embedded bytes are not what the compiler makes of the source.
    expect(() =>
      execFileSync(process.execPath, [join(here, "build.mjs"), "--check"], { stdio: "pipe" }),
    ).not.toThrow();
  });
});

describe("absProjections (HRPCA's full pass)", () => {
  it.each([
    [1, 2],
    [7, 3],
    [103, 10],
    [64, 1],
  ])("n = %i, d = %i: |Σ_a w_a x_a| summed left to right, as JS does, and the indices ≥ a bound", (n, d) => {
    const rng = new TestRng(n * 31 + d);
    const X = randn(d, n, rng); // by coordinate: row a holds x_a of every point
    const w = randn(1, d, rng).data;
    const at = pin(8 * (d * n + n + d) + 4 * n);
    try {
      const mem = f64();
      mem.set(X.data, at / 8);
      const out = at + 8 * d * n;
      const wAt = out + 8 * n;
      const idx = wAt + 8 * d;
      mem.set(w, wAt / 8);
      const expected = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let p = w[0] * X.data[i];
        for (let a = 1; a < d; a++) p += w[a] * X.data[a * n + i];
        expected[i] = Math.abs(p);
      }
      const bound = 0.7;
      const count = kernels().exports.absProjections(at, n, d, wAt, out, bound, idx);
      const got = Array.from(f64().subarray(out / 8, out / 8 + n));
      expect(got).toEqual(Array.from(expected));
      const want = [...expected.keys()].filter((i) => expected[i] >= bound);
      expect(count).toBe(want.length);
      expect(Array.from(i32().subarray(idx / 4, idx / 4 + count))).toEqual(want);
    } finally {
      unpin(at);
    }
  });
});

describe("packedStatsPairs (Burer–Monteiro's objective from sufficient statistics)", () => {
  it.each([
    [1, 1],
    [3, 2],
    [4, 5],
    [7, 20],
  ])(
    "%i tasks, d = %i: each lane gives the JS loop's bits (g_t = A_tθ_t − b_t, ‖r_t‖² terms)",
    (tasks, d) => {
      const rng = new TestRng(tasks * 13 + d);
      const packed = (d * (d + 1)) / 2;
      const pairs = (tasks + 1) >> 1;
      const A = randn(tasks, packed, rng).data;
      const theta = randn(tasks, d, rng).data;
      const b = randn(tasks, d, rng).data;
      const c = randn(1, tasks, rng).data;
      // The JS loop the kernel replaced, one task at a time.
      const gWant = new Float64Array(tasks * d);
      const lossWant = new Float64Array(tasks);
      for (let t = 0; t < tasks; t++) {
        const th = theta.subarray(t * d, (t + 1) * d);
        const gt = gWant.subarray(t * d, (t + 1) * d);
        let o = t * packed;
        for (let a = 0; a < d; a++) {
          const ta = th[a];
          let acc = A[o] * ta;
          for (let j = a + 1; j < d; j++) {
            const v = A[o + j - a];
            acc += v * th[j];
            gt[j] += v * ta;
          }
          gt[a] += acc;
          o += d - a;
        }
        let quad = 0;
        let lin = 0;
        for (let a = 0; a < d; a++) {
          quad += th[a] * gt[a];
          lin += b[t * d + a] * th[a];
          gt[a] -= b[t * d + a];
        }
        lossWant[t] = quad - 2 * lin + c[t];
      }
      // Slots in another order than the tasks (slot s reads task order[s]), two per pair, interleaved:
      // entry e of slot s at 2·(⌊s/2⌋·len + e) + s mod 2.
      const order = Int32Array.from({ length: tasks }, (_, s) => tasks - 1 - s);
      const inter = (src: Float64Array, len: number) => {
        const out = new Float64Array(2 * pairs * len);
        for (let s = 0; s < tasks; s++)
          for (let e = 0; e < len; e++) out[2 * ((s >> 1) * len + e) + (s & 1)] = src[order[s] * len + e];
        return out;
      };
      // A, b, c (interleaved), Θ rows, G rows, loss per slot, scratch, then the slots' tasks (int32).
      const sizes = [2 * pairs * packed, 2 * pairs * d, 2 * pairs, tasks * d, tasks * d, tasks, 4 * d];
      const at = pin(8 * sizes.reduce((s, v) => s + v, 0) + 4 * tasks);
      try {
        const addr: number[] = [];
        let o = at;
        for (const n of sizes) {
          addr.push(o);
          o += 8 * n;
        }
        const mem = f64();
        mem.set(inter(A, packed), addr[0] / 8);
        mem.set(inter(b, d), addr[1] / 8);
        mem.set(inter(c, 1), addr[2] / 8);
        mem.set(theta, addr[3] / 8);
        i32().set(order, o / 4);
        // Two calls (pair 0, then pairs 1 …), as a block-by-block caller makes them.
        const K = kernels().exports;
        K.packedStatsPairs(addr[0], addr[1], addr[2], 0, 1, d, o, tasks, addr[3], addr[4], addr[5], addr[6]);
        const [a1, b1, c1] = [addr[0] + 16 * packed, addr[1] + 16 * d, addr[2] + 16];
        K.packedStatsPairs(a1, b1, c1, 1, pairs - 1, d, o, tasks, addr[3], addr[4], addr[5], addr[6]);
        const out = f64();
        expect(Array.from(out.subarray(addr[4] / 8, addr[4] / 8 + tasks * d))).toEqual(Array.from(gWant));
        for (let s = 0; s < tasks; s++) expect(out[addr[5] / 8 + s]).toBe(lossWant[order[s]]);
      } finally {
        unpin(at);
      }
    },
  );
});

describe("rowsResidual", () => {
  it("gives the JS bits (dotAt's four sums, axpyAt's update, row by row) for odd and even m and d", () => {
    const rng = new TestRng(41);
    for (const m of [1, 2, 3, 6, 7]) {
      for (const d of [1, 2, 3, 4, 5, 7, 8, 13]) {
        const X = randn(m, d, rng).data;
        const v = randn(1, d, rng).data;
        const e = randn(1, m, rng).data;
        for (const withNoise of [false, true]) {
          const want = new Float64Array(d);
          for (let j = 0; j < m; j++) {
            let c = dotAt(X, j * d, v, 0, d);
            if (withNoise) c = c - e[j];
            axpyAt(c, X, j * d, want, 0, d);
          }
          for (let i = 0; i < d; i++) want[i] *= 1 / m;
          const base = reserve(8 * (m * d + d + m + d)) / 8;
          const mem = f64();
          mem.set(X, base);
          mem.set(v, base + m * d);
          mem.set(e, base + m * d + d);
          const out = base + m * d + d + m;
          kernels().exports.rowsResidual(
            8 * base,
            m,
            d,
            8 * (base + m * d),
            withNoise ? 8 * (base + m * d + d) : 0,
            8 * out,
          );
          const got = f64().slice(out, out + d);
          for (let i = 0; i < d; i++) expect(Object.is(got[i], want[i]), `m=${m} d=${d} [${i}]`).toBe(true);
        }
      }
    }
  });
});

describe("releaseIdleMemory (a worker between cells)", () => {
  const draws = (seed: number) => stream(key(seed)).fillNormal(new Float64Array(5000));
  const product = () => {
    const rng = new TestRng(7);
    const a = randn(37, 53, rng);
    const b = randn(53, 29, rng);
    const c = zeros(37, 29);
    gemm(false, false, 1, a, b, 0, c);
    return c.data;
  };

  it("keeps an instance under the limit or with a block pinned, and drops a grown idle one: the fresh instance is small and gives the same bits", () => {
    const before = { normals: draws(3), product: product() };
    expect(releaseIdleMemory(2 ** 40)).toBe(false);
    const first = kernels();
    reserve(96 * 2 ** 20);
    const grown = memoryBytes();
    expect(grown).toBeGreaterThan(96 * 2 ** 20);
    const at = pin(64);
    expect(releaseIdleMemory(2 ** 20)).toBe(false);
    expect(kernels()).toBe(first);
    unpin(at);
    expect(releaseIdleMemory(2 ** 20)).toBe(true);
    expect(kernels()).not.toBe(first);
    expect(memoryBytes()).toBeLessThan(grown);
    // The generator's tables are written into the new instance: the same draws, the same products.
    expect(draws(3)).toEqual(before.normals);
    expect(product()).toEqual(before.product);
  });
});
