import { randomBytes } from "node:crypto";
import { availableParallelism, hostname } from "node:os";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { Piscina } from "piscina";
import { loadPlugins } from "../plugins/load.js";
import { type InvalidJobError, validateCell } from "./cell.js";
import { compiledSibling } from "./compiled.js";
import { DEFAULT_QUEUE } from "./executors/distributed.js";
import { checkRun, DEFAULT_LIMITS, type Limits, type ResourceLimitError } from "./guards.js";
import { connectRedis } from "./redis.js";
import { listeningRoutes, type QueueRoute } from "./routing.js";

export interface QueueWorkerOptions {
  url: string;
  /** The base queue; cells using plug-ins are routed to queues derived from it (routing.ts). */
  queue?: string;
  concurrency?: number;
  /** How long a job's lock lasts without renewal; a killed worker's job is retried after it. */
  lockMs?: number;
  log?: (line: string) => void;
  /**
   * This worker's resource limits (`--max-memory`): a job above them fails at once, without
   * retries, naming the limit — the same guards as \`run\` and \`sweep\` (src/sweep/guards.ts).
   */
  limits?: Limits;
  /** Plug-in files this worker holds (from its own command line; its threads load them too). */
  plugins?: readonly string[];
  /** This worker's id, written into every record it returns (default: host:pid:random). */
  id?: string;
}

/** A worker id: the host, the process and 6 random hex digits (a restarted process is another worker). */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/** How a route is named in the worker's log: the base queue, or the plug-ins it is keyed by. */
export function routeText(r: QueueRoute): string {
  return r.plugins.length === 0
    ? `queue ${r.queue}`
    : `queue ${r.queue} (plug-in${r.plugins.length === 1 ? "" : "s"} ${r.plugins.map((p) => `${p.id} sha256 ${p.sha256}`).join(", ")})`;
}

/**
 * `metarep worker`: takes cells from the queues its plug-ins match — the base queue and one per
 * non-empty subset of the plug-ins it holds (routing.ts) — validates each (the plug-ins it names
 * held here with the same digests, a known experiment, parameters valid under its schema, an id
 * matching the contents — an invalid job fails at once, without retries) and runs it on a worker
 * thread, so the event loop stays free to renew the job's lock.
 *
 * One BullMQ Worker per queue, sharing one thread pool of `concurrency` threads: each Worker may
 * take as many jobs as the pool has free threads plus those it runs already (at least one, so
 * every queue is watched), so the process holds at most `concurrency` jobs plus one per other
 * queue; a job waiting for a thread keeps its lock renewed. Returns a handle whose `close()`
 * finishes the running jobs and stops.
 */
export async function startQueueWorker(
  o: QueueWorkerOptions,
): Promise<{ id: string; close(): Promise<void> }> {
  const concurrency = o.concurrency ?? availableParallelism();
  const lockMs = o.lockMs ?? 30_000;
  const log = o.log ?? (() => {});
  const base = o.queue ?? DEFAULT_QUEUE;
  const limits: Limits = { ...(o.limits ?? DEFAULT_LIMITS), holder: "worker" };
  const id = o.id ?? newWorkerId();
  // Appended to each record's JSON text (an object: it ends with "}"), so the submitter's audit
  // can name the worker whose results it refuses.
  const signature = `,"worker":${JSON.stringify(id)}}`;
  // This thread validates jobs against the plug-ins it holds: load them here too (a no-op when
  // the CLI's --plugin hook has).
  const held = await loadPlugins(o.plugins ?? []);
  const routes = listeningRoutes(
    base,
    held.map(({ id, file, sha256 }) => ({ id, file, sha256 })),
  );
  const connection = await connectRedis(o.url);
  const pool = new Piscina({
    filename: compiledSibling(import.meta.url, "./threadWorker.js"),
    minThreads: concurrency,
    maxThreads: concurrency,
    workerData: { plugins: held.map((p) => p.path) },
  });

  const workers: Worker[] = [];
  const running = new Map<Worker, number>();
  let total = 0;
  const rebalance = () => {
    for (const w of workers) w.concurrency = Math.max(1, concurrency - total + (running.get(w) ?? 0));
  };
  const handle = async (w: Worker, job: Job) => {
    let cell: ReturnType<typeof validateCell>;
    try {
      cell = validateCell(job.data);
      // One job is one cell (one seed index): its memory estimate against this worker's limit.
      checkRun(`job ${job.id} (${cell.experiment})`, cell.experiment, cell.params, 1, limits);
    } catch (e) {
      log(`rejected job ${job.id} on queue ${w.name}: ${(e as Error).message}`);
      throw new UnrecoverableError((e as InvalidJobError | ResourceLimitError).message);
    }
    running.set(w, (running.get(w) ?? 0) + 1);
    total++;
    rebalance();
    try {
      log(`start ${cell.cellId}`);
      const text = (await pool.run(cell)) as string;
      log(`done ${cell.cellId}`);
      return text.slice(0, -1) + signature;
    } finally {
      running.set(w, (running.get(w) ?? 1) - 1);
      total--;
      rebalance();
    }
  };
  for (const r of routes) {
    const w: Worker = new Worker(r.queue, (job) => handle(w, job), {
      connection,
      concurrency,
      lockDuration: lockMs,
      stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
      maxStalledCount: 3,
    });
    w.on("error", (e) => log(`worker error on queue ${r.queue}: ${e.message}`));
    workers.push(w);
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  for (const r of routes.slice(1)) log(`listening on ${routeText(r)}`);
  log(
    `worker ready on queue ${base}${routes.length > 1 ? ` and ${routes.length - 1} plug-in queue${routes.length === 2 ? "" : "s"}` : ""} (concurrency ${concurrency}); worker id ${id}`,
  );
  return {
    id,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await pool.destroy();
      connection.disconnect();
    },
  };
}
