import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { TopLevelSpec } from "vega-lite";
import { getExperiment } from "../experiments/registry.js";
import { mergeByGridPoint } from "../record/merge.js";
import { readManifest, readRecords } from "../sweep/store.js";
import { experimentFigures } from "./experimentFigures.js";
import { claimAxisFigures, metricAxisFigures, sortByGrid } from "./sweepFigures.js";

/**
 * The data behind a store's figures, for a researcher to replot in their own tool: the rows each
 * figure draws — exactly the Vega-Lite spec's inline data, long format: `kind` (series: median and
 * band lo–hi per x; seed and median: one number per seed; theory: overlays; diverged: last finite
 * value of a seed that blew up), `panel`, `method` (the legend entry), `x`, `y`, `lo`, `hi`,
 * `seed`, … — one file per figure, with the grid point of each row, as Parquet or CSV (DuckDB).
 */

export type FigureRow = Record<string, unknown>;

/** The inline data rows of a figure (its top-level `data.values`, and any view's own). */
export function figureRows(spec: TopLevelSpec): FigureRow[] {
  const out: FigureRow[] = [];
  const visit = (v: unknown) => {
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    const data = o.data as { values?: unknown } | undefined;
    if (data && Array.isArray(data.values)) out.push(...(data.values as FigureRow[]));
    for (const key of ["layer", "concat", "hconcat", "vconcat"]) {
      if (Array.isArray(o[key])) for (const child of o[key] as unknown[]) visit(child);
    }
    if (o.spec) visit(o.spec);
  };
  visit(spec);
  return out;
}

/** Every figure of a store (per grid point, and against the grid axes): name → rows. */
export function storeFigureRows(dir: string): Map<string, FigureRow[]> {
  const manifest = readManifest(dir);
  const exp = getExperiment(manifest.experiment);
  const spec = manifest.spec as { grid?: Record<string, unknown> } | null;
  const axes = Object.keys(spec?.grid ?? {});
  const merged = sortByGrid(mergeByGridPoint(readRecords(dir)), axes);
  const files = new Map<string, FigureRow[]>();
  const add = (name: string, gridPoint: string, rows: FigureRow[]) => {
    const list = files.get(name) ?? [];
    for (const r of rows) list.push({ grid_point: gridPoint, ...r });
    files.set(name, list);
  };
  for (const rec of merged) {
    for (const fig of experimentFigures(exp, rec)) add(fig.name, rec.gridPoint ?? "", figureRows(fig.spec));
  }
  for (const fig of [...metricAxisFigures(merged, axes), ...claimAxisFigures(merged, axes)])
    add(`grid-${fig.name}`, "", figureRows(fig.spec));
  return files;
}

type ColumnType = "DOUBLE" | "BOOLEAN" | "VARCHAR";

/** Columns in first-seen order, each typed by its values (numbers, booleans, else text). */
function columnsOf(rows: readonly FigureRow[]): { name: string; type: ColumnType }[] {
  const types = new Map<string, Set<string>>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      const set = types.get(k) ?? new Set<string>();
      if (v !== null && v !== undefined) set.add(typeof v);
      types.set(k, set);
    }
  }
  return [...types].map(([name, t]) => ({
    name,
    type:
      t.size === 1 && t.has("number") ? "DOUBLE" : t.size === 1 && t.has("boolean") ? "BOOLEAN" : "VARCHAR",
  }));
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const slug = (s: string) => s.replace(/[^A-Za-z0-9_.=-]+/g, "_").slice(0, 80);

/**
 * Write `figure-<name>.parquet` (or `.csv`) into `outDir` for every figure of the store; returns
 * the paths. Text columns hold objects as JSON; numbers stay float64.
 */
export async function exportFigureData(
  dir: string,
  outDir: string,
  format: "parquet" | "csv",
): Promise<string[]> {
  const figures = storeFigureRows(dir);
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const paths: string[] = [];
  try {
    for (const [name, rows] of figures) {
      const cols = columnsOf(rows);
      if (cols.length === 0) continue;
      await con.run("DROP TABLE IF EXISTS fig");
      await con.run(`CREATE TABLE fig (${cols.map((c) => `${ident(c.name)} ${c.type}`).join(", ")})`);
      const app = await con.createAppender("fig");
      for (const r of rows) {
        for (const c of cols) {
          const v = r[c.name];
          if (v === null || v === undefined) app.appendNull();
          else if (c.type === "DOUBLE") app.appendDouble(v as number);
          else if (c.type === "BOOLEAN") app.appendBoolean(v as boolean);
          else app.appendVarchar(typeof v === "string" ? v : JSON.stringify(v));
        }
        app.endRow();
      }
      app.flushSync();
      app.closeSync();
      const path = join(resolve(outDir), `figure-${slug(name)}.${format}`);
      const options = format === "parquet" ? "FORMAT parquet" : "FORMAT csv, HEADER";
      await con.run(`COPY fig TO '${path.replaceAll("'", "''")}' (${options})`);
      paths.push(path);
    }
    return paths;
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
