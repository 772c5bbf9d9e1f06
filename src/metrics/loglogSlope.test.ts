import { describe, expect, test } from "vitest";
import { fitLogLogLine } from "./loglogSlope.js";

describe("log-log slope", () => {
  test("recovers the exponent and constant of a power law exactly", () => {
    const x = [25, 50, 100, 200, 400];
    const fit = fitLogLogLine(
      x,
      x.map((t) => 3 * t ** -1.5),
    )!;
    expect(fit.slope).toBeCloseTo(-1.5, 12);
    expect(Math.exp(fit.intercept)).toBeCloseTo(3, 10);
    expect(fit.points).toBe(5);
  });

  test("skips non-positive points and needs two distinct x", () => {
    expect(fitLogLogLine([1, 2, 4], [1, -1, 0.25])!.slope).toBeCloseTo(-1, 12);
    expect(fitLogLogLine([2, 2], [1, 3])).toBeNull();
    expect(fitLogLogLine([2], [1])).toBeNull();
  });
});
