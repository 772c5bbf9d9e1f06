import { describe, expect, it } from "vitest";
import { DimensionError } from "./errors.js";
import { axpy, dot, norm2, scal } from "./vector.js";

const v = (...x: number[]) => new Float64Array(x);

describe("vector helpers", () => {
  it("dot, axpy and scal compute xᵀy, αx + y and αx", () => {
    expect(dot(v(1, 2, 3), v(4, -5, 6))).toBe(12);
    expect(Array.from(axpy(2, v(1, 2), v(10, 20)))).toEqual([12, 24]);
    expect(Array.from(scal(-3, v(1, 2)))).toEqual([-3, -6]);
  });

  it("dot and axpy reject vectors of different lengths with a DimensionError", () => {
    expect(() => dot(v(1, 2), v(1))).toThrow(DimensionError);
    expect(() => axpy(1, v(1, 2), v(1))).toThrow(/equal length; got 2 and 1/);
  });

  it("norm2 neither overflows nor underflows", () => {
    expect(norm2(v(3, 4))).toBe(5);
    expect(norm2(v(3e200, 4e200)) / 5e200).toBeCloseTo(1, 14);
    expect(norm2(v(3e-200, 4e-200)) / 5e-200).toBeCloseTo(1, 14);
    expect(norm2(v(0, 0))).toBe(0);
    expect(norm2(v(1, Number.NaN))).toBeNaN();
  });
});
