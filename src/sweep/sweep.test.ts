import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunRecord } from "../record/types.js";
import { validateCell } from "./cell.js";
import { DistributedExecutor } from "./executors/distributed.js";
import type { Executor } from "./executors/executor.js";
import { InlineExecutor } from "./executors/inline.js";
import { ThreadsExecutor } from "./executors/threads.js";
import { runSweep } from "./runSweep.js";
import { expandSweep, parseSweepSpec, SpecError } from "./spec.js";
import { readFailures, readRecords } from "./store.js";
import { cli, startRedis, waitFor } from "./testing.js";

const tmp = mkdtempSync(join(tmpdir(), "metarep-sweep-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(tmp, `s${n++}`);

/** Record bytes without what legitimately differs between runs: timings and the command. */
function normalized(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of readRecords(dir))
    m.set(r.cellId, JSON.stringify({ ...r, startedAt: "", seconds: 0, command: "", worker: undefined }));
  return m;
}

// A grid (alpha, n) over an experiment with its own condition axis (w0s): cells are
// grid points × conditions × seeds.
const FINITE_SPEC = `
experiment: collins-head-init
size: smoke
seeds: 2
params: { iters: 40, m_in: 10, m_out: 10, sigma: 0.5, d: 12, w0s: [0, 1] }
grid:
  alpha: [0.25, 0.5]
  n: { logRange: [4, 16], steps: 2, integer: true }
`;

describe("sweep specs", () => {
  const bad: [string, string, RegExp][] = [
    [
      "an unknown experiment",
      "experiment: nope\nseeds: 1\n",
      /unknown experiment "nope"; known: collins-convergence/,
    ],
    [
      "an unknown parameter",
      "experiment: collins-convergence\nseeds: 1\ngrid: { gamma: [1] }\n",
      /unknown parameter "gamma"; known: d, k/,
    ],
    [
      "a wrong type in the grid",
      "experiment: collins-convergence\nseeds: 1\ngrid: { alpha: [0.5, fast] }\n",
      /grid point alpha="fast": "alpha" must be a number; got "fast"/,
    ],
    [
      "an empty grid axis",
      "experiment: collins-convergence\nseeds: 1\ngrid: { alpha: [] }\n",
      /"grid.alpha"/,
    ],
    ["zero seeds", "experiment: collins-convergence\nseeds: 0\n", /"seeds" must be ≥ 1; got 0/],
    ["a negative seed count", "experiment: collins-convergence\nseeds: -2\n", /"seeds" must be ≥ 1; got -2/],
    ["missing seeds", "experiment: collins-convergence\n", /"seeds"/],
    ["malformed YAML", "experiment: collins-convergence\nseeds: [1, 2\n", /malformed YAML at line \d+/],
    [
      "a value outside its constraint",
      "experiment: collins-convergence\nseeds: 1\nparams: { alpha: -1 }\n",
      /"alpha" must be > 0; got -1/,
    ],
    [
      "an unknown top-level field",
      "experiment: collins-convergence\nseeds: 1\nworkers: 3\n",
      /unknown parameter "workers"/,
    ],
  ];
  test.each(bad)("%s is one clear line naming the field", (_name, text, message) => {
    let err: Error | null = null;
    try {
      expandSweep(parseSweepSpec(text, "spec.yaml"));
    } catch (e) {
      err = e as Error;
    }
    expect(err).not.toBeNull();
    expect(err!.message).toMatch(message);
    expect(err!.message.split("\n")).toHaveLength(1);
  });

  test("a YAML alias bomb is refused as one line (a SpecError, which the CLI prints without a stack)", () => {
    const rows = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [i, c] of [..."bcdefg"].entries()) {
      const prev = "abcdefg"[i];
      rows.push(`${c}: &${c} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const text = `${rows.join("\n")}\nexperiment: sweep-probe\nseeds: 1\n`;
    let err: unknown = null;
    try {
      parseSweepSpec(text, "bomb.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect((err as Error).message).toBe(
      `bomb.yaml: YAML aliases expand too far (over the yaml library's limit of 100, counted as alias uses × the size of what they repeat: an "alias bomb"); write the values out, or use fewer aliases.`,
    );
  });

  test("grids expand to the cartesian product; keys depend on the grid point and seed index only", () => {
    const a = expandSweep(parseSweepSpec(FINITE_SPEC));
    expect([...a.points()].map((p) => p.gridPoint)).toEqual([
      "alpha=0.25,n=4",
      "alpha=0.25,n=16",
      "alpha=0.5,n=4",
      "alpha=0.5,n=16",
    ]);
    expect([...a.cells()]).toHaveLength(16);
    expect(a.cellCount).toBe(16);
    // Adding a grid value and a seed leaves every existing cell id (hence key and record) unchanged.
    const b = expandSweep(
      parseSweepSpec(
        FINITE_SPEC.replace("alpha: [0.25, 0.5]", "alpha: [0.25, 0.5, 1]").replace("seeds: 2", "seeds: 3"),
      ),
    );
    const ids = new Set([...b.cells()].map((c) => c.cellId));
    for (const c of a.cells()) expect(ids.has(c.cellId)).toBe(true);
    expect([...b.cells()]).toHaveLength(36);
    expect(b.cellCount).toBe(36);
  });
});

async function sweepWith(executor: Executor, dir: string, spec = FINITE_SPEC) {
  try {
    return await runSweep({ sweep: expandSweep(parseSweepSpec(spec)), dir, executor, command: "test" });
  } finally {
    await executor.close();
  }
}

describe("executors give the same records", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("inline, threads (1 and 2 workers) and BullMQ with two worker processes: byte-identical records apart from timings", async () => {
    const inline = newDir();
    await sweepWith(new InlineExecutor(), inline);
    const reference = normalized(inline);
    expect(reference.size).toBe(16);
    for (const workers of [1, 2]) {
      const dir = newDir();
      await sweepWith(new ThreadsExecutor(workers), dir);
      expect(normalized(dir)).toEqual(reference);
    }
    const workers = [0, 1].map(() =>
      cli(["worker", "--redis", redis.url, "--concurrency", "1", "--queue", "q-identical"]),
    );
    try {
      const logs = workers.map(() => ({ text: "" }));
      for (const [i, w] of workers.entries()) {
        w.proc.stderr?.on("data", (d) => {
          logs[i].text += d;
        });
      }
      // Both workers must be listening before cells are queued, or the first could take them all.
      await waitFor(() => logs.every((l) => /worker ready/.test(l.text)), "both workers to be ready");
      const dir = newDir();
      const summary = await sweepWith(new DistributedExecutor(redis.url, "q-identical"), dir);
      expect(summary.failures).toBe(0);
      expect(normalized(dir)).toEqual(reference);
    } finally {
      for (const w of workers) w.proc.kill("SIGTERM");
      await Promise.all(workers.map((w) => w.done));
    }
    const logs = await Promise.all(workers.map((w) => w.done));
    // Both worker processes took part.
    for (const l of logs) expect(l.err).toMatch(/done collins-head-init/);
  });

  test("a worker killed in the middle of a job: the job is retried by another worker; every cell exactly once", async () => {
    const spec = "experiment: sweep-probe\nseeds: 4\nparams: { work: 20000000 }\n";
    const a = cli([
      "worker",
      "--redis",
      redis.url,
      "--concurrency",
      "1",
      "--queue",
      "q-kill",
      "--lock-ms",
      "1000",
    ]);
    const dir = newDir();
    const sweeping = sweepWith(new DistributedExecutor(redis.url, "q-kill"), dir, spec);
    let errA = "";
    a.proc.stderr?.on("data", (d) => {
      errA += d;
    });
    await waitFor(() => /start sweep-probe/.test(errA), "worker A to start a cell");
    a.proc.kill("SIGKILL");
    await a.done;
    const b = cli([
      "worker",
      "--redis",
      redis.url,
      "--concurrency",
      "2",
      "--queue",
      "q-kill",
      "--lock-ms",
      "1000",
    ]);
    try {
      const summary = await sweeping;
      expect(summary.failures).toBe(0);
    } finally {
      b.proc.kill("SIGTERM");
    }
    const logB = (await b.done).err;
    const killedCell = /start (sweep-probe\S+)/.exec(errA)![1];
    expect(logB).toContain(`done ${killedCell}`); // B re-ran the job A was killed in
    const lines = readFileSync(join(dir, "records.jsonl"), "utf8").trim().split("\n");
    const ids = lines.map((l) => (JSON.parse(l) as RunRecord).cellId);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    const inline = newDir();
    await sweepWith(new InlineExecutor(), inline, spec);
    expect(normalized(dir)).toEqual(normalized(inline));
  });

  test("the worker rejects hand-crafted jobs (unknown experiment, invalid params, forged id) without retrying them", async () => {
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue("q-bad", { connection: conn });
    const conn2 = new Redis(redis.url, { maxRetriesPerRequest: null });
    const events = new QueueEvents("q-bad", { connection: conn2 });
    await events.waitUntilReady();
    const good = expandSweep(parseSweepSpec("experiment: sweep-probe\nseeds: 1\n")).cells().next().value!;
    const jobs = [
      { ...good, experiment: "rm-rf" },
      { ...good, params: { ...good.params, work: -5 } },
      { ...good, params: { ...good.params, code: "process.exit()" } },
      { ...good, cellId: "sweep-probe:forged:0:0" },
    ];
    const failed = new Map<string, string>();
    events.on("failed", ({ jobId, failedReason }) => {
      failed.set(jobId, failedReason);
    });
    for (const [i, data] of jobs.entries()) await queue.add("bad", data, { jobId: `bad-${i}`, attempts: 3 });
    const w = cli(["worker", "--redis", redis.url, "--concurrency", "1", "--queue", "q-bad"]);
    try {
      await waitFor(() => failed.size === jobs.length, "the four jobs to fail");
    } finally {
      w.proc.kill("SIGTERM");
      await w.done;
    }
    expect(failed.get("bad-0")).toMatch(/invalid job: unknown experiment "rm-rf"/);
    expect(failed.get("bad-1")).toMatch(/invalid job: .*"work" must be ≥ 0; got -5/);
    expect(failed.get("bad-2")).toMatch(/invalid job: .*unknown parameter "code"/);
    expect(failed.get("bad-3")).toMatch(/invalid job: "cellId" does not match/);
    for (let i = 0; i < jobs.length; i++) expect((await queue.getJob(`bad-${i}`))?.attemptsMade).toBe(1);
    await events.close();
    await queue.close();
    conn.disconnect();
    conn2.disconnect();
  });

  test("an unreachable Redis is a clear error, and nothing is written", async () => {
    const dir = newDir();
    const specPath = join(tmp, "spec-unreachable.yaml");
    writeFileSync(specPath, "experiment: sweep-probe\nseeds: 1\n");
    const res = await cli(["sweep", specPath, "--out", dir, "--redis", "redis://127.0.0.1:1"]).done;
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/);
    expect(existsSync(dir)).toBe(false);
  });
});

describe("resuming and failures", () => {
  const spec = `experiment: collins-convergence\nsize: smoke\nseeds: 6\nparams: { iters: 150, m_in: 20, m_out: 20, d: 60, k: 4, n: 40 }\ngrid: { alpha: [0.25, 0.5] }\n`;

  test("kill -9 a threads sweep midway, re-run: every cell exactly once, results identical to an uninterrupted run", async () => {
    const specPath = join(tmp, "spec-kill.yaml");
    writeFileSync(specPath, spec);
    const dir = newDir();
    const first = cli(["sweep", specPath, "--out", dir, "--workers", "2", "--no-report"]);
    const recs = join(dir, "records.jsonl");
    await waitFor(
      () => existsSync(recs) && readFileSync(recs, "utf8").split("\n").length > 3,
      "a few records",
    );
    first.proc.kill("SIGKILL");
    await first.done;
    const before = readRecords(dir).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(12);
    // A crash can also cut a line short: the next run must drop it, not choke on it.
    appendFileSync(recs, '{"cellId":"collins-convergence:half');
    const second = await cli(["sweep", specPath, "--out", dir, "--workers", "2", "--no-report"]).done;
    expect(second.code).toBe(0);
    expect(second.out).toMatch(new RegExp(`12/12 cells stored .*\\(${before} already there`));
    const ids = readFileSync(recs, "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as RunRecord).cellId);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    const clean = newDir();
    await sweepWith(new ThreadsExecutor(2), clean, spec);
    expect(normalized(dir)).toEqual(normalized(clean));
  });

  test("a cell that throws is recorded as failed; the sweep goes on and exits non-zero with a summary", async () => {
    const specPath = join(tmp, "spec-fail.yaml");
    writeFileSync(specPath, "experiment: sweep-probe\nseeds: 4\nparams: { fail_seed: 2, work: 1000 }\n");
    const dir = newDir();
    const res = await cli(["sweep", specPath, "--out", dir, "--workers", "2"]).done;
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/failed: sweep-probe:\S+:0:2 .*fails on purpose/);
    expect(res.err).toMatch(/1 of 4 cells failed/);
    expect(
      readRecords(dir)
        .map((r) => r.seedIndices[0])
        .sort(),
    ).toEqual([0, 1, 3]);
    const failures = readFailures(dir);
    expect(failures).toHaveLength(1);
    expect(failures[0].seedIndex).toBe(2);
    expect(failures[0].error).toMatch(/fails on purpose/);
    expect(readFileSync(join(dir, "report.html"), "utf8")).toMatch(/1 failed cells/);
  });

  test("a job is validated: shape, experiment, params and id", () => {
    const good = expandSweep(parseSweepSpec("experiment: sweep-probe\nseeds: 1\n")).cells().next().value!;
    expect(validateCell(good).cellId).toBe(good.cellId);
    expect(() => validateCell({ ...good, seedIndex: "0" })).toThrow(/invalid job: "seedIndex"/);
  });
});

describe("export, report and schema commands", () => {
  test("export --parquet writes metrics and curves that DuckDB reads back with the stored values", async () => {
    const dir = newDir();
    await sweepWith(
      new InlineExecutor(),
      dir,
      "experiment: collins-convergence\nsize: smoke\nseeds: 2\nparams: { iters: 30 }\ngrid: { alpha: [0.25, 0.5] }\n",
    );
    const res = await cli(["export", dir, "--parquet"]).done;
    expect(res.code).toBe(0);
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    const m = (
      await con.runAndReadAll(
        `SELECT count(*) AS n, count(DISTINCT cell_id) AS cells FROM '${join(dir, "metrics.parquet")}'`,
      )
    ).getRowObjectsJS()[0];
    // 4 cells × 5 methods × 3 metrics (firstBelow1e-3, firstBelow1e-6, final).
    expect(Number(m.n)).toBe(60);
    expect(Number(m.cells)).toBe(4);
    const c = (
      await con.runAndReadAll(
        `SELECT y FROM '${join(dir, "curves.parquet")}' WHERE labels LIKE '%avg-gd%' ORDER BY cell_id LIMIT 1`,
      )
    ).getRowObjectsJS()[0];
    const first = readRecords(dir).sort((a, b) => (a.cellId < b.cellId ? -1 : 1))[0];
    const stored = first.result.seeds[0].curves.find((cv) => cv.labels.method === "avg-gd")!.y;
    expect((c.y as number[]).map(Number)).toEqual(stored);
    con.closeSync();
    db.closeSync();
  });

  test("report writes one HTML page with figures, medians and the command behind every number", async () => {
    const dir = newDir();
    await sweepWith(
      new InlineExecutor(),
      dir,
      "experiment: collins-diversity\nsize: smoke\nseeds: 2\nparams: { iters: 150, mus: [1] }\n",
    );
    const res = await cli(["report", dir]).done;
    expect(res.code).toBe(0);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toMatch(/<img src="figures\/rate\.png"/);
    expect(existsSync(join(dir, "figures", "rate.png"))).toBe(true);
    // The claims tested here, with their verdicts (this grid point has µ = 1 only: the others are not run).
    expect(html).toMatch(/Claims tested here/);
    expect(html).toMatch(/collins-diversity\/rate-mu-1/);
    expect(html).toMatch(/v-not-run/);
    expect(html).toMatch(/Every number above: <code>test<\/code> — seed 0, seed indices 0–1/);
  });

  test("schema sweep prints a JSON Schema that names the spec's fields", async () => {
    const res = await cli(["schema", "sweep"]).done;
    expect(res.code).toBe(0);
    const schema = JSON.parse(res.out);
    expect(Object.keys(schema.properties)).toEqual([
      "experiment",
      "size",
      "seeds",
      "seed",
      "params",
      "grid",
      "plugins",
    ]);
    expect(schema.required).toEqual(["experiment", "seeds"]);
  });
});
