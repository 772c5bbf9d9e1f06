import { describe, expect, it } from "vitest";
import { dejavuTextWidth, vegaTextWidth } from "./textWidth.js";

describe("dejavuTextWidth", () => {
  it("sums DejaVu Sans advance widths: 'dist' at 10 px is (0.635 + 0.278 + 0.521 + 0.392) em", () => {
    expect(dejavuTextWidth("dist", 10)).toBeCloseTo(18.26, 10);
    expect(dejavuTextWidth("", 10)).toBe(0);
  });

  it("is wider in bold and covers the Greek letters of the labels", () => {
    expect(dejavuTextWidth("dist", 10, true)).toBeGreaterThan(dejavuTextWidth("dist", 10));
    expect(dejavuTextWidth("µσαβθ", 10)).toBeCloseTo(6.36 + 6.34 + 6.59 + 6.38 + 6.12, 10);
  });
});

describe("vegaTextWidth", () => {
  it("reads font size and weight from the vega text item, defaulting to 11 px regular", () => {
    expect(vegaTextWidth({}, "dist")).toBeCloseTo(dejavuTextWidth("dist", 11), 12);
    expect(vegaTextWidth({ fontSize: 20, fontWeight: "bold" }, " dist ")).toBeCloseTo(
      dejavuTextWidth("dist", 20, true),
      12,
    );
    expect(vegaTextWidth({ fontWeight: 700 }, "x")).toBe(dejavuTextWidth("x", 11, true));
    expect(vegaTextWidth({ fontSize: 0 }, "dist")).toBe(0);
    expect(vegaTextWidth({}, null)).toBe(0);
  });
});
