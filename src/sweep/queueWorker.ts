import { availableParallelism } from "node:os";
import { UnrecoverableError, Worker } from "bullmq";
import { Piscina } from "piscina";
import { type InvalidJobError, validateCell } from "./cell.js";
import { compiledSibling } from "./compiled.js";
import { DEFAULT_QUEUE } from "./executors/distributed.js";
import { connectRedis } from "./redis.js";

export interface QueueWorkerOptions {
  url: string;
  queue?: string;
  concurrency?: number;
  /** How long a job's lock lasts without renewal; a killed worker's job is retried after it. */
  lockMs?: number;
  log?: (line: string) => void;
  /** Plug-in files this worker holds (from its own command line; its threads load them too). */
  plugins?: readonly string[];
}

/**
 * `metarep worker`: takes cells from the queue, validates each (known experiment, parameters
 * valid under its schema, id matching the contents — an invalid job fails at once, without
 * retries) and runs it on a worker thread, so the event loop stays free to renew the job's lock.
 * Returns a handle whose `close()` finishes the running jobs and stops.
 */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<{ close(): Promise<void> }> {
  const concurrency = o.concurrency ?? availableParallelism();
  const lockMs = o.lockMs ?? 30_000;
  const log = o.log ?? (() => {});
  const connection = await connectRedis(o.url);
  const pool = new Piscina({
    filename: compiledSibling(import.meta.url, "./threadWorker.js"),
    minThreads: concurrency,
    maxThreads: concurrency,
    workerData: { plugins: o.plugins ?? [] },
  });
  const worker = new Worker(
    o.queue ?? DEFAULT_QUEUE,
    async (job) => {
      let cell: ReturnType<typeof validateCell>;
      try {
        cell = validateCell(job.data);
      } catch (e) {
        log(`rejected job ${job.id}: ${(e as Error).message}`);
        throw new UnrecoverableError((e as InvalidJobError).message);
      }
      log(`start ${cell.cellId}`);
      const text = (await pool.run(cell)) as string;
      log(`done ${cell.cellId}`);
      return text;
    },
    {
      connection,
      concurrency,
      lockDuration: lockMs,
      stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on("error", (e) => log(`worker error: ${e.message}`));
  await worker.waitUntilReady();
  log(`worker ready on queue ${o.queue ?? DEFAULT_QUEUE} (concurrency ${concurrency})`);
  return {
    async close() {
      await worker.close();
      await pool.destroy();
      connection.disconnect();
    },
  };
}
