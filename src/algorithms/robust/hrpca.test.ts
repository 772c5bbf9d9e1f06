import { describe, expect, test } from "vitest";
import { fromRows, type Mat } from "../../linalg/mat.js";
import { type Key, key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { sampleCorruptedPcaData } from "./corruptedDistribution.js";
import { hrpca, TrimmedVariance } from "./hrpca.js";
import { keptGram, topEigenvectors } from "./pca.js";
import { quantileInPlace } from "./quantile.js";

/**
 * The literal HRPCA step (the implementation before the reference top set and block Grams): every
 * step projects all n points, takes the quantile over all of them and sums every kept weight.
 */
function hrpcaLiteral(X: Mat, k: number, alpha: number, key: Key, steps: number) {
  const { rows: n, cols: d } = X;
  const st = stream(key);
  const x = X.data;
  const kept = new Uint8Array(n).fill(1);
  const G = keptGram(X, kept);
  const removed: number[] = [];
  const vbars: number[] = [];
  const proj = new Float64Array(n);
  const scratch = new Float64Array(n);
  const weight = new Float64Array(n);
  let best = Number.NEGATIVE_INFINITY;
  let bestU: Mat | null = null;
  let bestStep = 0;
  for (let s = 0; s < steps; s++) {
    const W = topEigenvectors(G, k);
    let vbar = 0;
    let total = 0;
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < n; i++) {
        let p = W.data[c] * x[i * d];
        for (let a = 1; a < d; a++) p += W.data[a * k + c] * x[i * d + a];
        proj[i] = p;
        scratch[i] = Math.abs(p);
      }
      const thr = quantileInPlace(scratch, n, 1 - alpha);
      let sum = 0;
      let cnt = 0;
      for (let i = 0; i < n; i++) {
        const v2 = proj[i] * proj[i];
        if (Math.abs(proj[i]) < thr) {
          sum += v2;
          cnt++;
        }
        const w = kept[i] ? v2 : 0;
        weight[i] = c === 0 ? w : weight[i] + w;
        if (c === k - 1) total += weight[i];
      }
      vbar += cnt > 0 ? sum / cnt : 0;
    }
    vbars.push(vbar);
    if (vbar > best) {
      best = vbar;
      bestU = W;
      bestStep = s;
    }
    const u = st.uniform() * total;
    let acc = 0;
    let pick = -1;
    for (let i = 0; i < n; i++) {
      if (weight[i] === 0) continue;
      acc += weight[i];
      pick = i;
      if (acc > u) break;
    }
    if (pick < 0) break;
    removed.push(pick);
    kept[pick] = 0;
    const o = pick * d;
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) G.data[a * d + b] -= x[o + a] * x[o + b];
  }
  return { U: bestU as Mat, bestStep, removed, vbars };
}

describe("HRPCA with a reference top set and block Grams equals the literal computation", () => {
  test.each([
    // n, d, k, α, steps
    [4000, 10, 1, 0.005, 1000],
    [4000, 10, 1, 0.025, 1000],
    [3000, 6, 2, 0.0125, 750],
    [2000, 5, 3, 0.05, 500],
    [40, 4, 1, 0.2, 39], // M ≥ n: the top set is every point
  ])(
    "n = %i, d = %i, k = %i, α = %f, %i steps: same removed points, best step and W",
    (n, d, k, alpha, steps) => {
      const data = sampleCorruptedPcaData(n, d, alpha, key(n + d + k));
      const fast = hrpca(data.data, k, alpha, key(7), { steps });
      const literal = hrpcaLiteral(data.data, k, alpha, key(7), steps);
      expect(Array.from(fast.removed)).toEqual(literal.removed);
      expect(fast.bestStep).toBe(literal.bestStep);
      expect(Array.from(fast.U.data)).toEqual(Array.from(literal.U.data));
      // The reference was reused on most steps (otherwise this would test nothing new).
      if (n > 100) expect(fast.refreshes).toBeLessThan(steps * k);
      // And V̄'s bound settled some steps without V̄ (their literal V̄ was below the best).
      if (n > 100) expect(fast.skipped).toBeGreaterThan(0);
    },
  );

  test("ties and duplicated points (quantised data): still the literal computation", () => {
    const n = 1500;
    const data = sampleCorruptedPcaData(n, 5, 0.02, key(11));
    const X = data.data;
    for (let i = 0; i < X.data.length; i++) X.data[i] = Math.round(X.data[i] * 2) / 2;
    for (let i = 0; i < 200; i++) X.data.copyWithin((i + 600) * 5, i * 5, (i + 1) * 5);
    const fast = hrpca(X, 1, 0.02, key(12), { steps: 400 });
    const literal = hrpcaLiteral(X, 1, 0.02, key(12), 400);
    expect(Array.from(fast.removed)).toEqual(literal.removed);
    expect(fast.bestStep).toBe(literal.bestStep);
    expect(Array.from(fast.U.data)).toEqual(Array.from(literal.U.data));
  });

  test("a point exactly on the subspace's complement has weight 0 and is never removed", () => {
    const X = fromRows([
      [3, 0, 0],
      [0, 1, 0],
      [2, 0, 0],
      [-1, 0, 0],
      [0, 0, 0.5],
      [1, 0, 0],
    ]);
    const r = hrpca(X, 1, 0.2, key(3), { steps: 4 });
    for (const i of r.removed) expect([0, 2, 3, 5]).toContain(i);
  });
});

describe("V̄'s upper bound", () => {
  test("is ≥ V̄ for directions near and far from the reference, k = 1 and 2, with and without interpolation", () => {
    for (const [n, d, k, alpha] of [
      [3000, 10, 1, 0.025],
      [2001, 6, 2, 0.0125],
      [500, 4, 1, 0.1],
    ] as const) {
      const data = sampleCorruptedPcaData(n, d, alpha, key(n + k));
      const X = data.data;
      const tv = new TrimmedVariance(X, k, alpha, keptGram(X).data);
      try {
        const s = stream(key(9));
        const W = new Float64Array(d * k);
        const fill = (base: Float64Array | null, step: number) => {
          for (let i = 0; i < d * k; i++) W[i] = (base ? base[i] : 0) + step * (s.uniform() - 0.5);
          for (let c = 0; c < k; c++) {
            let nn = 0;
            for (let a = 0; a < d; a++) nn += W[a * k + c] ** 2;
            for (let a = 0; a < d; a++) W[a * k + c] /= Math.sqrt(nn);
          }
        };
        fill(null, 1);
        expect(tv.upperBound(W)).toBe(Number.POSITIVE_INFINITY); // no reference yet
        tv.value(W);
        const ref = W.slice();
        let tight = 0;
        for (let t = 0; t < 300; t++) {
          fill(t % 3 === 0 ? null : ref, t % 3 === 1 ? 0.05 : 0.5);
          const bound = tv.upperBound(W);
          const vbar = tv.value(W);
          expect(bound).toBeGreaterThanOrEqual(vbar * (1 - 1e-12));
          if (bound < 1.05 * vbar) tight++;
        }
        // Near the reference the bound is close (otherwise it would skip nothing).
        expect(tight).toBeGreaterThan(50);
      } finally {
        tv.release();
      }
    }
  });
});
