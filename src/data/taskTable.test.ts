import { describe, expect, test } from "vitest";
import { forEachTask, holdTaskRows, taskRowsFromArrays } from "./taskTable.js";

/** Rows of tasks b, a interleaved: b0 a0 b1 a1 b2 (d = 2, x = [row, 10·row]). */
function rows(chunkRows: number) {
  const task = [0, 1, 0, 1, 0];
  const X = Float64Array.from(task.flatMap((_, i) => [i, 10 * i]));
  const y = Float64Array.from([1, Number.NaN, 3, 4, 5]);
  return taskRowsFromArrays({ features: ["u", "v"], taskIds: ["b", "a"], task, X, y, chunkRows });
}

describe("task-grouped streams", () => {
  test.each([[1], [2], [5], [64]])(
    "holdTaskRows groups by task (first-seen order, file order within) with chunks of %i rows",
    async (chunkRows) => {
      const t = await holdTaskRows(rows(chunkRows));
      expect(t.taskIds).toEqual(["b", "a"]);
      expect(Array.from(t.data.start)).toEqual([0, 3, 5]);
      expect(Array.from(t.data.X)).toEqual([0, 0, 2, 20, 4, 40, 1, 10, 3, 30]);
      expect(Array.from(t.data.y).map((v) => (Number.isNaN(v) ? null : v))).toEqual([1, 3, 5, null, 4]);
      expect(Array.from(t.row)).toEqual([1, 3, 5, 2, 4]);
    },
  );

  test.each([[1], [2], [64]])(
    "forEachTask visits each task once, whole, in order (chunks of %i)",
    async (chunkRows) => {
      const seen: { task: number; X: number[]; row: number[] }[] = [];
      await forEachTask(rows(chunkRows), (b) => {
        seen.push({ task: b.task, X: Array.from(b.X), row: Array.from(b.row) });
      });
      expect(seen).toEqual([
        { task: 0, X: [0, 0, 2, 20, 4, 40], row: [1, 3, 5] },
        { task: 1, X: [1, 10, 3, 30], row: [2, 4] },
      ]);
    },
  );

  test("counts, labelled rows and rowsOf follow the input", async () => {
    const r = rows(2);
    expect(Array.from(r.counts)).toEqual([3, 2]);
    expect(Array.from(r.labelled)).toEqual([3, 1]);
    expect(await r.rowsOf(1, false, 5)).toEqual([2, 4]);
    expect(await r.rowsOf(1, true, 5)).toEqual([4]);
    expect(await r.rowsOf(0, false, 2)).toEqual([1, 3]);
  });
});
