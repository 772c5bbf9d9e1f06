import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import type { RunRecord } from "../../record/types.js";
import { Auditor, type AuditSummary, DEFAULT_AUDIT } from "../audit.js";
import { connectRedis } from "../redis.js";
import { type QueueRoute, queueFor } from "../routing.js";
import type { Cell } from "../spec.js";
import type { CellSink, Executor } from "./executor.js";
import { ThreadsExecutor } from "./threads.js";

export const DEFAULT_QUEUE = "metarep-cells";
/** Attempts per cell (a crashed or killed worker's job is retried by another). */
export const JOB_ATTEMPTS = 3;
/** Cells queued and not yet delivered, at most; drawn from the sweep in batches of QUEUE_BATCH. */
export const QUEUE_WINDOW = 10_000;
const QUEUE_BATCH = 1_000;

/** BullMQ job ids may not contain ':'; cell ids do. */
export function jobIdOf(cellId: string): string {
  return cellId.replaceAll(":", "|");
}

/** A job's return value (the record's JSON text), however BullMQ hands it back. */
function parseReturn(v: unknown): RunRecord | null {
  let x = v;
  try {
    while (typeof x === "string") x = JSON.parse(x);
  } catch {
    return { cellId: "(not JSON)" } as RunRecord; // refused by the audit's check of the record
  }
  return (x ?? null) as RunRecord | null;
}

export interface DistributedOptions {
  /**
   * The share of returned cells recomputed here and compared byte for byte (src/sweep/audit.ts);
   * 0 turns the audit off. Default DEFAULT_AUDIT.
   */
  audit?: number;
  /** Told, in one line, of each worker the audit refuses. */
  onRefusal?: (line: string) => void;
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

  /** What the audit did in the last `run`. */
  audit: AuditSummary | null = null;
  /** Recomputes audited cells here: one thread, so the event loop stays free for the queue. */
  private local: ThreadsExecutor | null = null;

  constructor(
    readonly url: string,
    readonly queueName = DEFAULT_QUEUE,
    readonly options: DistributedOptions = {},
  ) {}

  private recompute(cell: Cell): Promise<RunRecord> {
    this.local ??= new ThreadsExecutor(1);
    const local = this.local;
    return new Promise((resolve, reject) => {
      void local.run([cell], {
        record: (_c, r) => resolve(r),
        failure: (_c, m) => reject(new Error(m)),
      });
    });
  }

  async prepare(): Promise<void> {
    if (this.conns.length === 0) this.conns.push(await connectRedis(this.url));
  }

  async run(cells: Iterable<Cell>, sink: CellSink, signal?: AbortSignal): Promise<void> {
    await this.prepare();
    const [a] = this.conns;
    // Cells are drawn from the generator in batches and at most QUEUE_WINDOW are queued and not
    // yet delivered: the submitter's memory (and Redis's) follows the window, not the sweep.
    const source = cells[Symbol.iterator]();
    let exhausted = false;
    /** Cells drawn and not yet settled (stored or failed): at the workers, held or being audited. */
    const pending = new Map<string, Cell>();
    /** Jobs at the workers (queued or running): a cell leaves when its job completes or fails. */
    const out = new Set<string>();
    /** Times each cell's results were refused by the audit (it is re-queued up to JOB_ATTEMPTS). */
    const refusals = new Map<string, number>();
    // One queue per set of plug-ins used (most sweeps: one queue), opened when its first cell comes.
    const routes = new Map<string, { route: QueueRoute; queue: Queue }>();
    let wake: () => void = () => {};
    const settle = (jobId: string) => {
      pending.delete(jobId);
      refusals.delete(jobId);
      wake();
    };
    const jobOf = (c: Cell) => ({
      name: c.experiment,
      data: c,
      opts: {
        jobId: jobIdOf(c.cellId),
        attempts: JOB_ATTEMPTS,
        backoff: { type: "fixed", delay: 500 },
        removeOnComplete: false,
        removeOnFail: false,
      },
    });
    const fraction = this.options.audit ?? DEFAULT_AUDIT;
    const auditor = new Auditor(
      { fraction, recompute: (c) => this.recompute(c), onRefusal: this.options.onRefusal },
      (cell, record) => {
        sink.record(cell, record);
        settle(jobIdOf(cell.cellId));
      },
      (cell, reason) => {
        const jobId = jobIdOf(cell.cellId);
        const n = (refusals.get(jobId) ?? 0) + 1;
        refusals.set(jobId, n);
        if (n >= JOB_ATTEMPTS) {
          sink.failure(cell, `results refused by the audit ${n} times; the last: ${reason}`);
          settle(jobId);
          return;
        }
        // Queued again under the same job id: its completed job was removed before the audit saw
        // its record (removed again here, in case that failed: an add under a taken id is a no-op).
        out.add(jobId);
        const queue = routes.get(queueFor(this.queueName, cell.plugins))?.queue;
        const job = jobOf(cell);
        void (async () => {
          if (!queue) throw new Error(`no queue for ${cell.cellId}`);
          await queue.remove(jobId).catch(() => {});
          await queue.add(job.name, job.data, job.opts);
        })().catch((e: unknown) => {
          out.delete(jobId);
          sink.failure(cell, `${reason}; queuing it again failed: ${(e as Error).message}`);
          settle(jobId);
        });
        wake();
      },
    );
    this.audit = auditor.summary;
    const onAbort = () => wake();
    signal?.addEventListener("abort", onAbort);

    const open = async (name: string, plugins: QueueRoute["plugins"]) => {
      // QueueEvents blocks on its own connection.
      const b = await connectRedis(this.url);
      this.conns.push(b);
      const queue = new Queue(name, { connection: a });
      const events = new QueueEvents(name, { connection: b });
      this.opened.push({ queue, events });
      await events.waitUntilReady();
      const completed = async (jobId: string, value: unknown) => {
        const cell = pending.get(jobId);
        if (!cell || !out.has(jobId)) return;
        const record = parseReturn(value);
        // A job read before its completion was stored carries no value yet: its event brings it.
        if (record === null || typeof record !== "object") return;
        out.delete(jobId);
        // The job is removed before the audit sees the record, so that a refused cell can be
        // queued again under the same job id. (A record held for its audit and lost with this
        // process is recomputed when the sweep resumes.)
        await queue.remove(jobId).catch(() => {});
        auditor.receive(cell, record);
        wake();
      };
      const failed = async (jobId: string, reason: string) => {
        const cell = pending.get(jobId);
        if (!cell || !out.has(jobId)) return;
        const job = await queue.getJob(jobId);
        const final =
          !job || job.attemptsMade >= (job.opts.attempts ?? 1) || (await job.getState()) === "failed";
        if (!final || !out.delete(jobId)) return;
        sink.failure(cell, reason);
        settle(jobId);
        await queue.remove(jobId).catch(() => {});
      };
      events.on("completed", ({ jobId, returnvalue }) => void completed(jobId, returnvalue));
      events.on("failed", ({ jobId, failedReason }) => void failed(jobId, failedReason));
      const r = { route: { queue: name, plugins }, queue, completed, failed };
      routes.set(name, r);
      return r;
    };

    const enqueue = async (batch: Cell[]) => {
      const byQueue = new Map<string, Cell[]>();
      for (const c of batch) {
        const q = queueFor(this.queueName, c.plugins);
        const list = byQueue.get(q) ?? [];
        list.push(c);
        byQueue.set(q, list);
        pending.set(jobIdOf(c.cellId), c);
        out.add(jobIdOf(c.cellId));
      }
      const fresh: QueueRoute[] = [];
      for (const [name, list] of byQueue) {
        let r = routes.get(name) as Awaited<ReturnType<typeof open>> | undefined;
        if (!r) {
          r = await open(name, list[0].plugins ?? []);
          fresh.push(r.route);
        }
        await r.queue.addBulk(list.map(jobOf));
        // Catch up on jobs that finished before we listened (e.g. a previous producer's).
        for (const c of list) {
          const jobId = jobIdOf(c.cellId);
          if (!pending.has(jobId)) continue;
          // The state first, then the job: a job fetched before it completed would carry no return
          // value while its state already reads "completed" (the value and the state are stored
          // together, so a job fetched after the state was read has both).
          const state = await r.queue.getJobState(jobId);
          if (state !== "completed" && state !== "failed") continue;
          const job = await r.queue.getJob(jobId);
          if (!job) continue;
          if (state === "completed") await r.completed(jobId, job.returnvalue);
          else await r.failed(jobId, job.failedReason);
        }
      }
      if (fresh.length)
        this.onRoutes?.(fresh.map((r) => ({ ...r, cells: byQueue.get(r.queue)?.length ?? 0 })));
    };

    try {
      while (!signal?.aborted) {
        if (!exhausted && pending.size < QUEUE_WINDOW) {
          const batch: Cell[] = [];
          while (batch.length < QUEUE_BATCH && pending.size + batch.length < QUEUE_WINDOW) {
            const next = source.next();
            if (next.done) {
              exhausted = true;
              break;
            }
            batch.push(next.value);
          }
          if (batch.length) await enqueue(batch);
          continue;
        }
        if (exhausted && pending.size === 0) break;
        // Nothing left at the workers: settle the records held for an audit that none covers.
        if (out.size === 0 && auditor.uncovered) auditor.flush();
        // Woken by a delivered cell (or an abort); the loop then looks again.
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    await this.local?.close();
    this.local = null;
    for (const { events, queue } of this.opened) {
      await events.close();
      await queue.close();
    }
    this.opened = [];
    for (const c of this.conns) c.disconnect();
    this.conns = [];
  }
}
