import { describe, expect, test } from "vitest";
import { resolveParams } from "../resolve.js";
import { curvesOf, runExperiment, type TestRun } from "../testing.js";
import { duCovariance } from "./covariance.js";
import { factorOf, sourceVariances } from "./covarianceFactor.js";

const _last = (y: number[]) => y[y.length - 1];

describe("du-covariance: Du et al.'s covariance-dominance factor c", () => {
  const p = { d: 20, k: 3, n1: 25, T: 400, src_ratio: 10 };

  test("c = 1 for identical covariances (lean 0), and c falls as the target leans away from the source", () => {
    expect(factorOf(p, 0).c).toBeCloseTo(1, 12);
    const cs = [0, 0.5, 1, 1.5, 2].map((l) => factorOf(p, l).c);
    for (let i = 1; i < cs.length; i++) expect(cs[i]).toBeLessThan(cs[i - 1]);
    // Lean 1 is the identity target: c = the smallest source variance, 1/src_ratio of the largest.
    const s = sourceVariances(p);
    expect(factorOf(p, 1).c).toBeCloseTo(Math.min(...s), 12);
    expect(Math.max(...s) / Math.min(...s)).toBeCloseTo(10, 10);
  });

  describe("measured on the same source tasks for every lean (4 seeds)", () => {
    const leans = [0, 0.5, 1, 1.5, 2];
    let rec: TestRun;
    const means = () =>
      leans.map((_, i) => {
        const ys = curvesOf(rec, { method: "altmin" }, "excess over oracle").map((c) => c.y[i]);
        return ys.reduce((a, b) => a + b, 0) / ys.length;
      });
    test("the excess over the oracle grows as c shrinks", () => {
      rec = runExperiment(duCovariance, { leans, targets: 200, methods: ["altmin", "oracle"] }, [0, 1, 2, 3]);
      const m = means();
      for (let i = 1; i < m.length; i++) expect(m[i]).toBeGreaterThan(m[i - 1]);
    });

    test("dk/(c·n1T) is an upper bound (its constant fitted at c = 1 over-predicts at every c < 1); the average factor c̄ keeps the constant within a factor 2", () => {
      const m = means();
      const C1 = m[0] / factorOf(p, 0).term;
      leans.forEach((lean, i) => {
        const f = factorOf(p, lean);
        if (lean > 0) expect(m[i] / f.term).toBeLessThan(C1);
        const Cavg = m[i] / f.averageTerm;
        expect(Cavg).toBeGreaterThan(C1 / 2);
        expect(Cavg).toBeLessThan(2 * C1);
      });
    });
  });

  test("bad covariance parameters are one line naming the parameter, the constraint and the value", () => {
    expect(() => resolveParams(duCovariance, "smoke", { src_ratio: 0.5 })).toThrow(
      /"src_ratio" must be ≥ 1; got 0\.5/,
    );
    expect(() => resolveParams(duCovariance, "smoke", { leans: [0, -1] })).toThrow(
      /"leans\[1\]" must be ≥ 0; got -1/,
    );
  });
});
