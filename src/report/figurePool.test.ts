import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { afterAll, expect, test } from "vitest";
import { FigurePool, writeFigureHere } from "./figurePool.js";
import type { WrittenFigure } from "./render.js";

const dir = mkdtempSync(join(tmpdir(), "metarep-figpool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A layered, clipped figure (clip ids are what a process-wide counter numbered before). */
const spec = (shift: number): TopLevelSpec => ({
  width: 200,
  height: 120,
  data: { values: [1, 2, 3, 4, 5].map((x) => ({ x, y: x * x + shift, lo: x * x - 1, hi: x * x + 1 })) },
  layer: [
    {
      mark: { type: "area", clip: true, opacity: 0.2 },
      encoding: {
        x: { field: "x", type: "quantitative" },
        y: { field: "lo", type: "quantitative" },
        y2: { field: "hi" },
      },
    },
    {
      mark: { type: "line", clip: true },
      encoding: {
        x: { field: "x", type: "quantitative" },
        y: { field: "y", type: "quantitative", scale: { type: "log" } },
      },
    },
  ],
});

test("figures rendered on worker threads, in any order, are the same bytes as one at a time on this thread", async () => {
  const specs = [0, 1, 2, 3, 4, 5].map(spec);
  const here: WrittenFigure[] = [];
  for (const [i, s] of specs.entries())
    here.push(await writeFigureHere({ spec: s, dir: join(dir, "here"), basename: `f${i}` }));
  const pool = new FigurePool(2);
  try {
    // Reversed and all at once: each thread draws a different subset, in a different order.
    const there = await Promise.all(
      [...specs.entries()]
        .reverse()
        .map(([i, s]) => pool.write({ spec: s, dir: join(dir, "pool"), basename: `f${i}` })),
    );
    there.reverse();
    specs.forEach((_, i) => {
      for (const kind of ["svg", "png", "json"] as const)
        expect(
          readFileSync(there[i][kind]).equals(readFileSync(here[i][kind])),
          `${kind} of figure ${i}`,
        ).toBe(true);
    });
    // The clip ids restart per figure (they would count up across a thread's figures otherwise).
    expect(readFileSync(here[5].svg, "utf8")).toContain('clip-path="url(#clip1)"');
  } finally {
    await pool.close();
  }
});

test("a pool limited to one figure at a time renders them one by one on one thread, then on every thread once the limit is lifted", async () => {
  const pool = new FigurePool(2, 1);
  try {
    const specs = [0, 1, 2, 3].map(spec);
    const first = await Promise.all(
      specs.map((s, i) => pool.write({ spec: s, dir: join(dir, "limited"), basename: `a${i}` })),
    );
    expect(first).toHaveLength(4);
    // Four figures asked for at once, one at a time: piscina never needed a second thread.
    expect(pool.started).toBe(1);
    pool.setLimit(2);
    const after = await Promise.all(
      specs.map((s, i) => pool.write({ spec: s, dir: join(dir, "limited"), basename: `b${i}` })),
    );
    expect(after).toHaveLength(4);
    expect(pool.started).toBe(2);
    for (const i of [0, 1, 2, 3])
      expect(readFileSync(after[i].svg).equals(readFileSync(first[i].svg)), `figure ${i}`).toBe(true);
  } finally {
    await pool.close();
  }
});
