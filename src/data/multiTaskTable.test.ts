import { describe, expect, test } from "vitest";
import { DataError, groupByTask, parseMultiTaskTable } from "./multiTaskTable.js";

describe("parsing long-format multi-task tables", () => {
  test("CSV: header, quoted fields, CRLF, blank lines; features in file order; tasks in first-seen order", () => {
    const text = 'x1,task,y,"x 2"\r\n1.5,b,2,-3e-1\r\n\r\n0,"a,1",.5,+4\r\n2,b,1e2,0\r\n';
    const t = parseMultiTaskTable(text, { source: "t.csv" });
    expect(t.features).toEqual(["x1", "x 2"]);
    expect(t.taskIds).toEqual(["b", "a,1"]);
    expect(Array.from(t.task)).toEqual([0, 1, 0]);
    expect(Array.from(t.X)).toEqual([1.5, -0.3, 0, 4, 2, 0]);
    expect(Array.from(t.y)).toEqual([2, 0.5, 100]);
    expect(Array.from(t.line)).toEqual([2, 4, 5]);
  });

  test("JSONL: same table; numeric task ids become text; a row to predict may lack the target", () => {
    const text = '{"task": 7, "y": 1, "x1": 2}\n{"task": "7", "x1": 3}\n{"task": "c", "y": null, "x1": 4}\n';
    const t = parseMultiTaskTable(text, { targets: "optional", source: "t.jsonl" });
    expect(t.taskIds).toEqual(["7", "c"]);
    expect(Array.from(t.y).map((v) => (Number.isNaN(v) ? null : v))).toEqual([1, null, null]);
    expect(() => parseMultiTaskTable(text, { source: "t.jsonl" })).toThrow(/t.jsonl:2: missing column "y"/);
  });

  test("explicit features fix the order and reject other columns", () => {
    const t = parseMultiTaskTable("task,y,b,a\nq,1,2,3\n", { features: ["a", "b"] });
    expect(Array.from(t.X)).toEqual([3, 2]);
    expect(() =>
      parseMultiTaskTable("task,y,b,a,c\nq,1,2,3,4\n", { features: ["a", "b"], source: "f" }),
    ).toThrow(/f: unknown column "c"; expected "task", "y" and the features a, b/);
  });

  const bad: [string, string, RegExp][] = [
    ["an empty file", "\n \n", /d.csv: the file is empty/],
    ["a header without rows", "task,y,x\n", /d.csv: no data rows after the header/],
    [
      "a missing target column",
      "task,x1,x2\na,1,2\n",
      /d.csv: missing column "y" \(the target column\); columns: task, x1, x2/,
    ],
    ["a ragged row", "task,y,x1\na,1,2\nb,1\n", /d.csv:3: 2 fields; the header has 3/],
    [
      "a non-numeric value",
      "task,y,x1\na,1,2\na,1,two\n",
      /d.csv:3: column "x1" must be a number; got "two"/,
    ],
    ["a NaN", "task,y,x1\na,1,2\n\na,NaN,1\n", /d.csv:4: column "y" must be a finite number; got "NaN"/],
    [
      "an empty target in a fit file",
      "task,y,x1\na,,2\n",
      /d.csv:2: column "y" is empty; every row needs a target here/,
    ],
    ["a duplicate column", "task,y,x,x\na,1,2,3\n", /d.csv:1: column "x" appears twice/],
    ["an unterminated quote", 'task,y,x\n"a,1,2\n', /d.csv:2: unterminated quoted field/],
    ["no feature columns", "task,y\na,1\n", /d.csv: no feature columns besides "task" and "y"/],
  ];
  test.each(bad)("%s is one DataError naming file, line and column", (_, text, re) => {
    expect(() => parseMultiTaskTable(text, { source: "d.csv" })).toThrow(re);
    expect(() => parseMultiTaskTable(text, { source: "d.csv" })).toThrow(DataError);
  });

  test("JSONL errors name the line: invalid JSON, non-objects, strings for numbers, unknown keys", () => {
    const src = { source: "d.jsonl", format: "jsonl" as const };
    expect(() => parseMultiTaskTable('{"task":"a","y":1,"x":2}\n{"task":"a",\n', src)).toThrow(
      /d.jsonl:2: not valid JSON/,
    );
    expect(() => parseMultiTaskTable('{"task":"a","y":1,"x":2}\n[1,2]\n', src)).toThrow(
      /d.jsonl:2: each line must be a JSON object/,
    );
    expect(() => parseMultiTaskTable('{"task":"a","y":1,"x":"2"}\n', src)).toThrow(
      /d.jsonl:1: column "x" must be a finite number; got "2"/,
    );
    expect(() =>
      parseMultiTaskTable('{"task":"a","y":1,"x":2}\n{"task":"a","y":1,"x":2,"z":0}\n', src),
    ).toThrow(/d.jsonl:2: unknown column "z"/);
  });

  test("groupByTask makes contiguous tasks (file order within a task) and maps rows back", () => {
    const t = parseMultiTaskTable("task,y,x\nb,1,10\na,2,20\nb,3,30\na,,40\n", { targets: "optional" });
    const all = groupByTask(t);
    expect(Array.from(all.data.start)).toEqual([0, 2, 4]);
    expect(Array.from(all.data.X)).toEqual([10, 30, 20, 40]);
    expect(Array.from(all.sourceRow)).toEqual([0, 2, 1, 3]);
    const labelled = groupByTask(t, (i) => !Number.isNaN(t.y[i]));
    expect(Array.from(labelled.data.start)).toEqual([0, 2, 3]);
    expect(Array.from(labelled.data.y)).toEqual([1, 3, 2]);
  });
});
