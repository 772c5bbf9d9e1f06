import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type LoadedPlugin, loadPlugin, sha256Of, unloadPlugins } from "../plugins/load.js";
import type { RunRecord } from "../record/types.js";
import { DistributedExecutor } from "./executors/distributed.js";
import type { Executor } from "./executors/executor.js";
import { InlineExecutor } from "./executors/inline.js";
import { ThreadsExecutor } from "./executors/threads.js";
import { queueFor } from "./routing.js";
import { runSweep } from "./runSweep.js";
import { expandSweep, parseSweepSpec } from "./spec.js";
import { readRecords } from "./store.js";
import { cli, startRedis, waitFor } from "./testing.js";

/*
 * Issue 15, item 5: a sweep using a plug-in on BullMQ. Jobs name plug-in ids and digests; a worker
 * receives only the jobs whose plug-ins it holds with the same bytes (routing.ts), rejects forged
 * ones at once, and `sweep` says what the waiting cells need while no worker holds it.
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-pluginqueue-"));
let n = 0;
const newDir = () => join(tmp, `s${n++}`);

/** A tiny estimator plug-in: the first k coordinate axes, whatever the data. */
const PLUGIN = `export default function (api) {
  return {
    id: "first-k",
    estimators: [
      {
        id: "first-k",
        name: "first k axes",
        fit(data, k) {
          const B = api.zeros(data.d, k);
          for (let i = 0; i < k; i++) B.data[i * k + i] = 1;
          return { B };
        },
      },
    ],
  };
}
`;
const good = join(tmp, "firstk.mjs");
// The same file name and id with other bytes: another digest.
const changed = join(tmp, "changed", "firstk.mjs");
const PARAMS =
  "{ methods: [mom, first-k], sweeps: [T], Ts: [20, 40], d: 8, k: 2, n1: 10, n2: 10, targets: 20 }";
/** 6 seeds = 6 cells (one per seed: its source stages share the seed's targets), each a few milliseconds. */
const SPEC = `experiment: du-excess-risk\nsize: smoke\nseeds: 6\nparams: ${PARAMS}\n`;

let plugin: LoadedPlugin;
let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  writeFileSync(good, PLUGIN);
  mkdirSync(join(tmp, "changed"));
  writeFileSync(changed, `${PLUGIN}// changed\n`);
  plugin = await loadPlugin(good);
  redis = await startRedis();
});
afterAll(async () => {
  unloadPlugins();
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Record bytes without what legitimately differs between runs: timings and the command. */
function normalized(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of readRecords(dir))
    m.set(r.cellId, JSON.stringify({ ...r, startedAt: "", seconds: 0, command: "", worker: undefined }));
  return m;
}

async function sweepWith(executor: Executor, dir: string) {
  try {
    return await runSweep({ sweep: expandSweep(parseSweepSpec(SPEC)), dir, executor, command: "test" });
  } finally {
    await executor.close();
  }
}

/** A `metarep worker` process whose stderr (its log) is collected as it comes. */
function worker(queue: string, plugins: string[]) {
  const w = cli([
    "worker",
    "--redis",
    redis.url,
    "--concurrency",
    "1",
    "--queue",
    queue,
    ...plugins.flatMap((p) => ["--plugin", p]),
  ]);
  const log = { text: "" };
  w.proc.stderr?.on("data", (d) => {
    log.text += d;
  });
  return { ...w, log };
}

const started = (log: string) => [...log.matchAll(/ start (\S+)/g)].map((m) => m[1]);

describe("plug-ins on BullMQ workers", () => {
  test("a sweep using a plug-in gives the same record bytes inline, on threads ×2 and on two --plugin workers; a worker without it and one with a changed file run none of its cells", async () => {
    const inline = newDir();
    await sweepWith(new InlineExecutor(), inline);
    const reference = normalized(inline);
    expect(reference.size).toBe(6);
    const ref = { id: "first-k", file: "firstk.mjs", sha256: sha256Of(readFileSync(good)) };
    // Each record names the plug-in (and keeps its entries' display names and colours).
    for (const r of readRecords(inline)) expect(r.plugins).toEqual([expect.objectContaining(ref)]);
    const threads = newDir();
    await sweepWith(new ThreadsExecutor(2), threads);
    expect(normalized(threads)).toEqual(reference);

    const q = "q-plugin";
    const workers = [worker(q, [good]), worker(q, [good]), worker(q, []), worker(q, [changed])];
    const [goodA, goodB, plain, other] = workers;
    try {
      // Every worker listens before the cells are queued: the mismatched ones could take them now.
      await waitFor(() => workers.every((w) => /worker ready/.test(w.log.text)), "four workers to be ready");
      expect(other.log.text).toContain(`sha256 ${sha256Of(readFileSync(changed))}`);
      expect(plain.log.text).toMatch(/worker ready on queue q-plugin \(concurrency 1\)/);
      const dir = newDir();
      const summary = await sweepWith(new DistributedExecutor(redis.url, q), dir);
      expect(summary.failures).toBe(0);
      expect(normalized(dir)).toEqual(reference);
      // Every cell exactly once.
      const ids = readFileSync(join(dir, "records.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as RunRecord).cellId);
      expect(ids.sort()).toEqual([...reference.keys()].sort());
    } finally {
      for (const w of workers) w.proc.kill("SIGTERM");
      await Promise.all(workers.map((w) => w.done));
    }
    // The two workers holding the file ran every cell; the others none.
    expect([...started(goodA.log.text), ...started(goodB.log.text)].sort()).toEqual(
      [...reference.keys()].sort(),
    );
    expect(started(plain.log.text)).toEqual([]);
    expect(started(other.log.text)).toEqual([]);
    expect(plain.log.text + other.log.text).not.toMatch(/rejected job/);
  });

  test("with only a worker holding a changed file listening, sweep names the plug-in, the digest it needs and the cells waiting; a worker holding the file then finishes it", async () => {
    const q = "q-plugin-wait";
    const specPath = join(tmp, "wait.yaml");
    // The spec names its plug-in (relative to the spec), as a user's would.
    writeFileSync(specPath, `${SPEC}plugins: [firstk.mjs]\n`);
    const other = worker(q, [changed]);
    let goodW: ReturnType<typeof worker> | null = null;
    try {
      await waitFor(() => /worker ready/.test(other.log.text), "the mismatched worker to be ready");
      const dir = newDir();
      const sweep = cli(["sweep", specPath, "--out", dir, "--redis", redis.url, "--queue", q, "--no-report"]);
      let err = "";
      sweep.proc.stderr?.on("data", (d) => {
        err += d;
      });
      const line = `sweep: 6 cells waiting: no listening worker holds plug-in "first-k" (firstk.mjs, sha256 ${plugin.sha256}) (queue ${queueFor(q, [plugin])}; start one: metarep worker --redis ${redis.url} --queue ${q} --plugin firstk.mjs)`;
      await waitFor(() => err.includes(line), "the line naming the plug-in and its digest");
      expect(err).toContain(`sweep: 1 worker listening on queue ${q}`);
      goodW = worker(q, [good]);
      const res = await sweep.done;
      expect(res.code).toBe(0);
      expect(res.out).toMatch(/6\/6 cells stored .*executor distributed/);
      const inline = newDir();
      await sweepWith(new InlineExecutor(), inline);
      expect(normalized(dir)).toEqual(normalized(inline));
    } finally {
      other.proc.kill("SIGTERM");
      goodW?.proc.kill("SIGTERM");
      await Promise.all([other.done, goodW?.done]);
    }
    expect(started(other.log.text)).toEqual([]);
    expect(started(goodW.log.text)).toHaveLength(6);
  });

  test("forged jobs — an unknown plug-in, or a digest the worker does not hold put on its own queue — fail at once without retries", async () => {
    const q = "q-plugin-forged";
    const cell = expandSweep(parseSweepSpec(SPEC)).cells().next().value!;
    const otherSha = sha256Of(readFileSync(changed));
    const jobs = [
      { queue: q, data: { ...cell, plugins: [{ id: "ghost", file: "ghost.mjs", sha256: "0".repeat(64) }] } },
      {
        queue: queueFor(q, [plugin]),
        data: { ...cell, plugins: [{ id: "first-k", file: "firstk.mjs", sha256: otherSha }] },
      },
    ];
    const conns: Redis[] = [];
    const open = jobs.map(({ queue }) => {
      const a = new Redis(redis.url, { maxRetriesPerRequest: null });
      const b = new Redis(redis.url, { maxRetriesPerRequest: null });
      conns.push(a, b);
      return {
        queue: new Queue(queue, { connection: a }),
        events: new QueueEvents(queue, { connection: b }),
      };
    });
    const failed = new Map<string, string>();
    for (const { events } of open) {
      await events.waitUntilReady();
      events.on("failed", ({ jobId, failedReason }) => {
        failed.set(jobId, failedReason);
      });
    }
    for (const [i, { data }] of jobs.entries())
      await open[i].queue.add("forged", data, { jobId: `forged-${i}`, attempts: 3 });
    const w = worker(q, [good]);
    try {
      await waitFor(() => failed.size === jobs.length, "the two jobs to fail");
    } finally {
      w.proc.kill("SIGTERM");
      await w.done;
    }
    expect(failed.get("forged-0")).toBe(
      `invalid job: the job uses plug-in "ghost" (ghost.mjs, sha256 ${"0".repeat(64)}); load it with --plugin ghost.mjs.`,
    );
    expect(failed.get("forged-1")).toBe(
      `invalid job: plug-in "first-k" differs from the one the job was made with: firstk.mjs has sha256 ${plugin.sha256}; the job needs sha256 ${otherSha}.`,
    );
    for (const [i, { queue }] of open.entries()) {
      const job = await queue.getJob(`forged-${i}`);
      expect(job?.attemptsMade).toBe(1);
      expect(await job?.getState()).toBe("failed");
    }
    expect(started(w.log.text)).toEqual([]);
    for (const { queue, events } of open) {
      await events.close();
      await queue.close();
    }
    for (const c of conns) c.disconnect();
  });
});
