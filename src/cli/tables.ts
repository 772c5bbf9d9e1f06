import { listExperiments } from "../experiments/registry.js";
import type { RunRecord } from "../record/types.js";
import { formatTables, summaryTables } from "../report/summaryTable.js";

/** Width the CLI's tables keep within: the terminal's, else 100 columns (a pipe, a file). */
export function terminalWidth(): number {
  const c = process.stdout.columns;
  return typeof c === "number" && c > 0 ? c : 100;
}

/**
 * A record's summary as the CLI prints it: its tables (the experiment's own included when it is
 * registered), no line wider than the terminal.
 */
export function printedTables(record: RunRecord): string {
  const exp = listExperiments({ internal: true }).find((e) => e.id === record.experiment);
  return formatTables(summaryTables(record, exp?.tables ?? []), { width: terminalWidth() });
}
