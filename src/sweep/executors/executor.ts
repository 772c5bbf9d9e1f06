import type { RunRecord } from "../../record/types.js";
import type { Cell } from "../spec.js";

/** Where an executor delivers each cell's outcome (the sweep runner appends them to the store). */
export interface CellSink {
  record(cell: Cell, record: RunRecord): void;
  failure(cell: Cell, message: string): void;
}

/**
 * Runs cells into records. All executors run each cell through `runCell` (src/sweep/cell.ts),
 * so the same cell gives the same record bytes (timings apart) whatever the executor and the
 * number of workers.
 */
export interface Executor {
  readonly name: string;
  /** Acquire what the executor needs (e.g. reach Redis) before anything is written: fail fast. */
  prepare?(): Promise<void>;
  /**
   * Run the cells as they are drawn from `cells` (a generator, for a sweep): an executor draws a
   * bounded number ahead of those finished, so memory follows the cells in flight.
   */
  run(cells: Iterable<Cell>, sink: CellSink, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
