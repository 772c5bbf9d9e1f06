import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunRecord } from "../record/types.js";
import { LOCK_FILE, storeLockHolder } from "./lock.js";
import { CLI, cli, startRedis, waitFor } from "./testing.js";

// Store integrity (issue 23 §5) not covered by lock.test.ts (SIGINT/SIGTERM, SIGKILL) and
// cli/doors.test.ts (files checked before the first cell, foreign records): the lock through the
// report, and the command each stored record names.

const tmp = mkdtempSync(join(tmpdir(), "metarep-integrity-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function records(dir: string): RunRecord[] {
  return readFileSync(join(dir, "records.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RunRecord);
}

/** The process's state letter from /proc (R, S, T for stopped, …), or null once it is gone. */
function procState(pid: number): string | null {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1] ?? null;
  } catch {
    return null;
  }
}

describe("the store's lock is held until the report and its figures are written", () => {
  test("stopped just before report.html is written (figures done), the lock names the sweep; after it, no lock", async () => {
    const spec = join(tmp, "report.yaml");
    writeFileSync(spec, "experiment: collins-convergence\nsize: smoke\nseeds: 2\nparams: { iters: 5 }\n");
    const dir = join(tmp, "report");
    // The test hook in report/storeReport.ts: the process stops itself (SIGSTOP) right before it
    // writes report.html, after every figure; the test looks at the store in that state.
    const proc = spawn(process.execPath, [CLI, "sweep", spec, "--out", dir, "--workers", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, METAREP_TEST_STOP_BEFORE_REPORT: "1" },
    });
    let err = "";
    proc.stderr.on("data", (d) => {
      err += d;
    });
    const done = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
    const pid = proc.pid as number;
    try {
      await waitFor(
        () => procState(pid) === "T" || proc.exitCode !== null,
        "the sweep to stop before its report",
      );
      expect(procState(pid)).toBe("T");
      const figures = readdirSync(join(dir, "figures"));
      expect(figures.some((f) => f.endsWith(".png"))).toBe(true);
      expect(existsSync(join(dir, "report.html"))).toBe(false);
      expect(records(dir)).toHaveLength(2);
      expect(storeLockHolder(dir)?.pid).toBe(pid);
    } finally {
      proc.kill("SIGCONT");
    }
    expect(await done).toBe(0);
    expect(err).not.toMatch(/metarep:|Error/);
    expect(existsSync(join(dir, "report.html"))).toBe(true);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});

describe("a record's command names the store that holds it", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("two stores of one spec filled from one queue: each store's records name its own command", async () => {
    const spec = join(tmp, "shared.yaml");
    writeFileSync(spec, "experiment: sweep-probe\nseeds: 3\nparams: { work: 1000 }\n");
    const worker = cli(["worker", "--redis", redis.url, "--concurrency", "1", "--queue", "q-shared"]);
    let log = "";
    worker.proc.stderr?.on("data", (d) => {
      log += d;
    });
    const [a, b] = [join(tmp, "store-a"), join(tmp, "store-b")];
    try {
      await waitFor(() => /worker ready/.test(log), "the worker to be ready");
      // The same cells (same ids) submitted by two stores to one queue, one after the other: the
      // second submitter is answered with the jobs the first one queued.
      for (const out of [a, b]) {
        const r = await cli([
          "sweep",
          spec,
          "--out",
          out,
          "--redis",
          redis.url,
          "--queue",
          "q-shared",
          "--no-report",
        ]).done;
        expect(r.code).toBe(0);
      }
    } finally {
      worker.proc.kill("SIGTERM");
      await worker.done;
    }
    for (const out of [a, b]) {
      const recs = records(out);
      expect(recs).toHaveLength(3);
      for (const r of recs) expect(r.command).toBe(`metarep sweep ${spec} --out ${out}`);
    }
    // The same numbers in both (every cell is bit-reproducible), only the command differs.
    const strip = (r: RunRecord) => JSON.stringify(r.result);
    expect(records(a).map(strip).sort()).toEqual(records(b).map(strip).sort());
  });
});
