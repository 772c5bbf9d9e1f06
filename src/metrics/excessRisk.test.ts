import { describe, expect, test } from "vitest";
import { fromRows, identity, matFrom } from "../linalg/mat.js";
import { excessRisk, excessRiskCovariance, meanAndStandardError } from "./excessRisk.js";

describe("excess risk", () => {
  test("is ‖B̂ŵ − B*w*‖², zero for the truth, and allows different widths", () => {
    const Bs = fromRows([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    const w = Float64Array.from([2, -1]);
    expect(excessRisk(Bs, w, Bs, w)).toBe(0);
    const Bh = fromRows([[1], [0], [0]]);
    expect(excessRisk(Bh, Float64Array.from([3]), Bs, w)).toBeCloseTo(1 + 1, 14);
    expect(() => excessRisk(Bh, Float64Array.from([1, 2]), Bs, w)).toThrow(/heads must match/);
  });

  test("with a full Σ is ΔᵀΣΔ, and with Σ = I the bytes of the identity formula", () => {
    const Bs = fromRows([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    const Bh = fromRows([
      [0.9, 0.1],
      [0.2, 1.1],
      [0.3, -0.4],
    ]);
    const wh = Float64Array.from([1.7, -0.3]);
    const ws = Float64Array.from([2, -1]);
    // Δ = B̂ŵ − B*w* by hand, Σ = LLᵀ with L lower-triangular: ΔᵀΣΔ = ‖LᵀΔ‖².
    const delta = [0.9 * 1.7 - 0.1 * 0.3 - 2, 0.2 * 1.7 - 1.1 * 0.3 + 1, 0.3 * 1.7 + 0.4 * 0.3];
    const L = [
      [2, 0, 0],
      [0.5, 1, 0],
      [-1, 0.25, 0.5],
    ];
    const S = matFrom(3, 3, new Float64Array(9));
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) S.data[a * 3 + b] += L[a][c] * L[b][c];
    let want = 0;
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let a = 0; a < 3; a++) v += L[a][c] * delta[a];
      want += v * v;
    }
    expect(excessRiskCovariance(Bh, wh, Bs, ws, S)).toBeCloseTo(want, 12);
    expect(excessRiskCovariance(Bh, wh, Bs, ws, identity(3))).toBe(excessRisk(Bh, wh, Bs, ws));
    expect(() => excessRiskCovariance(Bh, wh, Bs, ws, identity(2))).toThrow("Σ must be 3 × 3; got 2 × 2");
  });

  test("mean and standard error", () => {
    const r = meanAndStandardError([1, 2, 3, 4]);
    expect(r.mean).toBe(2.5);
    expect(r.se).toBeCloseTo(Math.sqrt(5 / 3 / 4), 14);
    expect(meanAndStandardError([1]).se).toBeNull();
  });
});

test("with a diagonal input covariance the excess risk is ‖Σ^{1/2}(B̂ŵ − B*w*)‖², and Σ = I gives the plain formula", () => {
  const Bhat = matFrom(3, 1, Float64Array.from([1, 0, 0]));
  const Bstar = matFrom(3, 1, Float64Array.from([0, 1, 0]));
  const w = Float64Array.from([2]);
  const ws = Float64Array.from([3]);
  // δ = (2, −3, 0).
  expect(excessRisk(Bhat, w, Bstar, ws)).toBe(13);
  expect(excessRisk(Bhat, w, Bstar, ws, [1, 1, 1])).toBe(13);
  expect(excessRisk(Bhat, w, Bstar, ws, [0.5, 2, 7])).toBe(0.5 * 4 + 2 * 9);
});
