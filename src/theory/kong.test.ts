import { describe, expect, test } from "vitest";
import { fitLogLogLine } from "../metrics/loglogSlope.js";
import { heavyTaskCount, heavyTaskSize, KONG_LAW_SLOPES, lightTaskBudget } from "./kong.js";

describe("Kong et al. sample-complexity laws", () => {
  test("the laws' exponents: n_L ∝ d k², t_H ∝ √k, n_H ∝ k^{3/2}", () => {
    expect(lightTaskBudget(2 * 32, 4) / lightTaskBudget(32, 4)).toBe(2);
    expect(lightTaskBudget(32, 8) / lightTaskBudget(32, 4)).toBe(4);
    expect(heavyTaskSize(64) / heavyTaskSize(16)).toBe(2);
    expect(heavyTaskCount(16) / heavyTaskCount(4)).toBeCloseTo(8, 12);
    expect(KONG_LAW_SLOPES).toEqual({ "light-d": 1, "light-k": 2, "heavy-k": 0.5 });
  });

  test("the fitted log-log slope recovers an exact power law and ignores null/non-positive points", () => {
    const x = [2, 4, 8, 16, 32];
    const fit = fitLogLogLine(
      x,
      x.map((v) => 3 * v ** 1.7),
    );
    expect(fit!.slope).toBeCloseTo(1.7, 12);
    expect(fit!.intercept).toBeCloseTo(Math.log(3), 12);
    const gappy = fitLogLogLine(x, [null, 4 ** 0.5, 0, 16 ** 0.5, 32 ** 0.5]);
    expect(gappy!.slope).toBeCloseTo(0.5, 12);
    expect(gappy!.points).toBe(3);
    expect(fitLogLogLine([1, 2], [5, null])).toBeNull();
    expect(fitLogLogLine([3, 3], [1, 2])).toBeNull();
  });
});
