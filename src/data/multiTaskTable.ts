import { MetarepError } from "../errors.js";
import type { MultiTaskData } from "../models/multiTaskData.js";

/**
 * Multi-task regression tables in long format — one row per example: a task column, a target
 * column and numeric feature columns — parsed from the text of a CSV or JSONL file into validated
 * arrays. Pure (no file system): the CLI reads the file and passes its text and name.
 *
 * CSV: a header line naming the columns, then one line per row; fields separated by commas,
 * optionally in double quotes ("" inside quotes is a quote); blank lines are skipped.
 * JSONL: one JSON object per non-blank line, e.g. `{"task": "a", "y": 1.5, "x1": 0.2, "x2": -1}`;
 * every line has the same keys. Task ids are strings (numbers are taken as their text).
 * Feature values must be finite numbers; the target too, except that with `targets: "optional"`
 * an empty CSV field, a JSON null or an absent key marks a row to predict.
 */

/** A problem with a data file: one line naming the file, the line, the column and the value. */
export class DataError extends MetarepError {
  override name = "DataError";
}

export interface TableOptions {
  /** "csv" or "jsonl"; default: "jsonl" if the first non-blank character is "{", else "csv". */
  format?: "csv" | "jsonl";
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
  /** With `features`: "reject" (default) other columns, or "ignore" them (they are not read). */
  otherColumns?: "reject" | "ignore";
  /** "required" (fit): every row needs a target; "optional" (adapt): rows without one are predicted. */
  targets?: "required" | "optional";
  /** Name used in messages (the file path). */
  source?: string;
}

export interface MultiTaskTable {
  features: string[];
  /** Distinct task ids in first-seen order. */
  taskIds: string[];
  rows: number;
  /** Task index (into taskIds) of each row. */
  task: Int32Array;
  /** rows × d, row-major. */
  X: Float64Array;
  /** Targets; NaN marks a row without one (targets "optional" only). */
  y: Float64Array;
  /** 1-based line number of each row in the file. */
  line: Int32Array;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Split text into lines keeping 1-based line numbers; CR LF and LF both end a line. */
function lines(text: string): { text: string; line: number }[] {
  const parts = text.split(/\r?\n/);
  return parts.map((t, i) => ({ text: t, line: i + 1 }));
}

/** Fields of one CSV line (RFC 4180 quoting within the line). */
function csvFields(s: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (s[i] === '"') {
      let v = "";
      i++;
      for (;;) {
        if (i >= s.length) throw new DataError(`${where}: unterminated quoted field`);
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
      if (i < s.length && s[i] !== ",") {
        throw new DataError(`${where}: unexpected text after a quoted field: ${quote(s.slice(i, i + 20))}`);
      }
      out.push(v);
    } else {
      const j = s.indexOf(",", i);
      out.push((j < 0 ? s.slice(i) : s.slice(i, j)).trim());
      i = j < 0 ? s.length : j;
    }
    if (i >= s.length) return out;
    i++; // the comma
  }
}

interface Columns {
  features: string[];
  /** Index of the task / target / feature f column in a row's fields (CSV) — unused for JSONL. */
  taskAt: number;
  targetAt: number;
  featureAt: number[];
}

function resolveColumns(
  names: string[],
  o: Required<Omit<TableOptions, "format" | "features" | "otherColumns">> & TableOptions,
): Columns {
  const { source, taskColumn, targetColumn } = o;
  const seen = new Set<string>();
  for (const n of names) {
    if (n === "") throw new DataError(`${source}:1: a column has an empty name`);
    if (seen.has(n)) throw new DataError(`${source}:1: column ${quote(n)} appears twice`);
    seen.add(n);
  }
  const known = names.join(", ");
  for (const [name, what] of [
    [taskColumn, "the task column"],
    [targetColumn, "the target column"],
  ]) {
    if (!seen.has(name))
      throw new DataError(`${source}: missing column ${quote(name)} (${what}); columns: ${known}`);
  }
  let features: string[];
  if (o.features) {
    features = [...o.features];
    for (const f of features) {
      if (!seen.has(f))
        throw new DataError(`${source}: missing column ${quote(f)} (a feature); columns: ${known}`);
    }
    const allowed = new Set([taskColumn, targetColumn, ...features]);
    const extra = names.find((n) => !allowed.has(n));
    if (extra !== undefined && o.otherColumns !== "ignore") {
      throw new DataError(
        `${source}: unknown column ${quote(extra)}; expected ${quote(taskColumn)}, ${quote(targetColumn)} and the features ${features.join(", ")}`,
      );
    }
  } else features = names.filter((n) => n !== taskColumn && n !== targetColumn);
  if (features.length === 0)
    throw new DataError(
      `${source}: no feature columns besides ${quote(taskColumn)} and ${quote(targetColumn)}`,
    );
  return {
    features,
    taskAt: names.indexOf(taskColumn),
    targetAt: names.indexOf(targetColumn),
    featureAt: features.map((f) => names.indexOf(f)),
  };
}

/** A finite number from a CSV field, or a DataError naming line, column and value. */
function csvNumber(v: string, where: string, column: string): number {
  if (NUMBER.test(v)) {
    const x = Number(v);
    if (Number.isFinite(x)) return x;
    throw new DataError(
      `${where}: column ${quote(column)} must be a finite number; got ${quote(v)} (beyond float64's range, ±1.8e308)`,
    );
  }
  if (NON_FINITE.test(v))
    throw new DataError(`${where}: column ${quote(column)} must be a finite number; got ${quote(v)}`);
  throw new DataError(`${where}: column ${quote(column)} must be a number; got ${quote(v)}`);
}

class Builder {
  readonly taskIds: string[] = [];
  private readonly index = new Map<string, number>();
  task: number[] = [];
  X: number[] = [];
  y: number[] = [];
  line: number[] = [];

  taskIndex(id: string): number {
    let t = this.index.get(id);
    if (t === undefined) {
      t = this.taskIds.length;
      this.index.set(id, t);
      this.taskIds.push(id);
    }
    return t;
  }

  table(features: string[]): MultiTaskTable {
    return {
      features,
      taskIds: this.taskIds,
      rows: this.y.length,
      task: Int32Array.from(this.task),
      X: Float64Array.from(this.X),
      y: Float64Array.from(this.y),
      line: Int32Array.from(this.line),
    };
  }
}

function parseCsv(
  text: string,
  o: Required<Omit<TableOptions, "format" | "features" | "otherColumns">> & TableOptions,
): MultiTaskTable {
  const all = lines(text).filter((l) => l.text.trim() !== "");
  if (all.length === 0)
    throw new DataError(`${o.source}: the file is empty (expected a header line, then rows)`);
  const header = csvFields(all[0].text, `${o.source}:${all[0].line}`);
  const cols = resolveColumns(header, o);
  if (all.length === 1) throw new DataError(`${o.source}: no data rows after the header`);
  const b = new Builder();
  for (let r = 1; r < all.length; r++) {
    const where = `${o.source}:${all[r].line}`;
    const f = csvFields(all[r].text, where);
    if (f.length !== header.length) {
      throw new DataError(`${where}: ${f.length} fields; the header has ${header.length}`);
    }
    const id = f[cols.taskAt];
    if (id === "") throw new DataError(`${where}: column ${quote(o.taskColumn)} (the task) is empty`);
    const yv = f[cols.targetAt];
    let y: number;
    if (yv === "" && o.targets === "optional") y = Number.NaN;
    else if (yv === "") {
      throw new DataError(
        `${where}: column ${quote(o.targetColumn)} is empty; every row needs a target here`,
      );
    } else y = csvNumber(yv, where, o.targetColumn);
    for (let j = 0; j < cols.features.length; j++)
      b.X.push(csvNumber(f[cols.featureAt[j]], where, cols.features[j]));
    b.task.push(b.taskIndex(id));
    b.y.push(y);
    b.line.push(all[r].line);
  }
  return b.table(cols.features);
}

function jsonNumber(v: unknown, where: string, column: string): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "number") {
    // JSON.parse turns 1e999 into ±Infinity: the text was a number beyond float64's range.
    throw new DataError(
      `${where}: column ${quote(column)} must be a finite number; got a number beyond float64's range (±1.8e308)`,
    );
  }
  const shown = typeof v === "string" ? quote(v) : (JSON.stringify(v) ?? String(v));
  throw new DataError(`${where}: column ${quote(column)} must be a finite number; got ${shown}`);
}

function parseJsonl(
  text: string,
  o: Required<Omit<TableOptions, "format" | "features" | "otherColumns">> & TableOptions,
): MultiTaskTable {
  const all = lines(text).filter((l) => l.text.trim() !== "");
  if (all.length === 0)
    throw new DataError(`${o.source}: the file is empty (expected one JSON object per line)`);
  const b = new Builder();
  let cols: Columns | null = null;
  let keys: Set<string> | null = null;
  for (const { text: t, line } of all) {
    const where = `${o.source}:${line}`;
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch (e) {
      throw new DataError(`${where}: not valid JSON (${(e as Error).message})`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new DataError(`${where}: each line must be a JSON object; got ${t.trim().slice(0, 40)}`);
    }
    const row = obj as Record<string, unknown>;
    if (cols === null) {
      const names = Object.keys(row);
      // A first row to predict may lack the target key: it is still a column.
      if (!names.includes(o.targetColumn) && o.targets === "optional") names.push(o.targetColumn);
      cols = resolveColumns(names, { ...o, source: where });
      const ignoring = o.features !== undefined && o.otherColumns === "ignore";
      keys = new Set(ignoring ? [o.taskColumn, o.targetColumn, ...cols.features] : names);
    }
    for (const name of Object.keys(row)) {
      if (!keys!.has(name) && !(o.features !== undefined && o.otherColumns === "ignore"))
        throw new DataError(`${where}: unknown column ${quote(name)}; columns: ${[...keys!].join(", ")}`);
    }
    for (const name of keys!) {
      if (!(name in row) && !(name === o.targetColumn && o.targets === "optional")) {
        throw new DataError(`${where}: missing column ${quote(name)}`);
      }
    }
    const id = row[o.taskColumn];
    if (!(typeof id === "string" && id !== "") && !(typeof id === "number" && Number.isFinite(id))) {
      throw new DataError(
        `${where}: column ${quote(o.taskColumn)} (the task) must be a non-empty string or a number; got ${JSON.stringify(id)}`,
      );
    }
    const yv = row[o.targetColumn];
    const y =
      (yv === null || yv === undefined) && o.targets === "optional"
        ? Number.NaN
        : jsonNumber(yv, where, o.targetColumn);
    for (const f of cols.features) b.X.push(jsonNumber(row[f], where, f));
    b.task.push(b.taskIndex(String(id)));
    b.y.push(y);
    b.line.push(line);
  }
  return b.table(cols!.features);
}

/**
 * Parse a long-format multi-task table. Throws one `DataError` for the first problem found (empty
 * file, missing or unknown column, ragged row, non-numeric or non-finite value, missing target),
 * naming the file, the line and the column.
 *
 * Example: `parseMultiTaskTable("task,y,x1\na,1.5,0.2\n", { source: "train.csv" })`.
 */
export function parseMultiTaskTable(text: string, options: TableOptions = {}): MultiTaskTable {
  const o = {
    ...options,
    taskColumn: options.taskColumn ?? "task",
    targetColumn: options.targetColumn ?? "y",
    targets: options.targets ?? "required",
    source: options.source ?? "data",
  };
  if (o.taskColumn === o.targetColumn) {
    throw new DataError(
      `${o.source}: the task and target columns must differ; both are ${quote(o.taskColumn)}`,
    );
  }
  const format = options.format ?? (text.trimStart().startsWith("{") ? "jsonl" : "csv");
  return format === "jsonl" ? parseJsonl(text, o) : parseCsv(text, o);
}

/**
 * The rows of a table grouped by task (first-seen task order, file order within a task), as the
 * estimators' `MultiTaskData`; `rows` selects a subset (e.g. the labelled rows). `sourceRow[i]` is
 * the table row of grouped row i.
 */
export function groupByTask(
  table: MultiTaskTable,
  rows?: (i: number) => boolean,
): { data: MultiTaskData; sourceRow: Int32Array } {
  const d = table.features.length;
  const T = table.taskIds.length;
  const count = new Int32Array(T);
  const keep: number[] = [];
  for (let i = 0; i < table.rows; i++) {
    if (rows && !rows(i)) continue;
    keep.push(i);
    count[table.task[i]]++;
  }
  const start = new Int32Array(T + 1);
  for (let t = 0; t < T; t++) start[t + 1] = start[t] + count[t];
  const next = start.slice(0, T);
  const X = new Float64Array(keep.length * d);
  const y = new Float64Array(keep.length);
  const sourceRow = new Int32Array(keep.length);
  for (const i of keep) {
    const r = next[table.task[i]]++;
    X.set(table.X.subarray(i * d, (i + 1) * d), r * d);
    y[r] = table.y[i];
    sourceRow[r] = i;
  }
  return { data: { d, tasks: T, start, X, y }, sourceRow };
}
