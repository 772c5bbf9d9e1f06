import { describe, expect, test } from "vitest";
import { fromRows, matFrom } from "../linalg/mat.js";
import { excessRisk, meanAndStandardError } from "./excessRisk.js";

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
