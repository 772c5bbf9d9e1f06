import { describe, expect, test } from "vitest";
import { fromRows, zeros } from "../linalg/mat.js";
import { foldIn, key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import {
  type MixtureTaskBatch,
  makeMixture,
  sampleComponents,
  sampleMixtureTasks,
} from "./mixedLinearRegression.js";
import {
  labelledSums,
  type NormalEquations,
  revealedBasis,
  revealNormalEquations,
  sampleGamma,
  sampleMixtureProjectedTasks,
  sampleWishart,
} from "./mixtureProjected.js";

function meanVar(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length];
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

/** Direct sums Σxxᵀ, Σxy, Σy² of the rows of the tasks labelled g (oracle for the projected path). */
function directNormalEquations(b: MixtureTaskBatch, labels: Int32Array, g: number): NormalEquations {
  const G = zeros(b.d, b.d);
  const v = new Float64Array(b.d);
  let yy = 0;
  let rows = 0;
  for (let i = 0; i < b.n; i++) {
    if (labels[i] !== g) continue;
    for (let j = 0; j < b.t; j++) {
      const r = i * b.t + j;
      for (let p = 0; p < b.d; p++) {
        v[p] += b.X[r * b.d + p] * b.y[r];
        for (let q = 0; q < b.d; q++) G.data[p * b.d + q] += b.X[r * b.d + p] * b.X[r * b.d + q];
      }
      yy += b.y[r] ** 2;
      rows++;
    }
  }
  return { G, b: v, yy, rows };
}

function solve(ne: NormalEquations): Float64Array {
  // Tiny Gaussian elimination (oracle-free enough for a statistic: both paths use it).
  const d = ne.G.rows;
  const A = ne.G.data.slice();
  const x = ne.b.slice();
  for (let c = 0; c < d; c++) {
    for (let r = c + 1; r < d; r++) {
      const f = A[r * d + c] / A[c * d + c];
      for (let k = c; k < d; k++) A[r * d + k] -= f * A[c * d + k];
      x[r] -= f * x[c];
    }
  }
  for (let c = d - 1; c >= 0; c--) {
    for (let k = c + 1; k < d; k++) x[c] -= A[c * d + k] * x[k];
    x[c] /= A[c * d + c];
  }
  return x;
}

describe("gamma and Wishart samplers", () => {
  test.each([0.4, 3, 500])("Gamma(%s) has mean and variance equal to its shape", (shape) => {
    const st = stream(key(1));
    const xs = Array.from({ length: 20000 }, () => sampleGamma(st, shape));
    const [m, v] = meanVar(xs);
    expect(Math.abs(m - shape)).toBeLessThan(5 * Math.sqrt(shape / 20000));
    expect(Math.abs(v / shape - 1)).toBeLessThan(0.06);
  });

  test("Wishart_3(I, 7): E W = 7I, Var W_ii = 14, Var W_ij = 7", () => {
    const st = stream(key(2));
    const draws = Array.from({ length: 20000 }, () => sampleWishart(st, 3, 7));
    for (const [i, j, mean, variance] of [
      [0, 0, 7, 14],
      [2, 2, 7, 14],
      [0, 1, 0, 7],
      [1, 2, 0, 7],
    ]) {
      const [m, v] = meanVar(draws.map((w) => w[i * 3 + j]));
      expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(variance / 20000));
      expect(Math.abs(v / variance - 1)).toBeLessThan(0.06);
    }
  });
});

describe("tasks revealed along the touched directions", () => {
  const W = sampleComponents(key(3), 8, 2, "orthonormal");
  const mix = makeMixture(W, [0.5, 1.5]);
  const dirs = fromRows([[1, 1, 0, 0, 0, 0, 0, 0]]);

  test("V and its complement Q are orthonormal, orthogonal, and V spans the directions and the components", () => {
    const { V, Q } = revealedBasis(8, dirs, W);
    expect(V.cols + Q.cols).toBe(8);
    for (const [A, B] of [
      [V, V],
      [Q, Q],
      [V, Q],
    ] as const)
      for (let a = 0; a < A.cols; a++)
        for (let b = 0; b < B.cols; b++) {
          let s = 0;
          for (let i = 0; i < 8; i++) s += A.data[i * A.cols + a] * B.data[i * B.cols + b];
          expect(s).toBeCloseTo(A === B && a === b ? 1 : 0, 12);
        }
    for (const row of [dirs.data, W.data.subarray(0, 8), W.data.subarray(8, 16)]) {
      let inside = 0;
      let total = 0;
      for (let a = 0; a < V.cols; a++) {
        let s = 0;
        for (let i = 0; i < 8; i++) s += V.data[i * V.cols + a] * row[i];
        inside += s * s;
      }
      for (const v of row) total += v * v;
      expect(inside).toBeCloseTo(total, 12);
    }
  });

  test("labelledSums gives the bits of the row-by-row accumulation (odd and even q, ranges, labels)", () => {
    for (const nd of [1, 2, 3]) {
      const dirsN = fromRows(Array.from({ length: nd }, (_, r) => [1, r, 0, 2, 0, 0, 1, -r]));
      const pb = sampleMixtureProjectedTasks(mix, 23, 6, dirsN, key(40 + nd));
      const labels = Int32Array.from({ length: 23 }, (_, i) => (i * 7) % 3);
      for (const [from, to] of [
        [0, 6],
        [1, 4],
        [5, 6],
      ]) {
        const { q, P, y } = pb;
        const f = q + 1;
        const want = [0, 1, 2].map(() => new Float64Array(f * f));
        for (let i = 0; i < 23; i++) {
          const F = want[labels[i]];
          for (let j = from; j < to; j++) {
            const r = i * 6 + j;
            for (let a = 0; a < q; a++) {
              for (let b = 0; b <= a; b++) F[a * f + b] += P[r * q + a] * P[r * q + b];
              F[q * f + a] += y[r] * P[r * q + a];
            }
            F[q * f + q] += y[r] * y[r];
          }
        }
        const got = labelledSums(pb, labels, 3, from, to);
        for (let g = 0; g < 3; g++) {
          for (let e = 0; e < f * f; e++)
            expect(Object.is(got.FtFs[g][e], want[g][e]), `q=${q} [${e}]`).toBe(true);
          expect(got.counts[g]).toBe(labels.filter((l) => l === g).length * (to - from));
        }
      }
    }
  });

  test("the revealed block of the sums is exact: VᵀGV = ΣppᵀT, Vᵀb = Σpy, yy = Σy²", () => {
    const pb = sampleMixtureProjectedTasks(mix, 40, 4, dirs, key(4));
    const ne = revealNormalEquations(pb, pb.ids, 2, key(5));
    const { V, q, P, y } = pb;
    for (let g = 0; g < 2; g++) {
      const PtP = new Float64Array(q * q);
      const Pty = new Float64Array(q);
      let yy = 0;
      for (let i = 0; i < 40; i++) {
        if (pb.ids[i] !== g) continue;
        for (let j = 0; j < 4; j++) {
          const r = i * 4 + j;
          yy += y[r] ** 2;
          for (let a = 0; a < q; a++) {
            Pty[a] += P[r * q + a] * y[r];
            for (let b = 0; b < q; b++) PtP[a * q + b] += P[r * q + a] * P[r * q + b];
          }
        }
      }
      expect(ne[g].yy).toBeCloseTo(yy, 10);
      for (let a = 0; a < q; a++) {
        let vb = 0;
        for (let i = 0; i < 8; i++) vb += V.data[i * q + a] * ne[g].b[i];
        expect(vb).toBeCloseTo(Pty[a], 10);
        for (let b = 0; b < q; b++) {
          let s = 0;
          for (let i = 0; i < 8; i++)
            for (let k = 0; k < 8; k++) s += V.data[i * q + a] * ne[g].G.data[i * 8 + k] * V.data[k * q + b];
          expect(s).toBeCloseTo(PtP[a * q + b], 9);
        }
      }
    }
  });

  test.each([
    ["the Wishart path (≈ 120 rows per label)", 60],
    ["the row-by-row path (< 4(q + 1) = 16 rows per label)", 6],
  ])("%s: the least-squares statistics match direct sampling (KS, 1500 repetitions each)", (_name, n) => {
    const reps = 1500;
    const stats = (direct: boolean) => {
      const out: number[][] = [[], [], [], [], []];
      for (let r = 0; r < reps; r++) {
        const k = foldIn(key(direct ? 6 : 7), r);
        let ne: NormalEquations;
        if (direct) {
          const b = sampleMixtureTasks(mix, n, 4, k);
          ne = directNormalEquations(b, b.ids, 0);
        } else {
          const pb = sampleMixtureProjectedTasks(mix, n, 4, dirs, k);
          ne = revealNormalEquations(pb, pb.ids, 2, foldIn(k, 1))[0];
        }
        if (ne.rows < 9) continue;
        const w = solve(ne);
        out[0].push(w[0]);
        out[1].push(w[7]);
        out[2].push(ne.G.data[7 * 8 + 7] / ne.rows);
        out[3].push(ne.G.data[0 * 8 + 5] / ne.rows);
        out[4].push(ne.b[6] / ne.rows);
      }
      return out;
    };
    const a = stats(true);
    const b = stats(false);
    for (let s = 0; s < a.length; s++) {
      const critical = 1.95 * Math.sqrt(1 / a[s].length + 1 / b[s].length);
      expect(ks(a[s], b[s])).toBeLessThan(critical);
    }
  });
});
