import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import {
  type DuckDBConnection,
  DuckDBDoubleVector,
  DuckDBInstance,
  type DuckDBVector,
} from "@duckdb/node-api";
import { DataError, type RowChunk, type TaskRows } from "../data/taskTable.js";
import { MetarepError } from "../errors.js";

/**
 * Users' multi-task tables (long format: a task column, a target column, numeric feature columns)
 * read through DuckDB's readers — `read_csv` (CSV, TSV, gzipped or not), `read_parquet`,
 * `read_json` (JSON lines) — validated, then streamed to the estimators grouped by task.
 *
 * 1. The columns: the CSV header, Parquet's schema, or the keys of the JSON lines (DuckDB's sample
 *    of them). Missing, unknown, repeated or empty column names, and the task or target column
 *    named as a feature, are one-line errors before any row is read.
 * 2. One profiling pass (a DuckDB aggregate over the file, in DuckDB's memory, not ours): the
 *    tasks in first-seen order with their row counts, and the first row whose task is empty or
 *    whose target or a feature is not a finite number. Only if there is one, a second query fetches
 *    that row's values, so the error names the row, the column and the value as written.
 * 3. Streaming passes (`chunks()`): DuckDB's chunks of the rows, grouped by task (tasks in
 *    first-seen order, file order within a task). A file already grouped by task streams in file
 *    order; otherwise DuckDB sorts it (spilling to a temporary directory beyond its memory limit).
 *
 * Values are cast by DuckDB (correctly rounded to the nearest float64 for decimal text), so the same
 * numbers written as CSV, gzipped CSV, JSON lines or Parquet give the same bits.
 */

export const TABLE_FORMATS = ["csv", "tsv", "parquet", "jsonl"] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface ReadTableOptions {
  /** Default: from the extension (.csv, .tsv, .parquet, .jsonl, each optionally .gz), else the content. */
  format?: TableFormat;
  /** Task column name; default "task". */
  taskColumn?: string;
  /** Target column name; default "y". */
  targetColumn?: string;
  /**
   * Feature columns, in this order. Default: every other column, in file order. When given, the
   * file must have these besides the task and target columns; other columns are unknown columns,
   * or, with `otherColumns: "ignore"`, left unread (`fit --features` chooses a subset).
   */
  features?: readonly string[];
  otherColumns?: "reject" | "ignore";
  /** "required" (fit): every row needs a target; "optional" (adapt): rows without one are predicted. */
  targets?: "required" | "optional";
  /** Name used in messages (default: the path). */
  source?: string;
  /** DuckDB's memory limit (its sort spills to a temporary directory beyond it); default "512MB". */
  memoryLimit?: string;
}

/** A validated table, streamed from the file; `close()` releases DuckDB and its temporary files. */
export interface OpenedTable extends TaskRows {
  readonly format: TableFormat;
  close(): void;
}

const quote = (s: string) => JSON.stringify(s);
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

function fileError(path: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (e as Error).message;
  throw new MetarepError(`cannot read data file ${quote(path)}: ${why}.`);
}

/** The first bytes of the file (format sniffing). */
function head(path: string, bytes: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(bytes);
    const n = readSync(fd, b, 0, bytes, 0);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function formatOf(path: string, start: Buffer, gzipped: boolean): TableFormat {
  const name = path.toLowerCase().replace(/\.gz$/, "");
  const ext = extname(name);
  if (ext === ".csv") return "csv";
  if (ext === ".tsv" || ext === ".tab") return "tsv";
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (start.subarray(0, 4).toString("latin1") === "PAR1") return "parquet";
  if (!gzipped && start.toString("utf8").trimStart().startsWith("{")) return "jsonl";
  return "csv";
}

/**
 * Fields of the CSV header line (RFC 4180 quoting within the line; unquoted names are trimmed).
 * By hand because DuckDB's dialect sniffer refuses a whole file whose rows disagree in length,
 * with a message about dialects rather than the row; reading with the header's columns declared
 * gives DuckDB's precise message (line, expected and found fields) instead. The rows themselves are
 * all parsed by DuckDB.
 */
function headerFields(s: string, delim: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (s[i] === '"') {
      let v = "";
      i++;
      for (;;) {
        if (i >= s.length) throw new DataError(`${where}: unterminated quoted field in the header`);
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i++];
      }
      while (s[i] === " ") i++;
      if (i < s.length && s[i] !== delim)
        throw new DataError(`${where}: unexpected text after a quoted field: ${quote(s.slice(i, i + 20))}`);
      out.push(v);
    } else {
      const j = s.indexOf(delim, i);
      out.push((j < 0 ? s.slice(i) : s.slice(i, j)).trim());
      i = j < 0 ? s.length : j;
    }
    if (i >= s.length) return out;
    i++; // the delimiter
  }
}

/** DuckDB's first line of an error, without its "… Error: " prefix. */
function duckMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m
    .split("\n")[0]
    .replace(/^[A-Za-z ]*Error: /, "")
    .trim();
}

/** A DuckDB read error as one line naming the file and, when DuckDB says it, the line. */
function readError(source: string, format: TableFormat, e: unknown): DataError {
  const full = e instanceof Error ? e.message : String(e);
  const csvLine = /CSV Error on Line: (\d+)/.exec(full);
  if (csvLine) {
    const where = `${source}:${csvLine[1]}`;
    const count = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(full);
    if (count) return new DataError(`${where}: ${count[2]} fields; the header has ${count[1]}`);
    if (/unterminated quote/i.test(full)) return new DataError(`${where}: unterminated quoted field`);
    const reason = full.split("\n").find((l, i) => i > 1 && l.trim() !== "" && !/^Original Line/.test(l));
    return new DataError(`${where}: not readable as ${format.toUpperCase()} (${reason?.trim() ?? "DuckDB"})`);
  }
  const json = /in line (\d+): (.*)$/m.exec(full);
  if (format === "jsonl" && json) {
    const where = `${source}:${json[1]}`;
    const obj = /Expected OBJECT, but got \w+: (.*)/.exec(json[2]);
    if (obj) return new DataError(`${where}: each line must be a JSON object; got ${obj[1].slice(0, 40)}`);
    return new DataError(`${where}: not valid JSON (${json[2].replace(/\.\s*$/, "")})`);
  }
  if (format === "jsonl" && /expected records/.test(full))
    return new DataError(`${source}: each line must be a JSON object`);
  return new DataError(
    `${source}: not readable as ${format === "jsonl" ? "JSON lines" : format.toUpperCase()} (${duckMessage(e)})`,
  );
}

/**
 * The float64 storage of a DOUBLE vector, read in place. @duckdb/node-api offers values one at a
 * time (`getItem`, which reads this same array after a validity check); a feature column has no
 * NULL once validated, so the array is read directly — 50 M calls fewer per 1 M × 50 rows. Null
 * when the vector is not laid out as expected (the caller then uses `getItem`).
 */
function doubles(v: DuckDBVector): Float64Array | null {
  const items = (v as unknown as { items?: unknown }).items;
  return v instanceof DuckDBDoubleVector && items instanceof Float64Array && items.length === v.itemCount
    ? items
    : null;
}

function chunkBuffers(rows: number, d: number): RowChunk {
  return {
    rows: 0,
    task: new Int32Array(rows),
    row: new Float64Array(rows),
    y: new Float64Array(rows),
    X: new Float64Array(rows * d),
  };
}

/** Column types DuckDB casts to DOUBLE as numbers (anything textual is cast value by value). */
const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*|VARCHAR|JSON)$/;
/** A decimal number as text (then a non-finite cast means beyond float64's range). */
const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

interface Column {
  name: string;
  /** SQL for the value as text (null when absent or empty). */
  raw: string;
  /** SQL for the value as DOUBLE (null when not a number). */
  num: string;
}

function resolveColumns(
  names: string[],
  o: { source: string; taskColumn: string; targetColumn: string; targets: string },
  options: ReadTableOptions,
  allowAbsentTarget: boolean,
): string[] {
  const { source, taskColumn, targetColumn } = o;
  const seen = new Set<string>();
  for (const n of names) {
    if (n === "") throw new DataError(`${source}: a column has an empty name`);
    if (seen.has(n)) throw new DataError(`${source}: column ${quote(n)} appears twice`);
    seen.add(n);
  }
  const known = names.join(", ");
  for (const [name, what] of [
    [taskColumn, "the task column"],
    [targetColumn, "the target column"],
  ] as const) {
    if (!seen.has(name) && !(name === targetColumn && allowAbsentTarget))
      throw new DataError(`${source}: missing column ${quote(name)} (${what}); columns: ${known}`);
  }
  let features: string[];
  if (options.features) {
    features = [...options.features];
    for (const f of features) {
      // Issue 23: the target or the task as a feature would fit y from itself.
      if (f === targetColumn || f === taskColumn) {
        throw new DataError(
          `${source}: column ${quote(f)} is ${f === targetColumn ? "the target" : "the task"} column; it cannot also be a feature`,
        );
      }
      if (!seen.has(f))
        throw new DataError(`${source}: missing column ${quote(f)} (a feature); columns: ${known}`);
    }
    const allowed = new Set([taskColumn, targetColumn, ...features]);
    const extra = names.find((n) => !allowed.has(n));
    if (extra !== undefined && options.otherColumns !== "ignore") {
      throw new DataError(
        `${source}: unknown column ${quote(extra)}; expected ${quote(taskColumn)}, ${quote(targetColumn)} and the features ${features.join(", ")}`,
      );
    }
  } else features = names.filter((n) => n !== taskColumn && n !== targetColumn);
  if (features.length === 0)
    throw new DataError(
      `${source}: no feature columns besides ${quote(taskColumn)} and ${quote(targetColumn)}`,
    );
  return features;
}

/** The message for a bad value: `raw` as written (null: empty or absent), `num` as DuckDB cast it. */
function valueProblem(
  column: string,
  raw: string | null,
  num: number | null,
  isTarget: boolean,
  format: TableFormat,
): string {
  if (raw === null) {
    const absent = format === "jsonl" || format === "parquet" ? "missing or null" : "empty";
    return `column ${quote(column)} is ${absent}${isTarget ? "; every row needs a target here" : ""}`;
  }
  const shown = format === "jsonl" ? raw : quote(raw);
  if (num === null) {
    return `column ${quote(column)} must be ${format === "jsonl" ? "a finite number" : "a number"}; got ${shown}`;
  }
  const range = NUMBER.test(raw) ? " (beyond float64's range, ±1.8e308)" : "";
  return `column ${quote(column)} must be a finite number; got ${shown}${range}`;
}

/**
 * Open, check and profile a long-format multi-task table. Throws one `DataError` for the first
 * problem (empty file, missing or unknown column, a ragged or unreadable row, an empty task, a
 * value that is not a finite number, a missing target), naming the file, the row or line, the
 * column and the value. The result streams the rows grouped by task; close it when done.
 *
 * Example: `const rows = await openTaskTable("train.parquet", { targets: "required" })`.
 */
export async function openTaskTable(path: string, options: ReadTableOptions = {}): Promise<OpenedTable> {
  const o = {
    taskColumn: options.taskColumn ?? "task",
    targetColumn: options.targetColumn ?? "y",
    targets: options.targets ?? "required",
    source: options.source ?? path,
  };
  const { source } = o;
  if (o.taskColumn === o.targetColumn)
    throw new DataError(
      `${source}: the task and target columns must differ; both are ${quote(o.taskColumn)}`,
    );
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) fileError(path, Object.assign(new Error(), { code: "EISDIR" }));
    size = st.size;
  } catch (e) {
    if (e instanceof MetarepError) throw e;
    fileError(path, e);
  }
  const start = head(path, 4096);
  const gzipped = start[0] === 0x1f && start[1] === 0x8b;
  const format = options.format ?? formatOf(path, start, gzipped);
  if (size === 0 || (!gzipped && size <= start.length && start.toString("utf8").trim() === "")) {
    throw new DataError(
      `${source}: the file is empty (expected ${format === "jsonl" ? "one JSON object per line" : format === "parquet" ? "a Parquet file" : "a header line, then rows"})`,
    );
  }
  const compression = gzipped ? "gzip" : "none";
  // read_json spells "none" differently.
  const jsonCompression = gzipped ? "gzip" : "uncompressed";
  const tmp = mkdtempSync(join(tmpdir(), "metarep-duckdb-"));
  let db: DuckDBInstance | undefined;
  let con: DuckDBConnection | undefined;
  const close = () => {
    con?.closeSync();
    db?.closeSync();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    // DuckDB's own temporary files (a sort's spill) go to a private directory, never the cwd.
    db = await DuckDBInstance.create(":memory:", {
      memory_limit: options.memoryLimit ?? "512MB",
      temp_directory: tmp,
    });
    con = await db.connect();
    const c = con;
    const P = sqlString(path);
    let names: string[];
    let reader: string;
    const columnOf = new Map<string, Column>();
    let taskSql: string;
    if (format === "csv" || format === "tsv") {
      const delim = format === "tsv" ? "\t" : ",";
      let first: string | undefined;
      try {
        const r = await c.runAndReadAll(
          `SELECT line FROM read_csv(${P}, auto_detect=false, header=false, delim=E'\\x1f', quote='', escape='', strict_mode=false, compression='${compression}', columns={'line': 'VARCHAR'}) LIMIT 1`,
        );
        first = r.getRows()[0]?.[0] as string | undefined;
      } catch (e) {
        throw readError(source, format, e);
      }
      if (first === undefined || first === null)
        throw new DataError(`${source}: the file is empty (expected a header line, then rows)`);
      names = headerFields(first.replace(/^\uFEFF/, "").replace(/\r$/, ""), delim, `${source}:1`);
      const cols = names.map((_, i) => `'c${i}': 'VARCHAR'`).join(", ");
      reader = `read_csv(${P}, auto_detect=false, header=true, delim=${sqlString(delim)}, quote='"', escape='"', compression='${compression}', columns={${cols}})`;
      names.forEach((n, i) => {
        columnOf.set(n, { name: n, raw: `c${i}`, num: `TRY_CAST(c${i} AS DOUBLE)` });
      });
      taskSql = `NULLIF(trim(c${names.indexOf(o.taskColumn)}), '')`;
    } else if (format === "parquet") {
      let types: { name: string; type: string }[];
      try {
        const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${P})`);
        types = r
          .getRowObjectsJS()
          .map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
      } catch (e) {
        throw readError(source, format, e);
      }
      names = types.map((t) => t.name);
      reader = `read_parquet(${P}, file_row_number=true)`;
      for (const { name, type } of types) {
        columnOf.set(name, {
          name,
          raw: `CAST(${ident(name)} AS VARCHAR)`,
          num: NUMERIC.test(type) ? `TRY_CAST(${ident(name)} AS DOUBLE)` : `CAST(NULL AS DOUBLE)`,
        });
      }
      taskSql = `NULLIF(CAST(${ident(o.taskColumn)} AS VARCHAR), '')`;
    } else {
      const json = `format='newline_delimited', records=true, compression='${jsonCompression}'`;
      try {
        const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_json(${P}, ${json})`);
        names = r.getRowObjectsJS().map((row) => String(row.column_name));
      } catch (e) {
        throw readError(source, format, e);
      }
      // A file whose rows are all to predict may have no target key at all: it is still a column.
      if (o.targets === "optional" && !names.includes(o.targetColumn)) names.push(o.targetColumn);
      reader = ""; // set below, once the columns read are known
      for (const name of names) {
        const q = ident(name);
        columnOf.set(name, {
          name,
          raw: `CAST(${q} AS VARCHAR)`,
          // Strings, booleans, arrays and objects are not numbers, even when they read as one.
          num: `CASE WHEN json_type(${q}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST(${q} AS DOUBLE) END`,
        });
      }
      taskSql = `NULLIF(${ident(o.taskColumn)}, '')`;
    }
    const features = resolveColumns(names, o, options, false);
    if (format === "jsonl") {
      const read = [o.taskColumn, o.targetColumn, ...features];
      const cols = read.map((n, i) => `${sqlString(n)}: '${i === 0 ? "VARCHAR" : "JSON"}'`).join(", ");
      reader = `read_json(${P}, format='newline_delimited', records=true, compression='${jsonCompression}', columns={${cols}})`;
    }
    const target = columnOf.get(o.targetColumn)!;
    const feats = features.map((f) => columnOf.get(f)!);
    // isfinite(NULL) is NULL: coalesce makes "not a number" and "not finite" one test.
    const badValue = (col: Column, required: boolean) =>
      required
        ? `NOT coalesce(isfinite(${col.num}), false)`
        : `(${col.raw} IS NOT NULL AND NOT coalesce(isfinite(${col.num}), false))`;
    const bad = [
      `(${taskSql}) IS NULL`,
      badValue(target, o.targets === "required"),
      ...feats.map((f) => badValue(f, true)),
    ].join(" OR ");
    // r is the 1-based data row: Parquet's file_row_number (read in parallel), else
    // row_number() OVER (), which DuckDB streams in file order (its streaming window).
    const rowSql = format === "parquet" ? "file_row_number + 1" : "row_number() OVER ()";
    await c.run(`CREATE TEMP VIEW src AS SELECT ${rowSql} AS r, ${taskSql} AS t, ${target.num} AS y,
      ${target.raw} AS y_raw, ${target.raw} IS NOT NULL AS lab,
      ${feats.map((f, j) => `${f.num} AS f${j}, ${f.raw} AS f${j}_raw`).join(", ")}, ${bad} AS bad FROM ${reader}`);
    let profile: {
      t: string | null;
      first: number;
      last: number;
      n: number;
      lab: number;
      bad: number | null;
    }[];
    try {
      const r = await c.runAndReadAll(
        `SELECT t, min(r)::DOUBLE AS first, max(r)::DOUBLE AS last, count(*)::DOUBLE AS n, count_if(lab)::DOUBLE AS lab,
           (min(r) FILTER (WHERE bad))::DOUBLE AS bad FROM src GROUP BY t ORDER BY first`,
      );
      profile = r.getRowObjectsJS() as typeof profile;
    } catch (e) {
      throw readError(source, format, e);
    }
    if (profile.length === 0)
      throw new DataError(
        `${source}: no data rows${format === "csv" || format === "tsv" ? " after the header" : ""}`,
      );
    let firstBad = Number.POSITIVE_INFINITY;
    for (const p of profile) if (p.bad !== null) firstBad = Math.min(firstBad, p.bad);
    if (firstBad < Number.POSITIVE_INFINITY) {
      const r = await c.runAndReadAll(
        `SELECT t, y_raw, y, ${feats.map((_, j) => `f${j}_raw, f${j}`).join(", ")} FROM src WHERE r = ${firstBad}`,
      );
      const row = r.getRows()[0];
      const where = `${source}: row ${firstBad}`;
      if (row[0] === null) throw new DataError(`${where}: column ${quote(o.taskColumn)} (the task) is empty`);
      const cells: [string, boolean, number][] = [
        [o.targetColumn, true, 1],
        ...features.map((f, j): [string, boolean, number] => [f, false, 3 + 2 * j]),
      ];
      for (const [name, isTarget, at] of cells) {
        const raw = row[at] as string | null;
        const num = row[at + 1] as number | null;
        const ok = num !== null && Number.isFinite(num);
        if (ok || (isTarget && raw === null && o.targets === "optional")) continue;
        throw new DataError(`${where}: ${valueProblem(name, raw, num, isTarget, format)}`);
      }
      throw new Error(`openTaskTable: row ${firstBad} was flagged but no value is bad`);
    }
    const taskIds = profile.map((p) => p.t as string);
    const counts = Int32Array.from(profile, (p) => p.n);
    const labelled = Int32Array.from(profile, (p) => p.lab);
    const firstRow = profile.map((p) => p.first);
    const N = profile.reduce((s, p) => s + p.n, 0);
    const grouped = profile.every((p) => p.last - p.first + 1 === p.n);
    const d = features.length;
    const columns = `r::DOUBLE, y, ${feats.map((_, j) => `f${j}`).join(", ")}`;
    let streamSql = `SELECT ${columns} FROM src`;
    if (!grouped) {
      await c.run("CREATE TEMP TABLE task_order (t VARCHAR, ti INTEGER)");
      const app = await c.createAppender("task_order");
      taskIds.forEach((t, i) => {
        app.appendVarchar(t);
        app.appendInteger(i);
        app.endRow();
      });
      app.flushSync();
      app.closeSync();
      streamSql = `SELECT ${columns.replace(/^r::DOUBLE/, "src.r::DOUBLE")} FROM src JOIN task_order USING (t) ORDER BY task_order.ti, src.r`;
    }
    const opened: OpenedTable = {
      source,
      format,
      features,
      taskIds,
      counts,
      labelled,
      rows: N,
      async *chunks(): AsyncGenerator<RowChunk> {
        let result: Awaited<ReturnType<DuckDBConnection["stream"]>>;
        try {
          result = await c.stream(streamSql);
        } catch (e) {
          throw readError(source, format, e);
        }
        let task = 0;
        let inTask = 0;
        let prev = 0;
        // One set of buffers for the whole pass (DuckDB's chunks are 2048 rows): consumers copy.
        let out = chunkBuffers(2048, d);
        for (;;) {
          const chunk = await result.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) break;
          const rows = chunk.rowCount;
          if (out.task.length < rows) out = chunkBuffers(rows, d);
          out.rows = rows;
          const rv = chunk.getColumnVector(0);
          const yv = chunk.getColumnVector(1);
          for (let i = 0; i < rows; i++) {
            const r = rv.getItem(i) as number;
            while (inTask === counts[task]) {
              task++;
              inTask = 0;
            }
            // The order is the contract with the estimators: checked, not assumed.
            if (
              (inTask === 0 ? r !== firstRow[task] : r <= prev) ||
              (grouped && inTask > 0 && r !== prev + 1)
            )
              throw new Error(`openTaskTable: row ${r} arrived out of task order`);
            prev = r;
            inTask++;
            out.task[i] = task;
            out.row[i] = r;
            const y = yv.getItem(i) as number | null;
            out.y[i] = y === null ? Number.NaN : y;
          }
          for (let j = 0; j < d; j++) {
            const v = chunk.getColumnVector(2 + j);
            const items = doubles(v);
            if (items) for (let i = 0; i < rows; i++) out.X[i * d + j] = items[i];
            else for (let i = 0; i < rows; i++) out.X[i * d + j] = v.getItem(i) as number;
          }
          yield out;
        }
      },
      async rowsOf(t, labelledOnly, limit) {
        const r = await c.runAndReadAll(
          `SELECT r::DOUBLE FROM src WHERE t = $1${labelledOnly ? " AND lab" : ""} ORDER BY r LIMIT ${limit}`,
          [taskIds[t]],
        );
        return r.getRows().map((row) => row[0] as number);
      },
      close,
    };
    return opened;
  } catch (e) {
    close();
    throw e;
  }
}
