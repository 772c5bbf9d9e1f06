import { describe, expect, test } from "vitest";
import { fromRows, matFrom } from "../linalg/mat.js";
import { key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { checkHeadPenalty, headPenalty, headSpectrum, penaltyActive } from "./headPenalty.js";
import { centralDifference, naiveHeadPenalty, relativeError } from "./testing.js";

function randomHeads(seed: number, n: number, k: number) {
  const data = new Float64Array(n * k);
  stream(key(seed)).fillNormal(data);
  return matFrom(n, k, data);
}

describe("Bouniot et al.'s head penalty R(W) = λ1 κ(W̃)² + λ2 ‖W̃W̃ᵀ‖_F, W̃ = W/√n", () => {
  test("values on a diagonal matrix: κ² = (σ1/σr)², ‖W̃W̃ᵀ‖_F = (Σσ⁴)^{1/2}/n, mean row norm", () => {
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
    // n = 3 rows: ‖W̃W̃ᵀ‖_F = ‖WWᵀ‖_F / 3; κ(W̃) = κ(W).
    expect(value).toBeCloseTo(2 * 36 + (0.5 * Math.sqrt(81.0625)) / 3, 12);
  });

  test.each([
    ["tall (n=7, k=3)", 7, 3],
    ["square (n=k=4)", 4, 4],
    ["wide (n=2, k=3)", 2, 3],
  ])(
    "the value equals SPEC §1.3 written out (W̃ = W/√n formed, eigenvalues, n × n product), %s",
    (_name, n, k) => {
      const W = randomHeads(20 + n * k, n, k);
      const rows = Array.from({ length: n }, (_, i) => Array.from(W.data.subarray(i * k, (i + 1) * k)));
      for (const pen of [
        { lambdaCond: 1, lambdaNorm: 0 },
        { lambdaCond: 0, lambdaNorm: 1 },
        { lambdaCond: 0.3, lambdaNorm: 0.7 },
      ]) {
        const ref = naiveHeadPenalty(rows, pen);
        expect(Math.abs(headPenalty(W, pen).value - ref)).toBeLessThan(1e-10 * ref);
      }
    },
  );

  test("the gradient is the chain through W̃ = W/√n: central differences of the written-out R", () => {
    for (const [n, k] of [
      [9, 3],
      [3, 5],
    ]) {
      const W = randomHeads(40 + n, n, k);
      const pen = { lambdaCond: 0.4, lambdaNorm: 0.9 };
      const grad = new Float64Array(n * k);
      headPenalty(W, pen, grad);
      const rowsOf = (x: Float64Array) =>
        Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * k, (i + 1) * k)));
      const g = centralDifference((x) => naiveHeadPenalty(rowsOf(x), pen), W.data);
      expect(relativeError(grad, g)).toBeLessThan(1e-6);
    }
  });

  test("for i.i.d. heads the penalty does not grow with n: ‖W̃W̃ᵀ‖_F → ‖E wwᵀ‖_F, κ(W̃) → κ(Σ_w)^{1/2}", () => {
    // Heads w ~ N(0, diag(1, 1, 1/4)): E wwᵀ = diag(1, 1, 1/4), ‖·‖_F = √2.0625, κ → 2.
    const k = 3;
    const scale = [1, 1, 0.5];
    const values = [10, 100, 1000, 10000].map((n) => {
      const W = randomHeads(7, n, k);
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) W.data[i * k + c] *= scale[c];
      return {
        n,
        norm: headPenalty(W, { lambdaCond: 0, lambdaNorm: 1 }).value,
        cond: headPenalty(W, { lambdaCond: 1, lambdaNorm: 0 }).value,
      };
    });
    const limit = Math.sqrt(2.0625);
    for (const v of values) {
      // Bounded at every n (unnormalised, the term would be ≈ n·1.44: 14, 144, 1440, 14400).
      expect(v.norm).toBeLessThan(3 * limit);
      expect(v.cond).toBeLessThan(100);
    }
    const big = values[values.length - 1];
    expect(Math.abs(big.norm - limit)).toBeLessThan(0.05 * limit);
    expect(Math.abs(big.cond - 4)).toBeLessThan(0.4);
    // From 1000 to 10000 rows the λ2 term moves by sampling noise only, not ×10.
    expect(big.norm / values[2].norm).toBeGreaterThan(0.9);
    expect(big.norm / values[2].norm).toBeLessThan(1.1);
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
