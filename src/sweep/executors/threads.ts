import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { loadedPlugins } from "../../plugins/load.js";
import type { RunRecord } from "../../record/types.js";
import { compiledSibling } from "../compiled.js";
import { CostQueue } from "../costQueue.js";
import { type Cell, cellCost } from "../spec.js";
import { type CellSink, type Executor, errorMessage } from "./executor.js";

interface Pending {
  cell: Cell;
  sink: CellSink;
  signal?: AbortSignal;
  done(): void;
}

/**
 * Runs cells on a pool of worker threads (piscina), one cell per task, `workers` at a time
 * (default: the number of cores), delivered as they finish. Cells wait in one queue shared by
 * every `run` call (`reproduce` runs all its experiments' sweeps on one executor) and start
 * costliest first by their experiment's `cost` (`cellCost`), across experiments; only `workers`
 * cells are handed to the pool at a time, so a costly cell that arrives later still starts next.
 */
export class ThreadsExecutor implements Executor {
  readonly name = "threads";
  private readonly pool: Piscina;
  private readonly queue = new CostQueue<Pending>();
  private running = 0;
  private scheduled = false;
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

  async run(cells: Cell[], sink: CellSink, signal?: AbortSignal): Promise<void> {
    const finished = cells.map(
      (cell) =>
        new Promise<void>((done) => {
          this.queue.push({ cell, sink, signal, done }, cellCost(cell));
        }),
    );
    this.schedule();
    await Promise.all(finished);
  }

  /**
   * Start queued cells up to `workers` at once. Deferred to the next turn of the event loop, so the
   * cells of every `run` call made in this turn (all of a reproduce's sweeps) are queued first.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.fill();
    });
  }

  private fill(): void {
    while (this.running < this.workers && this.queue.size > 0) {
      const next = this.queue.pop()!;
      if (next.signal?.aborted) {
        next.done();
        continue;
      }
      this.running++;
      void this.start(next);
    }
  }

  private async start({ cell, sink, signal, done }: Pending): Promise<void> {
    try {
      const text = (await this.pool.run(cell, { signal: signal ?? null })) as string;
      sink.record(cell, JSON.parse(text) as RunRecord);
    } catch (e) {
      if (!signal?.aborted) sink.failure(cell, errorMessage(e));
    } finally {
      this.running--;
      done();
      this.fill();
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
