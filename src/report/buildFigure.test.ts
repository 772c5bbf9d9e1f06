import { describe, expect, test } from "vitest";
import { listEstimators } from "../algorithms/representation/estimators.js";
import { FigureError, MetarepError, UnknownNameError } from "../errors.js";
import type { SeriesFigureSpec } from "../experiments/figureSpec.js";
import { buildFigure } from "./buildFigure.js";
import { compileStrict, figureRows, testCurve, testRecord } from "./testing.js";
import { PALETTE } from "./theme.js";

type Spec = {
  facet?: { sort: string[] };
  concat?: { title: { text: string } }[];
  title: { subtitle: string[] };
};

const base: SeriesFigureSpec = {
  name: "test",
  select: { yName: "err" },
  colour: { title: "estimator", registry: "estimators", names: true },
  subtitle: { params: ["d", "sigma"] },
};

/** Two sweeps (label `sweep`), two estimators and a plug-in method, over three seeds. */
const sweeps = testRecord(
  "grammar",
  [1, 2, 3].map((s) =>
    ["T", "n"].flatMap((sweep) =>
      ["altmin", "mom", "mine"].map((method, i) =>
        testCurve(
          { method, sweep },
          "err",
          [10, 20, 40],
          [1, 0.5, 0.25].map((v) => v * s * (i + 1)),
        ),
      ),
    ),
  ),
  { d: 8, sigma: 0.5, T: 99 },
);

describe("the figure grammar", () => {
  test("a label panel with its own x titles is a concat of panels; without, a facet", () => {
    const own = buildFigure(
      {
        ...base,
        panel: { by: "label", label: "sweep", title: "vs {value}", xTitles: { T: "tasks T", n: "rows n" } },
      },
      sweeps,
    ) as unknown as Spec;
    expect(compileStrict(own as never).messages).toEqual([]);
    expect(own.concat?.map((c) => c.title.text)).toEqual(["vs T", "vs n"]);
    expect(JSON.stringify(own)).toContain('"title":"rows n"');
    const shared = buildFigure(
      { ...base, panel: { by: "label", label: "sweep", title: "{value}" } },
      sweeps,
    ) as unknown as Spec;
    expect(shared.facet?.sort).toEqual(["T", "n"]);
    // σ is a param, not a panel label: it stays in the subtitle, with its symbol.
    expect(shared.title.subtitle[0]).toBe("d=8, σ=0.5 · median and 10–90% band over 3 seeds");
  });

  test("series take names, colours and order from the registry, others the palette after them", () => {
    const spec = buildFigure(base, sweeps);
    const color = JSON.stringify(spec).match(/"scale":\{"domain":(\[[^\]]*\]),"range":(\[[^\]]*\])/)!;
    const byId = new Map(listEstimators().map((e) => [e.id, e]));
    expect(JSON.parse(color[1])).toEqual([byId.get("mom")!.name, byId.get("altmin")!.name, "mine"]);
    expect(JSON.parse(color[2])).toEqual([byId.get("mom")!.color, byId.get("altmin")!.color, PALETTE[0]]);
    const median = figureRows(spec).find((r) => r.method === "AltMin" && r.panel === "" && r.x === 20);
    expect(median).toMatchObject({
      kind: "series",
      median: 1,
      lo: 0.5 + 0.2 * 0.5,
      hi: 1.5 - 0.2 * 0.5,
      seeds: 3,
    });
  });

  test("a fitted overlay is C·f with C the geometric mean of measured/predicted of the first method present", () => {
    const spec = buildFigure(
      {
        ...base,
        panel: { by: "label", label: "sweep", title: "{value}" },
        overlays: [
          { kind: "fitted", label: "C/x fitted to {method}", f: ({ x }) => 1 / x, fitTo: ["bm", "mom"] },
        ],
      },
      sweeps,
    );
    const line = figureRows(spec).filter((r) => r.kind === "theory" && r.panel === "T");
    // mom's medians (seed factor 2, method factor 2) are 4·(1, 0.5, 0.25) = 40·(1/10, 1/20, 1/40): C = 40.
    expect(line.map((r) => [r.x, r.y])).toEqual([
      [10, 4],
      [20, 2],
      [40, 1],
    ]);
    expect(line[0].method).toBe("C/x fitted to MoM");
    expect((spec as unknown as Spec).title.subtitle).toContain(
      "theory constant fitted (least squares in log space), not from the paper: T: C = 40.0 (C/x fitted to MoM), n: C = 40.0 (C/x fitted to MoM)",
    );
  });

  test("a line overlay evaluates a theory function of the params and the panel", () => {
    const spec = buildFigure(
      {
        ...base,
        panel: { by: "label", label: "sweep", title: "{value}" },
        overlays: [
          {
            kind: "line",
            label: "level",
            f: ({ params, panel, x }) => (panel.sweep === "T" ? (params.sigma as number) * x : null),
          },
        ],
      },
      sweeps,
    );
    const line = figureRows(spec).filter((r) => r.kind === "theory");
    expect(line.map((r) => [r.panel, r.x, r.y])).toEqual([
      ["T", 10, 5],
      ["T", 20, 10],
      ["T", 40, 20],
    ]);
  });

  test("on a log axis with the drop floor, medians ≤ 0 are left out and counted; band ends go a decade below", () => {
    const rec = testRecord("grammar", [
      [testCurve({ method: "mom" }, "err", [1, 2, 3], [0.1, 0.05, -1])],
      [testCurve({ method: "mom" }, "err", [1, 2, 3], [0.2, 0.01, -2])],
      [testCurve({ method: "mom" }, "err", [1, 2, 3], [0.3, -0.01, -3])],
    ]);
    const spec = buildFigure({ ...base, y: { log: true, floor: "drop" } }, rec);
    const rows = figureRows(spec);
    expect(rows.map((r) => r.x)).toEqual([1, 2]);
    // At x = 2 the median 0.01 is drawn, its band's low end (< 0) a decade below 0.01.
    expect(rows[1]).toMatchObject({ median: 0.01, lo: 0.001 });
    expect((spec as unknown as Spec).title.subtitle.at(-1)).toBe(
      "1 median points ≤ 0 not drawn (log axis; e.g. a paired excess within noise of 0)",
    );
  });

  test("a metric with * draws one nominal column per matched name, each seed and the median", () => {
    const rec = testRecord(
      "grammar",
      [0.1, 0.2, 0.3].map((v) => [
        testCurve({ method: "mom" }, "err", [1], [v], { "test[a]": v, "test[b]": 2 * v, final: v }),
      ]),
    );
    const spec = buildFigure(
      { ...base, stat: { kind: "metric", metric: "test[*]", what: "task error" } },
      rec,
    );
    expect(compileStrict(spec).messages).toEqual([]);
    const med = figureRows(spec).filter((r) => r.kind === "median");
    expect(med.map((r) => [r.x, r.y])).toEqual([
      ["a", 0.2],
      ["b", 0.4],
    ]);
    expect(figureRows(spec).filter((r) => r.kind === "seed")).toHaveLength(6);
    expect(() =>
      buildFigure({ ...base, stat: { kind: "metric", metric: "none[*]", what: "task error" } }, rec),
    ).toThrow(/no task errors \(none\[\*\] metrics\)/);
  });

  test("axes panels go through the base point; with nothing varied, one panel of the first axis", () => {
    const at = (K: number, n: number) =>
      ["single"].map((method) =>
        testCurve({ method, K, n }, "err", [0, 1], [0.5, K / 100], { final: K / 100 + n / 1000 }),
      );
    const spec: SeriesFigureSpec = {
      ...base,
      colour: { title: "training" },
      stat: { kind: "metric", metric: "final", what: "final error", line: true },
      panel: {
        by: "axes",
        axes: [
          { label: "K", title: "vs K" },
          { label: "n", title: "vs n" },
        ],
      },
    };
    const swept = testRecord("grammar", [[...at(1, 5), ...at(3, 5), ...at(3, 9), ...at(7, 9)]], {
      K: 3,
      n: 5,
    });
    const fig = buildFigure(spec, swept);
    // One panel per axis, its x axis titled by it.
    const panels = (fig as unknown as { concat: { title: { text: string }; layer: unknown[] }[] }).concat;
    expect(panels.map((p) => p.title.text)).toEqual(["vs K", "vs n"]);
    expect(JSON.stringify(panels[1].layer)).toContain('"title":"vs n"');
    const rows = figureRows(fig).filter((r) => r.kind === "median");
    expect(rows.filter((r) => r.panel === "vs K").map((r) => r.x)).toEqual([1, 3]);
    expect(rows.filter((r) => r.panel === "vs n").map((r) => r.x)).toEqual([5, 9]);
    expect((fig as unknown as Spec).title.subtitle[0]).toMatch(/^base K=3, n=5 · /);
    const single = buildFigure(spec, testRecord("grammar", [at(3, 5)], { K: 3, n: 5 }));
    expect("facet" in single).toBe(false);
    expect(() => buildFigure(spec, testRecord("grammar", [at(3, 5)], { K: "3", n: 5 }))).toThrow(
      'grammar test figure: record.params "K" must be a number (the base point); got 3.',
    );
  });

  test("a record without the figure's curves is a FigureError (a MetarepError) naming figure and quantity; an empty one draws its title", () => {
    let caught: unknown;
    try {
      buildFigure({ ...base, select: { yName: "loss" } }, sweeps);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FigureError);
    expect(caught).toBeInstanceOf(MetarepError);
    expect((caught as Error).message).toBe('grammar test figure: the record has no "loss" curves to draw.');
    const empty = buildFigure(base, testRecord("grammar", [[]]), { title: "nothing yet" });
    expect(compileStrict(empty).messages).toEqual([]);
    expect(figureRows(empty)).toEqual([]);
    expect(() => buildFigure({ kind: "custom", name: "x", builder: "nope" }, sweeps)).toThrow(
      UnknownNameError,
    );
  });
});
