import { describe, expect, test } from "vitest";
import { fromRows, matFrom } from "../linalg/mat.js";
import { key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { checkHeadPenalty, headPenalty, headSpectrum, penaltyActive } from "./headPenalty.js";
import { centralDifference, relativeError } from "./testing.js";

function randomHeads(seed: number, n: number, k: number) {
  const data = new Float64Array(n * k);
  stream(key(seed)).fillNormal(data);
  return matFrom(n, k, data);
}

describe("Bouniot et al.'s head penalty R(W) = λ1 κ(W)² + λ2 ‖WWᵀ‖_F", () => {
  test("values on a diagonal matrix: κ² = (σ1/σr)², ‖WWᵀ‖_F = (Σσ⁴)^{1/2}, mean row norm", () => {
    const W = fromRows([
      [3, 0],
      [0, 0.5],
      [0, 0],
    ]);
    const { value, spectrum } = headPenalty(W, { lambdaCond: 2, lambdaNorm: 0.5 });
    expect(spectrum.sigmaMax).toBeCloseTo(3, 14);
    expect(spectrum.sigmaMin).toBeCloseTo(0.5, 14);
    expect(spectrum.condition).toBeCloseTo(6, 13);
    expect(spectrum.gramNorm).toBeCloseTo(Math.sqrt(81 + 0.0625), 13);
    expect(spectrum.meanNorm).toBeCloseTo(3.5 / 3, 14);
    expect(value).toBeCloseTo(2 * 36 + 0.5 * Math.sqrt(81.0625), 12);
  });

  test.each([
    ["tall (n=7 tasks, k=3)", 7, 3],
    ["square (n=k=4)", 4, 4],
    ["wide (n=2 tasks, k=3): σ_min is σ_2", 2, 3],
  ])("the gradient equals central differences, %s", (_name, n, k) => {
    const W = randomHeads(10 + n * k, n, k);
    for (const pen of [
      { lambdaCond: 1, lambdaNorm: 0 },
      { lambdaCond: 0, lambdaNorm: 1 },
      { lambdaCond: 0.3, lambdaNorm: 0.7 },
    ]) {
      const grad = new Float64Array(n * k);
      headPenalty(W, pen, grad);
      const g = centralDifference((x) => headPenalty(matFrom(n, k, x), pen).value, W.data);
      expect(relativeError(grad, g)).toBeLessThan(1e-6);
    }
  });

  test("the spectrum of W matches the standalone diagnostics", () => {
    const W = randomHeads(3, 9, 3);
    const a = headSpectrum(W);
    const b = headPenalty(W, { lambdaCond: 1, lambdaNorm: 1 }, new Float64Array(27)).spectrum;
    expect(a.condition).toBeCloseTo(b.condition, 10);
    expect(a.sigmaMax).toBeGreaterThanOrEqual(a.sigmaMin);
  });

  test("bad weights are one-line errors naming the parameter, the constraint and the value", () => {
    expect(() => checkHeadPenalty("fit", { lambdaCond: -1 })).toThrow(
      'fit: "lambda_cond" must be a finite number ≥ 0; got -1.',
    );
    expect(() => checkHeadPenalty("fit", { lambdaNorm: Number.NaN })).toThrow(
      'fit: "lambda_norm" must be a finite number ≥ 0; got NaN.',
    );
    expect(checkHeadPenalty("fit", undefined)).toEqual({ lambdaCond: 0, lambdaNorm: 0 });
    expect(penaltyActive({ lambdaCond: 0, lambdaNorm: 0 })).toBe(false);
    expect(penaltyActive({ lambdaNorm: 1e-9 })).toBe(true);
  });

  test("a non-finite W gives NaN (no throw), so a training loop reports the divergence", () => {
    const W = fromRows([
      [1, Number.POSITIVE_INFINITY],
      [0, 1],
    ]);
    const g = new Float64Array(4);
    const r = headPenalty(W, { lambdaCond: 1, lambdaNorm: 1 }, g);
    expect(r.value).toBeNaN();
    expect(Array.from(g).every(Number.isNaN)).toBe(true);
    expect(headSpectrum(W).condition).toBeNaN();
  });
});
