import { describe, expect, test } from "vitest";
import { holdTaskRows, taskRowsFromArrays } from "../../data/taskTable.js";
import { type FewShotModel, STREAM_CHUNK_ROWS, sampleSourceTasks } from "../../models/fewShotTasks.js";
import { key } from "../../rng/key.js";
import { fitHead } from "./heads.js";
import { adaptModelFile, fitModelFile, fitModelRows, readModelFile } from "./modelFile.js";
import { momFormsMatrix } from "./mom.js";

const model: FewShotModel = { d: 5, k: 2, sigma: 0.1, heads: { kind: "gaussian", scale: 1 } };
const features = ["a", "b", "c", "d", "e"];
// 7 tasks × 1300 rows = 9100 rows: more than two MoM blocks, and not a multiple of one.
const src = sampleSourceTasks(model, 7, 1300, key(3));
const input = (chunkRows: number) =>
  taskRowsFromArrays({
    features,
    taskIds: Array.from({ length: 7 }, (_, t) => `t${t}`),
    task: Array.from({ length: 9100 }, (_, i) => Math.floor(i / 1300)),
    X: src.data.X,
    y: src.data.y,
    chunkRows,
  });

describe("fitModelRows: MoM streamed over chunks is MoM on held rows, to the bit", () => {
  test.each([[1000], [STREAM_CHUNK_ROWS], [333], [20000]])("chunks of %i rows", async (chunkRows) => {
    expect(momFormsMatrix(9100, 5, 2)).toBe(true);
    const streamed = await fitModelRows(input(chunkRows), { k: 2, method: "mom" });
    const held = fitModelFile(await holdTaskRows(input(chunkRows)), { k: 2, method: "mom" });
    expect(JSON.stringify(streamed)).toBe(JSON.stringify(held));
    expect(streamed.diagnostics.rows).toBe(9100);
  });

  test.each([[1e200], [1e-300]])(
    "data ×%s: streamed (a second, scaled pass) is held to the bit, and B̂ is that of the data at 1",
    async (factor) => {
      const far = (chunkRows: number) =>
        taskRowsFromArrays({
          features,
          taskIds: Array.from({ length: 7 }, (_, t) => `t${t}`),
          task: Array.from({ length: 9100 }, (_, i) => Math.floor(i / 1300)),
          X: src.data.X.map((v) => v * factor),
          y: src.data.y.map((v) => v * factor),
          chunkRows,
        });
      const streamed = await fitModelRows(far(1000), { k: 2, method: "mom" });
      const held = fitModelFile(await holdTaskRows(far(5000)), { k: 2, method: "mom" });
      expect(JSON.stringify(streamed)).toBe(JSON.stringify(held));
      expect(streamed.diagnostics.status).toBe("ok");
      const near1 = await fitModelRows(input(1000), { k: 2, method: "mom" });
      for (const [a, row] of streamed.B.entries())
        for (const [c, v] of row.entries()) expect(Math.abs(v - near1.B[a][c])).toBeLessThan(1e-12);
    },
  );

  test("other estimators hold the rows and give fitModelFile's model", async () => {
    const a = await fitModelRows(input(700), { k: 2, method: "altmin" });
    const b = fitModelFile(await holdTaskRows(input(5000)), { k: 2, method: "altmin" });
    expect(a).toEqual(b);
  });

  test("a task with fewer than k rows is one DataError naming its rows", async () => {
    const few = taskRowsFromArrays({
      features: ["u", "v", "w"],
      taskIds: ["p", "q"],
      task: [0, 1, 0, 0],
      X: Float64Array.from({ length: 12 }, (_, i) => (i * 7) % 5),
      y: Float64Array.from([1, 2, 3, 4]),
    });
    await expect(fitModelRows(few, { k: 2, method: "mom" })).rejects.toThrow(
      /^task "q" has 1 row \(row 2\); fitting needs at least k = 2 per task$/,
    );
  });
});

describe("adaptModelFile visits tasks one at a time", () => {
  test("heads are least squares on each task's labelled rows (to 1e-12 of fitHead's), with their conditioning; predictions x·B̂ŵ in file order", async () => {
    const fitted = await fitModelRows(input(2048), { k: 2, method: "mom" });
    const { model: m, B } = readModelFile(JSON.parse(JSON.stringify(fitted)));
    // Two new tasks interleaved; rows 5 and 6 have no target.
    const X = Float64Array.from(src.data.X.subarray(0, 8 * 5));
    const y = Float64Array.from(src.data.y.subarray(0, 8));
    y[4] = Number.NaN;
    y[5] = Number.NaN;
    const task = [0, 1, 0, 1, 0, 1, 0, 1];
    const res = await adaptModelFile(
      m,
      B,
      taskRowsFromArrays({ features, taskIds: ["n0", "n1"], task, X, y }),
      0,
    );
    for (const [t, rowsOf] of [
      [0, [0, 2, 6]],
      [1, [1, 3, 7]],
    ] as const) {
      const Xt = new Float64Array(rowsOf.length * 5);
      rowsOf.forEach((i, j) => {
        Xt.set(X.subarray(i * 5, (i + 1) * 5), j * 5);
      });
      const w = fitHead(
        Xt,
        Float64Array.from(rowsOf, (i) => y[i]),
        rowsOf.length,
        B,
        0,
      );
      const h = res.heads[t];
      expect([h.task, h.labelled]).toEqual([`n${t}`, 3]);
      for (let c = 0; c < 2; c++) expect(Math.abs(h.w[c] - w[c])).toBeLessThan(1e-12 * Math.hypot(...w));
      expect(h.condition).toBeGreaterThanOrEqual(1);
      expect(h.condition).toBeLessThan(1e3);
    }
    expect(res.predictions.map((p) => [p.task, p.row])).toEqual([
      ["n0", 5],
      ["n1", 6],
    ]);
    const th = new Float64Array(5);
    for (let a = 0; a < 5; a++) for (let c = 0; c < 2; c++) th[a] += B.data[a * 2 + c] * res.heads[0].w[c];
    let p = 0;
    for (let a = 0; a < 5; a++) p += X[4 * 5 + a] * th[a];
    expect(Math.abs(res.predictions[0].prediction - p)).toBeLessThan(1e-12 * Math.abs(p));
  });
});
