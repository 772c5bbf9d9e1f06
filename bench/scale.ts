/**
 * Bench suite "scale": how far a paper-size experiment spreads once its conditions are cells.
 * `li-multitask-cnn --size paper` is 10 conditions × 3 seeds = 30 cells: timed on 1 and 2 worker
 * threads (goal ≥ 1.8× on 2 cores), then on BullMQ with 4 worker processes on this machine
 * (how many cells ran at once, from the workers' start/done lines). The whole `metarep reproduce`
 * is the suite "reproduce" (bench/reproduce.ts).
 * No NumPy counterpart: the ratios are between executors.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DistributedExecutor } from "../src/sweep/executors/distributed.js";
import type { Executor } from "../src/sweep/executors/executor.js";
import { ThreadsExecutor } from "../src/sweep/executors/threads.js";
import { runSweep } from "../src/sweep/runSweep.js";
import { expandSweep, parseSweepSpec } from "../src/sweep/spec.js";
import { cli, startRedis, waitFor } from "../src/sweep/testing.js";
import type { BenchOptions } from "./common.js";

const LI_PAPER = "experiment: li-multitask-cnn\nsize: paper\nseeds: 3\n";

async function timeSweep(spec: string, executor: Executor): Promise<{ seconds: number; cells: number }> {
  const dir = mkdtempSync(join(tmpdir(), "metarep-scale-"));
  try {
    const sweep = expandSweep(parseSweepSpec(spec));
    const t0 = performance.now();
    const s = await runSweep({ sweep, dir, executor, command: "bench" });
    if (s.failures > 0) throw new Error(`${s.failures} cells failed`);
    return { seconds: (performance.now() - t0) / 1000, cells: sweep.cellCount };
  } finally {
    await executor.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The most cells running at once, from workers' `start <id>` / `done <id>` lines in time order. */
function maxConcurrent(events: { t: number; delta: number }[]): number {
  let now = 0;
  let most = 0;
  for (const e of [...events].sort((a, b) => a.t - b.t || a.delta - b.delta)) {
    now += e.delta;
    most = Math.max(most, now);
  }
  return most;
}

export async function benchScale({ only }: BenchOptions): Promise<void> {
  const want = (name: string) => only.length === 0 || only.some((o) => name.includes(o));
  console.log("case | seconds | cells | note");
  if (want("li-threads")) {
    const one = await timeSweep(LI_PAPER, new ThreadsExecutor(1));
    const two = await timeSweep(LI_PAPER, new ThreadsExecutor(2));
    console.log(`li-multitask-cnn paper, threads ×1 | ${one.seconds.toFixed(1)} | ${one.cells} |`);
    console.log(
      `li-multitask-cnn paper, threads ×2 | ${two.seconds.toFixed(1)} | ${two.cells} | speed-up ${(one.seconds / two.seconds).toFixed(2)}× (goal ≥ 1.8×)`,
    );
  }
  if (want("li-bullmq")) {
    const redis = await startRedis();
    const events: { t: number; delta: number }[] = [];
    const logs: string[] = [];
    const workers = [0, 1, 2, 3].map((i) => {
      const w = cli(["worker", "--redis", redis.url, "--concurrency", "1", "--queue", "scale"]);
      logs[i] = "";
      w.proc.stderr?.on("data", (d: Buffer) => {
        logs[i] += d;
        for (const line of String(d).split("\n")) {
          if (/\bstart li-multitask-cnn/.test(line)) events.push({ t: performance.now(), delta: 1 });
          if (/\bdone li-multitask-cnn/.test(line)) events.push({ t: performance.now(), delta: -1 });
        }
      });
      return w;
    });
    try {
      await waitFor(() => logs.every((l) => /worker ready/.test(l)), "4 workers to be ready");
      const t = await timeSweep(LI_PAPER, new DistributedExecutor(redis.url, "scale"));
      console.log(
        `li-multitask-cnn paper, BullMQ, 4 worker processes (concurrency 1 each) | ${t.seconds.toFixed(1)} | ${t.cells} | at most ${maxConcurrent(events)} cells at once (${events.filter((e) => e.delta > 0).length} starts)`,
      );
    } finally {
      for (const w of workers) w.proc.kill("SIGTERM");
      await Promise.all(workers.map((w) => w.done));
      await redis.stop();
    }
  }
}
