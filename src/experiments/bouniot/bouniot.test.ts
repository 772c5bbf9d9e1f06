import { describe, expect, test } from "vitest";
import { ParamValidationError } from "../params.js";
import { resolveParams } from "../resolve.js";
import { curvesOf, runExperiment } from "../testing.js";
import { bouniotRegularisation, chooseLambda, lambdaGrid, lambdaName } from "./regularisation.js";

const last = (y: number[]) => y[y.length - 1];

describe("bouniot-regularisation: λ chosen on validation tasks, then paired without/with at the same data", () => {
  test("the grid is λ1 × λ2 without (0, 0); the choice is the lowest validation excess, never a non-finite one", () => {
    expect(lambdaGrid({ lambda_conds: [0, 0.1], lambda_norms: [0, 1] })).toEqual([
      { lambdaCond: 0, lambdaNorm: 1 },
      { lambdaCond: 0.1, lambdaNorm: 0 },
      { lambdaCond: 0.1, lambdaNorm: 1 },
    ]);
    expect(chooseLambda([0.3, 0.2, 0.2, 0.5])).toBe(1);
    expect(chooseLambda([Number.POSITIVE_INFINITY, Number.NaN, 0.7])).toBe(2);
  });

  test("Collins setting, µ = 0.1: per seed the chosen λ is the validation minimum, the on-run is that λ's run, κ(W′) is lower with λ1 > 0", () => {
    const rec = runExperiment(
      bouniotRegularisation,
      {
        parts: ["collins"],
        mus: [0.1],
        meta_iters: 100,
        lambda_conds: [0, 0.01],
        lambda_norms: [0],
        validation: 30,
        targets: 30,
      },
      [0, 1, 2],
    );
    const off = curvesOf(rec, { part: "collins", mu: 0.1, penalty: "off" }, "dist");
    const on = curvesOf(rec, { part: "collins", mu: 0.1, penalty: "on" }, "dist");
    const all = curvesOf(rec, { learner: "anil", method: "all λ" });
    const kOff = curvesOf(rec, { part: "collins", mu: 0.1, penalty: "off" }, "κ(W′)");
    const kOn = curvesOf(rec, { part: "collins", mu: 0.1, penalty: "on" }, "κ(W′)");
    rec.result.seeds.forEach((r, s) => {
      // One penalised grid point: it is chosen, and the curves say which.
      expect(on[s].metrics.lambda_cond).toBe(0.01);
      expect(off[s].metrics.lambda_cond).toBe(0);
      expect(r.scalars["lambda_cond:anil[part=collins,mu=0.1]"]).toBe(0.01);
      // The validation curve holds (0, 0) and the grid point, equal to the arms' own numbers.
      expect(all[s].metrics[lambdaName({ lambdaCond: 0, lambdaNorm: 0 })]).toBe(off[s].metrics.validation);
      expect(all[s].metrics[lambdaName({ lambdaCond: 0.01, lambdaNorm: 0 })]).toBe(on[s].metrics.validation);
      // Same data: the first batch's W′ (before any update) is the same with and without.
      expect(kOn[s].y[0]).toBe(kOff[s].y[0]);
      expect(last(kOn[s].y)).toBeLessThan(last(kOff[s].y));
      expect(on[s].metrics.kappa!).toBeLessThan(off[s].metrics.kappa!);
      expect(on[s].metrics.final).toBe(last(on[s].y));
      // The paired ratio is on / off of the same seed.
      const ratio = curvesOf(rec, { part: "collins", mu: 0.1, quantity: "penalised / plain" })[s];
      expect(ratio.metrics.dist).toBeCloseTo(on[s].metrics.dist! / off[s].metrics.dist!, 14);
    });
  });

  test("Du setting, κ(W*) = 16: the chosen λ minimises the validation excess over the grid, and the test targets are not the validation tasks", () => {
    const rec = runExperiment(
      bouniotRegularisation,
      {
        parts: ["du"],
        kappas: [16],
        erm_methods: ["bm"],
        lambda_conds: [0, 1e-3, 1e-1],
        lambda_norms: [0, 1e-2],
        T: 100,
        targets: 50,
        validation: 50,
        bm_iters: 200,
      },
      [0, 1],
    );
    expect(curvesOf(rec, { quantity: "cond(W*)" })[0].y[0]).toBeCloseTo(16, 8);
    const off = curvesOf(rec, { method: "bm", penalty: "off" }, "excess over oracle");
    const on = curvesOf(rec, { method: "bm", penalty: "on" }, "excess over oracle");
    const all = curvesOf(rec, { learner: "bm", method: "all λ" });
    const grid = lambdaGrid({ lambda_conds: [0, 1e-3, 1e-1], lambda_norms: [0, 1e-2] });
    rec.result.seeds.forEach((_, s) => {
      const val = grid.map((l) => all[s].metrics[lambdaName(l)] as number);
      const chosen = grid[val.indexOf(Math.min(...val))];
      expect(on[s].metrics.lambda_cond).toBe(chosen.lambdaCond);
      expect(on[s].metrics.lambda_norm).toBe(chosen.lambdaNorm);
      expect(on[s].metrics.validation).toBe(Math.min(...val));
      // Validation and test excess come from different tasks.
      expect(off[s].metrics.excess).not.toBe(off[s].metrics.validation);
      expect(off[s].metrics.final).toBe(off[s].metrics.excess);
    });
  });

  test("Du setting: the κ term lowers κ of Burer–Monteiro's learned heads V, every seed", () => {
    const rec = runExperiment(
      bouniotRegularisation,
      {
        parts: ["du"],
        kappas: [16],
        erm_methods: ["bm"],
        lambda_conds: [0, 0.1],
        lambda_norms: [0],
        T: 100,
        targets: 30,
        validation: 30,
        bm_iters: 200,
      },
      [0, 1, 2],
    );
    const off = curvesOf(rec, { method: "bm", penalty: "off" }, "excess over oracle");
    const on = curvesOf(rec, { method: "bm", penalty: "on" }, "excess over oracle");
    off.forEach((c, s) => {
      expect(on[s].metrics.kappa!).toBeLessThan(c.metrics.kappa!);
    });
  });

  test("bad grids and weights are one line naming the parameter, the constraint and the value", () => {
    expect(() => resolveParams(bouniotRegularisation, "smoke", { lambda_conds: [-1] })).toThrow(
      ParamValidationError,
    );
    expect(() => resolveParams(bouniotRegularisation, "smoke", { lambda_norms: [0, -0.5] })).toThrow(
      /"lambda_norms\[1\]" must be ≥ 0; got -0\.5/,
    );
    expect(() =>
      resolveParams(bouniotRegularisation, "smoke", { lambda_conds: [0], lambda_norms: [0] }),
    ).toThrow(/"lambda_conds" or lambda_norms must hold a weight > 0/);
  });
});
