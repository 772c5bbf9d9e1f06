import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getExperiment } from "../experiments/registry.js";
import { mergeByGridPoint } from "../record/merge.js";
import { experimentFigures } from "../report/experimentFigures.js";
import { figureRows } from "../report/figureData.js";
import { InlineExecutor } from "../sweep/executors/inline.js";
import { runSweep } from "../sweep/runSweep.js";
import { expandSweep, parseSweepSpec } from "../sweep/spec.js";
import { readRecords } from "../sweep/store.js";
import { runCli } from "./testing.js";

/** `metarep export`: the data behind every figure, as Parquet and as CSV, for replotting. */

const tmp = mkdtempSync(join(tmpdir(), "metarep-export-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const store = join(tmp, "store");

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

describe("export --parquet / --csv on a store of collins-convergence (2 grid points × 2 seeds)", () => {
  beforeAll(async () => {
    const executor = new InlineExecutor();
    try {
      await runSweep({
        sweep: expandSweep(
          parseSweepSpec(
            "experiment: collins-convergence\nsize: smoke\nseeds: 2\nparams: { iters: 30 }\ngrid: { alpha: [0.25, 0.5] }\n",
          ),
        ),
        dir: store,
        executor,
        command: "test",
      });
    } finally {
      await executor.close();
    }
  }, 120_000);

  test("each figure's file holds exactly the rows the figure draws, with their grid point", async () => {
    const out = join(tmp, "pq");
    const r = await runCli("export", store, "--parquet", "--out", out);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const exp = getExperiment("collins-convergence");
    const merged = mergeByGridPoint(readRecords(store));
    for (const fig of exp.figures) {
      const path = join(out, `figure-${fig.name}.parquet`);
      expect(existsSync(path)).toBe(true);
      const expected = merged.flatMap((rec) =>
        figureRows(experimentFigures(exp, rec).find((f) => f.name === fig.name)!.spec).map((row) => ({
          grid_point: rec.gridPoint ?? "",
          ...row,
        })),
      );
      expect(expected.length).toBeGreaterThan(0);
      const got = await query(`SELECT * FROM '${path}'`);
      expect(got).toHaveLength(expected.length);
      // Same rows, same numbers (float64 kept), keyed by every column the figure draws.
      const key = (o: Record<string, unknown>) =>
        JSON.stringify(
          Object.keys(expected[0])
            .sort()
            .map((k) => [k, o[k] ?? null]),
        );
      expect(got.map(key).sort()).toEqual(expected.map(key).sort());
      expect(got.some((row) => row.kind === "series" && typeof row.lo === "number")).toBe(true);
    }
    expect(readdirSync(out).sort()).toEqual(
      expect.arrayContaining([
        "curves.parquet",
        "metrics.parquet",
        ...exp.figures.map((f) => `figure-${f.name}.parquet`),
      ]),
    );
  });

  test("--csv writes the same rows as CSV (curves in long format, one line per point)", async () => {
    const out = join(tmp, "csv");
    const r = await runCli("export", store, "--csv", "--out", out);
    expect(r.code).toBe(0);
    const fig = getExperiment("collins-convergence").figures[0].name;
    const [a] = await query(
      `SELECT count(*)::INTEGER AS n, sum(y) AS s FROM '${join(tmp, "pq", `figure-${fig}.parquet`)}'`,
    );
    const [b] = await query(
      `SELECT count(*)::INTEGER AS n, sum(y) AS s FROM read_csv('${join(out, `figure-${fig}.csv`)}')`,
    );
    expect(b).toEqual(a);
    const [points] = await query(`SELECT count(*)::INTEGER AS n FROM read_csv('${join(out, "curves.csv")}')`);
    const stored = readRecords(store).flatMap((rec) =>
      rec.result.seeds.flatMap((s) => s.curves.map((c) => c.x.length)),
    );
    expect(points.n).toBe(stored.reduce((s, n) => s + n, 0));
  });

  test("a format is required, and only one", async () => {
    for (const flags of [[], ["--parquet", "--csv"]]) {
      const r = await runCli("export", store, ...flags, "--out", join(tmp, "never"));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/"export" needs one format: --parquet or --csv/);
      expect(existsSync(join(tmp, "never"))).toBe(false);
    }
  });
});
