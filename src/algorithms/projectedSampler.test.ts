import { describe, expect, test } from "vitest";
import { matFrom } from "../linalg/mat.js";
import {
  allocTask,
  type LinearRepModel,
  resetProjected,
  sampleGroundTruth,
  sampleTask,
  type TaskData,
} from "../models/linearRepresentation.js";
import { chiSquare, DenseSet, ProjectedGaussianSet, ProjectedWishartSet } from "../models/sampleSets.js";
import { foldIn, key } from "../rng/key.js";
import { NormalSource, stream } from "../rng/stream.js";
import { finishMetaGradient, startMetaGradient } from "./metaGradient.js";
import { getMethod, METHOD_IDS } from "./methods.js";
import { allocWorkspace } from "./workspace.js";

const dotv = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe("ProjectedGaussianSet: a lazily revealed Gaussian matrix", () => {
  test("revealed products are consistent: ⟨c, Xv⟩ = ⟨Xᵀc, v⟩ and repeated queries repeat", () => {
    const m = 7;
    const d = 11;
    const set = new ProjectedGaussianSet(m, d);
    const s = new NormalSource(stream(key(1)));
    set.reset(s, 0.3);
    const g = stream(key(2));
    for (let trial = 0; trial < 6; trial++) {
      const v = g.fillNormal(new Float64Array(d));
      const c = g.fillNormal(new Float64Array(m));
      const Xv = new Float64Array(m);
      const Xtc = new Float64Array(d);
      if (trial % 2 === 0) {
        set.applyX(v, Xv);
        set.applyXt(c, Xtc);
      } else {
        set.applyXt(c, Xtc);
        set.applyX(v, Xv);
      }
      expect(Math.abs(dotv(c, Xv) - dotv(Xtc, v))).toBeLessThan(1e-12 * (1 + Math.abs(dotv(c, Xv))));
      const again = new Float64Array(m);
      set.applyX(v, again);
      for (let j = 0; j < m; j++) expect(again[j]).toBeCloseTo(Xv[j], 12);
      set.reset(s, 0.3);
    }
  });

  test("linear combinations of revealed directions reveal nothing new (the map is linear)", () => {
    const set = new ProjectedGaussianSet(6, 9);
    set.reset(new NormalSource(stream(key(3))), 0);
    const g = stream(key(4));
    const v1 = g.fillNormal(new Float64Array(9));
    const v2 = g.fillNormal(new Float64Array(9));
    const x1 = new Float64Array(6);
    const x2 = new Float64Array(6);
    const x12 = new Float64Array(6);
    set.applyX(v1, x1);
    set.applyX(v2, x2);
    set.applyX(
      v1.map((x, i) => 2 * x - 3 * v2[i]),
      x12,
    );
    for (let j = 0; j < 6; j++) expect(x12[j]).toBeCloseTo(2 * x1[j] - 3 * x2[j], 11);
  });

  test("Σ̂v has the Wishart moments: mean v and covariance (‖v‖²I + vvᵀ)/m", () => {
    const m = 5;
    const d = 6;
    const N = 40_000;
    const v = new Float64Array([1, 0.5, -0.3, 0, 0.2, 0]);
    const u = new Float64Array([0, 1, 0, 0, 0, 0]); // a probe direction
    const set = new ProjectedGaussianSet(m, d);
    const s = new NormalSource(stream(key(5)));
    const out = new Float64Array(d);
    let s1 = 0;
    let s2 = 0;
    for (let t = 0; t < N; t++) {
      set.reset(s, 0);
      set.covApply(v, out);
      const x = dotv(out, u);
      s1 += x;
      s2 += x * x;
    }
    const mean = s1 / N;
    const variance = s2 / N - mean * mean;
    const vv = dotv(v, v);
    const expMean = dotv(v, u);
    const expVar = (vv + expMean * expMean) / m;
    expect(Math.abs(mean - expMean)).toBeLessThan(5 * Math.sqrt(expVar / N));
    expect(Math.abs(variance / expVar - 1)).toBeLessThan(0.05);
  });
});

/**
 * The decisive check: the per-task meta-gradient of every method (which uses X nonlinearly and
 * adaptively: residuals, then Σ̂ applied to vectors that depend on them) has the same
 * distribution under the projected and the direct sampler: for random linear functionals of
 * (G_B, G_w), two-sample z-tests on the means and two-sample Kolmogorov–Smirnov tests on the
 * whole distributions (distribution-free, so the heavy tails of these Gaussian products do not
 * matter; critical value at level 0.001: 1.95·√(2/N)).
 */
describe.each(METHOD_IDS)(
  "%s: the per-task meta-gradient has the same distribution under both samplers",
  (method) => {
    // m < d + 1 (the Gram matrix is singular) and m > d (every Bartlett column has a χ² entry).
    test.each([
      [5, 6],
      [30, 12],
    ])(
      "m_in = %i, m_out = %i: five functionals agree in mean (|z| < 5) and in distribution (KS at level 0.001)",
      (mIn, mOut) => {
        const d = 8;
        const kp = 2;
        const N = 12_000;
        const base: Omit<LinearRepModel, "sampler"> = {
          d,
          k: 2,
          heads: "collins",
          mu: 0.8,
          headScale: 1,
          headMean: 0.2,
          sigma: 0.4,
          mIn,
          mOut,
        };
        const Bstar = sampleGroundTruth(key(10), d, 2);
        const sd = new Float64Array([1, 0.8]);
        const params = {
          B: matFrom(d, kp, stream(key(11)).fillNormal(new Float64Array(d * kp), 0, d * kp)),
          w: stream(key(12)).fillNormal(new Float64Array(kp)),
        };
        const alpha = 0.2;
        const probes = Array.from({ length: 5 }, (_, i) =>
          stream(foldIn(key(13), i)).fillNormal(new Float64Array(d * kp + kp)),
        );

        const sample = (
          sampler: "direct" | "projected",
          seed: number,
        ): { s1: number[]; s2: number[]; xs: Float64Array[] } => {
          const model: LinearRepModel = { ...base, sampler };
          const task: TaskData = allocTask(model);
          const ws = allocWorkspace(d, kp);
          const s = stream(key(seed));
          const lazy = new NormalSource(stream(key(seed + 1000)));
          const s1 = new Array(probes.length).fill(0);
          const s2 = new Array(probes.length).fill(0);
          const xs = probes.map(() => new Float64Array(N));
          for (let t = 0; t < N; t++) {
            sampleTask(s, model, Bstar, sd, task);
            if (sampler === "projected") resetProjected(task, lazy, model.sigma);
            startMetaGradient(params, ws);
            getMethod(method).taskGradient(params, task, alpha, ws);
            finishMetaGradient(params, ws, 1, alpha);
            probes.forEach((p, i) => {
              let x = 0;
              for (let j = 0; j < d * kp; j++) x += p[j] * ws.GB[j];
              for (let c = 0; c < kp; c++) x += p[d * kp + c] * ws.Gw[c];
              s1[i] += x;
              s2[i] += x * x;
              xs[i][t] = x;
            });
          }
          return { s1, s2, xs };
        };
        const a = sample("direct", 20);
        const b = sample("projected", 21);
        expect(task_is_dense_then_projected()).toBe(true);
        for (let i = 0; i < probes.length; i++) {
          const ma = a.s1[i] / N;
          const mb = b.s1[i] / N;
          const va = a.s2[i] / N - ma * ma;
          const vb = b.s2[i] / N - mb * mb;
          const z = (ma - mb) / Math.sqrt((va + vb) / N);
          expect(Math.abs(z)).toBeLessThan(5);
          expect(ksStatistic(a.xs[i], b.xs[i])).toBeLessThan(1.95 * Math.sqrt(2 / N));
        }
      },
    );
  },
);

describe("ProjectedWishartSet: the sample Gram matrix revealed lazily (the projected sampler)", () => {
  test("W is symmetric and linear on what was revealed: ⟨Σ̂a, b⟩ = ⟨a, Σ̂b⟩, Σ̂(2a − 3b) = 2Σ̂a − 3Σ̂b", () => {
    for (const m of [3, 40]) {
      const d = 9;
      const set = new ProjectedWishartSet(m, d);
      set.reset(new NormalSource(stream(key(30 + m))), 0.5);
      const g = stream(key(31));
      const a = g.fillNormal(new Float64Array(d));
      const b = g.fillNormal(new Float64Array(d));
      const Sa = new Float64Array(d);
      const Sb = new Float64Array(d);
      const Sab = new Float64Array(d);
      set.covApply(a, Sa);
      set.covApply(b, Sb);
      set.covApply(
        a.map((x, i) => 2 * x - 3 * b[i]),
        Sab,
      );
      expect(Math.abs(dotv(Sa, b) - dotv(a, Sb))).toBeLessThan(1e-12 * (1 + Math.abs(dotv(Sa, b))));
      for (let i = 0; i < d; i++) expect(Sab[i]).toBeCloseTo(2 * Sa[i] - 3 * Sb[i], 11);
      // ⟨Σ̂a, a⟩ = ‖Xa‖²/m > 0.
      expect(dotv(Sa, a)).toBeGreaterThan(0);
    }
  });

  test("with m = 1, Σ̂ = xxᵀ has rank one: Σ̂a and Σ̂b are parallel", () => {
    const d = 6;
    const set = new ProjectedWishartSet(1, d);
    set.reset(new NormalSource(stream(key(40))), 0);
    const g = stream(key(41));
    const Sa = new Float64Array(d);
    const Sb = new Float64Array(d);
    set.covApply(g.fillNormal(new Float64Array(d)), Sa);
    set.covApply(g.fillNormal(new Float64Array(d)), Sb);
    const cos = dotv(Sa, Sb) / Math.sqrt(dotv(Sa, Sa) * dotv(Sb, Sb));
    expect(Math.abs(Math.abs(cos) - 1)).toBeLessThan(1e-12);
  });

  test.each([5, 50])("m = %i: Σ̂v has the Wishart moments, mean v and covariance (‖v‖²I + vvᵀ)/m", (m) => {
    const d = 6;
    const N = 40_000;
    const v = new Float64Array([1, 0.5, -0.3, 0, 0.2, 0]);
    const set = new ProjectedWishartSet(m, d);
    const s = new NormalSource(stream(key(50 + m)));
    const out = new Float64Array(d);
    const vv = dotv(v, v);
    // Probes u (unit) along part of v and across it: variance (‖v‖² + (u·v)²)/m.
    for (const u of [new Float64Array([0, 1, 0, 0, 0, 0]), new Float64Array([0, 0, 0, 1, 0, 0])]) {
      let s1 = 0;
      let s2 = 0;
      for (let t = 0; t < N; t++) {
        set.reset(s, 0);
        set.covApply(v, out);
        const x = dotv(out, u);
        s1 += x;
        s2 += x * x;
      }
      const mean = s1 / N;
      const variance = s2 / N - mean * mean;
      const expMean = dotv(v, u);
      const expVar = (vv + expMean * expMean) / m;
      expect(Math.abs(mean - expMean)).toBeLessThan(5 * Math.sqrt(expVar / N));
      expect(Math.abs(variance / expVar - 1)).toBeLessThan(0.05);
    }
  });
});

describe("chiSquare: χ²_ν from a normal source", () => {
  test.each([1, 4, 5, 7, 49])(
    "ν = %i: the law of a sum of ν squared normals (KS at level 0.001, mean)",
    (nu) => {
      const N = 20_000;
      const src = new NormalSource(stream(key(60 + nu)));
      const buf = new Float64Array(4);
      const a = Float64Array.from({ length: N }, () => chiSquare(src, nu, buf));
      const g = stream(key(70 + nu));
      const row = new Float64Array(nu);
      const b = Float64Array.from({ length: N }, () => {
        g.fillNormal(row);
        return dotv(row, row);
      });
      expect(ksStatistic(a, b)).toBeLessThan(1.95 * Math.sqrt(2 / N));
      const mean = a.reduce((x, y) => x + y, 0) / N;
      expect(Math.abs(mean - nu)).toBeLessThan(5 * Math.sqrt((2 * nu) / N));
    },
  );
});

/** Two-sample Kolmogorov–Smirnov statistic sup |F_a − F_b|. */
function ksStatistic(a: Float64Array, b: Float64Array): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let dmax = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    dmax = Math.max(dmax, Math.abs(i / x.length - j / y.length));
  }
  return dmax;
}

/** Guard: the two samplers really are different code paths. */
function task_is_dense_then_projected(): boolean {
  const base = {
    d: 3,
    k: 1,
    heads: "collins",
    mu: 1,
    headScale: 1,
    headMean: 0,
    sigma: 0,
    mIn: 2,
    mOut: 2,
  } as const;
  return (
    allocTask({ ...base, sampler: "direct" }).inner instanceof DenseSet &&
    allocTask({ ...base, sampler: "projected" }).inner instanceof ProjectedWishartSet
  );
}
