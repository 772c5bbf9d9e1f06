import { describe, expect, test } from "vitest";
import { ParamError } from "../errors.js";
import { fromRows, zeros } from "../linalg/mat.js";
import { dotAt } from "../linalg/vector.js";
import { foldIn, key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import {
  cumulativeProbabilities,
  drawComponent,
  halfMomentsOf,
  linearMixtureTruth,
  makeMixture,
  sampleComponents,
  sampleMixtureHalfMoments,
  sampleMixtureTasks,
  separation,
} from "./mixedLinearRegression.js";

function rowDistance(W: { cols: number; data: Float64Array }, a: number, b: number): number {
  let s = 0;
  for (let i = 0; i < W.cols; i++) s += (W.data[a * W.cols + i] - W.data[b * W.cols + i]) ** 2;
  return Math.sqrt(s);
}

describe("component layouts", () => {
  test("orthonormal rows are orthonormal, so every pair is √2 apart", () => {
    const W = sampleComponents(key(1), 12, 5, "orthonormal");
    for (let a = 0; a < 5; a++)
      for (let b = 0; b < 5; b++) {
        let dot = 0;
        for (let i = 0; i < 12; i++) dot += W.data[a * 12 + i] * W.data[b * 12 + i];
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
      }
    expect(separation(W)).toBeCloseTo(Math.SQRT2, 12);
  });

  test("the separated layout puts every pair exactly Δ apart", () => {
    const W = sampleComponents(key(2), 10, 4, "separated", 0.3);
    for (let a = 0; a < 4; a++)
      for (let b = a + 1; b < 4; b++) expect(rowDistance(W, a, b)).toBeCloseTo(0.3, 12);
  });

  test("gaussian components have E‖w‖² = 1 (entries N(0, 1/d))", () => {
    const W = sampleComponents(key(3), 400, 200, "gaussian");
    let s = 0;
    for (const v of W.data) s += v * v;
    // Σ of 80 000 squared N(0, 1/400): mean 200, sd √(2·80000)/400 = 1.
    expect(Math.abs(s / 200 - 1)).toBeLessThan(5 / 200);
  });
});

describe("sampling tasks", () => {
  const W = sampleComponents(key(4), 6, 3, "orthonormal");
  const mix = makeMixture(W, [0.5, 1, 2], [0.2, 0.3, 0.5]);

  test("components are drawn with probabilities p (within 4 standard errors)", () => {
    const n = 40000;
    const b = sampleMixtureTasks(mix, n, 1, key(5));
    const counts = [0, 0, 0];
    for (const id of b.ids) counts[id]++;
    [0.2, 0.3, 0.5].forEach((p, l) => {
      expect(Math.abs(counts[l] / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    });
  });

  test("labels follow the component's regression: E[x y] = w_ℓ and E y² = ‖w_ℓ‖² + s_ℓ²", () => {
    const n = 3000;
    const t = 20;
    const b = sampleMixtureTasks(mix, n, t, key(6));
    for (let l = 0; l < 3; l++) {
      const xy = new Float64Array(6);
      let y2 = 0;
      let m = 0;
      for (let i = 0; i < n; i++) {
        if (b.ids[i] !== l) continue;
        for (let j = 0; j < t; j++) {
          const r = i * t + j;
          y2 += b.y[r] ** 2;
          for (let q = 0; q < 6; q++) xy[q] += b.X[r * 6 + q] * b.y[r];
          m++;
        }
      }
      const ey2 = 1 + mix.s[l] ** 2;
      expect(Math.abs(y2 / m - ey2)).toBeLessThan(5 * Math.sqrt((2 * ey2 * ey2) / m));
      for (let q = 0; q < 6; q++) {
        // Var(x_q y) ≤ E y² + w_q² for Gaussian x.
        expect(Math.abs(xy[q] / m - W.data[l * 6 + q])).toBeLessThan(5 * Math.sqrt((ey2 + 1) / m));
      }
    }
  });

  test("the same key gives the same batch; another key another", () => {
    const a = sampleMixtureTasks(mix, 5, 4, foldIn(key(7), 1));
    const b = sampleMixtureTasks(mix, 5, 4, foldIn(key(7), 1));
    const c = sampleMixtureTasks(mix, 5, 4, foldIn(key(7), 2));
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(Array.from(a.X)).toEqual(Array.from(b.X));
    expect(Array.from(a.y)).not.toEqual(Array.from(c.y));
  });

  test.each([
    [3, 1, 3],
    [7, 5, 6],
    [4, 3, 13],
    [2, 40, 32],
  ])(
    "n = %i tasks of t = %i, d = %i: the draws in order (components, X, noise) and y = dotAt(x, w_ℓ) + s_ℓ·noise, bit for bit",
    (n, t, d) => {
      const mixd = makeMixture(sampleComponents(key(d), d, 2, "gaussian"), [0.3, 1.7]);
      const b = sampleMixtureTasks(mixd, n, t, key(100 + n));
      const st = stream(key(100 + n));
      const cum = cumulativeProbabilities(mixd.p);
      const ids = Int32Array.from({ length: n }, () => drawComponent(cum, st.uniform()));
      const X = st.fillNormal(new Float64Array(n * t * d));
      const y = st.fillNormal(new Float64Array(n * t));
      for (let r = 0; r < n * t; r++) {
        const l = ids[Math.floor(r / t)];
        y[r] = dotAt(X, r * d, mixd.W.data, l * d, d) + mixd.s[l] * y[r];
      }
      expect(Array.from(b.ids)).toEqual(Array.from(ids));
      for (let e = 0; e < X.length; e++) expect(Object.is(b.X[e], X[e])).toBe(true);
      for (let r = 0; r < y.length; r++) expect(Object.is(b.y[r], y[r]), `y[${r}]`).toBe(true);
    },
  );

  test("ρ² = max_ℓ (s_ℓ² + ‖w_ℓ‖²)", () => {
    expect(linearMixtureTruth(mix).rho).toBeCloseTo(Math.sqrt(1 + 4), 12);
  });
});

/** β̂ of each half from a batch (first ⌊t/2⌋ examples, then the rest), computed directly. */
function halfMoments(b: ReturnType<typeof sampleMixtureTasks>) {
  const m1 = Math.floor(b.t / 2);
  const B1 = zeros(b.n, b.d);
  const B2 = zeros(b.n, b.d);
  for (let i = 0; i < b.n; i++)
    for (let j = 0; j < b.t; j++) {
      const [B, m] = j < m1 ? [B1, m1] : [B2, b.t - m1];
      const r = i * b.t + j;
      for (let q = 0; q < b.d; q++) B.data[i * b.d + q] += (b.y[r] * b.X[r * b.d + q]) / m;
    }
  return { B1, B2 };
}

/** Two-sample Kolmogorov–Smirnov statistic. */
function ks(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let worst = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    worst = Math.max(worst, Math.abs(i / x.length - j / y.length));
  }
  return worst;
}

describe("the projected half-moment sampler (exact in distribution, no X)", () => {
  test("its kernel gives the JS loop's bits (halfMomentsOf on one fill of n·(2t + 2d) normals), across chunks, odd t and d, a zero component", () => {
    const bits = (x: Float64Array) => Array.from(new BigUint64Array(x.buffer, x.byteOffset, x.length));
    for (const [d, k, n, t] of [
      [5, 2, 5000, 2],
      [5, 3, 700, 3],
      [32, 4, 1500, 8],
      [33, 4, 300, 17],
    ] as const) {
      const W = sampleComponents(key(d + t), d, k, "gaussian");
      if (t === 3) W.data.fill(0, 0, d); // ω = 0: c = 0, u = 0
      const s = Array.from({ length: k }, (_, l) => 0.3 + 0.4 * l);
      const p = Array.from({ length: k }, (_, l) => (l + 1) / ((k * (k + 1)) / 2));
      const m = makeMixture(W, s, p);
      const kk = key(40 + n);
      const got = sampleMixtureHalfMoments(m, n, t, kk);
      // Reference: the same stream, drawn in one fill, reduced in JS.
      const st = stream(kk);
      const cum = cumulativeProbabilities(m.p);
      const ids = new Int32Array(n);
      for (let i = 0; i < n; i++) ids[i] = drawComponent(cum, st.uniform());
      const per = 2 * t + 2 * d;
      const z = st.fillNormal(new Float64Array(n * per));
      const norms = new Float64Array(k);
      const u = new Float64Array(k * d);
      for (let l = 0; l < k; l++) {
        let w2 = 0;
        for (let q = 0; q < d; q++) w2 += W.data[l * d + q] ** 2;
        norms[l] = Math.sqrt(w2);
        for (let q = 0; q < d; q++) u[l * d + q] = norms[l] > 0 ? W.data[l * d + q] / norms[l] : 0;
      }
      const B1 = new Float64Array(n * d);
      const B2 = new Float64Array(n * d);
      for (let i = 0; i < n; i++) {
        const l = ids[i];
        halfMomentsOf(z, i * per, t, d, u, l * d, norms[l], m.s[l], B1, B2, i * d);
      }
      expect(Array.from(got.ids)).toEqual(Array.from(ids));
      expect(bits(got.B1.data)).toEqual(bits(B1));
      expect(bits(got.B2.data)).toEqual(bits(B2));
    }
  });

  // Component 0: ‖w‖ = 1.5, s = 0.7; component 1: w = 0 (the degenerate direction), s = 1.2.
  const W = fromRows([
    [0.9, -1.2, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
  ]);
  const mix = makeMixture(W, [0.7, 1.2], [0.5, 0.5]);
  const n = 16000;
  const direct = halfMoments(sampleMixtureTasks(mix, n, 5, key(10)));
  const directIds = sampleMixtureTasks(mix, n, 5, key(10)).ids;
  const projected = sampleMixtureHalfMoments(mix, n, 5, key(11));

  test("β̂ of a half of m examples has mean w and covariance ((‖w‖² + s²)I + wwᵀ)/m, for both samplers", () => {
    for (const [B, ids] of [
      [direct.B2, directIds],
      [projected.B2, projected.ids],
    ] as const) {
      for (let l = 0; l < 2; l++) {
        const rows: number[] = [];
        for (let i = 0; i < n; i++) if (ids[i] === l) rows.push(i);
        const m = 3; // second half: ⌈5/2⌉ examples
        const w2 = l === 0 ? 2.25 : 0;
        const s2 = l === 0 ? 0.49 : 1.44;
        for (let a = 0; a < 3; a++) {
          const wa = W.data[l * 6 + a];
          let mean = 0;
          for (const i of rows) mean += B.data[i * 6 + a];
          mean /= rows.length;
          const variance = (w2 + s2 + wa * wa) / m;
          expect(Math.abs(mean - wa)).toBeLessThan(5 * Math.sqrt(variance / rows.length));
          let v = 0;
          for (const i of rows) v += (B.data[i * 6 + a] - wa) ** 2;
          // Var of a sample variance ≈ 2σ⁴/N for near-Gaussian β̂ (looser: it is not Gaussian).
          expect(Math.abs(v / rows.length / variance - 1)).toBeLessThan(0.12);
        }
      }
    }
  });

  test("two-sample KS between the samplers: ‖β̂‖², β̂·w and β̂₁·β̂₂ agree (D below the 0.1% critical value)", () => {
    const stat = (
      B1: typeof direct.B1,
      B2: typeof direct.B1,
      f: (i: number, b1: Float64Array, b2: Float64Array) => number,
    ) =>
      Array.from({ length: n }, (_, i) =>
        f(i, B1.data.subarray(i * 6, i * 6 + 6), B2.data.subarray(i * 6, i * 6 + 6)),
      );
    const fs: ((i: number, b1: Float64Array, b2: Float64Array) => number)[] = [
      (_i, b1) => b1.reduce((s, v) => s + v * v, 0),
      (_i, _b1, b2) => 0.9 * b2[0] - 1.2 * b2[1],
      (_i, b1, b2) => b1.reduce((s, v, q) => s + v * b2[q], 0),
    ];
    const critical = 1.95 * Math.sqrt(2 / n);
    for (const f of fs)
      expect(ks(stat(direct.B1, direct.B2, f), stat(projected.B1, projected.B2, f))).toBeLessThan(critical);
  });
});

describe("bad input is one line naming the parameter, the constraint and the value", () => {
  const W = fromRows([
    [1, 0, 0],
    [0, 1, 0],
  ]);
  test.each([
    [
      "k ≥ d",
      () =>
        makeMixture(
          fromRows([
            [1, 0],
            [0, 1],
          ]),
          1,
        ),
      /"k" must be < d \(= 2\); got 2/,
    ],
    [
      "p not summing to 1",
      () => makeMixture(W, 1, [0.5, 0.3]),
      /"p" must sum to 1 \(sum is 0\.8\); got \[0\.5,0\.3\]/,
    ],
    ["p of the wrong length", () => makeMixture(W, 1, [1]), /"p" must have k = 2 entries; got \[1\]/],
    ["negative noise", () => makeMixture(W, -1), /"s" must be finite and ≥ 0; got -1/],
    ["unknown layout", () => sampleComponents(key(0), 4, 2, "nope" as "gaussian"), /"layout" must be one of/],
  ])("%s", (_name, f, message) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParamError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
  });
});
