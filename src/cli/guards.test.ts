import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { cli, REPO } from "../sweep/testing.js";
import { parseMemorySize } from "./guards.js";
import { runCli } from "./testing.js";

/**
 * Resource guards (issue 14, item 3): over a limit is refused before anything is allocated, with
 * the estimate and the flag that overrides it; the override lets a small-but-over-limit run go.
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-guards-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MAIN = join(REPO, "dist", "src", "cli", "main.js");

/** Run the CLI in a fresh Node process and report its peak resident memory (KB → MB). */
function runMeasured(args: string[]): Promise<{ code: number; err: string; peakMb: number }> {
  const script = `
    const { main } = await import(${JSON.stringify(MAIN)});
    const code = await main(${JSON.stringify(args)});
    process.stdout.write(JSON.stringify({ code, maxRssKb: process.resourceUsage().maxRSS }));
    process.exit(0);
  `;
  return new Promise((res) => {
    const p = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: tmp,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("exit", () => {
      const r = JSON.parse(out) as { code: number; maxRssKb: number };
      res({ code: r.code, err, peakMb: r.maxRssKb / 1024 });
    });
  });
}

const spec = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe("refused before allocating: the estimate, the limit and the override flag; peak RSS below 300 MB", () => {
  const cases: [string, () => string[], RegExp][] = [
    [
      "a sweep grid of 4 axes × 1000 steps × 1000 seeds (10¹⁵ cells)",
      () => [
        "sweep",
        spec(
          "huge.yaml",
          "experiment: collins-convergence\nseeds: 1000\ngrid:\n  alpha: { range: [0.1, 1], steps: 1000 }\n  beta: { range: [0.1, 1], steps: 1000 }\n  mu: { range: [0.1, 1], steps: 1000 }\n  sigma: { range: [0, 1], steps: 1000 }\n",
        ),
        "--out",
        join(tmp, "never-1"),
      ],
      /sweep .*huge\.yaml: 1\.0e\+15 cells exceed what one store can hold \(16,777,216: a store indexes its cells' ids in one Set, which V8 caps at 2²⁴ entries\); split the grid into several sweeps of at most 16,777,216 cells, each with its own --out\./,
    ],
    [
      "the same 10¹⁵ cells with --max-cells 1000000000000000: refused for the same reason, not run out of memory",
      () => [
        "sweep",
        spec(
          "huge2.yaml",
          "experiment: collins-convergence\nseeds: 1000\ngrid:\n  alpha: { range: [0.1, 1], steps: 1000 }\n  beta: { range: [0.1, 1], steps: 1000 }\n  mu: { range: [0.1, 1], steps: 1000 }\n  sigma: { range: [0, 1], steps: 1000 }\n",
        ),
        "--max-cells",
        "1000000000000000",
        "--out",
        join(tmp, "never-1b"),
      ],
      /sweep .*huge2\.yaml: 1\.0e\+15 cells exceed what one store can hold \(16,777,216/,
    ],
    [
      "10⁷ cells under --max-cells 10⁷: the store's index of their ids counts in the memory estimate",
      () => [
        "sweep",
        spec("tenmillion.yaml", "experiment: sweep-probe\nseeds: 10000000\n"),
        "--max-cells",
        "10000000",
        "--max-memory",
        "1G",
        "--out",
        join(tmp, "never-1c"),
      ],
      /sweep .*tenmillion\.yaml: estimated memory 1\.[67] GB \(160 MB for the process; .*; 1\.5 GB to index 10,000,000 cells\) exceeds the limit of 1\.0 GB; pass --max-memory 2G to run it anyway\./,
    ],
    [
      "a sweep of 10⁹ seeds",
      () => [
        "sweep",
        spec("seeds.yaml", "experiment: sweep-probe\nseeds: 1000000000\n"),
        "--out",
        join(tmp, "never-2"),
      ],
      /1,000,000,000 cells exceed what one store can hold/,
    ],
    [
      "a sweep of 10⁶ seeds",
      () => [
        "sweep",
        spec("million.yaml", "experiment: sweep-probe\nseeds: 1000000\n"),
        "--out",
        join(tmp, "never-2b"),
      ],
      /1,000,000 cells exceed the limit of 100,000; pass --max-cells 1000000 to run them anyway\./,
    ],
    [
      "run --seeds 100000000000",
      () => ["run", "collins-convergence", "--seeds", "100000000000", "--out", join(tmp, "never-3")],
      /run collins-convergence: 100,000,000,000 cells exceed the limit of 100,000; pass --max-cells 100000000000/,
    ],
    [
      "kong-robust-pca d=100000",
      () => ["run", "kong-robust-pca", "--set", "d=100000", "--out", join(tmp, "never-4")],
      /run kong-robust-pca: estimated memory [\d.]+ GB .* exceeds the limit of 4\.0 GB; pass --max-memory \d+G/,
    ],
    [
      "li-multitask-cnn d=1000000",
      () => ["run", "li-multitask-cnn", "--set", "d=1000000", "--out", join(tmp, "never-5")],
      /run li-multitask-cnn: estimated memory [\d.]+ GB .* exceeds the limit of 4\.0 GB; pass --max-memory \d+G/,
    ],
    [
      "du-excess-risk d=100000",
      () => ["run", "du-excess-risk", "--set", "d=100000", "--out", join(tmp, "never-6")],
      /run du-excess-risk: estimated memory [\d.]+ GB .* exceeds the limit/,
    ],
    [
      "du-excess-risk n1=1e9",
      () => ["run", "du-excess-risk", "--set", "n1=1000000000", "--out", join(tmp, "never-7")],
      /run du-excess-risk: estimated memory .* exceeds the limit of 4\.0 GB; pass --max-memory/,
    ],
    [
      "collins-convergence iters=1e9",
      () => ["run", "collins-convergence", "--set", "iters=1000000000", "--out", join(tmp, "never-8")],
      /run collins-convergence: estimated memory .*GB of results per seed × 10; [\d.]+ TB to draw the figures\) exceeds the limit/,
    ],
    [
      "a sweep whose heaviest grid point is too big for the threads that run at once",
      () => [
        "sweep",
        spec("heavy.yaml", "experiment: kong-robust-pca\nsize: smoke\nseeds: 1\ngrid: { d: [10, 30000] }\n"),
        "--out",
        join(tmp, "never-9"),
      ],
      /sweep .*heavy\.yaml: estimated memory [\d.]+ GB .* exceeds the limit of 4\.0 GB; pass --max-memory \d+G/,
    ],
  ];

  test.each(cases)("%s", async (_name, args, message) => {
    const r = await runMeasured(args());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.peakMb).toBeLessThan(300);
    expect(readdirSync(tmp).filter((f) => f.startsWith("never"))).toEqual([]);
  });
});

describe("with the override, a small-but-over-limit run proceeds", () => {
  test("run: 4 seeds over --max-cells 3 are refused; --max-cells 4 runs them", async () => {
    const out = join(tmp, "cells");
    const over = await runCli(
      "run",
      "sweep-probe",
      "--seeds",
      "4",
      "--max-cells",
      "3",
      "--out",
      out,
      "--quiet",
    );
    expect(over.code).toBe(2);
    expect(over.err).toMatch(
      /run sweep-probe: 4 cells exceed the limit of 3; pass --max-cells 4 to run them anyway\./,
    );
    expect(existsSync(out)).toBe(false);
    const ok = await runCli(
      "run",
      "sweep-probe",
      "--seeds",
      "4",
      "--max-cells",
      "4",
      "--out",
      out,
      "--quiet",
    );
    expect(ok.code).toBe(0);
    expect(existsSync(join(out, "sweep-probe", "record.json"))).toBe(true);
  });

  test("run: kong-robust-pca at smoke size is refused under --max-memory 1M and runs under the flag the message names", async () => {
    const out = join(tmp, "mem");
    const over = await runCli(
      "run",
      "kong-robust-pca",
      "--size",
      "smoke",
      "--seeds",
      "1",
      "--max-memory",
      "1M",
      "--out",
      out,
      "--quiet",
    );
    expect(over.code).toBe(2);
    const flag = /pass --max-memory (\S+) to run it anyway/.exec(over.err)?.[1];
    expect(flag).toBeDefined();
    expect(existsSync(out)).toBe(false);
    const ok = await runCli(
      "run",
      "kong-robust-pca",
      "--size",
      "smoke",
      "--seeds",
      "1",
      "--max-memory",
      flag!,
      "--out",
      out,
      "--quiet",
    );
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
  });

  test("sweep: 6 cells over --max-cells 5 are refused; --max-cells 6 stores all 6", async () => {
    const s = spec("six.yaml", "experiment: sweep-probe\nseeds: 3\ngrid: { label: [a, b] }\n");
    const out = join(tmp, "six");
    const over = await runCli("sweep", s, "--out", out, "--workers", "0", "--max-cells", "5", "--no-report");
    expect(over.code).toBe(2);
    expect(over.err).toMatch(/6 cells exceed the limit of 5; pass --max-cells 6/);
    expect(existsSync(out)).toBe(false);
    const ok = await runCli("sweep", s, "--out", out, "--workers", "0", "--max-cells", "6", "--no-report");
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/6\/6 cells stored/);
  });

  test.each([
    ["--max-cells", "0", /"--max-cells" must be an integer ≥ 1; got "0"/],
    [
      "--max-memory",
      "lots",
      /"--max-memory" must be a size such as 512M, 16G or a number of bytes; got "lots"/,
    ],
  ])("a bad %s is one line, exit 2", async (flag, value, message) => {
    const r = await runCli("run", "sweep-probe", flag, value, "--out", join(tmp, "never-flag"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });

  test("sizes: bytes, K, M, G, T in powers of 1024, with an optional B or iB", () => {
    expect(parseMemorySize("--max-memory", "512M")).toBe(512 * 2 ** 20);
    expect(parseMemorySize("--max-memory", "16G")).toBe(16 * 2 ** 30);
    expect(parseMemorySize("--max-memory", "1.5GiB")).toBe(1.5 * 2 ** 30);
    expect(parseMemorySize("--max-memory", "1000000")).toBe(1e6);
  });
});

describe("workers", () => {
  test("sweep --workers 1000 on one cell: capped at the cores with a warning; stores the cell and the process exits", async () => {
    const s = spec("one.yaml", "experiment: sweep-probe\nseeds: 1\n");
    const r = await cli(["sweep", s, "--out", join(tmp, "one"), "--workers", "1000", "--no-report"]).done;
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      `warning: --workers 1000 is more than the ${availableParallelism()} cores of this machine; using ${availableParallelism()}.`,
    );
    expect(r.out).toMatch(/1\/1 cells stored/);
  });
});
