import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { loadedPlugins } from "../../plugins/load.js";
import type { RunRecord } from "../../record/types.js";
import { compiledSibling } from "../compiled.js";
import { CostQueue } from "../costQueue.js";
import { type Cell, cellCost, cellMemory } from "../spec.js";
import { type CellSink, type Executor, errorMessage } from "./executor.js";

/** One `run` call: its cells, drawn as they are needed, and where they go. */
interface Source {
  cells: Iterator<Cell>;
  sink: CellSink;
  signal?: AbortSignal;
  /** Cells drawn and not yet delivered (queued or running). */
  pending: number;
  exhausted: boolean;
  finished(): void;
}

interface Pending {
  cell: Cell;
  src: Source;
  /** Its estimated working memory (`cellMemory`). */
  bytes: number;
}

export interface ThreadsOptions {
  /** Plug-in files each thread loads (default: every plug-in this process has loaded). */
  plugins?: readonly string[];
  /**
   * Bytes the running cells' estimated working memory (`cellMemory`) may take together (default:
   * no bound). A cell that would go beyond it waits for running cells to finish while cheaper cells
   * that fit start on the free threads; a cell runs alone whatever its estimate.
   */
  memoryBudget?: number;
}

/**
 * Runs cells on a pool of worker threads (piscina), one cell per task, `workers` at a time
 * (default: the number of cores), delivered as they finish. Cells wait in one queue shared by
 * every `run` call (`reproduce` runs all its experiments' sweeps on one executor) and start
 * costliest first by their experiment's `cost` (`cellCost`), across experiments; only `workers`
 * cells are handed to the pool at a time, so a costly cell that arrives later still starts next.
 * With a `memoryBudget`, the costliest cell that fits beside the running ones starts instead: two
 * cells that each hold hundreds of megabytes (a fit that keeps all its rows) run one after the
 * other, each beside small cells, not together.
 */
export class ThreadsExecutor implements Executor {
  readonly name = "threads";
  private readonly pool: Piscina;
  private readonly queue = new CostQueue<Pending>();
  private sources: Source[] = [];
  private running = 0;
  /** Estimated working memory of the running cells, and the most it has been at once. */
  private runningBytes = 0;
  private peak = 0;
  private scheduled = false;
  private readonly memoryBudget: number;
  constructor(
    readonly workers = availableParallelism(),
    options: ThreadsOptions = {},
  ) {
    const plugins = options.plugins ?? loadedPlugins().map((p) => p.path);
    this.memoryBudget = options.memoryBudget ?? Number.POSITIVE_INFINITY;
    this.pool = new Piscina({
      filename: compiledSibling(import.meta.url, "../threadWorker.js"),
      workerData: { plugins },
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
    });
  }

  async run(cells: Iterable<Cell>, sink: CellSink, signal?: AbortSignal): Promise<void> {
    await new Promise<void>((finished) => {
      this.sources.push({
        cells: cells[Symbol.iterator](),
        sink,
        signal,
        pending: 0,
        exhausted: false,
        finished,
      });
      this.schedule();
    });
  }

  /**
   * Start queued cells up to `workers` at once. Deferred to the next turn of the event loop, so the
   * sources of every `run` call made in this turn (all of a reproduce's sweeps) are there first.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.fill();
    });
  }

  /**
   * Draw cells lazily: each source keeps at most two cells per thread drawn and not yet delivered
   * (queued or running), so memory follows the cells in flight, not the grid. A source's cells come
   * costliest first within its windows (`byCostWindows`), so the queue's costliest across the
   * sources' heads is the costliest cell left: the merge keeps the order across experiments.
   */
  private draw(): void {
    for (const src of this.sources) {
      while (!src.exhausted && src.pending < 2 * this.workers) {
        const next = src.signal?.aborted ? undefined : src.cells.next();
        if (!next || next.done) {
          src.exhausted = true;
          break;
        }
        src.pending++;
        this.queue.push({ cell: next.value, src, bytes: cellMemory(next.value) }, cellCost(next.value));
      }
      this.settle(src);
    }
  }

  /** A source is finished when it is drawn to the end and none of its cells is queued or running. */
  private settle(src: Source): void {
    if (src.exhausted && src.pending === 0) {
      this.sources = this.sources.filter((x) => x !== src);
      src.finished();
    }
  }

  /** The most estimated working memory (`cellMemory`) its running cells have held at once. */
  get peakWorkingMemory(): number {
    return this.peak;
  }

  private fill(): void {
    this.draw();
    const fits = (p: Pending) =>
      this.running === 0 || p.src.signal?.aborted || this.runningBytes + p.bytes <= this.memoryBudget;
    while (this.running < this.workers && this.queue.size > 0) {
      const next = this.queue.pop(fits);
      if (next === undefined) break;
      if (next.src.signal?.aborted) {
        next.src.pending--;
        this.settle(next.src);
        continue;
      }
      this.running++;
      this.runningBytes += next.bytes;
      this.peak = Math.max(this.peak, this.runningBytes);
      void this.start(next);
    }
  }

  private async start({ cell, src, bytes }: Pending): Promise<void> {
    try {
      const text = (await this.pool.run(cell, { signal: src.signal ?? null })) as string;
      src.sink.record(cell, JSON.parse(text) as RunRecord);
    } catch (e) {
      if (!src.signal?.aborted) src.sink.failure(cell, errorMessage(e));
    } finally {
      this.running--;
      this.runningBytes -= bytes;
      src.pending--;
      this.fill();
      this.settle(src);
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
