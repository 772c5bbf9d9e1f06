import { describe, expect, test } from "vitest";
import { lstsq } from "../linalg/lstsq.js";
import { matFrom } from "../linalg/mat.js";
import { key } from "../rng/key.js";
import {
  chebyshevFeatures,
  gaussLegendre,
  makeSineMixture,
  sampleSineComponents,
  sampleSineTasks,
  sineMixtureTruth,
  sineOracleMse,
  sineValue,
} from "./sineMixture.js";

describe("Chebyshev features and quadrature", () => {
  test("T_j(x) = cos(j·arccos x) on [−1, 1]", () => {
    const out = new Float64Array(20);
    for (const x of [-1, -0.73, -0.1, 0, 0.42, 0.99, 1]) {
      chebyshevFeatures(x, 20, out);
      for (let j = 0; j < 20; j++) expect(out[j]).toBeCloseTo(Math.cos(j * Math.acos(x)), 11);
    }
  });

  test("Gauss–Legendre with m nodes integrates x^p exactly for p ≤ 2m − 1", () => {
    const { nodes, weights } = gaussLegendre(12);
    for (let p = 0; p <= 23; p++) {
      let s = 0;
      for (let i = 0; i < 12; i++) s += weights[i] * nodes[i] ** p;
      expect(s).toBeCloseTo(p % 2 === 1 ? 0 : 2 / (p + 1), 13);
    }
  });
});

describe("sine mixture", () => {
  const sine = makeSineMixture(10, sampleSineComponents(key(1), 3), 0.2);
  const truth = sineMixtureTruth(sine);

  test("labels are the component's sine plus noise of std s (x is feature column 1)", () => {
    const b = sampleSineTasks(sine, 400, 50, key(2));
    let s2 = 0;
    for (let r = 0; r < b.y.length; r++)
      s2 += (b.y[r] - sineValue(sine, b.ids[Math.floor(r / 50)], b.X[r * 10 + 1])) ** 2;
    const m = b.y.length;
    expect(Math.abs(s2 / m - 0.04)).toBeLessThan(5 * 0.04 * Math.sqrt(2 / m));
    expect(sineOracleMse(sine, b)).toBeCloseTo(s2 / m, 12);
    for (let r = 0; r < b.y.length; r++) expect(Math.abs(b.X[r * 10 + 1])).toBeLessThanOrEqual(1);
  });

  test("the sampler's noiseless values are the sines of feature column 1; the oracle's MSE from them has the recomputed bits", () => {
    const b = sampleSineTasks(sine, 37, 9, key(12));
    for (let r = 0; r < b.y.length; r++) {
      expect(Object.is(b.f[r], sineValue(sine, b.ids[Math.floor(r / 9)], b.X[r * 10 + 1]))).toBe(true);
    }
    const { f: _f, ...plain } = b;
    for (const [from, to] of [
      [0, 9],
      [4, 9],
    ]) {
      expect(Object.is(sineOracleMse(sine, b, from, to), sineOracleMse(sine, plain, from, to))).toBe(true);
    }
  });

  test("the quadrature truth matches Monte Carlo: V = E[φ y] and W = least-squares fit on many samples", () => {
    const n = 20000;
    const b = sampleSineTasks(sine, n, 4, key(3));
    for (let l = 0; l < 3; l++) {
      const rows: number[] = [];
      const ys: number[] = [];
      const mean = new Float64Array(10);
      for (let i = 0; i < n; i++) {
        if (b.ids[i] !== l) continue;
        for (let j = 0; j < 4; j++) {
          const r = i * 4 + j;
          for (let q = 0; q < 10; q++) {
            rows.push(b.X[r * 10 + q]);
            mean[q] += b.X[r * 10 + q] * b.y[r];
          }
          ys.push(b.y[r]);
        }
      }
      const m = ys.length;
      for (let q = 0; q < 10; q++)
        expect(Math.abs(mean[q] / m - truth.V.data[l * 10 + q])).toBeLessThan(5 * Math.sqrt(1.1 / m));
      const fit = lstsq(matFrom(m, 10, Float64Array.from(rows)), Float64Array.from(ys)).x;
      let err = 0;
      for (let q = 0; q < 10; q++) err = Math.max(err, Math.abs(fit[q] - truth.W.data[l * 10 + q]));
      expect(err).toBeLessThan(0.05);
    }
  });

  test("W is the population least-squares fit: the residual f − wᵀφ is orthogonal to every feature, and tiny at d = 16", () => {
    const { nodes, weights } = gaussLegendre(300);
    const check = (m: typeof sine, tr: typeof truth) => {
      const d = m.d;
      const phi = new Float64Array(d);
      let worst = 0;
      for (let l = 0; l < m.k; l++) {
        const g = new Float64Array(d);
        let e = 0;
        for (let i = 0; i < 300; i++) {
          chebyshevFeatures(nodes[i], d, phi);
          let pred = 0;
          for (let q = 0; q < d; q++) pred += phi[q] * tr.W.data[l * d + q];
          const r = sineValue(m, l, nodes[i]) - pred;
          for (let q = 0; q < d; q++) g[q] += (weights[i] / 2) * phi[q] * r;
          e += (weights[i] / 2) * r * r;
        }
        for (let q = 0; q < d; q++) expect(Math.abs(g[q])).toBeLessThan(1e-12);
        worst = Math.max(worst, e);
      }
      return worst;
    };
    const e10 = check(sine, truth);
    const sine16 = makeSineMixture(16, { freq: sine.freq, phase: sine.phase }, 0.2);
    const e16 = check(sine16, sineMixtureTruth(sine16));
    // Chebyshev coefficients of sin(2πΩx + φ) decay like J_j(2πΩ): fast once j > 2πΩ ≈ 6.
    expect(e10).toBeLessThan(1e-3);
    expect(e16).toBeLessThan(1e-10);
  });

  test("bad input names the parameter, constraint and value", () => {
    expect(() => makeSineMixture(3, sampleSineComponents(key(0), 3), 0.1)).toThrow(
      /"k" must be < d \(= 3\); got 3/,
    );
    expect(() => makeSineMixture(8, sampleSineComponents(key(0), 2), 0.1, [0.9, 0.2])).toThrow(
      /"p" must sum to 1/,
    );
    expect(() => sampleSineComponents(key(0), 2, 1, 0.5)).toThrow(/"freqMax" must be finite and ≥ freqMin/);
  });
});
