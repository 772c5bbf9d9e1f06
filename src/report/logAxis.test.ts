import { describe, expect, test } from "vitest";
import { powerOfTen } from "../experiments/notation.js";
import { ladderCeil, ladderFloor, logPositionAxis, logValueAxis, tickLabels } from "./logAxis.js";

describe("log axes", () => {
  test("labels are in one format per axis: plain decimals, or powers of ten written 10⁻⁶", () => {
    expect(tickLabels([0.001, 0.01, 0.1, 1])).toEqual(["0.001", "0.01", "0.1", "1"]);
    expect(tickLabels([1e-8, 1e-6, 0.01, 1])).toEqual(["10⁻⁸", "10⁻⁶", "10⁻²", "10⁰"]);
    expect(tickLabels([2e-17, 1e7])).toEqual(["2×10⁻¹⁷", "10⁷"]);
    expect(tickLabels([0.250453, 1])).toEqual(["0.25", "1"]);
    expect(powerOfTen(-12)).toBe("10⁻¹²");
  });

  test("the y domain runs from a 1–2–5 step below the data to one above it, both labelled", () => {
    expect([ladderFloor(0.0031), ladderCeil(0.0031)]).toEqual([0.002, 0.005]);
    const a = logValueAxis(0.9, 120000);
    expect(a.domain).toEqual([0.5, 200000]);
    expect(a.values[0]).toBe(0.5);
    expect(a.values.at(-1)).toBe(200000);
    expect(a.values).toContain(1);
    expect(a.values).toContain(100000);
    // Capped at the quantity's bound (sin θ ≤ 1).
    expect(logValueAxis(0.05, 0.99, 1).domain).toEqual([0.05, 1]);
    // Less than two decades: 2× and 5× ticks too.
    expect(logValueAxis(0.003, 0.03).values).toEqual([0.002, 0.005, 0.01, 0.02, 0.05]);
    // Many decades: every third, counted from the top, and never writing a number out.
    const wide = logValueAxis(2e-17, 1);
    expect(wide.values).toEqual([2e-17, 1e-15, 1e-12, 1e-9, 1e-6, 0.001, 1]);
    for (const label of wide.labelExpr.match(/"[^"]*"/g) ?? []) expect(label).not.toMatch(/0\.000|e-|e\+/);
    expect(wide.labelExpr).toContain('datum.value === 1e-15 ? "10⁻¹⁵"');
  });

  test("x ticks sit at the swept values, both ends included; many values get decades and ends", () => {
    expect(logPositionAxis([1, 2, 4, 8, 16, 16]).values).toEqual([1, 2, 4, 8, 16]);
    const many = logPositionAxis(Array.from({ length: 30 }, (_, i) => 3 * 1.5 ** i));
    expect(many.values[0]).toBe(3);
    expect(many.values.at(-1)).toBeCloseTo(3 * 1.5 ** 29, 6);
    expect(many.values).toContain(1000);
  });
});
