import type { TopLevelSpec } from "vega-lite";
import { describe, expect, it } from "vitest";
import { duDiversity } from "../experiments/du/diversity.js";
import { duExcessRisk } from "../experiments/du/excessRisk.js";
import {
  diversityFigure,
  excessOverOracleFigure,
  excessRiskFigure,
  sinThetaFigure as SIN_THETA,
} from "../experiments/du/figures.js";
import { tripuraneniMom } from "../experiments/du/tripuraneniMom.js";
import { resolveParams } from "../experiments/resolve.js";
import type { Experiment } from "../experiments/types.js";
import { runRecord } from "../record/run.js";
import type { RunRecord } from "../record/types.js";
import { duBound } from "../theory/duBound.js";
import { buildFigure, type FigureOptions } from "./buildFigure.js";
import { compileStrict } from "./testing.js";

/** The few-shot figures, as the experiments declare them, drawn by the grammar's builder. */
const fewShotRiskFigure = (r: RunRecord, o: FigureOptions = {}) => buildFigure(excessRiskFigure, r, o);
const fewShotExcessFigure = (r: RunRecord) => buildFigure(excessOverOracleFigure, r);
const fewShotDiversityFigure = (r: RunRecord) => buildFigure(diversityFigure, r);
const sinThetaFigure = (r: RunRecord) => buildFigure(SIN_THETA, r);

type Row = Record<string, unknown>;
const ctx = { progress: () => {}, warn: () => {} };

function record(e: Experiment, overrides: Record<string, unknown>): RunRecord {
  const params = resolveParams(e, null, overrides) as Record<string, unknown>;
  return runRecord({ experiment: e, params, size: null, seed: 0, seedIndices: [0, 1], command: "test", ctx });
}

const rows = (s: TopLevelSpec) => (s as { data: { values: Row[] } }).data.values;
const subtitle = (s: TopLevelSpec) => (s as { title: { subtitle: string[] } }).title.subtitle.join(" | ");

describe("few-shot figures", () => {
  const small = {
    d: 8,
    k: 2,
    T: 40,
    n1: 10,
    n2: 12,
    Ts: [20, 40, 80],
    n1s: [5, 10],
    n2s: [6, 12],
    targets: 30,
    methods: ["mom", "altmin", "oracle", "ols"],
  };
  const rec = record(duExcessRisk, small);

  it("ER figure: one log-log panel per sweep, the fitted theory C·(dk/(n1T)+k/n2) and the reference levels", () => {
    const spec = fewShotRiskFigure(rec, { title: "ER" });
    expect(compileStrict(spec).messages).toEqual([]);
    expect((spec as { concat: { title: { text: string } }[] }).concat.map((c) => c.title.text)).toEqual([
      "vs T",
      "vs n₁",
      "vs n₂",
    ]);
    const theory = rows(spec).filter((r) => r.kind === "theory" && String(r.method).startsWith("C·"));
    // The curve is C × the bound at every x: the ratio is one constant per panel.
    const inT = theory.filter((r) => r.panel === "vs T");
    const ratios = inT.map(
      (r) => (r.y as number) / duBound({ d: 8, k: 2, n1: 10, n2: 12, T: r.x as number }),
    );
    for (const q of ratios) expect(q).toBeCloseTo(ratios[0], 10);
    expect(String(inT[0].method)).toContain("C fitted to AltMin");
    expect(subtitle(spec)).toMatch(/fitted \(least squares in log space\), not from the paper/);
    expect(subtitle(spec)).toMatch(/fitted log-log slopes of the medians vs T: MoM -?\d\.\d\d, AltMin/);
    expect(rows(spec).some((r) => r.method === "oracle level σ²k/(n₂−k−1)")).toBe(true);
    expect(JSON.stringify(spec)).toContain('"type":"log"');
  });

  it("excess-over-oracle figure: no OLS, the fitted C·dk/(n1T), slopes", () => {
    const spec = fewShotExcessFigure(rec);
    expect(compileStrict(spec).messages).toEqual([]);
    const methods = new Set(
      rows(spec)
        .filter((r) => r.kind === "series")
        .map((r) => r.method),
    );
    expect(methods.has("OLS in ℝᵈ (no representation)")).toBe(false);
    expect(methods.has("AltMin")).toBe(true);
    expect(rows(spec).some((r) => String(r.method).startsWith("C·dk/(n₁T)"))).toBe(true);
  });

  it("diversity and sin θ figures compile and carry their series", () => {
    const div = fewShotDiversityFigure(
      record(duDiversity, { d: 8, k: 2, T: 40, n1: 10, kappas: [1, 4], targets: 20 }),
    );
    expect(compileStrict(div).messages).toEqual([]);
    expect(
      rows(div)
        .filter((r) => r.kind === "series")
        .map((r) => r.x),
    ).toContain(4);
    const sin = sinThetaFigure(record(tripuraneniMom, { d: 12, k: 2, Ts: [20, 40], n1s: [5, 10] }));
    expect(compileStrict(sin).messages).toEqual([]);
    // Panels share the x axis (source tasks T): a facet over n1.
    expect((sin as { facet: { sort: string[] } }).facet.sort).toEqual(["n₁ = 5", "n₁ = 10"]);
    expect(rows(sin).some((r) => r.method === "C/√T (slope −1/2), C fitted to MoM")).toBe(true);
  });
});
