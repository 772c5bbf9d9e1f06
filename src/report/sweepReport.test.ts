import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { mergeByGridPoint } from "../record/merge.js";
import type { RunRecord } from "../record/types.js";
import { InlineExecutor } from "../sweep/executors/inline.js";
import { runSweep } from "../sweep/runSweep.js";
import { expandSweep, parseSweepSpec } from "../sweep/spec.js";
import { readRecords } from "../sweep/store.js";
import { writeReport } from "./storeReport.js";
import { numericAxes, readableLabels, sortByGrid } from "./sweepFigures.js";

const tmp = mkdtempSync(join(tmpdir(), "metarep-sweep-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The README's example sweep (30 grid points), with fewer seeds and iterations.
const README_SPEC = `
experiment: collins-convergence
size: smoke
seeds: 2
params: { iters: 30, m_in: 20, m_out: 20 }
grid:
  alpha: [0.25, 0.5]
  mu: { range: [0.2, 1.0], steps: 5 }
  n: { logRange: [10, 1000], steps: 3, integer: true }
`;

describe("the report of a sweep shows the sweep", () => {
  test("all 30 grid points in numeric order, readable labels, and one figure per metric per numeric axis", async () => {
    const dir = join(tmp, "store");
    await runSweep({
      sweep: expandSweep(parseSweepSpec(README_SPEC)),
      dir,
      executor: new InlineExecutor(),
      command: "test",
    });
    const { path } = await writeReport([dir], tmp);
    const html = readFileSync(path, "utf8");
    const points = [...html.matchAll(/<h3>Grid point ([^<]*)<\/h3>/g)].map((m) => m[1]);
    expect(points).toHaveLength(30);
    expect(points[0]).toBe("alpha=0.25, mu=0.2, n=10");
    expect(points.slice(0, 15).map((p) => p.split(", ")[1])).toEqual(
      ["0.2", "0.4", "0.6", "0.8", "1"].flatMap((mu) => [`mu=${mu}`, `mu=${mu}`, `mu=${mu}`]),
    );
    expect(html).not.toMatch(/\{&quot;/);
    // Every metric that has a finite value somewhere gets one figure per numeric axis.
    const merged = mergeByGridPoint(readRecords(dir));
    const metrics = new Set<string>();
    for (const r of merged)
      for (const s of r.result.seeds)
        for (const c of s.curves)
          for (const [m, v] of Object.entries(c.metrics))
            if (typeof v === "number" && Number.isFinite(v)) metrics.add(m);
    expect(metrics.has("final")).toBe(true);
    const figures = readdirSync(join(dir, "figures")).filter((f) => /^grid-.*\.png$/.test(f));
    for (const m of metrics)
      for (const axis of ["alpha", "mu", "n"])
        expect(figures.filter((f) => f.startsWith(`grid-${m}-dist-vs-${axis}.`))).toHaveLength(1);
    for (const f of figures) expect(html).toContain(f);
  });
});

describe("grid helpers", () => {
  const rec = (grid: Record<string, unknown>) => ({ grid }) as unknown as RunRecord;
  test("grid points sort numerically on each axis in the spec's order (mu=0.5 before mu=1)", () => {
    const sorted = sortByGrid(
      [rec({ a: 2, mu: 1 }), rec({ a: 10, mu: 0.5 }), rec({ a: 2, mu: 0.5 })],
      ["a", "mu"],
    );
    expect(sorted.map((r) => r.grid)).toEqual([
      { a: 2, mu: 0.5 },
      { a: 2, mu: 1 },
      { a: 10, mu: 0.5 },
    ]);
  });
  test("numeric axes need numbers and at least two values; labels read as name=value", () => {
    expect(numericAxes([rec({ a: 1, s: "x", c: 3 }), rec({ a: 2, s: "y", c: 3 })], ["a", "s", "c"])).toEqual([
      "a",
    ]);
    expect(readableLabels({ alpha: 0.25, method: "anil", mus: [1, 0.5] })).toBe(
      "alpha=0.25, method=anil, mus=[1,0.5]",
    );
  });
});
