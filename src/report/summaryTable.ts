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

function fmt(v: unknown, column: string, integer = false): string {
  if (v === null || v === undefined) return isThresholdColumn(column) ? "never" : "—";
  if (typeof v === "number") {
    if (integer && Math.abs(v) < 1e15) return String(Math.round(v * 2) / 2);
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(2);
  }
  return String(v);
}

/** A plain-text table with aligned columns (columns that are empty in every row are dropped). */
export function formatTable(input: readonly object[]): string {
  const rows = input as readonly Record<string, unknown>[];
  if (rows.length === 0) return "(no rows)";
  const cols: string[] = [];
  for (const r of rows) for (const c of Object.keys(r)) if (!cols.includes(c)) cols.push(c);
  const shown = cols.filter((c) => rows.some((r) => r[c] !== "" && r[c] !== undefined));
  const cells = rows.map((r) => shown.map((c) => fmt(r[c], c, INTEGER_COLUMNS.get(r)?.has(c))));
  const widths = shown.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const line = (xs: string[]) =>
    xs
      .map((x, j) => x.padEnd(widths[j]))
      .join("  ")
      .trimEnd();
  return [line(shown), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
