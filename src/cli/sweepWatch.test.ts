import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cli, startRedis, waitFor } from "../sweep/testing.js";
import { runCli } from "./testing.js";

/** What `sweep` prints (issue 14, item 7): the summary at the end; workers and waiting with --redis. */

const tmp = mkdtempSync(join(tmpdir(), "metarep-sweepwatch-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SPEC = `experiment: collins-convergence
size: smoke
seeds: 2
params: { iters: 60 }
grid: { alpha: [0.25, 0.5] }
`;

describe("sweep output", () => {
  test("ends with the summary table of every grid point, as run prints it", async () => {
    const spec = join(tmp, "spec.yaml");
    writeFileSync(spec, SPEC);
    const r = await runCli("sweep", spec, "--out", join(tmp, "store"), "--workers", "0", "--no-report");
    expect(r.code).toBe(0);
    for (const point of ["alpha=0.25", "alpha=0.5"]) {
      const at = r.out.indexOf(`== grid point ${point} (2 seeds)`);
      expect(at).toBeGreaterThan(-1);
      const table = r.out.slice(at).split("\n");
      expect(table[1]).toMatch(
        /^method\s+median iters to dist < 1e-3\s+median iters to dist < 1e-6\s+final dist\s+status\s+seeds$/,
      );
      expect(table.slice(3, 8).map((l) => l.split(/\s+/)[0])).toEqual([
        "anil",
        "fo-anil",
        "maml",
        "fo-maml",
        "avg-gd",
      ]);
    }
    expect(r.out).toMatch(/\n4\/4 cells stored in .* \(0 already there, executor inline\)\.\n$/);
  });

  describe("with --redis", () => {
    let redis: Awaited<ReturnType<typeof startRedis>>;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    test("says no worker is listening, keeps saying so while it waits, and finishes once a worker comes", async () => {
      const spec = join(tmp, "probe.yaml");
      writeFileSync(spec, "experiment: sweep-probe\nseeds: 2\n");
      const sweep = cli([
        "sweep",
        spec,
        "--out",
        join(tmp, "redis-store"),
        "--redis",
        redis.url,
        "--no-report",
      ]);
      let err = "";
      sweep.proc.stderr?.on("data", (d) => {
        err += d;
      });
      await waitFor(
        () => err.includes("sweep: no worker is listening on queue metarep-cells"),
        "the first line",
      );
      expect(err).toContain(`(start one: metarep worker --redis ${redis.url})`);
      // Nothing completes while no worker runs; the sweep still says where it stands.
      await waitFor(
        () => /sweep: 0\/2 cells stored, waiting; no worker is listening/.test(err),
        "a waiting line",
        30_000,
      );
      const worker = cli(["worker", "--redis", redis.url, "--concurrency", "1"]);
      const res = await sweep.done;
      worker.proc.kill("SIGTERM");
      await worker.done;
      expect(res.code).toBe(0);
      expect(res.out).toMatch(/2\/2 cells stored .*executor distributed/);
    });
  });
});
