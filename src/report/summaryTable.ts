import type { RunRecord } from "../experiments/types.js";
import { aggregateRecord, formatLabelValue } from "./aggregate.js";

/** One row of a record's summary: a method under a condition; medians over seeds per metric. */
export type SummaryRow = Record<string, string | number | null>;

/** Column titles of well-known metrics; others keep their names. */
const TITLES: Record<string, string> = {
  "firstBelow1e-3": "iters to 1e-3",
  "firstBelow1e-6": "iters to 1e-6",
  final: "final dist",
};

/**
 * Columns of a row that hold medians of integer quantities (iterations, counts): every seed's
 * value is an integer, so the median is an integer or a half-integer and is printed as such
 * (75.5, not 75.5000). Kept beside the rows so that their values stay plain numbers.
 */
const INTEGER_COLUMNS = new WeakMap<object, Set<string>>();

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
 * Summary rows of a record, per method and condition: the median over seeds of every curve
 * metric (for `firstBelow…` thresholds a seed that never got there counts as ∞, so "never"
 * means the median seed never did), the status and the number of seeds.
 */
export function summaryRows(record: RunRecord): SummaryRow[] {
  const agg = aggregateRecord(record);
  return agg.groups.map((g) => {
    const n = g.seedIndices.length;
    const divIters = g.diverged.map((d) => d.divergence.iteration).sort((a, b) => a - b);
    const row: SummaryRow = {
      method: g.method ?? "",
      condition: Object.entries(g.condition)
        .map(([k, v]) => `${k}=${formatLabelValue(v)}`)
        .join(" "),
    };
    const integers = new Set<string>(["seeds"]);
    for (const [name, m] of Object.entries(g.metrics)) {
      const column = TITLES[name] ?? name;
      row[column] = name.startsWith("firstBelow") ? medianWithInfinity(m.values) : m.median;
      if (m.values.every((v) => v === null || Number.isInteger(v))) integers.add(column);
    }
    INTEGER_COLUMNS.set(row, integers);
    row.status =
      divIters.length === 0
        ? "ok"
        : `diverged ${divIters.length}/${n} (t=${divIters[0]}${divIters.length > 1 ? `…${divIters[divIters.length - 1]}` : ""})`;
    row.seeds = n;
    return row;
  });
}

function fmt(v: unknown, column: string, integer = false): string {
  if (v === null || v === undefined) return column.startsWith("iters to") ? "never" : "—";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    if (integer && Math.abs(v) < 1e15) return String(Math.round(v * 2) / 2);
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
