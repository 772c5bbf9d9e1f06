import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { canonicalJson } from "../experiments/keys.js";
import { fitLogLogLine } from "../metrics/loglogSlope.js";
import type { RunRecord } from "../record/types.js";
import { readRecords } from "./store.js";

/** One aggregated cell group: a grid point × curve labels × metric, over seeds. */
export interface AggregateRow {
  gridPoint: string;
  labels: string;
  metric: string;
  median: number | null;
  q10: number | null;
  q90: number | null;
  /** Seeds with a finite value. */
  n: number;
  /** Seeds whose value is null (e.g. a threshold never reached) or non-finite. */
  nulls: number;
}

/** A fitted log-log slope of a metric's median along one numeric grid axis. */
export interface SlopeRow {
  axis: string;
  /** The grid point's other coordinates. */
  rest: string;
  labels: string;
  metric: string;
  slope: number;
  points: number;
}

/** Long table of every curve metric of every record (one row per cell × curve × metric). */
async function loadMetrics(records: RunRecord[]) {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  await con.run(
    "CREATE TABLE metrics (cell_id VARCHAR, grid_point VARCHAR, grid VARCHAR, seed_index INTEGER, labels VARCHAR, metric VARCHAR, value DOUBLE)",
  );
  const app = await con.createAppender("metrics");
  for (const r of records) {
    r.result.seeds.forEach((res, i) => {
      for (const c of res.curves) {
        for (const [name, v] of Object.entries(c.metrics)) {
          app.appendVarchar(r.cellId);
          app.appendVarchar(r.gridPoint ?? "");
          app.appendVarchar(canonicalJson(r.grid ?? {}));
          app.appendInteger(r.seedIndices[i]);
          app.appendVarchar(canonicalJson(c.labels));
          app.appendVarchar(name);
          if (v === null || !Number.isFinite(v)) app.appendNull();
          else app.appendDouble(v);
          app.endRow();
        }
      }
    });
  }
  app.flushSync();
  app.closeSync();
  return { db, con };
}

/** Medians, 10–90% quantiles and counts per grid point, curve labels and metric (via DuckDB). */
export async function aggregateRecords(
  records: RunRecord[],
): Promise<{ rows: AggregateRow[]; slopes: SlopeRow[] }> {
  const { db, con } = await loadMetrics(records);
  try {
    const res = await con.runAndReadAll(`
      SELECT grid_point, labels, metric,
             median(value) AS median, quantile_cont(value, 0.1) AS q10, quantile_cont(value, 0.9) AS q90,
             count(value) AS n, count(*) - count(value) AS nulls
      FROM metrics GROUP BY grid_point, labels, metric ORDER BY grid_point, labels, metric`);
    const rows = res.getRowObjectsJS().map((o) => ({
      gridPoint: String(o.grid_point),
      labels: String(o.labels),
      metric: String(o.metric),
      median: o.median === null ? null : Number(o.median),
      q10: o.q10 === null ? null : Number(o.q10),
      q90: o.q90 === null ? null : Number(o.q90),
      n: Number(o.n),
      nulls: Number(o.nulls),
    }));
    const slopes = fitSlopes(records, rows);
    return { rows, slopes };
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/**
 * Least-squares slope of log(median metric) against log(axis value) along each numeric grid axis
 * with ≥ 3 positive values, the other coordinates held fixed: the empirical rate (e.g. the excess
 * risk's slope in T, to compare with −1).
 */
function fitSlopes(records: RunRecord[], rows: AggregateRow[]): SlopeRow[] {
  const grids = new Map<string, Record<string, unknown>>();
  for (const r of records) grids.set(r.gridPoint ?? "", r.grid ?? {});
  const axes = new Set<string>();
  for (const g of grids.values()) for (const k of Object.keys(g)) axes.add(k);
  const out: SlopeRow[] = [];
  for (const axis of axes) {
    const groups = new Map<string, { x: number; y: number }[]>();
    for (const row of rows) {
      const g = grids.get(row.gridPoint);
      const x = g?.[axis];
      if (typeof x !== "number" || !(x > 0) || row.median === null || !(row.median > 0)) continue;
      const rest = canonicalJson(Object.fromEntries(Object.entries(g ?? {}).filter(([k]) => k !== axis)));
      const key = JSON.stringify([rest, row.labels, row.metric]);
      const list = groups.get(key) ?? [];
      list.push({ x, y: row.median });
      groups.set(key, list);
    }
    for (const [key, pts] of groups) {
      const fit = fitLogLogLine(
        pts.map((p) => p.x),
        pts.map((p) => p.y),
        3,
      );
      if (!fit) continue;
      const [rest, labels, metric] = JSON.parse(key) as [string, string, string];
      out.push({ axis, rest, labels, metric, slope: fit.slope, points: fit.points });
    }
  }
  return out;
}

/** Aggregate a store directory. */
export async function aggregateStore(dir: string) {
  return aggregateRecords(readRecords(dir));
}

/**
 * `metarep export DIR --parquet`: write `metrics.parquet` (one row per cell × curve × metric) and
 * `curves.parquet` (one row per cell × curve, with the x and y lists) into `outDir`.
 */
export async function exportParquet(dir: string, outDir = dir): Promise<string[]> {
  return exportTables(dir, outDir, "parquet");
}

/**
 * `metrics` and `curves` of a store as Parquet (curves hold x and y as lists) or CSV (curves in
 * long format, one line per point): `metrics.<ext>`, `curves.<ext>` in `outDir`.
 */
export async function exportTables(
  dir: string,
  outDir: string,
  format: "parquet" | "csv",
): Promise<string[]> {
  const records = readRecords(dir);
  const { db, con } = await loadMetrics(records);
  try {
    await con.run(
      "CREATE TABLE curves (cell_id VARCHAR, grid_point VARCHAR, seed_index INTEGER, labels VARCHAR, x_name VARCHAR, y_name VARCHAR, x DOUBLE[], y DOUBLE[], status VARCHAR)",
    );
    for (const r of records) {
      for (const [i, res] of r.result.seeds.entries()) {
        for (const c of res.curves) {
          await con.run(
            "INSERT INTO curves VALUES ($1, $2, $3, $4, $5, $6, $7::DOUBLE[], $8::DOUBLE[], $9)",
            [
              r.cellId,
              r.gridPoint ?? "",
              r.seedIndices[i],
              canonicalJson(c.labels),
              c.xName,
              c.yName,
              JSON.stringify(c.x),
              JSON.stringify(c.y),
              c.status,
            ],
          );
        }
      }
    }
    const files = [join(resolve(outDir), `metrics.${format}`), join(resolve(outDir), `curves.${format}`)];
    const q = (p: string) => `'${p.replaceAll("'", "''")}'`;
    if (format === "parquet") {
      await con.run(`COPY metrics TO ${q(files[0])} (FORMAT parquet)`);
      await con.run(`COPY curves TO ${q(files[1])} (FORMAT parquet)`);
    } else {
      await con.run(`COPY metrics TO ${q(files[0])} (FORMAT csv, HEADER)`);
      await con.run(
        `COPY (SELECT cell_id, grid_point, seed_index, labels, x_name, y_name, unnest(x) AS x, unnest(y) AS y, status FROM curves) TO ${q(files[1])} (FORMAT csv, HEADER)`,
      );
    }
    return files;
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
