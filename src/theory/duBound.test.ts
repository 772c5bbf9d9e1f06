import { describe, expect, test } from "vitest";
import { duBound, duRepresentationTerm, fitConstant, olsLevel, oracleLevel } from "./duBound.js";

describe("Du et al.'s bound and the reference levels", () => {
  test("dk/(n1T) + k/n2 at the defaults is the NumPy reference's theory_ref (0.106)", () => {
    expect(duBound({ d: 20, k: 3, n1: 25, T: 400, n2: 30 })).toBeCloseTo(0.106, 14);
    expect(duRepresentationTerm(20, 3, 25, 400)).toBeCloseTo(0.006, 15);
  });

  test("oracle and OLS levels, undefined where the inverse Wishart has no mean", () => {
    expect(oracleLevel(1, 3, 30)).toBeCloseTo(3 / 26, 15);
    expect(olsLevel(2, 20, 30)).toBeCloseTo((4 * 20) / 9, 14);
    expect(oracleLevel(1, 3, 4)).toBeNull();
    expect(olsLevel(1, 20, 21)).toBeNull();
  });

  test("the fitted constant is the geometric mean of measured/predicted", () => {
    expect(fitConstant([2, 8], [1, 2])).toBeCloseTo(Math.sqrt(2 * 4), 14);
    expect(fitConstant([0, -1], [1, 1])).toBeNull();
  });
});
