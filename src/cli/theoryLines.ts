import type { TheoryRow } from "../experiments/types.js";

/** Measured-vs-theory rows as lines under a summary table (`run`, `reproduce`, `sweep`). */
export function theoryLines(rows: readonly TheoryRow[]): string[] {
  return rows.map(
    (t) =>
      `${t.quantity}: measured ${t.measured === null ? "—" : t.measured.toFixed(5)}, theory ${t.theory.toFixed(5)} (${t.note})`,
  );
}
