import { getExperiment } from "../experiments/registry.js";
import type { TheoryRow } from "../experiments/types.js";
import type { RunRecord } from "./types.js";

/**
 * The measured-vs-theory rows of a record (all seeds of one grid point), from its experiment's
 * own `compare()`: the CLI summary, the report and the page all ask here.
 */
export function theoryRowsOf(record: RunRecord): TheoryRow[] {
  const exp = getExperiment(record.experiment);
  return exp.compare ? exp.compare(record.params as never, record.result.seeds) : [];
}
