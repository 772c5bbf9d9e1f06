import type { TableSpec } from "../experiments/figureSpec.js";
import type { RunRecord } from "../record/types.js";
import { aggregateRecord, formatLabelValue, labelsKey } from "./aggregate.js";

/**
 * Summary rows of a record: per method and condition, the median over seeds of every curve
 * metric, in a column named by its statistic and its quantity ("final clustering accuracy",
 * "median iters to dist < 1e-6"), so no column names a quantity the row does not hold.
 */

/** One row of a record's summary: a method under a condition; medians over seeds per metric. */
export type SummaryRow = Record<string, string | number | null>;

/**
 * The column of a curve metric of a quantity: its statistic and the quantity, e.g.
 * `final` of "test MSE" → "final test MSE", `firstBelow1e-6` of "dist" → "median iters to dist < 1e-6".
 */
export function metricColumn(metric: string, quantity: string): string {
  // A quantity that already names its statistic ("final w error") is not named twice.
  const word = /^(final|initial|max) /.exec(quantity)?.[1];
  if (word !== undefined && metric === word) return quantity;
  const below = /^firstBelow(.+)$/.exec(metric);
  if (below) return `median iters to ${quantity} < ${below[1]}`;
  const task = /^test\[(.*)\]$/.exec(metric);
  if (task) return `final ${quantity} on ${task[1]}`;
  const named: Record<string, string> = {
    final: `final ${quantity}`,
    initial: `initial ${quantity}`,
    max: `max ${quantity}`,
    max_task: `final ${quantity}, worst task`,
    min_task: `final ${quantity}, best task`,
    slope: `log-log slope of ${quantity}`,
    theorySlope: `theory log-log slope of ${quantity}`,
    rate: `fitted rate of ${quantity}`,
    points: `number of ${quantity} points`,
  };
  return named[metric] ?? `${metric} of ${quantity}`;
}

/** Whether a column counts iterations to a threshold (an empty median there means "never"). */
export const isThresholdColumn = (column: string) => column.startsWith("median iters to ");

/** Median with nulls counted as +∞ (a threshold never reached); null if the median is ∞. */
export function medianWithInfinity(values: readonly (number | null)[]): number | null {
  const xs = values
    .map((v) => (v === null || !Number.isFinite(v) ? Number.POSITIVE_INFINITY : v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = (xs.length - 1) / 2;
  const lo = xs[Math.floor(mid)];
  const hi = xs[Math.ceil(mid)];
  const m = lo === hi ? lo : (lo + hi) / 2;
  return Number.isFinite(m) ? m : null;
}

/**
 * Columns of a row that hold medians of integer quantities (iterations, counts): every seed's
 * value is an integer, so the median is an integer or a half-integer and is printed as such
 * (75.5, not 75.5000). Kept beside the rows so that their values stay plain numbers.
 */
const INTEGER_COLUMNS = new WeakMap<object, Set<string>>();

interface RowBuilder {
  head: SummaryRow;
  values: Map<string, number | null>;
  integers: Set<string>;
  seeds: number;
  diverged: number[];
}

/**
 * Summary rows of a record, one per method and condition (the labels other than `method` and
 * `quantity`; a curve's quantity is its `quantity` label, else its y name): the median over seeds
 * of every metric of every quantity (for `firstBelow…` thresholds a seed that never got there
 * counts as ∞, so "never" means the median seed never did), the status and the number of seeds.
 * A row without a quantity has "" in its columns (an empty cell, not "—" or "never").
 */
export function summaryRows(record: RunRecord): SummaryRow[] {
  const agg = aggregateRecord(record);
  const rows = new Map<string, RowBuilder>();
  const columns: string[] = [];
  for (const g of agg.groups) {
    const { quantity: label, ...condition } = g.condition;
    const quantity = typeof label === "string" ? label : g.yName;
    const key = JSON.stringify([g.method, labelsKey(condition)]);
    let r = rows.get(key);
    if (r === undefined) {
      const head: SummaryRow = {
        method: g.method ?? "",
        condition: Object.entries(condition)
          .map(([k, v]) => `${k}=${formatLabelValue(v)}`)
          .join(" "),
      };
      r = { head, values: new Map(), integers: new Set(["seeds"]), seeds: 0, diverged: [] };
      rows.set(key, r);
    }
    for (const [name, m] of Object.entries(g.metrics)) {
      const column = metricColumn(name, quantity);
      if (!columns.includes(column)) columns.push(column);
      r.values.set(column, name.startsWith("firstBelow") ? medianWithInfinity(m.values) : m.median);
      if (m.values.every((v) => v === null || Number.isInteger(v))) r.integers.add(column);
    }
    r.seeds = Math.max(r.seeds, g.seedIndices.length);
    r.diverged.push(...g.diverged.map((d) => d.divergence.iteration));
  }
  return [...rows.values()].map(({ head, values, integers, seeds, diverged }) => {
    const its = diverged.sort((a, b) => a - b);
    const row: SummaryRow = { ...head };
    for (const c of columns) row[c] = values.has(c) ? values.get(c)! : "";
    row.status =
      its.length === 0
        ? "ok"
        : `diverged ${its.length}/${seeds} (t=${its[0]}${its.length > 1 ? `…${its[its.length - 1]}` : ""})`;
    row.seeds = seeds;
    INTEGER_COLUMNS.set(row, integers);
    return row;
  });
}

/**
 * A table to print or show: an optional title and its rows (column → value). Numbers are
 * formatted per column (`formatColumn`), so one column reads in one format.
 */
export interface Table {
  title: string | null;
  rows: readonly Record<string, unknown>[];
}

/** The value columns of a summary row (not its method, condition, status or seeds). */
const KEY_COLUMNS = new Set(["method", "condition", "status", "seeds"]);
const hasValue = (v: unknown) => v !== "" && v !== undefined;

/**
 * The summary of a record as tables: its summary rows split where they share no value column —
 * the ground-truth diagnostics (rows without a method) in a table of their own, train and test
 * curves apart — so no table is mostly blank; then the experiment's own tables (`tables`), whose
 * curves leave the summary.
 */
export function summaryTables(record: RunRecord, specs: readonly TableSpec[] = []): Table[] {
  const own = specs.map((t) => confusionTable(record, t));
  const quantities = new Set(specs.map((t) => t.quantity));
  const rest: RunRecord =
    quantities.size === 0
      ? record
      : {
          ...record,
          result: {
            seeds: record.result.seeds.map((sd) => ({
              ...sd,
              curves: sd.curves.filter((c) => !quantities.has(String(c.labels.quantity))),
            })),
          },
        };
  const rows = rest.result.seeds.some((sd) => sd.curves.length > 0) ? summaryRows(rest) : [];
  const parts = splitByColumns(rows);
  const tables = parts.map((part): Table => {
    const truth = part.every((r) => r.method === "");
    return {
      title: truth && parts.length > 1 ? "ground truth (the same for every method)" : null,
      rows: truth ? part.map(({ method: _, ...r }) => keepIntegers(r, part[0])) : part,
    };
  });
  // The truth last: the methods' results first.
  tables.sort((a, b) => Number(a.title !== null) - Number(b.title !== null));
  return [...tables, ...own];
}

/** A copy of a row keeps the integer-column marks of the row it came from. */
function keepIntegers(row: SummaryRow, from: SummaryRow): SummaryRow {
  const marks = INTEGER_COLUMNS.get(from);
  if (marks) INTEGER_COLUMNS.set(row, marks);
  return row;
}

/**
 * Rows in groups that share value columns (connected components of "has a value in the same
 * column"), in first-seen order.
 */
function splitByColumns(rows: readonly SummaryRow[]): SummaryRow[][] {
  const parent = rows.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r];
    return r;
  };
  const owner = new Map<string, number>();
  rows.forEach((r, i) => {
    for (const [c, v] of Object.entries(r)) {
      if (KEY_COLUMNS.has(c) || !hasValue(v)) continue;
      const j = owner.get(c);
      if (j === undefined) owner.set(c, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, SummaryRow[]>();
  rows.forEach((r, i) => {
    const g = groups.get(find(i)) ?? [];
    g.push(r);
    groups.set(find(i), g);
  });
  return [...groups.values()];
}

/**
 * A confusion matrix: one row per value of the truth label, one column per value of the
 * assignment, each cell the number of points of the quantity's curves with both, summed over seeds.
 */
export function confusionTable(record: RunRecord, spec: TableSpec): Table {
  const counts = new Map<string, number>();
  const rowValues = new Set<string>();
  const colValues = new Set<string>();
  for (const sd of record.result.seeds)
    for (const c of sd.curves) {
      if (String(c.labels.quantity) !== spec.quantity) continue;
      const r = String(c.labels[spec.rows.label]);
      const col = String(c.labels[spec.columns.label]);
      rowValues.add(r);
      colValues.add(col);
      counts.set(JSON.stringify([r, col]), (counts.get(JSON.stringify([r, col])) ?? 0) + c.x.length);
    }
  // Both axes over the same values (k × k) when the labels share them.
  const order = (xs: Set<string>) =>
    [...xs].sort((a, b) => (Number.isFinite(+a) && Number.isFinite(+b) ? +a - +b : a < b ? -1 : 1));
  const all = order(new Set([...rowValues, ...colValues]));
  const rowsOf = rowValues.size > 0 && [...colValues].every((v) => rowValues.has(v)) ? all : order(rowValues);
  const colsOf = rowsOf === all ? all : order(colValues);
  const rows = rowsOf.map((r) => {
    const row: Record<string, unknown> = { [spec.rows.name]: r };
    for (const col of colsOf) row[`${spec.columns.name} ${col}`] = counts.get(JSON.stringify([r, col])) ?? 0;
    return row;
  });
  const seeds = record.result.seeds.length;
  return { title: `${spec.title}, summed over ${plural(seeds, "seed")}`, rows };
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/**
 * Below this fraction of a column's largest magnitude a value is float64 noise (a slope of
 * 7.70e-32 beside −0.83, a distance of 5.9e-16 beside 0.99) and is printed as 0.
 */
export const NOISE_FRACTION = 1e-12;

/**
 * The texts of one column's values, all in one format: integers (or, when any median is a
 * half-integer, all with one decimal); else 4 decimals when every magnitude lies in [0.001, 10⁴),
 * else 3 significant digits in exponent form. Values below NOISE_FRACTION of the column's
 * largest (of 1, for slopes and rates) are 0; null is "—" ("never" in a threshold column); strings stay as they are.
 */
export function formatColumn(values: readonly unknown[], column: string, integer = false): string[] {
  const nums = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  // Slopes and rates are of order 1 whatever the column holds: a lone 1.8e-32 slope is 0.
  const unit = /slope|rate/.test(column) ? 1 : 0;
  const scale = Math.max(unit, ...nums.map(Math.abs));
  const noise = (v: number) => v === 0 || Math.abs(v) <= NOISE_FRACTION * scale;
  const shown = nums.filter((v) => !noise(v));
  const allIntegers = shown.every((v) => Number.isInteger(v));
  const halves = integer && shown.some((v) => !Number.isInteger(v));
  const fixed = shown.every((v) => Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4);
  const text = (v: number): string => {
    if (noise(v)) return "0";
    if (integer) return halves ? (Math.round(v * 2) / 2).toFixed(1) : String(Math.round(v));
    if (allIntegers && Math.abs(v) < 1e15) return String(v);
    return fixed ? v.toFixed(4) : v.toExponential(2);
  };
  return values.map((v) => {
    if (v === null || v === undefined) return isThresholdColumn(column) ? "never" : "—";
    if (typeof v === "number") return Number.isFinite(v) ? text(v) : String(v);
    return String(v);
  });
}

/** The columns of rows that hold a value in some row, in first-seen order. */
function shownColumns(rows: readonly Record<string, unknown>[]): string[] {
  const cols: string[] = [];
  for (const r of rows) for (const c of Object.keys(r)) if (!cols.includes(c)) cols.push(c);
  return cols.filter((c) => rows.some((r) => hasValue(r[c])));
}

/** Every cell's text, column by column in one format (columns empty in every row dropped). */
export function tableCells(input: readonly object[]): { columns: string[]; cells: string[][] } {
  const rows = input as readonly Record<string, unknown>[];
  const columns = shownColumns(rows);
  const byColumn = columns.map((c) =>
    formatColumn(
      rows.map((r) => (r[c] === "" ? undefined : r[c])),
      c,
      rows.every((r) => !hasValue(r[c]) || INTEGER_COLUMNS.get(r)?.has(c)),
    ).map((t, i) => (hasValue(rows[i][c]) ? t : "")),
  );
  return { columns, cells: rows.map((_, i) => columns.map((_, j) => byColumn[j][i])) };
}

/** Header words broken into lines of at most `width` characters (a longer word stays whole). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

export interface TableLayout {
  /** Widest line, in characters; default 100 (the CLI passes the terminal's width). */
  width?: number;
}

/** Narrowest a wrapped header makes its column. */
const MIN_HEADER = 10;

/**
 * A plain-text table with aligned columns (columns that are empty in every row are dropped) no
 * wider than `width`: headers wrap onto several lines when the one-line table is too wide, and a
 * table still too wide is split into several, each repeating the rows' key columns (method,
 * condition).
 */
export function formatTable(input: readonly object[], layout: TableLayout = {}): string {
  const width = layout.width ?? 100;
  if (input.length === 0) return "(no rows)";
  const { columns, cells } = tableCells(input);
  const cellWidth = columns.map((_, j) => Math.max(0, ...cells.map((r) => r[j].length)));
  const render = (cols: number[], wrap: boolean): string[] => {
    const widths = cols.map((j) => {
      const words = Math.max(...columns[j].split(" ").map((w) => w.length));
      return wrap
        ? Math.max(cellWidth[j], words, Math.min(columns[j].length, MIN_HEADER))
        : Math.max(cellWidth[j], columns[j].length);
    });
    const heads = cols.map((j, i) => (wrap ? wrapWords(columns[j], widths[i]) : [columns[j]]));
    const depth = Math.max(...heads.map((h) => h.length));
    const line = (xs: string[]) =>
      xs
        .map((x, i) => x.padEnd(widths[i]))
        .join("  ")
        .trimEnd();
    return [
      // Wrapped headers sit on their last line, above the rule.
      ...Array.from({ length: depth }, (_, l) => line(heads.map((h) => h[l - (depth - h.length)] ?? ""))),
      line(widths.map((w) => "-".repeat(w))),
      ...cells.map((r) => line(cols.map((j) => r[j]))),
    ];
  };
  const fits = (lines: string[]) => lines.every((l) => l.length <= width);
  const all = columns.map((_, j) => j);
  const flat = render(all, false);
  if (fits(flat)) return flat.join("\n");
  const wrapped = render(all, true);
  if (fits(wrapped)) return wrapped.join("\n");
  // Split the value columns into blocks that fit beside the key columns.
  const keys = all.filter((j) => KEY_COLUMNS.has(columns[j]) && columns[j] !== "status");
  const values = all.filter((j) => !keys.includes(j));
  const blocks: number[][] = [];
  let block: number[] = [];
  for (const j of values) {
    if (block.length > 0 && !fits(render([...keys, ...block, j], true))) {
      blocks.push(block);
      block = [];
    }
    block.push(j);
  }
  if (block.length > 0) blocks.push(block);
  return blocks.map((b) => render([...keys, ...b], true).join("\n")).join("\n\n");
}

/** Tables one after another, each under its title, no line wider than `layout.width`. */
export function formatTables(tables: readonly Table[], layout: TableLayout = {}): string {
  if (tables.length === 0) return "(no rows)";
  return tables
    .map(
      (t) =>
        (t.title ? `${wrapWords(t.title, layout.width ?? 100).join("\n")}\n` : "") +
        formatTable(t.rows, layout),
    )
    .join("\n\n");
}
