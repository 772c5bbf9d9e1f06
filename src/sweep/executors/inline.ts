import { runCell } from "../cell.js";
import type { Cell } from "../spec.js";
import { type CellSink, type Executor, errorMessage } from "./executor.js";

/** Runs cells one after another in this thread (tests, the browser, tiny sweeps). */
export class InlineExecutor implements Executor {
  readonly name = "inline";
  async run(cells: Iterable<Cell>, sink: CellSink, signal?: AbortSignal): Promise<void> {
    for (const cell of cells) {
      if (signal?.aborted) return;
      try {
        sink.record(cell, runCell(cell));
      } catch (e) {
        sink.failure(cell, errorMessage(e));
      }
      await new Promise((r) => setImmediate(r)); // let progress, signals and I/O through
    }
  }
  async close(): Promise<void> {}
}
