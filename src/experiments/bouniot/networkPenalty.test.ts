import { describe, expect, test } from "vitest";
import { getNetworkMethod } from "../../algorithms/network/methods.js";
import { buildModel } from "../../algorithms/network/models.js";
import { trainNetwork } from "../../algorithms/network/train.js";
import { matFrom } from "../../linalg/mat.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleGroundTruth } from "../../models/linearRepresentation.js";
import { reluTasks } from "../../models/reluRepresentation.js";
import { foldInString } from "../../rng/key.js";
import { ParamValidationError } from "../params.js";
import { resolveParams } from "../resolve.js";
import { conditionKey } from "../runner.js";
import { curvesOf, runExperiment } from "../testing.js";
import { bouniotNetwork } from "./networkPenalty.js";
import { lambdaName } from "./regularisation.js";

const small = {
  d: 5,
  k: 2,
  n: 5,
  m_in: 8,
  m_out: 8,
  mus: [0.1],
  iters: 40,
  lambda_conds: [0, 1e-3],
  lambda_norms: [0, 0.1],
  validation: 10,
  targets: 12,
};

describe("bouniot-network: the head penalty on a ReLU network's adapted heads, λ chosen on validation tasks", () => {
  const rec = runExperiment(bouniotNetwork, small, [0, 1]);

  test("per seed, the on-arm is the grid point with the lowest validation MSE, and the curves say which", () => {
    const off = curvesOf(rec, { mu: 0.1, penalty: "off" }, "dist");
    const on = curvesOf(rec, { mu: 0.1, penalty: "on" }, "dist");
    const all = curvesOf(rec, { method: "all λ" });
    rec.result.seeds.forEach((_, s) => {
      const grid = [
        { lambdaCond: 0, lambdaNorm: 0.1 },
        { lambdaCond: 1e-3, lambdaNorm: 0 },
        { lambdaCond: 1e-3, lambdaNorm: 0.1 },
      ].map((l) => ({ l, v: all[s].metrics[lambdaName(l)] as number }));
      const best = grid.reduce((a, b) => (b.v < a.v ? b : a));
      expect(on[s].metrics.lambda_cond).toBe(best.l.lambdaCond);
      expect(on[s].metrics.lambda_norm).toBe(best.l.lambdaNorm);
      expect(on[s].metrics.validation).toBe(best.v);
      expect(off[s].metrics.validation).toBe(all[s].metrics[lambdaName({ lambdaCond: 0, lambdaNorm: 0 })]);
      // Same start, same first batch: the distance before any update is the same in both arms.
      expect(on[s].y[0]).toBe(off[s].y[0]);
      expect(on[s].metrics.final).toBe(on[s].y[on[s].y.length - 1]);
      const ratio = curvesOf(rec, { mu: 0.1, quantity: "penalised / plain" })[s];
      expect(ratio.metrics.mse).toBeCloseTo(
        (on[s].metrics.mse as number) / (off[s].metrics.mse as number),
        14,
      );
    });
  });

  test("the off arm is plain ANIL on the family's tasks (an independent run of the trainer reproduces its dist curve)", () => {
    const p = resolveParams(bouniotNetwork, null, small);
    const key = conditionKey(bouniotNetwork, { mu: 0.1 }, 0, 0);
    const Bstar = sampleGroundTruth(foldInString(key, "truth"), p.d, p.k);
    const Q = sampleGroundTruth(foldInString(key, "init"), p.d, p.k);
    const model = buildModel(
      "mlp",
      { widths: [p.k], activation: "relu", bias: false },
      { inputs: p.d, outputs: 1 },
    );
    const dist: number[] = [];
    trainNetwork(
      {
        method: getNetworkMethod("anil"),
        model: { id: "mlp", model },
        inner: { alpha: p.alpha, steps: 1, loss: "half-mse" },
        beta: p.beta,
        iterations: p.iters,
        optimizer: { kind: "sgd" },
      },
      [Float64Array.from(Q.data), new Float64Array(p.k)],
      (t) => reluTasks(p, 0.1, Bstar, key, t),
      (_t, ps) => dist.push(subspaceDistance(matFrom(p.d, p.k, Float64Array.from(ps[0])), Bstar)),
    );
    expect(curvesOf(rec, { mu: 0.1, penalty: "off" }, "dist")[0].y).toEqual(dist);
  });

  test("bad input: avg-gd has no per-task heads, a grid without a penalised point, k > d", () => {
    expect(() => resolveParams(bouniotNetwork, "smoke", { method: "avg-gd" })).toThrow(ParamValidationError);
    expect(() => resolveParams(bouniotNetwork, "smoke", { lambda_conds: [0], lambda_norms: [0] })).toThrow(
      /"lambda_conds" or lambda_norms must hold a weight > 0/,
    );
    expect(() => resolveParams(bouniotNetwork, "smoke", { k: 9, d: 4 })).toThrow(/"k" must be ≤ d/);
  });
});
