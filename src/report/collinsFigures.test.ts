import type { TopLevelSpec } from "vega-lite";
import { describe, expect, it } from "vitest";
import { getMethod } from "../algorithms/methods.js";
import { DIST_AXIS_TITLE, rateFigure as RATE, traceFigure as TRACE } from "../experiments/collins/figures.js";
import type { Curve, Labels } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";
import { buildFigure, type FigureOptions } from "./buildFigure.js";
import { conditionTitle } from "./figureText.js";
import { orderMethods } from "./seriesStyle.js";
import { compileStrict, testCurve, testRecord } from "./testing.js";
import { LOG_FLOOR } from "./theme.js";

/** The Collins et al. figures, as the experiments declare them, drawn by the grammar's builder. */
const traceFigure = (r: RunRecord, o: FigureOptions = {}) => buildFigure(TRACE, r, o);
const rateFigure = (r: RunRecord, o: FigureOptions = {}) => buildFigure(RATE, r, o);

type Row = Record<string, unknown>;

/** A dist curve per iteration. */
function curve(labels: Labels, y: number[], extra: Partial<Curve> = {}): Curve {
  return {
    ...testCurve(
      labels,
      "dist",
      y.map((_, i) => i),
      y,
      {},
      "iteration",
    ),
    ...extra,
  };
}

function record(experiment: string, seeds: Curve[][], params: Record<string, unknown> = {}): RunRecord {
  return testRecord(experiment, seeds, { d: 20, k: 3, n: 20, alpha: 0.5, beta: 0.5, ...params });
}

const geometric = (rate: number, steps: number, start = 1) =>
  Array.from({ length: steps + 1 }, (_, t) => start * rate ** t);

function rows(spec: TopLevelSpec): Row[] {
  return (spec as { data: { values: Row[] } }).data.values;
}

const methods = ["maml", "anil", "fo-maml", "fo-anil", "avg-gd"];
const conditions = [10, 50].flatMap((m_in) => [0, 0.5].map((sigma) => ({ m_in, n: 20, sigma })));

function finiteSamplesRecord(): RunRecord {
  return record(
    "collins-finite-samples",
    [0, 1, 2].map((s) =>
      conditions.flatMap((c) =>
        methods.map((m, i) => curve({ method: m, ...c }, geometric(0.8 + 0.03 * i + 0.01 * s, 30))),
      ),
    ),
  );
}

describe("traceFigure", () => {
  it("compiles with Vega-Lite without warnings, with a log y scale and one panel per condition", () => {
    const spec = traceFigure(finiteSamplesRecord(), { title: "Finite samples" });
    const { vg, messages } = compileStrict(spec);
    expect(messages).toEqual([]);
    const s = spec as { facet?: { field: string; sort: string[] }; columns?: number };
    expect(s.facet?.field).toBe("panel");
    expect(s.facet?.sort).toEqual([
      "mᵢₙ=10, n=20, σ=0",
      "mᵢₙ=10, n=20, σ=0.5",
      "mᵢₙ=50, n=20, σ=0",
      "mᵢₙ=50, n=20, σ=0.5",
    ]);
    const panels = new Set(rows(spec).map((r) => r.panel));
    expect(panels.size).toBe(conditions.length);
    const json = JSON.stringify(vg);
    expect(json).toContain('"type":"log"');
    expect(json).toContain(DIST_AXIS_TITLE);
  });

  it("titles the figure and states the params and the band in the subtitle", () => {
    const spec = traceFigure(finiteSamplesRecord(), { title: "Finite samples" }) as {
      title: { text: string; subtitle: string[] };
    };
    expect(spec.title.text).toBe("Finite samples");
    // n is a panel label here, so it is not repeated as a param.
    expect(spec.title.subtitle[0]).toBe("d=20, k=3, α=0.5, β=0.5 · median and 10–90% band over 3 seeds");
  });

  it("draws a single panel without facet when the curves have no condition labels", () => {
    const rec = record("collins-convergence", [[curve({ method: "anil" }, geometric(0.9, 10))]]);
    const spec = traceFigure(rec);
    const { vg, messages } = compileStrict(spec);
    expect(messages).toEqual([]);
    expect("facet" in spec).toBe(false);
    expect(vg.scales.find((sc: { name: string }) => sc.name === "y").type).toBe("log");
    expect((spec as { title: { subtitle: string[] } }).title.subtitle[0]).toContain(
      "d=20, k=3, n=20, α=0.5, β=0.5",
    );
  });

  it("orders and colours methods consistently: anil, fo-anil, maml, fo-maml, avg-gd, then others", () => {
    expect(orderMethods(["zeta", "maml", "avg-gd", "anil"])).toEqual(["anil", "maml", "avg-gd", "zeta"]);
    const spec = traceFigure(finiteSamplesRecord());
    const json = JSON.stringify(spec);
    expect(json).toContain('"domain":["ANIL","FO-ANIL","MAML","FO-MAML","Avg-GD"]');
    expect(json).toContain('"range":["#1f77b4","#17becf","#d62728","#ff7f0e","#555555"]');
  });

  it("marks a divergence at the last finite value and says when it happened", () => {
    const blowUp = curve({ method: "fo-maml" }, [1, 3, 40], {
      status: "diverged",
      diverged: { iteration: 3, quantity: "w", value: "Infinity" },
    });
    const rec = record("collins-head-init", [
      [curve({ method: "fo-maml" }, geometric(0.9, 10)), curve({ method: "anil" }, geometric(0.8, 10))],
      [blowUp, curve({ method: "anil" }, geometric(0.8, 10))],
    ]);
    const spec = traceFigure(rec);
    expect(compileStrict(spec).messages).toEqual([]);
    const marks = rows(spec).filter((r) => r.kind === "diverged");
    const entry = "FO-MAML: t = 3, 1/2 seeds";
    expect(marks).toEqual([
      expect.objectContaining({ method: "FO-MAML", x: 2, y: 40, seed: 1, note: "diverged at t=3", entry }),
    ]);
    const json = JSON.stringify(spec);
    expect(json).toContain('"title":"diverged (× at last finite value)"');
    expect(json).toContain(`"domain":["${entry}"]`);
  });

  it("names the panel in the divergence legend when the figure is faceted", () => {
    const blowUp = (w0: number) =>
      curve({ method: "maml", w0 }, [1, 3], {
        status: "diverged",
        diverged: { iteration: 2, quantity: "B", value: 2e8 },
      });
    const ok = (w0: number) => curve({ method: "maml", w0 }, geometric(0.9, 5));
    const rec = record("collins-head-init", [
      [ok(0), blowUp(3)],
      [ok(0), blowUp(3)],
    ]);
    const spec = traceFigure(rec);
    expect(compileStrict(spec).messages).toEqual([]);
    const entries = new Set(
      rows(spec)
        .filter((r) => r.kind === "diverged")
        .map((r) => r.entry),
    );
    expect([...entries]).toEqual(["MAML (w0=3): t = 2, 2/2 seeds"]);
  });

  it("clamps values at or below zero to the log floor and says so", () => {
    const rec = record("x", [[curve({ method: "anil" }, [1, 1e-9, 0, 0])]]);
    const spec = traceFigure(rec) as TopLevelSpec & { title: { subtitle: string[] } };
    const medians = rows(spec)
      .filter((r) => r.kind === "series")
      .map((r) => r.median);
    expect(medians).toEqual([1, 1e-9, LOG_FLOOR, LOG_FLOOR]);
    expect(spec.title.subtitle.at(-1)).toBe("values below 1e-17 drawn at 1e-17");
  });

  it("writes condition titles with symbols, e.g. m_in=10, n=20, σ=0", () => {
    expect(conditionTitle({ m_in: 10, n: 20, sigma: 0 })).toBe("mᵢₙ=10, n=20, σ=0");
    expect(conditionTitle({ mu: 0.5 })).toBe("µ=0.5");
  });
});

describe("rateFigure", () => {
  const mus = [1, 0.5, 0.2, 0.1];
  function diversityRecord(alpha: number, beta: number): RunRecord {
    return record(
      "collins-diversity",
      [0, 1, 2].map((s) =>
        mus.flatMap((mu) =>
          ["anil", "maml"].map((m) =>
            curve({ method: m, mu }, [1], {
              metrics: { rate: s === 2 && mu === 0.1 ? null : 1 - 0.2 * mu * mu + s * 1e-3 },
            }),
          ),
        ),
      ),
      { alpha, beta },
    );
  }

  it("compiles without warnings and draws the theory line 1 − αβµ² through the measured µ", () => {
    const alpha = 0.5;
    const beta = 0.4;
    const spec = rateFigure(diversityRecord(alpha, beta), { title: "Diversity" });
    expect(compileStrict(spec).messages).toEqual([]);
    const theory = rows(spec).filter((r) => r.kind === "theory");
    expect(theory.length).toBeGreaterThan(50);
    for (const mu of mus) {
      const row = theory.find((r) => r.x === mu);
      expect(row?.y).toBe(1 - alpha * beta * mu * mu);
    }
    for (const r of theory) expect(r.y).toBeCloseTo(1 - alpha * beta * (r.x as number) ** 2, 15);
    expect(JSON.stringify(spec)).toContain("theory 1 − αβµ²");
  });

  it("plots the median over seeds as a point per method and µ, and every seed faintly", () => {
    const spec = rateFigure(diversityRecord(0.5, 0.5));
    const medians = rows(spec).filter((r) => r.kind === "median");
    expect(medians).toHaveLength(mus.length * 2);
    const m = medians.find((r) => r.method === "ANIL" && r.x === 0.5);
    expect(m?.y).toBeCloseTo(1 - 0.2 * 0.25 + 1e-3, 14);
    expect(rows(spec).filter((r) => r.kind === "seed")).toHaveLength(3 * mus.length * 2 - 2);
    expect((spec as { title: { subtitle: string[] } }).title.subtitle.at(-1)).toBe(
      "2 seed-curves without a fitted rate are not shown",
    );
  });

  it("names the missing parameter when the record has no alpha", () => {
    const rec = diversityRecord(0.5, 0.5);
    delete rec.params.alpha;
    expect(() => rateFigure(rec)).toThrow(
      'collins-diversity rate figure: record.params "alpha" must be a finite number; got undefined.',
    );
  });
});

describe("traceFigure's theory rate line", () => {
  const theory = (spec: TopLevelSpec) => rows(spec).filter((r) => r.kind === "theory");

  it("draws slope 1 − αβµ² through the first method's median where it first reaches 1e-3, without warnings", () => {
    // anil (first in the fixed method order; rate 0.4 here) first reaches 1e-3 at t = 8
    // (0.4^8 ≈ 6.6e-4): the line passes through that point.
    const rec = record(
      "collins-convergence",
      [0, 1].map(() => methods.map((m, i) => curve({ method: m }, geometric(0.35 + 0.05 * i, 40)))),
      { mu: 1, alpha: 0.5, beta: 0.5 },
    );
    const spec = traceFigure(rec);
    const { vg, messages } = compileStrict(spec);
    expect(messages).toEqual([]);
    // One legend: the theory line is its last entry, after the methods (colour and dash merged).
    expect(vg.legends.length).toBe(1);
    expect(vg.scales.find((sc: { name: string }) => sc.name === "color").domain).toEqual([
      ...orderMethods(methods).map((id) => getMethod(id).name),
      "theory rate 1 − αβµ² per iteration",
    ]);
    const line = theory(spec);
    expect(line.length).toBeGreaterThan(10);
    const at8 = line.find((r) => r.x === 8)!;
    expect(at8.y as number).toBeCloseTo(0.4 ** 8, 15);
    for (let i = 1; i < line.length; i++) {
      expect((line[i].y as number) / (line[i - 1].y as number)).toBeCloseTo(0.75, 12);
    }
    for (const r of line) expect(r.y as number).toBeLessThanOrEqual(1);
  });

  it("takes µ from each panel's label and leaves out rates outside (0, 1)", () => {
    const seeds = [0].map(() =>
      [0.5, 3].flatMap((mu) => methods.map((m) => curve({ method: m, mu }, geometric(0.5, 30)))),
    );
    const spec = traceFigure(record("collins-diversity", seeds));
    expect(compileStrict(spec).messages).toEqual([]);
    const rates = new Set(theory(spec).map((r) => r.rate));
    // µ = 0.5 → 1 − 0.25·0.25 = 0.9375; µ = 3 → 1 − 0.25·9 < 0: no line.
    expect([...rates]).toEqual([0.9375]);
  });

  it("leaves the line out where the rate is not derived: isotropic or non-zero-mean heads", () => {
    const seeds = [methods.map((m) => curve({ method: m }, geometric(0.5, 30)))];
    for (const params of [
      { mu: 1, heads: "isotropic" },
      { mu: 1, heads: "collins", head_mean: 0.5 },
    ]) {
      expect(theory(traceFigure(record("collins-convergence", seeds, params)))).toEqual([]);
    }
    const ok = traceFigure(record("collins-convergence", seeds, { mu: 1, heads: "collins", head_mean: 0 }));
    expect(theory(ok).length).toBeGreaterThan(0);
  });

  it("leaves the line out for finite samples: the rate is the population loss's", () => {
    const seeds = [methods.map((m) => curve({ method: m }, geometric(0.5, 30)))];
    expect(
      theory(traceFigure(record("collins-convergence", seeds, { mu: 1, m_in: 10, m_out: null }))),
    ).toEqual([]);
    const panels = [
      [10, null],
      [null, null],
    ].flatMap(([m_in, m_out]) => methods.map((m) => curve({ method: m, m_in, m_out }, geometric(0.5, 30))));
    const spec = traceFigure(record("collins-finite-samples", [panels], { mu: 1 }));
    expect(new Set(theory(spec).map((r) => r.panel))).toEqual(new Set(["mᵢₙ=∞, mₒᵤₜ=∞"]));
  });

  it("is drawn only where the spec declares it", () => {
    const rec = record(
      "collins-convergence",
      [methods.map((m) => curve({ method: m }, geometric(0.5, 20)))],
      {
        mu: 1,
      },
    );
    expect(theory(buildFigure({ ...TRACE, overlays: [] }, rec))).toEqual([]);
    expect(theory(traceFigure(rec)).length).toBeGreaterThan(0);
  });
});
