import { describe, expect, test } from "vitest";
import { ParamValidationError } from "../params.js";
import { resolveParams } from "../resolve.js";
import { curvesOf, runExperiment } from "../testing.js";
import { bouniotRegularisation } from "./regularisation.js";

const last = (y: number[]) => y[y.length - 1];

describe("bouniot-regularisation: the penalty does what it says, at the same data", () => {
  test("Collins setting, low diversity (µ ∈ {0.3, 0.1}): κ(W′) after training is lower with λ1 > 0, every seed", () => {
    const rec = runExperiment(
      bouniotRegularisation,
      { parts: ["collins"], mus: [0.3, 0.1], meta_iters: 100 },
      [0, 1, 2],
    );
    for (const mu of [0.3, 0.1]) {
      const off = curvesOf(rec, { part: "collins", mu, penalty: "off" }, "κ(W′)");
      const on = curvesOf(rec, { part: "collins", mu, penalty: "on" }, "κ(W′)");
      off.forEach((c, s) => {
        // Same data: the first batch's W′ (before any update) is the same with and without.
        expect(on[s].y[0]).toBe(c.y[0]);
        expect(last(on[s].y)).toBeLessThan(last(c.y));
      });
    }
  });

  test("Du setting, κ(W*) = 16: Burer–Monteiro's learned heads V are better conditioned with λ1 > 0, every seed", () => {
    const rec = runExperiment(
      bouniotRegularisation,
      { parts: ["du"], kappas: [16], erm_methods: ["bm"], T: 100, targets: 50, bm_iters: 200 },
      [0, 1, 2],
    );
    const off = curvesOf(rec, { method: "bm", penalty: "off" }, "κ(V) of the learned heads");
    const on = curvesOf(rec, { method: "bm", penalty: "on" }, "κ(V) of the learned heads");
    expect(curvesOf(rec, { quantity: "cond(W*)" })[0].y[0]).toBeCloseTo(16, 8);
    off.forEach((c, s) => {
      expect(on[s].y[0]).toBeLessThan(c.y[0]);
    });
  });

  test("a negative λ is one line naming the parameter, the constraint and the value", () => {
    expect(() => resolveParams(bouniotRegularisation, "smoke", { lambda_cond: -1 })).toThrow(
      ParamValidationError,
    );
    expect(() => resolveParams(bouniotRegularisation, "smoke", { lambda_norm: -0.5 })).toThrow(
      /"lambda_norm" must be ≥ 0; got -0\.5/,
    );
  });
});
