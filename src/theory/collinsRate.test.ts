import { describe, expect, test } from "vitest";
import { predictedRate, predictedRateOf } from "./collinsRate.js";

describe("Collins et al.'s population rate", () => {
  test("1 − αβµ², from a run's settings, µ from a curve's label over the params", () => {
    expect(predictedRate(0.5, 0.5, 0.5)).toBe(0.9375);
    const params = { alpha: 0.5, beta: 0.5, mu: 1 };
    expect(predictedRateOf(params)).toBe(0.75);
    expect(predictedRateOf({ ...params, ...{ mu: 0.5 } })).toBe(0.9375);
  });

  test("no rate where it is not derived: finite samples, other head laws, non-zero mean, missing α", () => {
    const base = { alpha: 0.5, beta: 0.5, mu: 1, m_in: null, m_out: null };
    expect(predictedRateOf(base)).toBe(0.75);
    expect(predictedRateOf({ ...base, m_in: 10 })).toBeNull();
    expect(predictedRateOf({ ...base, m_out: 10 })).toBeNull();
    expect(predictedRateOf({ ...base, heads: "isotropic" })).toBeNull();
    expect(predictedRateOf({ ...base, head_mean: 0.5 })).toBeNull();
    expect(predictedRateOf({ ...base, alpha: undefined })).toBeNull();
  });
});
