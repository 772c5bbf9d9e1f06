import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DistributedExecutor } from "./executors/distributed.js";
import type { Executor } from "./executors/executor.js";
import { InlineExecutor } from "./executors/inline.js";
import { ThreadsExecutor } from "./executors/threads.js";
import { runSweep } from "./runSweep.js";
import { expandSweep, parseSweepSpec } from "./spec.js";
import { readRecords } from "./store.js";
import { cli, startRedis, waitFor } from "./testing.js";

/*
 * The network experiments (autodiff, exact second order) give the same bytes inline and on worker
 * threads: the tape, its pooled buffers and the WebAssembly products are per thread and
 * deterministic; and on BullMQ worker processes (issue 25), whose records the submitter's audit
 * also recomputes in part. (Threads and workers run the built dist/: `npm run build` first.)
 */
const tmp = mkdtempSync(join(tmpdir(), "metarep-networks-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SPECS = {
  "finn-sinusoid": `
experiment: finn-sinusoid
size: smoke
seeds: 2
params: { iters: 8, meta_batch: 3, eval_tasks: 2, query_points: 8, test_steps: 2, record_every: 4, model_options: { widths: [6, 6], activation: tanh, init_std: 0.1 } }
`,
  "nonlinear-representation": `
experiment: nonlinear-representation
size: smoke
seeds: 2
params: { iters: 15, methods: [maml, anil, avg-gd] }
`,
};

function normalized(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of readRecords(dir))
    m.set(r.cellId, JSON.stringify({ ...r, startedAt: "", seconds: 0, command: "", worker: undefined }));
  return m;
}

async function sweepWith(executor: Executor, dir: string, spec: string) {
  try {
    return await runSweep({ sweep: expandSweep(parseSweepSpec(spec)), dir, executor, command: "test" });
  } finally {
    await executor.close();
  }
}

/** Each experiment's inline records, computed once for the tests that compare with them. */
const references = new Map<string, Promise<Map<string, string>>>();
function reference(id: string, spec: string): Promise<Map<string, string>> {
  let r = references.get(id);
  if (!r) {
    const inline = join(tmp, `${id}-inline`);
    r = sweepWith(new InlineExecutor(), inline, spec).then(() => normalized(inline));
    references.set(id, r);
  }
  return r;
}

describe.each(Object.entries(SPECS))("%s", (id, spec) => {
  test("inline and threads (2 workers) store byte-identical records apart from timings", async () => {
    const ref = await reference(id, spec);
    expect(ref.size).toBe(4); // 2 conditions × 2 seeds
    const threads = join(tmp, `${id}-threads`);
    await sweepWith(new ThreadsExecutor(2), threads, spec);
    expect(normalized(threads)).toEqual(ref);
  });
});

describe("on BullMQ", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test.each(Object.entries(SPECS))(
    "%s: two worker processes store the records of an inline run, byte for byte apart from timings, and the audit finds them identical",
    async (id, spec) => {
      const ref = await reference(id, spec);
      const q = `q-net-${id}`;
      const workers = [0, 1].map(() => {
        const w = cli(["worker", "--redis", redis.url, "--concurrency", "1", "--queue", q]);
        const log = { text: "" };
        w.proc.stderr?.on("data", (d) => {
          log.text += d;
        });
        return { ...w, log };
      });
      const dir = join(tmp, `${id}-bullmq`);
      const executor = new DistributedExecutor(redis.url, q);
      try {
        await waitFor(
          () => workers.every((w) => /worker ready/.test(w.log.text)),
          "both workers to be ready",
        );
        const summary = await sweepWith(executor, dir, spec);
        expect(summary.failures).toBe(0);
      } finally {
        for (const w of workers) w.proc.kill("SIGTERM");
        await Promise.all(workers.map((w) => w.done));
      }
      expect(normalized(dir)).toEqual(ref);
      // Every record names the worker process that made it.
      const ids = workers.map((w) => /worker id (\S+)/.exec(w.log.text)?.[1]);
      for (const r of readRecords(dir)) expect(ids).toContain(r.worker);
      expect(executor.audit?.refused).toEqual([]);
      expect(executor.audit?.recomputed).toBeGreaterThanOrEqual(1);
    },
  );
});
