import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { loadedPlugins } from "../../plugins/load.js";
import type { RunRecord } from "../../record/types.js";
import { compiledSibling } from "../compiled.js";
import type { Cell } from "../spec.js";
import { type CellSink, type Executor, errorMessage } from "./executor.js";

/**
 * Runs cells on a pool of worker threads (piscina), one cell per task, `workers` at a time
 * (default: the number of cores). Cells are submitted in order and delivered as they finish.
 */
export class ThreadsExecutor implements Executor {
  readonly name = "threads";
  private readonly pool: Piscina;
  constructor(
    readonly workers = availableParallelism(),
    /** Plug-in files each thread loads (default: every plug-in this process has loaded). */
    plugins: readonly string[] = loadedPlugins().map((p) => p.path),
  ) {
    this.pool = new Piscina({
      filename: compiledSibling(import.meta.url, "../threadWorker.js"),
      workerData: { plugins },
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
    });
  }

  async run(cells: Iterable<Cell>, sink: CellSink, signal?: AbortSignal): Promise<void> {
    const one = async (cell: Cell) => {
      try {
        const text = (await this.pool.run(cell, { signal: signal ?? null })) as string;
        sink.record(cell, JSON.parse(text) as RunRecord);
      } catch (e) {
        if (signal?.aborted) return;
        sink.failure(cell, errorMessage(e));
      }
    };
    // Two cells queued per thread keep every thread busy; drawing more would only hold memory.
    const inflight = new Set<Promise<void>>();
    for (const cell of cells) {
      if (signal?.aborted) break;
      const p: Promise<void> = one(cell).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 2 * this.workers) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
