import { describe, expect, test } from "vitest";
import { type Mat, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import {
  makeMixture,
  sampleComponents,
  sampleMixturePartMoments,
  sampleMixtureTasks,
} from "../../models/mixedLinearRegression.js";
import { key } from "../../rng/key.js";
import {
  medianProjectedDistances,
  projectedDistanceError,
  projectPartMoments,
  projectParts,
} from "./projectedDistances.js";
import { partMoments } from "./subspace.js";

function columnsOf(W: Mat): Mat {
  const out = zeros(W.cols, W.rows);
  for (let l = 0; l < W.rows; l++)
    for (let i = 0; i < W.cols; i++) out.data[i * W.rows + l] = W.data[l * W.cols + i];
  return out;
}

/** (β̂ᵢ⁽ᵃ⁾ − β̂ⱼ⁽ᵃ⁾)ᵀ ÛÛᵀ (β̂ᵢ⁽ᵇ⁾ − β̂ⱼ⁽ᵇ⁾) computed in R^d, the naive way. */
function naiveEstimate(Ba: Mat, Bb: Mat, U: Mat, i: number, j: number): number {
  const { rows: d, cols: k } = U;
  let s = 0;
  for (let c = 0; c < k; c++) {
    let pa = 0;
    let pb = 0;
    for (let q = 0; q < d; q++) {
      pa += U.data[q * k + c] * (Ba.data[i * d + q] - Ba.data[j * d + q]);
      pb += U.data[q * k + c] * (Bb.data[i * d + q] - Bb.data[j * d + q]);
    }
    s += pa * pb;
  }
  return s;
}

/** Bits of a double, so that −0 and NaN payloads compare exactly too. */
function bits(x: Float64Array): bigint[] {
  return Array.from(new BigUint64Array(x.buffer, x.byteOffset, x.length));
}

describe("part moments formed where X is drawn", () => {
  test("sampleMixturePartMoments equals partMoments of sampleMixtureTasks bit for bit (odd and even d, part sizes off the four-example step, unequal noise and weights)", () => {
    const cases: [number, number, number, number, number, number][] = [
      // d, k, n, t, parts, partSize
      [5, 4, 32, 2, 2, 1],
      [5, 4, 32, 14, 2, 7],
      [9, 8, 11, 40, 3, 13],
      [8, 3, 6, 9, 1, 8],
      [33, 32, 17, 22, 2, 11],
      [65, 64, 9, 16, 2, 8],
    ];
    for (const [d, k, n, t, parts, partSize] of cases) {
      const Wc = sampleComponents(key(d), d, k, "orthonormal");
      const s = Array.from({ length: k }, (_, l) => 0.5 + l / k);
      const p = Array.from({ length: k }, (_, l) => (l + 1) / ((k * (k + 1)) / 2));
      const m = makeMixture(Wc, s, p);
      const kk = key(100 + d + t);
      const batch = sampleMixtureTasks(m, n, t, kk);
      const got = sampleMixturePartMoments(m, n, t, parts, partSize, kk);
      expect(Array.from(got.ids)).toEqual(Array.from(batch.ids));
      const want = new Float64Array(n * parts * d);
      for (let q = 0; q < parts; q++) {
        const pm = partMoments(batch, q * partSize, (q + 1) * partSize).data;
        for (let i = 0; i < n; i++) want.set(pm.subarray(i * d, (i + 1) * d), (i * parts + q) * d);
      }
      expect(bits(got.moments)).toEqual(bits(want));
      const Uc = orthonormalize(columnsOf(Wc));
      const a = projectPartMoments(n, parts, got.moments, Uc);
      const b = projectParts(batch, Uc, parts, partSize);
      expect([a.n, a.parts, a.k]).toEqual([b.n, b.parts, b.k]);
      expect(bits(a.data)).toEqual(bits(b.data));
    }
  });

  test("bad sizes are named", () => {
    const m = makeMixture(sampleComponents(key(3), 5, 2, "orthonormal"), 1);
    expect(() => sampleMixturePartMoments(m, 4, 6, 2, 4, key(1))).toThrow(/parts/);
    expect(() => sampleMixturePartMoments(m, 4, 6, 0, 2, key(1))).toThrow(/parts/);
    expect(() => sampleMixturePartMoments(m, 4, 6, 2, 1.5, key(1))).toThrow(/partSize/);
    expect(() => projectPartMoments(4, 2, new Float64Array(7), zeros(5, 2))).toThrow(/moments/);
  });
});

describe("median-of-L projected distances", () => {
  const W = sampleComponents(key(1), 8, 3, "orthonormal");
  const mix = makeMixture(W, 1);
  const U = orthonormalize(columnsOf(W));

  test("L = 1 is the split-sample estimate; L = 3 the median of three, each checked against the naive formula", () => {
    const heavy = sampleMixtureTasks(mix, 7, 6 * 5, key(2));
    const parts = [0, 1, 2, 3, 4, 5].map((q) => partMoments(heavy, q * 5, (q + 1) * 5));
    const proj = projectParts(heavy, U, 6, 5);
    const H1 = medianProjectedDistances(proj, 1);
    const H3 = medianProjectedDistances(proj, 3);
    for (let i = 0; i < 7; i++) {
      expect(H1[i * 7 + i]).toBe(0);
      for (let j = 0; j < 7; j++) {
        if (i === j) continue;
        expect(H1[i * 7 + j]).toBeCloseTo(naiveEstimate(parts[0], parts[1], U, i, j), 12);
        const three = [0, 1, 2]
          .map((l) => naiveEstimate(parts[2 * l], parts[2 * l + 1], U, i, j))
          .sort((a, b) => a - b);
        expect(H3[i * 7 + j]).toBeCloseTo(three[1], 12);
        expect(H3[j * 7 + i]).toBe(H3[i * 7 + j]);
      }
    }
  });

  test("H is unbiased for ‖Ûᵀ(wᵢ − wⱼ)‖² (averaged over many pairs, within 5 standard errors)", () => {
    const n = 300;
    const heavy = sampleMixtureTasks(mix, n, 2 * 4, key(3));
    const H = medianProjectedDistances(projectParts(heavy, U, 2, 4), 1);
    const sums = [0, 0];
    const sq = [0, 0];
    const counts = [0, 0];
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const same = heavy.ids[i] === heavy.ids[j] ? 0 : 1;
        sums[same] += H[i * n + j];
        sq[same] += H[i * n + j] ** 2;
        counts[same]++;
      }
    // Pairs share tasks, so the effective sample is about n, not n²: use n for the standard error.
    for (const [s, truth] of [
      [0, 0],
      [1, 2],
    ]) {
      const mean = sums[s] / counts[s];
      const sd = Math.sqrt(sq[s] / counts[s] - mean * mean);
      expect(Math.abs(mean - truth)).toBeLessThan((5 * sd) / Math.sqrt(n));
    }
  });

  test("its error shrinks with more examples per part (≈ 1/t)", () => {
    const err = [4, 64].map((t) => {
      const heavy = sampleMixtureTasks(mix, 60, 2 * t, key(t));
      return projectedDistanceError(
        medianProjectedDistances(projectParts(heavy, U, 2, t), 1),
        heavy.ids,
        U,
        W,
      );
    });
    expect(err[1] / err[0]).toBeLessThan(0.2);
  });

  test("bad input: L < 1, or more parts than the task holds", () => {
    const heavy = sampleMixtureTasks(mix, 4, 4, key(4));
    const proj = projectParts(heavy, U, 2, 2);
    expect(() => medianProjectedDistances(proj, 0)).toThrow(/"L" must be an integer ≥ 1; got 0/);
    expect(() => medianProjectedDistances(proj, 2)).toThrow(/"L" must be ≤ parts\/2 = 1; got 2/);
    expect(() => projectParts(heavy, U, 4, 2)).toThrow(/"parts" × partSize must fit/);
  });
});

describe("medianProjectedDistances: the products in the wasm GEMM", () => {
  /** The per-pair loop the GEMM replaced: G_l[i][j] = a_i·c_j summed from 0 in index order. */
  function literal(data: Float64Array, n: number, parts: number, k: number, L: number): Float64Array {
    const H = new Float64Array(n * n);
    const dot = (i: number, qi: number, j: number, qj: number) => {
      let s = 0;
      for (let c = 0; c < k; c++) s += data[(i * parts + qi) * k + c] * data[(j * parts + qj) * k + c];
      return s;
    };
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const vals = new Float64Array(L);
        for (let l = 0; l < L; l++)
          vals[l] =
            dot(i, 2 * l, i, 2 * l + 1) +
            dot(j, 2 * l, j, 2 * l + 1) -
            dot(i, 2 * l, j, 2 * l + 1) -
            dot(j, 2 * l, i, 2 * l + 1);
        vals.sort();
        const m = L >> 1;
        const h = L % 2 === 1 ? vals[m] : 0.5 * (vals[m - 1] + vals[m]);
        H[i * n + j] = h;
        H[j * n + i] = h;
      }
    return H;
  }

  test.each([
    [37, 1, 1],
    [50, 7, 2],
    [23, 64, 3],
    [9, 128, 1],
    [11, 130, 2], // past the GEMM's one-pass depth: the loop
  ])("n = %i, k = %i, L = %i: the same bits as the per-pair loop", (n, k, L) => {
    const parts = 2 * L + 1;
    const data = new Float64Array(n * parts * k);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(1.7 * i + n) * 3 + Math.cos(i * i) * 1e-3;
    const H = medianProjectedDistances({ n, parts, k, data }, L);
    expect(Array.from(H)).toEqual(Array.from(literal(data, n, parts, k, L)));
  });
});
