import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import type { RunRecord } from "../../record/types.js";
import { connectRedis } from "../redis.js";
import { type QueueRoute, queueFor } from "../routing.js";
import type { Cell } from "../spec.js";
import type { CellSink, Executor } from "./executor.js";

export const DEFAULT_QUEUE = "metarep-cells";
/** Attempts per cell (a crashed or killed worker's job is retried by another). */
export const JOB_ATTEMPTS = 3;

/** BullMQ job ids may not contain ':'; cell ids do. */
export function jobIdOf(cellId: string): string {
  return cellId.replaceAll(":", "|");
}

/** A job's return value (the record's JSON text), however BullMQ hands it back. */
function parseReturn(v: unknown): RunRecord | null {
  let x = v;
  while (typeof x === "string") x = JSON.parse(x);
  return (x ?? null) as RunRecord | null;
}

/**
 * Distributed executor on BullMQ: enqueues each cell with job id = cell id (so enqueueing is
 * idempotent: re-running a sweep adds nothing that is queued already), and collects results as
 * workers (`metarep worker --redis URL`, on any machine) complete them. Jobs carry data only —
 * the cell: experiment id, validated parameters, seeds, the ids and digests of the plug-ins it
 * uses — never code, never a path. A cell using plug-ins goes to the queue keyed by their digests
 * (routing.ts), which only workers holding the same files listen on. Completed jobs are removed
 * once their record is delivered; a job that exhausts its attempts is delivered as a failure.
 */
export class DistributedExecutor implements Executor {
  readonly name = "distributed";
  private conns: Redis[] = [];
  private opened: { queue: Queue; events: QueueEvents }[] = [];
  /** Told the queues cells went to, once they are enqueued (`sweep` watches the routed ones). */
  onRoutes?: (routes: (QueueRoute & { cells: number })[]) => void;

  constructor(
    readonly url: string,
    readonly queueName = DEFAULT_QUEUE,
  ) {}

  async prepare(): Promise<void> {
    if (this.conns.length === 0) this.conns.push(await connectRedis(this.url));
  }

  async run(cells: Cell[], sink: CellSink, signal?: AbortSignal): Promise<void> {
    if (cells.length === 0) return;
    await this.prepare();
    const [a] = this.conns;
    // One queue per set of plug-ins used (most sweeps: one queue).
    const routes = new Map<string, QueueRoute & { cells: Cell[] }>();
    for (const c of cells) {
      const queue = queueFor(this.queueName, c.plugins);
      const r = routes.get(queue) ?? { queue, plugins: c.plugins ?? [], cells: [] };
      r.cells.push(c);
      routes.set(queue, r);
    }

    const pending = new Map(cells.map((c) => [jobIdOf(c.cellId), c]));
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const settle = (jobId: string) => {
      pending.delete(jobId);
      if (pending.size === 0) finish();
    };
    signal?.addEventListener("abort", () => finish());

    for (const route of routes.values()) {
      // QueueEvents blocks on its own connection.
      const b = await connectRedis(this.url);
      this.conns.push(b);
      const queue = new Queue(route.queue, { connection: a });
      const events = new QueueEvents(route.queue, { connection: b });
      this.opened.push({ queue, events });
      await events.waitUntilReady();
      const completed = async (jobId: string, value: unknown) => {
        const cell = pending.get(jobId);
        if (!cell) return;
        const record = parseReturn(value);
        // A job read before its completion was stored carries no value yet: its event brings it.
        if (record === null || typeof record !== "object") return;
        if (record.cellId !== cell.cellId) {
          sink.failure(cell, `worker returned the record of ${record.cellId} for ${cell.cellId}`);
        } else sink.record(cell, record);
        settle(jobId);
        await queue.remove(jobId).catch(() => {});
      };
      const failed = async (jobId: string, reason: string) => {
        const cell = pending.get(jobId);
        if (!cell) return;
        const job = await queue.getJob(jobId);
        const final =
          !job || job.attemptsMade >= (job.opts.attempts ?? 1) || (await job.getState()) === "failed";
        if (!final) return;
        sink.failure(cell, reason);
        settle(jobId);
        await queue.remove(jobId).catch(() => {});
      };
      events.on("completed", ({ jobId, returnvalue }) => void completed(jobId, returnvalue));
      events.on("failed", ({ jobId, failedReason }) => void failed(jobId, failedReason));

      await queue.addBulk(
        route.cells.map((c) => ({
          name: c.experiment,
          data: c,
          opts: {
            jobId: jobIdOf(c.cellId),
            attempts: JOB_ATTEMPTS,
            backoff: { type: "fixed", delay: 500 },
            removeOnComplete: false,
            removeOnFail: false,
          },
        })),
      );
      // Catch up on jobs that finished before we listened (e.g. a previous producer's).
      for (const c of route.cells) {
        const jobId = jobIdOf(c.cellId);
        if (!pending.has(jobId)) continue;
        // The state first, then the job: a job fetched before it completed would carry no return
        // value while its state already reads "completed" (the value and the state are stored
        // together, so a job fetched after the state was read has both).
        const state = await queue.getJobState(jobId);
        if (state !== "completed" && state !== "failed") continue;
        const job = await queue.getJob(jobId);
        if (!job) continue;
        if (state === "completed") await completed(jobId, job.returnvalue);
        else await failed(jobId, job.failedReason);
      }
    }
    this.onRoutes?.(
      [...routes.values()].map((r) => ({ queue: r.queue, plugins: r.plugins, cells: r.cells.length })),
    );
    await done;
  }

  async close(): Promise<void> {
    for (const { events, queue } of this.opened) {
      await events.close();
      await queue.close();
    }
    this.opened = [];
    for (const c of this.conns) c.disconnect();
    this.conns = [];
  }
}
