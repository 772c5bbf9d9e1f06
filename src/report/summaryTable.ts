import type { RunRecord } from "../experiments/types.js";
import { aggregateRecord, formatLabelValue } from "./aggregate.js";

/** One row of the summary of a record: a method under a condition, medians over seeds. */
export interface SummaryRow {
  method: string;
  condition: string;
  /** Median over seeds of the first iteration with dist < 1e-3; a seed that never gets there counts as ∞. */
  "iters to 1e-3": number | null;
  "iters to 1e-6": number | null;
  /** Median final dist. */
  "final dist": number | null;
  /** Median fitted rate, when the curves have one. */
  rate?: number | null;
  status: string;
  seeds: number;
}

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

/** Summary rows (per method and condition) of a record. */
export function summaryRows(record: RunRecord): SummaryRow[] {
  const agg = aggregateRecord(record);
  return agg.groups.map((g) => {
    const vals = (name: string) => g.metrics[name]?.values ?? [];
    const condition = Object.entries(g.condition)
      .map(([k, v]) => `${k}=${formatLabelValue(v)}`)
      .join(" ");
    const n = g.seedIndices.length;
    const div = g.diverged.length;
    const divIters = g.diverged.map((d) => d.divergence.iteration).sort((a, b) => a - b);
    const status =
      div === 0
        ? "ok"
        : `diverged ${div}/${n} (t=${divIters[0]}${divIters.length > 1 ? `…${divIters[divIters.length - 1]}` : ""})`;
    const row: SummaryRow = {
      method: g.method ?? "",
      condition,
      "iters to 1e-3": medianWithInfinity(vals("firstBelow1e-3")),
      "iters to 1e-6": medianWithInfinity(vals("firstBelow1e-6")),
      "final dist": g.metrics.final?.median ?? null,
      status,
      seeds: n,
    };
    if (g.metrics.rate) row.rate = g.metrics.rate.median;
    return row;
  });
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return "never";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(2);
  }
  return String(v);
}

/** A plain-text table with aligned columns. */
export function formatTable(input: readonly object[]): string {
  const rows = input as readonly Record<string, unknown>[];
  if (rows.length === 0) return "(no rows)";
  const cols = Object.keys(rows[0]).filter((c) => rows.some((r) => r[c] !== "" && r[c] !== undefined));
  const cells = rows.map((r) => cols.map((c) => (c === "rate" && r[c] === null ? "—" : fmt(r[c]))));
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const line = (xs: string[]) =>
    xs
      .map((x, j) => x.padEnd(widths[j]))
      .join("  ")
      .trimEnd();
  return [line(cols), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
