import { Queue } from "bullmq";
import { mergeByGridPoint } from "../record/merge.js";
import type { PluginRef } from "../record/types.js";
import { verdictsOf } from "../record/verdicts.js";
import { verdictLines } from "../report/verdicts.js";
import { DEFAULT_QUEUE } from "../sweep/executors/distributed.js";
import { connectRedis, redactUrl } from "../sweep/redis.js";
import type { QueueRoute } from "../sweep/routing.js";
import { readRecords } from "../sweep/store.js";
import { printedTables, terminalWidth } from "./tables.js";

/**
 * What `sweep` tells its user beyond the progress bar (issue 14, item 7): with `--redis`, how many
 * workers listen on the queue and, while cells are outstanding, a line every `everyMs` even when
 * nothing completes (so a sweep waiting for workers never waits silently); at the end, the
 * summary table of every grid point, as `run` prints it. Cells using plug-ins wait on queues keyed
 * by their digests (issue 15, item 5; src/sweep/routing.ts): while no worker listens on such a
 * queue, a line names the plug-ins, the digests they need and the cells waiting — once when the
 * cells are queued, then every `everyMs`.
 */

export interface WorkerWatch {
  /** The latest progress, for the periodic line. */
  progress(done: number, total: number): void;
  /** The queues the cells went to (DistributedExecutor.onRoutes): watch the plug-in ones too. */
  routes(routes: readonly QueueRoute[]): void;
  stop(): Promise<void>;
}

/** `plug-in "a" (a.mjs, sha256 …)` or `plug-ins "a" (…) and "b" (…)`. */
function pluginsText(refs: readonly PluginRef[]): string {
  const each = refs.map((r) => `"${r.id}" (${r.file}, sha256 ${r.sha256})`);
  const list = each.length === 1 ? each[0] : `${each.slice(0, -1).join(", ")} and ${each.at(-1)}`;
  return `plug-in${refs.length === 1 ? "" : "s"} ${list}`;
}

/** Count the workers listening on `queue` at `url`, say it now and every `everyMs` until stopped. */
export async function watchWorkers(
  url: string,
  queueName: string,
  log: (line: string) => void,
  everyMs = 10_000,
): Promise<WorkerWatch> {
  const connection = await connectRedis(url);
  const queue = new Queue(queueName, { connection });
  const where = `queue ${queueName} at ${redactUrl(url)}`;
  const queueFlag = queueName === DEFAULT_QUEUE ? "" : ` --queue ${queueName}`;
  const count = async (q: Queue) => {
    try {
      return await q.getWorkersCount();
    } catch {
      return null;
    }
  };
  const say = (n: number | null, state: string) => {
    const workers =
      n === null
        ? "workers: unknown"
        : n === 0
          ? `no worker is listening on ${where} (start one: metarep worker --redis ${redactUrl(url)}${queueFlag})`
          : `${n} worker${n === 1 ? "" : "s"} listening on ${where}`;
    log(`sweep: ${state}${workers}`);
  };
  // The plug-in queues: while none of their workers listens, name what the waiting cells need.
  const routed: { queue: Queue; route: QueueRoute }[] = [];
  const sayRoutes = async () => {
    for (const { queue: q, route } of routed) {
      if ((await count(q)) !== 0) continue;
      let waiting: number;
      try {
        const c = await q.getJobCounts("waiting", "prioritized", "delayed");
        waiting = Object.values(c).reduce((a, b) => a + b, 0);
      } catch {
        continue;
      }
      if (waiting === 0) continue;
      log(
        `sweep: ${waiting} cell${waiting === 1 ? "" : "s"} waiting: no listening worker holds ${pluginsText(route.plugins)} (queue ${route.queue}; start one: metarep worker --redis ${redactUrl(url)}${queueFlag} ${route.plugins.map((p) => `--plugin ${p.file}`).join(" ")})`,
      );
    }
  };
  let done = 0;
  let total = 0;
  say(await count(queue), "");
  const timer = setInterval(() => {
    if (total > 0 && done >= total) return;
    void count(queue)
      .then((n) => say(n, `${done}/${total} cells stored, waiting; `))
      .then(sayRoutes);
  }, everyMs);
  return {
    progress(d, t) {
      done = d;
      total = t;
    },
    routes(rs) {
      for (const route of rs) {
        if (route.plugins.length === 0 || routed.some((r) => r.route.queue === route.queue)) continue;
        routed.push({ queue: new Queue(route.queue, { connection }), route });
      }
      void sayRoutes();
    },
    async stop() {
      clearInterval(timer);
      for (const r of routed) await r.queue.close();
      await queue.close();
      connection.disconnect();
    },
  };
}

/** The summary tables of a store: per grid point (in the order they were first stored). */
export function sweepSummary(dir: string): string {
  const merged = mergeByGridPoint(readRecords(dir));
  const parts: string[] = [];
  for (const rec of merged) {
    const title = rec.gridPoint ? `grid point ${rec.gridPoint}` : "all cells";
    const seeds = rec.seedIndices.length;
    const lines = [`== ${title} (${seeds} seed${seeds === 1 ? "" : "s"})`, printedTables(rec)];
    lines.push(
      ...verdictLines(
        verdictsOf(rec).map((v) => ({ ...v, experiment: rec.experiment })),
        terminalWidth(),
      ),
    );
    parts.push(lines.join("\n"));
  }
  return parts.join("\n\n");
}
