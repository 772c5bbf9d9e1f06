import { beforeAll, describe, expect, test } from "vitest";
import { ParamValidationError } from "../params.js";
import { resolveParams } from "../resolve.js";
import { curvesOf as curves, medians, runExperiment as run, type TestRun } from "../testing.js";
import type { Experiment } from "../types.js";
import { kongClassification } from "./classification.js";
import { kongClustering } from "./clustering.js";
import { kongPrediction } from "./prediction.js";
import { kongSubspace } from "./subspace.js";

// In the setting of the issue: d = 32, k = 4, orthonormal components, s = 1 (the defaults).

describe("kong-prediction", () => {
  const taus = [4, 16, 28, 32, 36, 64];
  let rec: TestRun;
  beforeAll(() => {
    rec = run(kongPrediction, { taus, n_test: 512 }, [0, 1, 2]);
  });
  const med = (method: string) => medians(curves(rec, { method }, "test MSE"));

  test("the posterior mean is no worse than MAP at every τ (medians over seeds, 0.2% slack)", () => {
    const pm = med("posterior mean");
    const map = med("MAP");
    for (let i = 0; i < taus.length; i++) expect(pm[i]).toBeLessThanOrEqual(map[i] * 1.002);
    // Where the posterior is uncertain (small τ) it is strictly better.
    expect(pm[0]).toBeLessThan(0.95 * map[0]);
  });

  test("both are within 5% of the oracle by τ = 32 (and beyond)", () => {
    const oracle = med("oracle");
    for (const m of [med("posterior mean"), med("MAP")])
      for (let i = taus.indexOf(32); i < taus.length; i++) expect(m[i]).toBeLessThan(1.05 * oracle[i]);
  });

  test("per-task least squares spikes at τ = d = 32", () => {
    const ls = med("per-task least squares");
    const at = (tau: number) => ls[taus.indexOf(tau)];
    expect(at(32)).toBe(Math.max(...ls));
    expect(at(32)).toBeGreaterThan(10 * at(28));
    expect(at(32)).toBeGreaterThan(10 * at(36));
    expect(at(64)).toBeLessThan(at(36));
  });
});

describe("bad input: one line naming the parameter, the constraint and the value", () => {
  const cases: [unknown, Record<string, unknown>, RegExp][] = [
    [kongSubspace, { k: 32 }, /"k" must be < d \(= 32\); got 32/],
    [kongClassification, { t3s: [4, 1] }, /"t3s\[1\]" must be ≥ 2; got 1/],
    [kongPrediction, { t1: 1 }, /"t1" must be ≥ 2; got 1/],
    [kongClustering, { Ls: [0] }, /"Ls\[0\]" must be ≥ 1; got 0/],
    [kongPrediction, { L: 0 }, /"L" must be ≥ 1; got 0/],
    [
      kongPrediction,
      { p: [0.5, 0.25, 0.125, 0.0625] },
      /"p" must sum to 1 \(sum is 0\.9375\); got \[0\.5,0\.25,0\.125,0\.0625\]/,
    ],
    [kongPrediction, { taus: [0, 4] }, /"taus\[0\]" must be ≥ 1; got 0/],
    [kongPrediction, { noise: [1, 1] }, /"noise" must have 1 or k \(= 4\) values; got \[1,1\]/],
  ];
  test.each(cases.map(([e, b, m]) => [(e as Experiment).id, b, m, e as Experiment] as const))(
    "%s: %j",
    (_id, bad, message, exp) => {
      let err: unknown;
      try {
        resolveParams(exp, null, bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ParamValidationError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    },
  );
});
