import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fitModelFile, fitModelRows } from "../algorithms/representation/modelFile.js";
import { DataError, holdTaskRows, type TaskRows } from "../data/taskTable.js";
import { type FewShotModel, STREAM_CHUNK_ROWS, sampleSourceTasks } from "../models/fewShotTasks.js";
import { key } from "../rng/key.js";
import { openTaskTable, type ReadTableOptions } from "./readTable.js";

/** Users' tables through DuckDB: same bits from every format, the same errors from every format. */

const tmp = mkdtempSync(join(tmpdir(), "metarep-readtable-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Row = { task: string | null; y: number | string | null; x: (number | string | null)[] };

/** Write the same rows as CSV, gzipped CSV, TSV, JSON lines and Parquet (through DuckDB's appender). */
async function writeAll(name: string, features: string[], rows: Row[]): Promise<Record<string, string>> {
  const text = (sep: string) =>
    `task${sep}y${sep}${features.join(sep)}\n${rows
      .map((r) => [r.task ?? "", r.y ?? "", ...r.x.map((v) => v ?? "")].join(sep))
      .join("\n")}\n`;
  const paths: Record<string, string> = {
    csv: join(tmp, `${name}.csv`),
    "csv.gz": join(tmp, `${name}.csv.gz`),
    tsv: join(tmp, `${name}.tsv`),
    jsonl: join(tmp, `${name}.jsonl`),
    parquet: join(tmp, `${name}.parquet`),
  };
  writeFileSync(paths.csv, text(","));
  writeFileSync(paths["csv.gz"], gzipSync(text(",")));
  writeFileSync(paths.tsv, text("\t"));
  writeFileSync(
    paths.jsonl,
    rows
      .map((r) =>
        JSON.stringify({ task: r.task, y: r.y, ...Object.fromEntries(features.map((f, a) => [f, r.x[a]])) }),
      )
      .join("\n"),
  );
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const textual = rows.some((r) => typeof r.y === "string" || r.x.some((v) => typeof v === "string"));
  const type = textual ? "VARCHAR" : "DOUBLE";
  await con.run(
    `CREATE TABLE t (task VARCHAR, y ${type}, ${features.map((f) => `"${f}" ${type}`).join(", ")})`,
  );
  const app = await con.createAppender("t");
  for (const r of rows) {
    if (r.task === null) app.appendNull();
    else app.appendVarchar(r.task);
    for (const v of [r.y, ...r.x]) {
      if (v === null) app.appendNull();
      else if (textual) app.appendVarchar(String(v));
      else app.appendDouble(v as number);
    }
    app.endRow();
  }
  app.flushSync();
  app.closeSync();
  await con.run(`COPY t TO '${paths.parquet}' (FORMAT parquet)`);
  con.closeSync();
  db.closeSync();
  return paths;
}

async function withRows<T>(path: string, o: ReadTableOptions, use: (r: TaskRows) => Promise<T>): Promise<T> {
  const t = await openTaskTable(path, o);
  try {
    return await use(t);
  } finally {
    t.close();
  }
}

const model: FewShotModel = { d: 6, k: 2, sigma: 0.1, heads: { kind: "gaussian", scale: 1 } };
const features = ["x1", "x2", "x3", "x4", "x5", "x6"];

describe("the same model, bit for bit, from CSV, gzipped CSV, TSV, JSON lines and Parquet", () => {
  // 9 tasks × 700 rows: 6300 rows, more than one DuckDB chunk (2048) and one MoM block (4096).
  const src = sampleSourceTasks(model, 9, 700, key(5));
  const grouped: Row[] = Array.from({ length: 6300 }, (_, i) => ({
    task: `t${Math.floor(i / 700)}`,
    y: src.data.y[i],
    x: Array.from(src.data.X.subarray(i * 6, (i + 1) * 6)),
  }));
  // The same rows with the tasks interleaved (same first-seen order, same order within each task):
  // DuckDB sorts them back into the grouped order.
  const interleaved: Row[] = [];
  for (let i = 0; i < 700; i++) for (let t = 0; t < 9; t++) interleaved.push(grouped[t * 700 + i]);
  let files: Record<string, string>;
  let mixed: Record<string, string>;
  beforeAll(async () => {
    files = await writeAll("same", features, grouped);
    mixed = await writeAll("mixed", features, interleaved);
  });

  test.each([["altmin"], ["mom"], ["bm"]])("%s", async (method) => {
    const models: Record<string, string> = {};
    for (const [fmt, path] of [
      ...Object.entries(files),
      ...Object.entries(mixed).map(([f, p]) => [`mixed ${f}`, p]),
    ]) {
      const m = await withRows(path, { targets: "required" }, (rows) =>
        fitModelRows(rows, { k: 2, method, estimator: method === "bm" ? { iters: 20 } : {} }),
      );
      models[fmt] = JSON.stringify(m);
    }
    const reference = models.parquet;
    expect(JSON.parse(reference).diagnostics.rows).toBe(6300);
    for (const [fmt, m] of Object.entries(models))
      expect({ fmt, same: m === reference }).toEqual({ fmt, same: true });
  });

  test("the values are the file's float64s exactly (text parsed with correct rounding)", async () => {
    for (const path of Object.values(files)) {
      const held = await withRows(path, { targets: "required" }, holdTaskRows);
      expect(held.data.X).toEqual(src.data.X);
      expect(held.data.y).toEqual(src.data.y);
      expect(Array.from(held.data.start)).toEqual(Array.from({ length: 10 }, (_, t) => t * 700));
    }
  });

  test("streamed MoM (M̂ accumulated block by block, heads task by task) is held MoM to the bit", async () => {
    expect(6300).toBeGreaterThan(STREAM_CHUNK_ROWS);
    for (const path of [files.csv, mixed.parquet]) {
      const streamed = await withRows(path, { targets: "required" }, (rows) =>
        fitModelRows(rows, { k: 2, method: "mom" }),
      );
      const held = await withRows(path, { targets: "required" }, async (rows) =>
        fitModelFile(await holdTaskRows(rows), { k: 2, method: "mom" }),
      );
      expect(JSON.stringify(streamed)).toBe(JSON.stringify(held));
    }
  });

  test("interleaved tasks arrive grouped, in first-seen order, each in file order, with their rows", async () => {
    const held = await withRows(mixed.csv, { targets: "required" }, holdTaskRows);
    expect(held.taskIds).toEqual(Array.from({ length: 9 }, (_, t) => `t${t}`));
    expect(Array.from(held.row.subarray(0, 3))).toEqual([1, 10, 19]);
    expect(Array.from(held.row.subarray(700, 702))).toEqual([2, 11]);
  });
});

describe("every error of the old parser, for every format: one DataError naming row, column and value", () => {
  const ok = (t: string, y: number, x: number[]): Row => ({ task: t, y, x });
  const base = () => [ok("a", 1, [1, 2]), ok("a", 2, [0, 1]), ok("b", 3, [1, 1]), ok("b", 4, [2, 0])];
  const cases: [string, Row[], Record<string, RegExp>][] = [
    [
      "a non-numeric feature",
      [...base().slice(0, 2), { task: "b", y: 3, x: [1, "two"] }, ...base().slice(3)],
      {
        csv: /: row 3: column "x2" must be a number; got "two"$/,
        jsonl: /: row 3: column "x2" must be a finite number; got "two"$/,
        parquet: /: row 3: column "x2" must be a number; got "two"$/,
      },
    ],
    [
      "a NaN target",
      [...base().slice(0, 1), { task: "a", y: "NaN", x: [0, 1] }, ...base().slice(2)],
      {
        csv: /: row 2: column "y" must be a finite number; got "NaN"$/,
        jsonl: /: row 2: column "y" must be a finite number; got "NaN"$/,
        parquet: /: row 2: column "y" must be a finite number; got "NaN"$/,
      },
    ],
    [
      "1e999 in a feature",
      [...base().slice(0, 3), { task: "b", y: 4, x: ["1e999", 0] }],
      {
        csv: /: row 4: column "x1" must be a finite number; got "1e999" \(beyond float64's range/,
        jsonl: /: row 4: column "x1" must be a finite number; got "1e999"/,
        parquet: /: row 4: column "x1" must be a finite number; got "1e999" \(beyond float64's range/,
      },
    ],
    [
      "an empty target",
      [...base().slice(0, 2), { task: "b", y: null, x: [1, 1] }, ...base().slice(3)],
      {
        csv: /: row 3: column "y" is empty; every row needs a target here$/,
        jsonl: /: row 3: column "y" is missing or null; every row needs a target here$/,
        parquet: /: row 3: column "y" is missing or null; every row needs a target here$/,
      },
    ],
    [
      "an empty feature",
      [...base().slice(0, 1), { task: "a", y: 2, x: [null, 1] }, ...base().slice(2)],
      {
        csv: /: row 2: column "x1" is empty$/,
        jsonl: /: row 2: column "x1" is missing or null$/,
        parquet: /: row 2: column "x1" is missing or null$/,
      },
    ],
    [
      "an empty task",
      [...base().slice(0, 3), { task: null, y: 4, x: [2, 0] }],
      {
        csv: /: row 4: column "task" \(the task\) is empty$/,
        jsonl: /: row 4: column "task" \(the task\) is empty$/,
        parquet: /: row 4: column "task" \(the task\) is empty$/,
      },
    ],
  ];
  for (const [name, rows, expected] of cases) {
    test(name, async () => {
      const slug = name.replace(/\W+/g, "-");
      // A textual row makes the Parquet columns text, as a user's mistyped file would have them.
      const paths = await writeAll(slug, ["x1", "x2"], rows);
      for (const [fmt, path] of Object.entries(paths)) {
        const re = expected[fmt.startsWith("csv") || fmt === "tsv" ? "csv" : fmt];
        const p = openTaskTable(path, { targets: "required" });
        await expect(p, fmt).rejects.toThrow(DataError);
        await expect(p, fmt).rejects.toThrow(re);
      }
    });
  }

  test("columns: missing, unknown, repeated, or the target or task named as a feature", async () => {
    const paths = await writeAll("cols", ["x1", "x2"], base());
    for (const [fmt, path] of Object.entries(paths)) {
      const open = (o: ReadTableOptions) => openTaskTable(path, { targets: "required", ...o });
      await expect(open({ targetColumn: "z" }), fmt).rejects.toThrow(
        /: missing column "z" \(the target column\); columns: task, y, x1, x2$/,
      );
      await expect(open({ features: ["x1"] }), fmt).rejects.toThrow(
        /: unknown column "x2"; expected "task", "y" and the features x1$/,
      );
      await expect(open({ features: ["x1", "x9"] }), fmt).rejects.toThrow(
        /: missing column "x9" \(a feature\)/,
      );
      await expect(open({ features: ["x1", "y"], otherColumns: "ignore" }), fmt).rejects.toThrow(
        /: column "y" is the target column; it cannot also be a feature$/,
      );
      await expect(open({ features: ["task", "x1"], otherColumns: "ignore" }), fmt).rejects.toThrow(
        /: column "task" is the task column; it cannot also be a feature$/,
      );
      await expect(open({ taskColumn: "y" }), fmt).rejects.toThrow(/the task and target columns must differ/);
    }
  });

  const textCases: [string, string, string, RegExp][] = [
    ["an empty file", "e.csv", "", /e\.csv: the file is empty/],
    ["blank lines only", "b.csv", "\n \n", /b\.csv: the file is empty/],
    ["a header without rows", "h.csv", "task,y,x\n", /h\.csv: no data rows after the header$/],
    ["a ragged row", "r.csv", "task,y,x1\na,1,2\n\nb,1\n", /r\.csv:4: 2 fields; the header has 3$/],
    ["an unterminated quote", "q.csv", 'task,y,x\n"a,1,2\n', /q\.csv:2: unterminated quoted field$/],
    ["a repeated column", "d.csv", "task,y,x,x\na,1,2,3\n", /d\.csv: column "x" appears twice$/],
    ["no feature columns", "n.csv", "task,y\na,1\n", /n\.csv: no feature columns besides "task" and "y"$/],
    ["a ragged TSV row", "r.tsv", "task\ty\tx1\na\t1\t2\t3\n", /r\.tsv:2: 4 fields; the header has 3$/],
    ["an empty JSON lines file", "e.jsonl", "", /e\.jsonl: the file is empty/],
    ["invalid JSON", "j.jsonl", '{"task":"a","y":1,"x":2}\n{"task":"a",\n', /j\.jsonl:\d+: not valid JSON/],
    [
      "a line that is not an object",
      "o.jsonl",
      '{"task":"a","y":1,"x":2}\n[1,2]\n',
      /o\.jsonl(:2)?: each line must be a JSON object/,
    ],
    [
      "a string for a number (JSON)",
      "s.jsonl",
      '{"task":"a","y":1,"x":"2"}\n',
      /s\.jsonl: row 1: column "x" must be a finite number; got "2"$/,
    ],
    [
      "a boolean for a number (JSON)",
      "t.jsonl",
      '{"task":"a","y":true,"x":2}\n',
      /t\.jsonl: row 1: column "y" must be a finite number; got true$/,
    ],
    [
      "a key only in some rows (JSON)",
      "k.jsonl",
      '{"task":"a","y":1,"x":2}\n{"task":"a","y":1,"x":2,"z":0}\n',
      /k\.jsonl: unknown column "z"/,
    ],
    ["a file that is not Parquet", "n.parquet", "task,y,x\na,1,2\n", /n\.parquet: not readable as PARQUET/],
  ];
  test.each(textCases)("%s", async (_name, file, text, re) => {
    const path = join(tmp, file);
    writeFileSync(path, text);
    const o: ReadTableOptions = { targets: "required", ...(file === "k.jsonl" ? { features: ["x"] } : {}) };
    const p = openTaskTable(path, o);
    await expect(p).rejects.toThrow(DataError);
    await expect(p).rejects.toThrow(re);
  });

  test("CSV details: quoted fields (commas, newlines, quotes), CRLF, blank lines, trimmed task ids", async () => {
    const path = join(tmp, "q.csv");
    writeFileSync(path, 'x1,task,y,"x ""2"""\r\n1.5, b ,2,-3e-1\r\n\r\n0,"a,\n1",.5,+4\r\n2,b,1e2,0\r\n');
    const held = await withRows(path, { targets: "required" }, holdTaskRows);
    expect(held.features).toEqual(["x1", 'x "2"']);
    expect(held.taskIds).toEqual(["b", "a,\n1"]);
    expect(Array.from(held.data.X)).toEqual([1.5, -0.3, 2, 0, 0, 4]);
    expect(Array.from(held.data.y)).toEqual([2, 100, 0.5]);
    expect(Array.from(held.row)).toEqual([1, 3, 2]);
  });

  test("adapt's rows: an empty target, a JSON null or an absent key marks a row to predict", async () => {
    const path = join(tmp, "p.jsonl");
    writeFileSync(
      path,
      '{"task": 7, "y": 1, "x1": 2}\n{"task": "7", "x1": 3}\n{"task": "c", "y": null, "x1": 4}\n',
    );
    const held = await withRows(path, { targets: "optional" }, holdTaskRows);
    expect(held.taskIds).toEqual(["7", "c"]);
    expect(Array.from(held.data.y).map((v) => (Number.isNaN(v) ? null : v))).toEqual([1, null, null]);
    await expect(openTaskTable(path, { targets: "required" })).rejects.toThrow(
      /p\.jsonl: row 2: column "y" is missing or null; every row needs a target here/,
    );
  });
});
