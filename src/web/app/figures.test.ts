import { describe, expect, test } from "vitest";
import { THEORY_ANCHOR, THEORY_TRACE_LABEL } from "../../experiments/collins/figures.js";
import { getExperiment } from "../../experiments/registry.js";
import { resolveParams } from "../../experiments/resolve.js";
import { buildFigure } from "../../report/buildFigure.js";
import { figureSpecsOf, figureTitle } from "../../report/experimentFigures.js";
import { testCurve, testRecord } from "../../report/testing.js";
import { type PageFigure, pageFigures } from "./figures.js";

const exp = getExperiment("collins-diversity");
const seed = (n: number) =>
  [1, 0.5].flatMap((mu) =>
    ["anil", "maml"].map((method) =>
      testCurve(
        { method, mu },
        "dist",
        Array.from({ length: n }, (_, t) => t),
        Array.from({ length: n }, (_, t) => 0.8 ** t),
        { rate: 0.8 },
        "iteration",
      ),
    ),
  );
const params = { d: 20, k: 3, n: 20, alpha: 0.5, beta: 0.5 };

describe("the page's figures", () => {
  test("while a run goes on, only the per-iteration trace is drawn, from the live record", () => {
    const live = testRecord(exp.id, [seed(5)], params);
    const figs = pageFigures(exp, null, live);
    expect(figs.map((f) => f.name)).toEqual(["dist"]);
    // The trace's own title, as the report draws it.
    const trace = exp.figures.find((f) => f.name === "dist")!;
    expect((figs[0].spec as { title: { text: string } }).title.text).toBe(figureTitle(exp, trace));
  });

  test("a finished record draws every declared figure, the trace first; a failing one says why", () => {
    const done = testRecord(exp.id, [seed(30), seed(30)], params);
    expect(pageFigures(exp, done, null).map((f) => [f.name, f.spec !== null])).toEqual([
      ["dist", true],
      ["rate", true],
    ]);
    const noAlpha = testRecord(exp.id, [seed(30)], { ...params, alpha: undefined });
    const rate = pageFigures(exp, noAlpha, null).find((f) => f.name === "rate")!;
    expect(rate.spec).toBeNull();
    expect(rate.error).toBe(
      'collins-diversity rate figure: record.params "alpha" must be a finite number; got undefined.',
    );
  });
});

describe("a live figure's rate line", () => {
  const conv = getExperiment("collins-convergence");
  const p = resolveParams(conv, "smoke") as Record<string, unknown>;
  // A seed in progress: dist falls by 0.8 per iteration, computed up to iteration n − 1.
  const partial = (n: number) =>
    ["anil", "maml"].map((method) =>
      testCurve(
        { method },
        "dist",
        Array.from({ length: n }, (_, t) => t),
        Array.from({ length: n }, (_, t) => 0.8 ** t),
        {},
        "iteration",
      ),
    );
  const rows = (f: PageFigure) =>
    (f.spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
  const theory = (f: PageFigure) => rows(f).filter((r) => r.kind === "theory");

  test("is left out, and said so, until the first method's median reaches the anchor", () => {
    // 0.8^20 ≈ 0.0115 > 1e-3: the anchor is not computed yet.
    const [fig] = pageFigures(conv, null, testRecord(conv.id, [partial(21)], p));
    expect(theory(fig)).toEqual([]);
    expect(fig.notes).toEqual([
      `The line "${THEORY_TRACE_LABEL}" is drawn once ${rows(fig)[0].method}'s median reaches ${THEORY_ANCHOR} (its anchor).`,
    ]);
    // The builder alone would draw it from the curve's start: that is what is left out.
    const unbounded = buildFigure(figureSpecsOf(conv)[0], testRecord(conv.id, [partial(21)], p));
    expect(
      (unbounded as unknown as { data: { values: Record<string, unknown>[] } }).data.values.some(
        (r) => r.kind === "theory",
      ),
    ).toBe(true);
  });

  test("once the anchor is computed, goes through it and stays within the computed iterations", () => {
    // 0.8^31 ≈ 9.9e-4: reached at t = 31; computed up to t = 59.
    const [fig] = pageFigures(conv, null, testRecord(conv.id, [partial(60)], p));
    expect(fig.notes).toBeUndefined();
    const lines = theory(fig);
    expect(lines.length).toBeGreaterThan(0);
    const xs = lines.map((r) => r.x as number);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(59);
    const at = lines.find((r) => r.x === 31)!;
    expect(at.y).toBeCloseTo(0.8 ** 31, 15);
    // A finished record's figure keeps every theory row the CLI's builder gives it.
    const done = testRecord(conv.id, [partial(21)], p);
    const cli = buildFigure(figureSpecsOf(conv)[0], done, { title: conv.title, width: 560, height: 320 });
    expect(pageFigures(conv, done, null)[0].spec).toEqual(cli);
  });
});
