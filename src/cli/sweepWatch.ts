import { Queue } from "bullmq";
import { mergeByGridPoint } from "../record/merge.js";
import { theoryRowsOf } from "../record/theory.js";
import { formatTable, summaryRows } from "../report/summaryTable.js";
import { connectRedis, redactUrl } from "../sweep/redis.js";
import { readRecords } from "../sweep/store.js";
import { theoryLines } from "./theoryLines.js";

/**
 * What `sweep` tells its user beyond the progress bar (issue 14, item 7): with `--redis`, how many
 * workers listen on the queue and, while cells are outstanding, a line every `everyMs` even when
 * nothing completes (so a sweep waiting for workers never waits silently); at the end, the
 * summary table of every grid point, as `run` prints it.
 */

export interface WorkerWatch {
  /** The latest progress, for the periodic line. */
  progress(done: number, total: number): void;
  stop(): Promise<void>;
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
  const count = async () => {
    try {
      return await queue.getWorkersCount();
    } catch {
      return null;
    }
  };
  const say = (n: number | null, state: string) => {
    const workers =
      n === null
        ? "workers: unknown"
        : n === 0
          ? `no worker is listening on ${where} (start one: metarep worker --redis ${redactUrl(url)}${queueName === "metarep-cells" ? "" : ` --queue ${queueName}`})`
          : `${n} worker${n === 1 ? "" : "s"} listening on ${where}`;
    log(`sweep: ${state}${workers}`);
  };
  let done = 0;
  let total = 0;
  say(await count(), "");
  const timer = setInterval(() => {
    if (total > 0 && done >= total) return;
    void count().then((n) => say(n, `${done}/${total} cells stored, waiting; `));
  }, everyMs);
  return {
    progress(d, t) {
      done = d;
      total = t;
    },
    async stop() {
      clearInterval(timer);
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
    const lines = [`== ${title} (${rec.seedIndices.length} seeds)`, formatTable(summaryRows(rec))];
    lines.push(...theoryLines(theoryRowsOf(rec)));
    parts.push(lines.join("\n"));
  }
  return parts.join("\n\n");
}
