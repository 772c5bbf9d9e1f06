import { describe, expect, test } from "vitest";
import { fromRows } from "../linalg/mat.js";
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
