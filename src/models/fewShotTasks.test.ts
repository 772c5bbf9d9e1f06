import { describe, expect, test } from "vitest";
import { gemm } from "../linalg/gemm.js";
import { zeros } from "../linalg/mat.js";
import { singularValues } from "../linalg/svd.js";
import { key } from "../rng/key.js";
import {
  allocTargetTask,
  conditionSingularValues,
  type FewShotModel,
  fewShotKeys,
  sampleSourceHeads,
  sampleSourceTasks,
  sampleTargetTask,
} from "./fewShotTasks.js";
import { firstTasks } from "./multiTaskData.js";

const model = (over: Partial<FewShotModel> = {}): FewShotModel => ({
  d: 8,
  k: 3,
  sigma: 0.5,
  heads: { kind: "gaussian", scale: 1 },
  ...over,
});

describe("source heads", () => {
  test("the condition design has condition number exactly κ and ‖W*‖²_F/T = k·scale²", () => {
    for (const kappa of [1, 4, 30]) {
      const W = sampleSourceHeads(key(3), 200, 3, { kind: "condition", scale: 2, kappa });
      const s = singularValues(W);
      expect(s[0] / s[2]).toBeCloseTo(kappa, 9);
      let ff = 0;
      for (const v of W.data) ff += v * v;
      expect(ff / 200).toBeCloseTo(3 * 4, 9);
    }
    const sv = conditionSingularValues(4, 8, 1);
    expect(sv[0] / sv[3]).toBeCloseTo(8, 12);
    expect(sv[1] / sv[2]).toBeCloseTo(8 ** (1 / 3), 12);
  });

  test("gaussian heads have covariance scale²·I and scaled heads scale²·I/k (20000 tasks, 4 sd)", () => {
    const T = 20000;
    for (const [kind, variance] of [
      ["gaussian", 4],
      ["scaled", 4 / 3],
    ] as const) {
      const W = sampleSourceHeads(key(1), T, 3, { kind, scale: 2 });
      const C = gemm(true, false, 1 / T, W, W, 0, zeros(3, 3));
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          // sd of a sample second moment of normals: variance·√(2/T) (diagonal), variance/√T (off).
          const sd = variance * (i === j ? Math.sqrt(2 / T) : 1 / Math.sqrt(T));
          expect(Math.abs(C.data[i * 3 + j] - (i === j ? variance : 0))).toBeLessThan(4 * sd);
        }
    }
  });
});

describe("source tasks", () => {
  test("labels are y = ⟨B*w*_t, x⟩ + σz: residual variance σ², rows N(0, I) (4 sd)", () => {
    const m = model({ sigma: 0.5 });
    const src = sampleSourceTasks(m, 200, 50, key(7));
    const { X, y, d } = { ...src.data };
    const N = 200 * 50;
    let rss = 0;
    let xs = 0;
    let xx = 0;
    for (let t = 0; t < 200; t++) {
      const theta = new Float64Array(d);
      for (let a = 0; a < d; a++)
        for (let c = 0; c < 3; c++) theta[a] += src.Bstar.data[a * 3 + c] * src.W.data[t * 3 + c];
      for (let i = t * 50; i < (t + 1) * 50; i++) {
        let pred = 0;
        for (let a = 0; a < d; a++) {
          pred += X[i * d + a] * theta[a];
          xs += X[i * d + a];
          xx += X[i * d + a] ** 2;
        }
        rss += (y[i] - pred) ** 2;
      }
    }
    expect(Math.abs(rss / N - 0.25)).toBeLessThan(4 * 0.25 * Math.sqrt(2 / N));
    expect(Math.abs(xs / (N * d))).toBeLessThan(4 / Math.sqrt(N * d));
    expect(Math.abs(xx / (N * d) - 1)).toBeLessThan(4 * Math.sqrt(2 / (N * d)));
    // B* is orthonormal.
    const G = gemm(true, false, 1, src.Bstar, src.Bstar, 0, zeros(3, 3));
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) expect(G.data[i * 3 + j]).toBeCloseTo(i === j ? 1 : 0, 12);
  });

  test("data are nested: T tasks × n1 rows are a prefix of T' ≥ T tasks × n1' ≥ n1 rows", () => {
    const small = sampleSourceTasks(model(), 5, 4, key(2));
    const big = sampleSourceTasks(model(), 9, 7, key(2));
    expect(Array.from(firstTasks(big.data, 5).start)).toEqual([0, 7, 14, 21, 28, 35]);
    for (let t = 0; t < 5; t++)
      for (let i = 0; i < 4; i++) {
        const a = small.data.X.subarray((t * 4 + i) * 8, (t * 4 + i + 1) * 8);
        const b = big.data.X.subarray((t * 7 + i) * 8, (t * 7 + i + 1) * 8);
        expect(Array.from(a)).toEqual(Array.from(b));
        expect(small.data.y[t * 4 + i]).toBe(big.data.y[t * 7 + i]);
      }
    expect(Array.from(small.W.data)).toEqual(Array.from(big.W.data.subarray(0, 15)));
  });

  test("same key, same bytes; another key differs", () => {
    const a = sampleSourceTasks(model(), 6, 5, key(11));
    const b = sampleSourceTasks(model(), 6, 5, key(11));
    const c = sampleSourceTasks(model(), 6, 5, key(12));
    expect(Array.from(a.data.y)).toEqual(Array.from(b.data.y));
    expect(Array.from(a.data.y)).not.toEqual(Array.from(c.data.y));
  });

  test("bad settings are one-line errors naming parameter, constraint and value", () => {
    expect(() => sampleSourceTasks(model({ k: 9 }), 5, 5, key(0))).toThrow(
      /"k" must be an integer in \[1, d = 8\]; got 9/,
    );
    expect(() => sampleSourceTasks(model(), 0, 5, key(0))).toThrow(/"T" must be an integer ≥ 1; got 0/);
    expect(() =>
      sampleSourceTasks(model({ heads: { kind: "condition", scale: 1, kappa: 0.5 } }), 5, 5, key(0)),
    ).toThrow(/"kappa" must be a finite number ≥ 1; got 0.5/);
  });
});

describe("rows drawn by the kernel module", () => {
  test("equal the JS rows bit for bit (the JS path runs for a covariance; the identity's √1 = 1 scales nothing)", () => {
    for (const [T, n1, d] of [
      [7, 25, 100],
      [3, 1, 1],
      [4, 9, 13],
    ]) {
      const m = { d, k: 1, sigma: 0.3, heads: { kind: "gaussian" as const, scale: 1 } };
      const viaKernel = sampleSourceTasks(m, T, n1, key(5));
      const viaJs = sampleSourceTasks({ ...m, covSrc: new Array(d).fill(1) }, T, n1, key(5));
      expect(Array.from(viaKernel.data.X)).toEqual(Array.from(viaJs.data.X));
      expect(Array.from(viaKernel.data.y)).toEqual(Array.from(viaJs.data.y));
    }
  });
});

describe("target tasks", () => {
  test("target j is the same task whatever else is drawn, and nested in n2", () => {
    const m = model();
    const src = sampleSourceTasks(m, 4, 4, key(5));
    const tk = fewShotKeys(key(5)).targets;
    const a = sampleTargetTask(m, src.Bstar, tk, 3, allocTargetTask(m, 6));
    sampleTargetTask(m, src.Bstar, tk, 1, allocTargetTask(m, 6));
    const b = sampleTargetTask(m, src.Bstar, tk, 3, allocTargetTask(m, 10));
    expect(Array.from(a.wStar)).toEqual(Array.from(b.wStar));
    expect(Array.from(a.X)).toEqual(Array.from(b.X.subarray(0, 6 * 8)));
    expect(Array.from(a.y)).toEqual(Array.from(b.y.subarray(0, 6)));
  });

  test("condition-design targets are isotropic: E‖w*‖² = k·scale² (4000 targets, 4 sd)", () => {
    const m = model({ heads: { kind: "condition", scale: 1, kappa: 10 } });
    const src = sampleSourceTasks(m, 10, 3, key(5));
    const t = allocTargetTask(m, 1);
    let s = 0;
    const n = 4000;
    for (let j = 0; j < n; j++) {
      sampleTargetTask(m, src.Bstar, fewShotKeys(key(5)).targets, j, t);
      for (const v of t.wStar) s += v * v;
    }
    expect(Math.abs(s / n - 3)).toBeLessThan(4 * Math.sqrt(6 / n));
  });
});

describe("input covariances Σ_src, Σ_tgt (diagonal, as variances)", () => {
  const covSrc = [4, 2, 1, 1, 0.5, 0.5, 0.25, 0.25];
  const covTgt = [0.25, 0.5, 1, 1, 1, 2, 2, 4];

  test("rows are diag(√v)·(the same normals as without a covariance); labels follow", () => {
    const plain = sampleSourceTasks(model(), 5, 7, key(9));
    const cov = sampleSourceTasks(model({ covSrc }), 5, 7, key(9));
    const d = 8;
    for (let i = 0; i < 35; i++) {
      for (let a = 0; a < d; a++)
        expect(cov.data.X[i * d + a]).toBe(Math.sqrt(covSrc[a]) * plain.data.X[i * d + a]);
    }
    // y − ⟨θ, x⟩ is the same noise σz in both.
    const theta = (s: typeof plain, t: number) =>
      Array.from({ length: d }, (_, a) =>
        [0, 1, 2].reduce((acc, c) => acc + s.Bstar.data[a * 3 + c] * s.W.data[t * 3 + c], 0),
      );
    for (let i = 0; i < 35; i++) {
      const t = Math.floor(i / 7);
      const z = (s: typeof plain) =>
        s.data.y[i] - theta(s, t).reduce((acc, v, a) => acc + v * s.data.X[i * d + a], 0);
      expect(z(cov)).toBeCloseTo(z(plain), 12);
    }
    const kt = fewShotKeys(key(9)).targets;
    const a = sampleTargetTask(model(), plain.Bstar, kt, 2, allocTargetTask(model(), 6));
    const b = sampleTargetTask(model({ covTgt }), plain.Bstar, kt, 2, allocTargetTask(model(), 6));
    for (let i = 0; i < 6 * d; i++) expect(b.X[i]).toBe(Math.sqrt(covTgt[i % d]) * a.X[i]);
  });

  test("the sample covariance of target rows is diag(v) (20000 rows, 5 sd)", () => {
    const n = 20000;
    const m = model({ covTgt });
    const t = sampleTargetTask(m, sampleSourceTasks(m, 1, 1, key(1)).Bstar, key(4), 0, allocTargetTask(m, n));
    for (let a = 0; a < 8; a++) {
      let ss = 0;
      for (let i = 0; i < n; i++) ss += t.X[i * 8 + a] ** 2;
      // Var of x² is 2v², so the mean of n squares has sd v·√(2/n).
      expect(Math.abs(ss / n - covTgt[a])).toBeLessThan(5 * covTgt[a] * Math.sqrt(2 / n));
    }
  });

  test("a covariance that is not positive definite or has the wrong length is a one-line error", () => {
    expect(() => sampleSourceTasks(model({ covSrc: [1, 1, 1, 0, 1, 1, 1, 1] }), 2, 2, key(0))).toThrow(
      'few-shot model: "cov_src" must be positive definite: every variance finite and > 0 (entry 3); got 0.',
    );
    expect(() => sampleSourceTasks(model({ covTgt: [1, 1] }), 2, 2, key(0))).toThrow(
      'few-shot model: "cov_tgt" must list d = 8 variances (a diagonal covariance); got "2 values".',
    );
  });
});
