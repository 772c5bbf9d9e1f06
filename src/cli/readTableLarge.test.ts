import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CLI } from "../sweep/testing.js";

/**
 * A data file larger than the JavaScript heap allowed to the process fits: the rows stream from
 * DuckDB in chunks, MoM accumulates M̂ block by block and the heads task by task, so no copy of
 * the file's text (nor of X) is ever held. The old parser read the file into one string first.
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-large-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ROWS = 900_000;
const TASKS = 900;
const HEAP_MB = 64;

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("exit", (code) => res({ code, out, err }));
  });
}

describe(`fit --method mom on a CSV file several times the ${HEAP_MB} MB heap of its process`, () => {
  const csv = join(tmp, "big.csv");
  beforeAll(async () => {
    // 900 000 rows × 10 features in 900 tasks (about 155 MB), written by DuckDB itself: deterministic values from
    // hashes, uniform on [−1, 1]; y_t = s_t·(x1 + x2) with a sign s_t per task.
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    const x = (j: number) => `((hash(i * 16 + ${j}) % 2000001)::DOUBLE / 1e6 - 1)`;
    await con.run(`COPY (
      SELECT 't' || (i // ${ROWS / TASKS}) AS task,
             (CASE WHEN (i // ${ROWS / TASKS}) % 2 = 0 THEN 1 ELSE -1 END) * (${x(1)} + ${x(2)}) AS y,
             ${Array.from({ length: 10 }, (_, j) => `${x(j + 1)} AS x${j + 1}`).join(", ")}
      FROM range(${ROWS}) t(i)) TO '${csv}' (HEADER, DELIMITER ',')`);
    con.closeSync();
    db.closeSync();
  }, 120_000);

  test("fits, with every row, and finds the direction x1 + x2", async () => {
    const size = statSync(csv).size;
    expect(size).toBeGreaterThan(2 * HEAP_MB * 2 ** 20);
    const out = join(tmp, "model.json");
    const r = await run(["fit", "--data", csv, "--k", "1", "--method", "mom", "--out", out]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(out, "utf8"));
    expect(m.diagnostics.rows).toBe(ROWS);
    expect(m.diagnostics.tasks).toBe(TASKS);
    const b = m.B.map((row: number[]) => row[0]);
    expect(Math.abs(b[0] + b[1]) / Math.SQRT2).toBeGreaterThan(0.99);
  }, 120_000);
});
