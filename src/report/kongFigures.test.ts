import { compile } from "vega-lite";
import { describe, expect, test } from "vitest";
import { FigureError } from "../errors.js";
import type { SeriesFigureSpec } from "../experiments/figureSpec.js";
import { kongFigures, testMseFigure, thresholdsFigure } from "../experiments/kong/figures.js";
import type { Curve } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";
import { buildFigure, type FigureOptions } from "./buildFigure.js";
import { renderSvg } from "./render.js";
import { testCurve, testRecord } from "./testing.js";

/** The Kong figures, as the experiments declare them, drawn by the grammar's builder. */
const KONG_FIGURE_KINDS: Record<string, SeriesFigureSpec> = Object.fromEntries(
  Object.values(kongFigures)
    .flat()
    .filter((s): s is SeriesFigureSpec => s.kind !== "custom")
    .map((s) => [s.name, s]),
);
const SPECS: Record<string, SeriesFigureSpec> = {
  "kong-prediction": testMseFigure,
  "kong-scaling": thresholdsFigure,
};
const kongFigure = (kind: string, r: RunRecord, o: FigureOptions = {}) =>
  buildFigure(SPECS[kind] ?? { kind: "custom", name: kind, builder: kind }, r, o);
const kongSeriesFigure = (r: RunRecord, select: { yName: string }) =>
  buildFigure({ ...testMseFigure, select }, r);

type Row = Record<string, unknown>;

const record = (experiment: string, seeds: Curve[][]) =>
  testRecord(experiment, seeds, { d: 32, k: 4, n1: 8192 });
const curve = (
  labels: Curve["labels"],
  xName: string,
  yName: string,
  x: number[],
  y: number[],
  metrics = {},
) => testCurve(labels, yName, x, y, metrics, xName);

const rows = (spec: object) => (spec as { data: { values: Row[] } }).data.values;

describe("Kong figures", () => {
  const mse = (scale: number) => [
    curve({ method: "posterior mean" }, "τ", "test MSE", [4, 32], [1.3 * scale, 1.01]),
    curve({ method: "oracle" }, "τ", "test MSE", [4, 32], [1, 1]),
  ];
  const rec = record("kong-prediction", [mse(1), mse(2), mse(3)]);

  test("one row per method and x holding the median over seeds and the band", () => {
    const spec = kongFigure("kong-prediction", rec, { title: "T" });
    const r = rows(spec).filter((x) => x.method === "posterior mean" && x.x === 4)[0];
    expect(r.median).toBeCloseTo(2.6, 12);
    expect(r.lo).toBeCloseTo(1.3 + 0.2 * 1.3, 12); // 10% quantile of (1.3, 2.6, 3.9)
    expect(r.seeds).toBe(3);
    expect((spec as { title: { text: string } }).title.text).toBe("T");
    expect(() => compile(spec)).not.toThrow();
  });

  test("the scaling figure draws each law's theory slope through its medians, one panel per law", () => {
    const s = record("kong-scaling", [
      [
        curve(
          { method: "light tasks n_L vs d", law: "light-d" },
          "d",
          "threshold",
          [8, 16, 32],
          [100, 210, 390],
          {
            slope: 0.98,
            theorySlope: 1,
          },
        ),
        curve({ method: "heavy-task size t_H vs k", law: "heavy-k" }, "k", "threshold", [4, 16], [20, 41], {
          slope: 0.52,
          theorySlope: 0.5,
        }),
      ],
    ]);
    const spec = kongFigure("kong-scaling", s);
    const theory = rows(spec).filter(
      (r) => r.kind === "theory" && r.panel === "examples per heavy task vs k",
    );
    expect(theory).toHaveLength(2);
    const slope = Math.log((theory[1].y as number) / (theory[0].y as number)) / Math.log(16 / 4);
    expect(slope).toBeCloseTo(0.5, 12);
    // Through the geometric mean of the medians.
    expect(Math.sqrt((theory[0].y as number) * (theory[1].y as number))).toBeCloseTo(Math.sqrt(20 * 41), 9);
    // One panel per law; the laws sweep different variables (d, k), so each panel has its own x title.
    const panels = (spec as { concat: { title: { text: string } }[] }).concat;
    expect(panels.map((p) => p.title.text)).toEqual([
      "light tasks needed vs d",
      "examples per heavy task vs k",
    ]);
    expect(JSON.stringify(spec)).toContain('"title":"dimension d"');
    expect(() => compile(spec)).not.toThrow();
  });

  test("every kind compiles, and a record without the figure's quantity is a FigureError", () => {
    expect(Object.keys(KONG_FIGURE_KINDS)).toHaveLength(9);
    for (const spec of Object.values(KONG_FIGURE_KINDS)) {
      const r = record("x", [
        [
          curve(
            { method: "m", sweep: "a" },
            spec.select.xName ?? "x",
            String(spec.select.yName),
            [1, 2],
            [0.5, 0.25],
          ),
        ],
      ]);
      expect(() => compile(buildFigure(spec, r))).not.toThrow();
    }
    expect(() => kongSeriesFigure(rec, { yName: "nothing" })).toThrow(FigureError);
    expect(() => kongFigure("nope", rec)).toThrow(/unknown figure kind "nope"/);
  });

  test("renders to SVG headlessly", async () => {
    const svg = await renderSvg(kongFigure("kong-prediction", rec));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("posterior mean");
  });
});
