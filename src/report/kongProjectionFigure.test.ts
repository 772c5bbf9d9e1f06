import { beforeAll, describe, expect, test } from "vitest";
import { FigureError } from "../errors.js";
import { kongProjection } from "../experiments/kong/projection.js";
import { COMPONENT_POINTS, TASK_POINTS } from "../experiments/kong/quantities.js";
import { recordOf } from "../record/testing.js";
import type { RunRecord } from "../record/types.js";
import { experimentFigures } from "./experimentFigures.js";
import { kongProjectionFigure } from "./kongProjectionFigure.js";
import { compileStrict } from "./testing.js";

type Row = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the spec is inspected loosely.
type Spec = any;

const rows = (spec: object) => (spec as { data: { values: Row[] } }).data.values;

describe("the kong-projection figure", () => {
  let rec: RunRecord;
  beforeAll(() => {
    rec = recordOf(kongProjection, { n1: 2048, n2: 64 }, [0, 1, 2]);
  });

  test("compiles strictly: no Vega-Lite warning or error", () => {
    const { messages } = compileStrict(kongProjectionFigure(rec, { title: kongProjection.title }));
    expect(messages).toEqual([]);
  });

  test("has one point per heavy task and seed, at the record's coordinates, and one diamond per component", () => {
    const r = rows(kongProjectionFigure(rec));
    for (const [s, run] of rec.result.seeds.entries()) {
      const tasks = r.filter((x) => x.kind === "task" && x.seed === s);
      expect(tasks).toHaveLength(64);
      const fromCurves = run.curves
        .filter((c) => c.labels.quantity === TASK_POINTS)
        .flatMap((c) => c.x.map((x, i) => `${c.labels.component}|${x}|${c.y[i]}`))
        .sort();
      expect(tasks.map((t) => `${t.component}|${t.x}|${t.y}`).sort()).toEqual(fromCurves);
      expect(r.filter((x) => x.kind === "component" && x.seed === s)).toHaveLength(4);
    }
  });

  test("colour is the true component and shape the assigned cluster; tooltips name both", () => {
    const spec: Spec = kongProjectionFigure(rec);
    expect(spec.concat).toHaveLength(3);
    const layer = spec.concat[0].layer[0];
    expect(layer.mark.type).toBe("point");
    expect(layer.encoding.color.field).toBe("component");
    expect(layer.encoding.color.scale.domain).toEqual([0, 1, 2, 3]);
    expect(layer.encoding.shape.field).toBe("assigned");
    const tips = layer.encoding.tooltip.map((t: { field: string }) => t.field);
    expect(tips).toEqual(expect.arrayContaining(["component", "assigned", "correct", "x", "y"]));
    // The diamonds share the colour scale.
    expect(spec.concat[0].layer[1].encoding.color.field).toBe("component");
    const { vg } = compileStrict(spec);
    const color = vg.scales.find((s: { name: string }) => s.name === "color");
    expect(color.domain).toEqual([0, 1, 2, 3]);
  });

  test("'correct' rows are the tasks whose cluster is the one matched to their component", () => {
    const r = rows(kongProjectionFigure(rec)).filter((x) => x.kind === "task");
    for (const x of r) expect(x.correct).toBe(x.assigned === `cluster ${x.component}`);
    // At t₂ = 16 most tasks are correctly clustered on some seed.
    expect(r.filter((x) => x.correct).length).toBeGreaterThan(r.length / 2);
  });

  test("every panel spans the same length on both axes (equal scales) and contains its points", () => {
    const spec: Spec = kongProjectionFigure(rec);
    const spans = new Set<string>();
    for (const panel of spec.concat) {
      const { x, y } = panel.layer[0].encoding;
      const [x0, x1] = x.scale.domain;
      const [y0, y1] = y.scale.domain;
      spans.add((x1 - x0).toFixed(9));
      spans.add((y1 - y0).toFixed(9));
      const title = panel.transform[0].filter.equal;
      for (const p of rows(spec).filter((r) => r.panel === title)) {
        expect(p.x).toBeGreaterThanOrEqual(x0);
        expect(p.x).toBeLessThanOrEqual(x1);
        expect(p.y).toBeGreaterThanOrEqual(y0);
        expect(p.y).toBeLessThanOrEqual(y1);
      }
    }
    expect(spans.size).toBe(1);
  });

  test("shows the first maxSeeds seeds and says so; the title is the experiment's", () => {
    const spec: Spec = kongProjectionFigure(rec, { maxSeeds: 2, title: "T" });
    expect(spec.concat).toHaveLength(2);
    expect(new Set(rows(spec).map((r) => r.seed))).toEqual(new Set([0, 1]));
    expect(spec.title.text).toBe("T");
    expect(spec.title.subtitle.join(" ")).toContain("first 2 of 3 seeds");
  });

  test("is the registered kind 'kong-projection', titled by the experiment", () => {
    const figs = experimentFigures(kongProjection as never, rec);
    expect(figs.map((f) => f.name)).toEqual(["projection"]);
    expect((figs[0].spec as Spec).title.text).toBe(kongProjection.title);
  });

  test("a record without heavy-task points is a FigureError", () => {
    const empty: RunRecord = {
      ...rec,
      result: {
        seeds: rec.result.seeds.map((s) => ({
          ...s,
          curves: s.curves.filter((c) => c.labels.quantity === COMPONENT_POINTS),
        })),
      },
    };
    expect(() => kongProjectionFigure(empty)).toThrow(FigureError);
  });
});
