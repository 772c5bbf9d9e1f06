import { describe, expect, test } from "vitest";
import { confusionTable, formatColumn, formatTable, metricColumn, summaryTables } from "./summaryTable.js";
import { testCurve, testRecord } from "./testing.js";

describe("summary tables", () => {
  test("a column reads in one format; float64 noise is 0", () => {
    // Slopes: a 7.7e-32 beside −0.83 is 0, the others keep 4 decimals.
    expect(formatColumn([-0.8271, 7.7e-32, 0, -0.2707], "log-log slope of excess risk")).toEqual([
      "-0.8271",
      "0",
      "0",
      "-0.2707",
    ]);
    // A lone slope of 1.8e-32 is noise too (slopes are of order 1).
    expect(formatColumn([1.83e-32, 0], "log-log slope of dist")).toEqual(["0", "0"]);
    // Magnitudes outside [0.001, 10⁴) put the whole column in exponent form.
    expect(formatColumn([0.0103, 27800, 0.0101], "final test MSE")).toEqual([
      "1.03e-2",
      "2.78e+4",
      "1.01e-2",
    ]);
    // Integer medians with a half: one decimal everywhere; nulls in a threshold column are "never".
    expect(formatColumn([25.5, 2, null], "median iters to dist < 1e-3", true)).toEqual([
      "25.5",
      "2.0",
      "never",
    ]);
    expect(formatColumn([25, 2], "number of heavy task points", true)).toEqual(["25", "2"]);
  });

  test("a quantity that names its statistic is not named twice", () => {
    expect(metricColumn("final", "final w error")).toBe("final w error");
    expect(metricColumn("final", "test MSE")).toBe("final test MSE");
  });

  test("no line wider than the width: headers wrap, then the columns split with the keys repeated", () => {
    const rows = ["mom", "altmin"].map((method, i) => ({
      method,
      condition: "sweep=T",
      ...Object.fromEntries(
        Array.from({ length: 12 }, (_, j) => [`log-log slope of quantity number ${j}`, 0.1 * (i + j + 1)]),
      ),
    }));
    const text = formatTable(rows, { width: 80 });
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
    const blocks = text.split("\n\n");
    expect(blocks.length).toBeGreaterThan(1);
    for (const b of blocks) expect(b).toMatch(/altmin {2}sweep=T/);
    // Every value is printed once.
    for (let j = 0; j < 12; j++) expect(text).toContain((0.1 * (j + 1)).toFixed(4));
    // A table that fits stays on one header line.
    expect(formatTable([{ method: "a", "final dist": 0.5 }], { width: 80 }).split("\n")).toHaveLength(3);
  });

  test("rows without a method (the ground truth) and rows sharing no column go to tables of their own", () => {
    const rec = testRecord("x", [
      [
        testCurve({ method: "mom", quantity: "excess risk" }, "excess risk", [1], [0.5], { final: 0.5 }),
        testCurve({ method: "altmin", quantity: "excess risk" }, "excess risk", [1], [0.1], { final: 0.1 }),
        testCurve({ quantity: "cond(W*)" }, "cond(W*)", [1], [2], { final: 2 }),
      ],
    ]);
    const tables = summaryTables(rec);
    expect(tables.map((t) => t.title)).toEqual([null, "ground truth (the same for every method)"]);
    expect(tables[0].rows.map((r) => r.method)).toEqual(["mom", "altmin"]);
    expect(Object.keys(tables[1].rows[0])).not.toContain("method");
    expect(tables[1].rows[0]["final cond(W*)"]).toBe(2);
  });

  test("a confusion matrix counts points by truth and assignment over seeds, k × k", () => {
    const pts = (component: number, assigned: number, n: number) =>
      testCurve(
        { quantity: "heavy task", component, assigned },
        "y",
        Array.from({ length: n }, () => 0),
        Array.from({ length: n }, () => 0),
      );
    const rec = testRecord("kong-projection", [
      [pts(0, 0, 5), pts(0, 1, 1), pts(1, 1, 6)],
      [pts(0, 0, 4), pts(1, 1, 5), pts(1, 0, 2)],
    ]);
    const spec = {
      kind: "confusion",
      quantity: "heavy task",
      rows: { label: "component", name: "component" },
      columns: { label: "assigned", name: "cluster" },
      title: "heavy tasks",
    } as const;
    const t = confusionTable(rec, spec);
    expect(t.title).toBe("heavy tasks, summed over 2 seeds");
    expect(t.rows).toEqual([
      { component: "0", "cluster 0": 9, "cluster 1": 1 },
      { component: "1", "cluster 0": 2, "cluster 1": 11 },
    ]);
    // Its curves leave the summary table.
    expect(summaryTables(rec, [spec])).toEqual([t]);
  });
});
