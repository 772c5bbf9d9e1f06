import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import type { RunRecord } from "../../record/types.js";
import { connectRedis } from "../redis.js";
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
function parseReturn(v: unknown): RunRecord {
  let x = v;
  while (typeof x === "string") x = JSON.parse(x);
  return x as RunRecord;
}

/**
 * Distributed executor on BullMQ: enqueues each cell with job id = cell id (so enqueueing is
 * idempotent: re-running a sweep adds nothing that is queued already), and collects results as
 * workers (`metarep worker --redis URL`, on any machine) complete them. Jobs carry data only —
 * the cell: experiment id, validated parameters, seeds — never code. Completed jobs are removed
 * once their record is delivered; a job that exhausts its attempts is delivered as a failure.
 */
export class DistributedExecutor implements Executor {
  readonly name = "distributed";
  private conns: Redis[] = [];
  private queue: Queue | null = null;
  private events: QueueEvents | null = null;

  constructor(
    readonly url: string,
    readonly queueName = DEFAULT_QUEUE,
  ) {}

  async prepare(): Promise<void> {
    if (this.conns.length === 0) this.conns.push(await connectRedis(this.url), await connectRedis(this.url));
  }

  async run(cells: Cell[], sink: CellSink, signal?: AbortSignal): Promise<void> {
    if (cells.length === 0) return;
    await this.prepare();
    const [a, b] = this.conns;
    const queue = new Queue(this.queueName, { connection: a });
    const events = new QueueEvents(this.queueName, { connection: b });
    this.queue = queue;
    this.events = events;
    await events.waitUntilReady();

    const pending = new Map(cells.map((c) => [jobIdOf(c.cellId), c]));
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const settle = (jobId: string) => {
      pending.delete(jobId);
      if (pending.size === 0) finish();
    };
    const completed = async (jobId: string, value: unknown) => {
      const cell = pending.get(jobId);
      if (!cell) return;
      const record = parseReturn(value);
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
    signal?.addEventListener("abort", () => finish());

    await queue.addBulk(
      cells.map((c) => ({
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
    for (const jobId of [...pending.keys()]) {
      const job = await queue.getJob(jobId);
      if (!job) continue;
      const state = await job.getState();
      if (state === "completed") await completed(jobId, job.returnvalue);
      else if (state === "failed") await failed(jobId, job.failedReason);
    }
    await done;
  }

  async close(): Promise<void> {
    await this.events?.close();
    await this.queue?.close();
    for (const c of this.conns) c.disconnect();
    this.conns = [];
  }
}
