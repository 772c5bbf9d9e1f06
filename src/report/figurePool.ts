import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { compiledSibling } from "../sweep/compiled.js";
import type { FigureJob } from "./figureWorker.js";
import { type WrittenFigure, writeFigure } from "./render.js";

/** Renders and writes one figure: `writeFigure` here, or on a worker thread (`FigurePool`). */
export type FigureWriter = (job: FigureJob) => Promise<WrittenFigure>;

let here: Promise<unknown> = Promise.resolve();

/**
 * On the calling thread, one figure at a time in the order asked (a figure's Vega view and raster
 * are freed before the next starts, however many are asked for at once).
 */
export const writeFigureHere: FigureWriter = (job) => {
  const next = here.then(() => writeFigure(job.spec, job.dir, job.basename));
  here = next.catch(() => {});
  return next;
};

/**
 * Figures rendered on worker threads (piscina), `threads` at a time. Rendering (Vega's layout,
 * then resvg's text shaping and rasterising) is the report's cost: about a tenth of a second of
 * one core per figure, hundreds of figures in a reproduction. On the main thread it ran after the
 * last cell, one figure at a time, while the other core idled; through this pool an experiment's
 * figures render on every core as soon as its cells are done, beside the cells still running
 * (`reproduce`). The files are the same bytes either way (`figurePool.test.ts`).
 */
export class FigurePool {
  private readonly pool: Piscina;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /**
   * @param threads the most figures rendered at once (and threads started).
   * @param limit how many of them may render at once for now (`setLimit`): `reproduce` renders one
   *   figure at a time while cells still run (each rendering thread holds Vega's scene graph and
   *   resvg's raster, 50–300 MB for a paper-size figure, beside the cells' working memory), then
   *   `threads` once the cells are done.
   */
  constructor(
    readonly threads = availableParallelism(),
    private limit = threads,
  ) {
    this.pool = new Piscina({
      filename: compiledSibling(import.meta.url, "./figureWorker.js"),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 30_000,
    });
  }

  /** Threads the pool has started (at most `threads`; one more is started only when needed). */
  get started(): number {
    return this.pool.threads.length;
  }

  /** Allow `limit` figures at once from now on (figures already waiting start at once if they may). */
  setLimit(limit: number): void {
    this.limit = Math.max(1, Math.min(this.threads, limit));
    this.release();
  }

  private release(): void {
    while (this.running < this.limit && this.waiting.length > 0) {
      this.running++;
      this.waiting.shift()!();
    }
  }

  readonly write: FigureWriter = async (job) => {
    await new Promise<void>((start) => {
      this.waiting.push(start);
      this.release();
    });
    try {
      return (await this.pool.run(job)) as WrittenFigure;
    } finally {
      this.running--;
      this.release();
    }
  };

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
