import { beforeAll, describe, expect, test } from "vitest";
import { fitLogLogLine } from "../../metrics/loglogSlope.js";
import { key } from "../../rng/key.js";
import { duRepresentationTerm, olsLevel, oracleLevel } from "../../theory/duBound.js";
import { type FewShotParams, runSettings, runStages } from "../fewShot.js";
import { resolveParams } from "../resolve.js";
import { runSeeds, type TestRun } from "../testing.js";
import type { Curve, Experiment } from "../types.js";
import { duCovariance } from "./covariance.js";
import { duDiversity } from "./diversity.js";
import { duExcessRisk } from "./excessRisk.js";

const ctx = { progress: () => {}, warn: () => {} };

function run(experiment: Experiment, overrides: Record<string, unknown>, seeds: number): TestRun {
  const params = resolveParams(experiment, null, overrides) as Record<string, unknown>;
  const seedIndices = Array.from({ length: seeds }, (_, i) => i);
  return runSeeds({ experiment, params, size: null, seed: 0, seedIndices, command: "test", ctx });
}

/** The curve with these labels, per seed. */
function curves(rec: TestRun, labels: Record<string, unknown>): Curve[] {
  return rec.result.seeds.map((r) => {
    const c = r.curves.find(
      (c) =>
        Object.entries(labels).every(([k, v]) => c.labels[k] === v) &&
        Object.keys(c.labels).every((k) => k in labels),
    );
    if (!c) throw new Error(`no curve with labels ${JSON.stringify(labels)}`);
    return c;
  });
}

/** Mean over seeds at each x, and the standard error over seeds. */
function acrossSeeds(cs: Curve[]): { mean: number[]; se: number[] } {
  const n = cs.length;
  const mean = cs[0].y.map((_, i) => cs.reduce((s, c) => s + c.y[i], 0) / n);
  const se = mean.map((m, i) => Math.sqrt(cs.reduce((s, c) => s + (c.y[i] - m) ** 2, 0) / (n - 1) / n));
  return { mean, se };
}

describe("du-excess-risk (d=20, k=3, n1=25, n2=30, σ=1; 8 seeds × 500 targets)", () => {
  const Ts = [50, 100, 200, 400];
  let rec: TestRun;
  beforeAll(() => {
    rec = run(duExcessRisk, { sweeps: ["T"], Ts, methods: ["altmin", "oracle", "ols"], targets: 500 }, 8);
  });
  const sweep = (method: string | null, quantity: string) =>
    curves(rec, { ...(method ? { method } : {}), sweep: "T", quantity });

  test("AltMin's excess over the oracle (paired, same targets) falls with T at a log-log slope in [−1.3, −0.7]", () => {
    const { mean } = acrossSeeds(sweep("altmin", "excess over oracle"));
    const slope = fitLogLogLine(Ts, mean)!.slope;
    expect(slope).toBeGreaterThan(-1.3);
    expect(slope).toBeLessThan(-0.7);
  });

  test("at T = 400 it is within 2× of dk/(n1T) = 0.006, with a standard error under a quarter of it", () => {
    const { mean, se } = acrossSeeds(sweep("altmin", "excess over oracle"));
    const i = Ts.indexOf(400);
    const theory = duRepresentationTerm(20, 3, 25, 400);
    expect(mean[i]).toBeGreaterThan(theory / 2);
    expect(mean[i]).toBeLessThan(theory * 2);
    expect(se[i]).toBeLessThan(mean[i] / 4);
    // …while the excess risk itself is ~20× larger: the paired difference is what makes it measurable.
    expect(acrossSeeds(sweep("altmin", "excess risk")).mean[i]).toBeGreaterThan(10 * mean[i]);
  });

  test("the oracle sits at σ²k/(n2−k−1) and OLS at σ²d/(n2−d−1) (4 se over seeds), far above the learned representation", () => {
    const i = Ts.indexOf(400);
    const oracle = acrossSeeds(sweep("oracle", "excess risk"));
    const ols = acrossSeeds(sweep("ols", "excess risk"));
    const alt = acrossSeeds(sweep("altmin", "excess risk"));
    expect(Math.abs(oracle.mean[i] - oracleLevel(1, 3, 30)!)).toBeLessThan(4 * oracle.se[i]);
    expect(Math.abs(ols.mean[i] - olsLevel(1, 20, 30)!)).toBeLessThan(4 * ols.se[i]);
    expect(oracle.se[i]).toBeLessThan(0.05 * oracleLevel(1, 3, 30)!); // the check has teeth
    for (let j = 0; j < Ts.length; j++) expect(ols.mean[j]).toBeGreaterThan(10 * alt.mean[j]);
  });

  test("every run records the diagnostics of the true and learned heads", () => {
    const condTruth = sweep(null, "cond(W*)");
    const condLearned = sweep("altmin", "cond(Ŵ)");
    for (const c of [...condTruth, ...condLearned]) for (const v of c.y) expect(v).toBeGreaterThanOrEqual(1);
    for (const c of sweep(null, "diversity σ_k(W*)²k/T")) for (const v of c.y) expect(v).toBeGreaterThan(0.3);
    const s = rec.result.seeds[0].scalars;
    expect(s["theory[sweep=T,x=400]"]).toBeCloseTo(0.106, 12);
    expect(s["oracleLevel[sweep=T,x=400]"]).toBeCloseTo(3 / 26, 12);
  });
});

describe("du-diversity", () => {
  test("less diverse sources (larger κ(W*)) give larger excess risk at the same T (AltMin and MoM)", () => {
    const kappas = [1, 4, 16, 64];
    const rec = run(duDiversity, { kappas, methods: ["mom", "altmin", "oracle"], targets: 400 }, 3);
    for (const method of ["altmin", "mom"]) {
      const { mean } = acrossSeeds(curves(rec, { method, quantity: "excess risk" }));
      for (let i = 1; i < kappas.length; i++) expect(mean[i]).toBeGreaterThan(mean[i - 1]);
    }
    for (const c of curves(rec, { quantity: "cond(W*)" }))
      c.y.forEach((v, i) => {
        expect(v).toBeCloseTo(kappas[i], 8);
      });
    // The oracle does not care: it is the same σ²k/(n2−k−1) whatever the sources.
    const oracle = acrossSeeds(curves(rec, { method: "oracle", quantity: "excess risk" })).mean;
    expect(Math.max(...oracle) / Math.min(...oracle)).toBeLessThan(1.0000001);
  });
});

describe("validation and determinism", () => {
  test("bad parameters are one line naming parameter, constraint and value", () => {
    expect(() => resolveParams(duExcessRisk, null, { k: 20 })).toThrow(/"k" must be < d \(= 20\); got 20/);
    expect(() => resolveParams(duExcessRisk, null, { methods: ["pca"] })).toThrow(
      /"methods\[0\]" must be a registered estimator \(mom, altmin, .*\); got "pca"/,
    );
    // Per-estimator options, under each estimator's own schema.
    expect(() => resolveParams(duExcessRisk, null, { estimator_options: { mom: { iters: 3 } } })).toThrow(
      /"estimator_options\.mom" has unknown option "iters"; estimator "mom" takes eigTol; got \{"iters":3\}/,
    );
    expect(() => resolveParams(duExcessRisk, null, { estimator_options: { altmin: { iters: 0 } } })).toThrow(
      /"estimator_options\.altmin\.iters" must be ≥ 1; got 0/,
    );
    expect(() => resolveParams(duExcessRisk, null, { estimator_options: { pca: {} } })).toThrow(
      /"estimator_options\.pca" must name a registered estimator \(mom, .*\); got \{\}/,
    );
    expect(() => resolveParams(duDiversity, null, { kappas: [0.5] })).toThrow(
      /"kappas\[0\]" must be ≥ 1; got 0.5/,
    );
  });

  test("same seed, same bytes; a seed's result does not depend on the other seeds", () => {
    const small = {
      sweeps: ["n1"],
      n1s: [5, 10],
      T: 30,
      targets: 20,
      methods: ["mom", "altmin", "fo-anil", "bm"],
      anil_epochs: 5,
    };
    const strip = (r: TestRun) => JSON.stringify(r.result);
    const a = run(duExcessRisk, small, 2);
    const b = run(duExcessRisk, small, 2);
    expect(strip(a)).toBe(strip(b));
    const one = runSeeds({
      experiment: duExcessRisk,
      params: resolveParams(duExcessRisk, null, small) as Record<string, unknown>,
      size: null,
      seed: 0,
      seedIndices: [1],
      command: "test",
      ctx,
    });
    expect(JSON.stringify(one.result.seeds[0])).toBe(JSON.stringify(a.result.seeds[1]));
  });

  test("estimator_options.<id> sets an estimator's own options: altmin's iters there is the experiment's iters, for altmin alone", () => {
    const small = {
      d: 8,
      k: 2,
      Ts: [20, 40],
      n1s: [5, 10],
      T: 30,
      targets: 20,
      methods: ["mom", "altmin", "altmin-gd"],
    };
    const method = (r: TestRun, m: string) =>
      JSON.stringify(r.result.seeds.map((s) => s.curves.filter((c) => c.labels.method === m)));
    const viaOptions = run(duExcessRisk, { ...small, estimator_options: { altmin: { iters: 2 } } }, 1);
    const viaParams = run(duExcessRisk, { ...small, iters: 2 }, 1);
    const plain = run(duExcessRisk, small, 1);
    expect(method(viaOptions, "altmin")).toBe(method(viaParams, "altmin"));
    expect(method(viaOptions, "altmin")).not.toBe(method(plain, "altmin"));
    // The other estimators keep the experiment's iters (50): altmin-gd is as without the option.
    expect(method(viaOptions, "altmin-gd")).toBe(method(plain, "altmin-gd"));
    expect(method(viaOptions, "mom")).toBe(method(plain, "mom"));
  });
});

describe("du-excess-risk's AltMin stopping rule (tol = 1e-12)", () => {
  test("gives every number of the record within 1e-11 relative of 50 full rounds (tol = 0)", () => {
    const base = {
      sweeps: ["T", "n1"],
      Ts: [25, 400],
      n1s: [5, 25],
      methods: ["altmin", "oracle"],
      targets: 50,
    };
    const stopped = run(duExcessRisk, base, 1);
    const full = run(duExcessRisk, { ...base, tol: 0 }, 1);
    expect(stopped.params.tol).toBe(1e-12);
    const a = stopped.result.seeds[0].curves;
    const b = full.result.seeds[0].curves;
    expect(a.map((c) => c.labels)).toEqual(b.map((c) => c.labels));
    let worst = 0;
    a.forEach((c, i) => {
      c.y.forEach((v, j) => {
        const ref = b[i].y[j];
        worst = Math.max(worst, Math.abs(v - ref) / Math.max(Math.abs(ref), 1e-300));
      });
    });
    expect(worst).toBeLessThan(1e-11);
  });
});

describe("du-excess-risk's one cell per seed (runStages)", () => {
  test("every source stage's outcomes are bit for bit runSettings' on that stage alone", () => {
    const p = resolveParams(duExcessRisk, null, {
      d: 8,
      k: 2,
      targets: 25,
      methods: ["mom", "altmin", "fo-anil", "oracle", "ols"],
      anil_epochs: 5,
    }) as unknown as FewShotParams;
    const stages = [
      { T: 20, n1: 10, n2s: [6] },
      { T: 40, n1: 10, n2s: [3, 12, 6] },
      { T: 40, n1: 4, n2s: [6] },
    ];
    const k = key(11);
    const all = runStages(p, stages, k, ctx);
    stages.forEach((s, i) => {
      const alone = runSettings(p, s, s.n2s, k, ctx);
      expect(all[i].length).toBe(s.n2s.length);
      alone.forEach((o, q) => {
        expect(Array.from(all[i][q].oracle)).toEqual(Array.from(o.oracle));
        expect(all[i][q].truth).toEqual(o.truth);
        o.methods.forEach((m, r) => {
          const got = all[i][q].methods[r];
          expect(got.method).toBe(m.method);
          expect(got.dist).toBe(m.dist);
          expect(got.heads).toEqual(m.heads);
          expect(Array.from(got.fit.B.data)).toEqual(Array.from(m.fit.B.data));
          expect(Array.from(got.er)).toEqual(Array.from(m.er));
        });
      });
    });
  });
});

describe("du-diversity's and du-covariance's AltMin stopping rule (tol = 1e-12)", () => {
  /** Largest relative difference between two runs' curves (same labels, same x). */
  function worstRelative(a: TestRun, b: TestRun): number {
    const ca = a.result.seeds.flatMap((s) => s.curves);
    const cb = b.result.seeds.flatMap((s) => s.curves);
    expect(ca.map((c) => c.labels)).toEqual(cb.map((c) => c.labels));
    let worst = 0;
    ca.forEach((c, i) => {
      expect(c.x).toEqual(cb[i].x);
      c.y.forEach((v, j) => {
        const ref = cb[i].y[j];
        worst = Math.max(worst, Math.abs(v - ref) / Math.max(Math.abs(ref), 1e-300));
      });
    });
    return worst;
  }

  test("du-diversity: every number within 1e-10 relative of 50 full rounds (tol = 0), κ up to 32", () => {
    const base = { kappas: [1, 4, 32], methods: ["altmin", "oracle"], targets: 40 };
    const stopped = run(duDiversity, base, 2);
    expect(stopped.params.tol).toBe(1e-12);
    expect(worstRelative(stopped, run(duDiversity, { ...base, tol: 0 }, 2))).toBeLessThan(1e-10);
  });

  test("du-covariance: every number within 1e-10 relative of 50 full rounds (tol = 0)", () => {
    const base = { leans: [0, 2], methods: ["altmin", "oracle"], targets: 40 };
    const stopped = run(duCovariance, base, 2);
    expect(stopped.params.tol).toBe(1e-12);
    expect(worstRelative(stopped, run(duCovariance, { ...base, tol: 0 }, 2))).toBeLessThan(1e-10);
  });
});
