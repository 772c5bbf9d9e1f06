import { describe, expect, test } from "vitest";
import { getExperiment } from "../../experiments/registry.js";
import { figureTitle } from "../../report/experimentFigures.js";
import { testCurve, testRecord } from "../../report/testing.js";
import { pageFigures } from "./figures.js";

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
