import { describe, expect, test } from "vitest";
import { matFrom, zeros } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { conditionNumber } from "../../metrics/conditioning.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleSourceTasks } from "../../models/fewShotTasks.js";
import { key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { centralDifference, naiveHeadPenalty, relativeError } from "../testing.js";
import { altMinGdEstimate, averageLossGradient } from "./altMinGd.js";
import { anilEstimate } from "./anil.js";
import { burerMonteiroEstimate, burerMonteiroFactors, burerMonteiroObjective } from "./burerMonteiro.js";
import { addHeadPenaltyGradient, penalisedFactoredObjective } from "./headPenaltyErm.js";
import { taskHeads } from "./heads.js";
import type { EstimatorContext } from "./types.js";

const src = sampleSourceTasks(
  { d: 7, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
  9,
  6,
  key(2),
);
const pens = [
  { lambdaCond: 0.3, lambdaNorm: 0 },
  { lambdaCond: 0, lambdaNorm: 0.4 },
  { lambdaCond: 0.2, lambdaNorm: 0.5 },
];

describe("the head penalty in the ERM estimators of Du et al.'s source stage", () => {
  test("Burer–Monteiro: the gradient of f(B, V) + R(V) equals central differences", () => {
    const x = new Float64Array(7 * 2 + 9 * 2);
    stream(key(4)).fillNormal(x);
    for (const pen of pens) {
      const plain = burerMonteiroObjective(src.data, 2, 0.1);
      const f = penalisedFactoredObjective(plain, 7, 2, 9, pen);
      const g = new Float64Array(x.length);
      // The added value is R(V) of SPEC §1.3 with Ṽ = V/√T, T = 9 tasks.
      const V = Array.from({ length: 9 }, (_, t) => Array.from(x.subarray(14 + 2 * t, 16 + 2 * t)));
      const added = f(x, g) - plain(x, new Float64Array(x.length));
      expect(Math.abs(added - naiveHeadPenalty(V, pen))).toBeLessThan(1e-10 * added);
      const scratch = new Float64Array(x.length);
      expect(
        relativeError(
          g,
          centralDifference((y) => f(y, scratch), x),
        ),
      ).toBeLessThan(1e-6);
    }
  });

  test("AltMinGD: the gradient of L(B, Ŵ(B)) + R(Ŵ(B)), through the least-squares heads, equals central differences", () => {
    const G0 = zeros(7, 2);
    stream(key(5)).fillNormal(G0.data);
    for (const B of [G0, orthonormalize(G0)]) {
      for (const pen of pens) {
        const F = (b: Float64Array) => {
          const Bm = matFrom(7, 2, b);
          const W = taskHeads(src.data, Bm);
          const rows = Array.from({ length: W.rows }, (_, t) =>
            Array.from(W.data.subarray(t * 2, t * 2 + 2)),
          );
          return averageLossGradient(src.data, Bm, W, zeros(7, 2)) + naiveHeadPenalty(rows, pen);
        };
        const W = taskHeads(src.data, B);
        const grad = zeros(7, 2);
        averageLossGradient(src.data, B, W, grad);
        addHeadPenaltyGradient(src.data, B, W, pen, grad);
        expect(relativeError(grad.data, centralDifference(F, B.data))).toBeLessThan(1e-6);
      }
    }
  });

  test("λ = 0 gives the same bytes as no option (Burer–Monteiro, AltMinGD, ANIL)", () => {
    const ctx = { key: key(1) };
    const zero = { lambdaCond: 0, lambdaNorm: 0 };
    const same = (a: { B: { data: Float64Array }; info: object }, b: typeof a) =>
      expect(JSON.stringify([Array.from(a.B.data), a.info])).toBe(
        JSON.stringify([Array.from(b.B.data), b.info]),
      );
    same(
      burerMonteiroEstimate(src.data, 2, { iters: 30 }, ctx),
      burerMonteiroEstimate(src.data, 2, { iters: 30, ...zero }, ctx),
    );
    same(
      altMinGdEstimate(src.data, 2, { iters: 5 }, ctx),
      altMinGdEstimate(src.data, 2, { iters: 5, ...zero }, ctx),
    );
    same(
      anilEstimate(src.data, 2, { epochs: 5 }, ctx, false),
      anilEstimate(src.data, 2, { epochs: 5, ...zero }, ctx, false),
    );
  });

  test("negative weights are one-line errors", () => {
    expect(() => burerMonteiroEstimate(src.data, 2, { lambdaCond: -1 }, { key: key(0) })).toThrow(
      'bm: "lambda_cond" must be a finite number ≥ 0; got -1.',
    );
    expect(() => altMinGdEstimate(src.data, 2, { lambdaNorm: -2 }, { key: key(0) })).toThrow(
      'altmin-gd: "lambda_norm" must be a finite number ≥ 0; got -2.',
    );
  });

  test("Burer–Monteiro with λ1 > 0 on ill-conditioned W* (κ = 16): the learned heads V are better conditioned, every seed", () => {
    for (let seed = 0; seed < 4; seed++) {
      const s = sampleSourceTasks(
        { d: 10, k: 3, sigma: 0.3, heads: { kind: "condition", scale: 1, kappa: 16 } },
        60,
        20,
        key(seed),
      );
      expect(conditionNumber(s.W)).toBeCloseTo(16, 8);
      const kappaOfV = (lambdaCond: number) =>
        conditionNumber(burerMonteiroFactors(s.data, 3, { iters: 200, lambdaCond }, { key: key(seed) }).V);
      expect(kappaOfV(0.01)).toBeLessThan(kappaOfV(0));
    }
  });
});

describe("iteration traces of the iterative estimators (ctx.onIteration)", () => {
  test.each([
    [
      "bm",
      (ctx: EstimatorContext) => burerMonteiroEstimate(src.data, 2, { iters: 30, lambdaCond: 0.01 }, ctx),
    ],
    ["altmin-gd", (ctx: EstimatorContext) => altMinGdEstimate(src.data, 2, { iters: 7 }, ctx)],
    [
      "anil",
      (ctx: EstimatorContext) => anilEstimate(src.data, 2, { epochs: 4, lambdaNorm: 0.001 }, ctx, false),
    ],
  ] as const)("%s reports every iteration, and the last B spans the returned B̂", (_id, run) => {
    const seen: number[] = [];
    let last: Float64Array | null = null;
    const fit = run({
      key: key(1),
      onIteration: (B, t) => {
        seen.push(t);
        last = B.data.slice();
      },
    });
    expect(fit.status).toBe("ok");
    expect(seen).toEqual(Array.from({ length: fit.iterations }, (_, i) => i + 1));
    expect(subspaceDistance(matFrom(7, 2, last!), fit.B)).toBeLessThan(1e-12);
  });
});
