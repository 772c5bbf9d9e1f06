import { judgeAll, type Verdict } from "../experiments/claims.js";
import { getExperiment } from "../experiments/registry.js";
import type { RunRecord } from "./types.js";

/**
 * The verdicts of a record (all seeds of one grid point): each claim of its experiment judged over
 * the record's seeds. The CLI, the report and the page all ask here, so they cannot disagree.
 */
export function verdictsOf(record: RunRecord): Verdict[] {
  return judgeAll(getExperiment(record.experiment), record.params, record.result.seeds, record.size);
}
