import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expandSweep, parseSweepSpec } from "./spec.js";
import { cli, startRedis, waitFor } from "./testing.js";

/**
 * One validation at every door (issue 23, item 1): a job put on the queue by hand passes the same
 * memory guard as `run` and `sweep` (src/cli/doors.test.ts: a record edited by hand).
 */

describe("a queued job above the worker's own --max-memory", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("fails at once, without retries, naming the worker's limit; a job within it runs", async () => {
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const conn2 = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue("q-doors", { connection: conn });
    const events = new QueueEvents("q-doors", { connection: conn2 });
    await events.waitUntilReady();
    // Valid jobs in every other respect (known experiment, valid parameters, matching cell id):
    // one of 10¹² normal draws (8 TB by the estimate), one of 10.
    const cellOf = (work: number) =>
      [
        ...expandSweep(
          parseSweepSpec(`experiment: sweep-probe\nseeds: 1\nparams: { work: ${work} }\n`),
        ).cells(),
      ][0];
    const failed = new Map<string, string>();
    const completed = new Set<string>();
    events.on("failed", ({ jobId, failedReason }) => void failed.set(jobId, failedReason));
    events.on("completed", ({ jobId }) => void completed.add(jobId));
    await queue.add("big", cellOf(1e12), { jobId: "big", attempts: 3 });
    await queue.add("small", cellOf(10), { jobId: "small", attempts: 3 });
    const w = cli([
      "worker",
      "--redis",
      redis.url,
      "--concurrency",
      "1",
      "--queue",
      "q-doors",
      "--max-memory",
      "1G",
    ]);
    try {
      await waitFor(
        () => failed.has("big") && completed.has("small"),
        "the big job to fail and the small one to run",
      );
    } finally {
      w.proc.kill("SIGTERM");
      await w.done;
    }
    expect(failed.get("big")).toBe(
      `job big (sweep-probe): estimated memory 7.3 TB (160 MB for the process; 7.3 TB working memory per seed × 1 at once; 128 B of results per seed × 1) exceeds this worker's limit (--max-memory) of 1.0 GB; start a worker with --max-memory 8192G to run it.`,
    );
    expect((await queue.getJob("big"))?.attemptsMade).toBe(1);
    expect(await queue.getJobState("big")).toBe("failed");
    await events.close();
    await queue.close();
    conn.disconnect();
    conn2.disconnect();
  });

  test("the forged job of the issue (collins-convergence at d = 100000) fails at once under the worker's default limit, never retried", async () => {
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const conn2 = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue("q-doors-d", { connection: conn });
    const events = new QueueEvents("q-doors-d", { connection: conn2 });
    await events.waitUntilReady();
    // A valid job in every other respect: known experiment, valid parameters, its own cell id.
    const cell = expandSweep(
      parseSweepSpec("experiment: collins-convergence\nsize: smoke\nseeds: 1\nparams: { d: 100000 }\n"),
    )
      .cells()
      .next().value;
    const failed = new Map<string, string>();
    events.on("failed", ({ jobId, failedReason }) => void failed.set(jobId, failedReason));
    await queue.add("forged", cell, { jobId: "forged-d", attempts: 3 });
    const w = cli(["worker", "--redis", redis.url, "--concurrency", "1", "--queue", "q-doors-d"]);
    let log = "";
    w.proc.stderr?.on("data", (d) => {
      log += d;
    });
    try {
      await waitFor(() => failed.has("forged-d"), "the forged job to fail");
    } finally {
      w.proc.kill("SIGTERM");
      await w.done;
    }
    expect(failed.get("forged-d")).toMatch(
      /^job forged-d \(collins-convergence\): estimated memory [\d.]+ (GB|TB)( \([^)]*\))? exceeds this worker's limit \(--max-memory\) of 4\.0 GB; start a worker with --max-memory \d+G to run it\.$/,
    );
    expect((await queue.getJob("forged-d"))?.attemptsMade).toBe(1);
    expect(await queue.getJobState("forged-d")).toBe("failed");
    // Refused before it ran: the worker never started it.
    expect(log).not.toMatch(/ start collins-convergence/);
    expect(log).toMatch(/rejected job forged-d/);
    await events.close();
    await queue.close();
    conn.disconnect();
    conn2.disconnect();
  });
});
