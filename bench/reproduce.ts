/**
 * Bench suite "reproduce": the main job, `metarep reproduce --out DIR` at full seed counts and
 * `metarep reproduce --size smoke`, each as a child process under /usr/bin/time: wall time, CPU %
 * ((user + system) / wall: 200 % is both cores busy on a two-core machine), CPU seconds and peak
 * RSS (the process's high-water mark, threads included). Then, per experiment, from its store's
 * records: cells, summed cell seconds, the longest cell, and the share of the run's core-time
 * (Σ cell seconds / (threads × wall)). Cell seconds are wall time inside the worker: on a shared
 * machine they grow with the load, so the 1-minute load average before and after is printed.
 * No NumPy counterpart. Filters: `reproduce` (both runs), `reproduce-full`, `reproduce-smoke`.
 * Goals (issue 22): full < 120 s wall at ≥ 185 % CPU, peak RSS < 1 GB; smoke < 20 s.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { compiledSibling } from "../src/sweep/compiled.js";
import type { BenchOptions } from "./common.js";

interface Timed {
  exit: number | null;
  wall: number;
  cpu: number;
  peakBytes: number;
}

/** Run the CLI under /usr/bin/time (GNU): elapsed, user, system seconds and max RSS in KiB. */
function timedCli(args: string[]): Timed {
  const bin = compiledSibling(import.meta.url, "../src/cli/bin.js");
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S %M", process.execPath, bin, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 1 << 26,
  });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? "");
  if (!m) throw new Error(`reproduce bench: /usr/bin/time gave no figures (exit ${r.status}): ${r.stderr}`);
  return {
    exit: r.status,
    wall: Number(m[1]),
    cpu: Number(m[2]) + Number(m[3]),
    peakBytes: Number(m[4]) * 1024,
  };
}

interface ExperimentRow {
  experiment: string;
  cells: number;
  summed: number;
  longest: number;
  longestCell: string;
}

/** Per experiment, from the records of each store under `out`. */
function storeRows(out: string): ExperimentRow[] {
  const rows: ExperimentRow[] = [];
  for (const dir of readdirSync(out)) {
    const file = join(out, dir, "records.jsonl");
    if (!existsSync(file)) continue;
    const row: ExperimentRow = { experiment: dir, cells: 0, summed: 0, longest: 0, longestCell: "" };
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { seconds: number; conditionPoint?: string; seedIndices?: number[] };
      row.cells++;
      row.summed += r.seconds;
      if (r.seconds > row.longest) {
        row.longest = r.seconds;
        row.longestCell = `${r.conditionPoint || "(one condition)"} seed ${r.seedIndices?.[0] ?? "?"}`;
      }
    }
    rows.push(row);
  }
  return rows.sort((a, b) => b.summed - a.summed);
}

function printRun(name: string, t: Timed, goal: string, out: string): void {
  const threads = availableParallelism();
  console.log("run | exit | wall s | CPU s | CPU % | peak RSS | goal");
  console.log(
    `${name} | ${t.exit} | ${t.wall.toFixed(1)} | ${t.cpu.toFixed(1)} | ${((100 * t.cpu) / t.wall).toFixed(0)} % | ${(t.peakBytes / 2 ** 30).toFixed(2)} GiB | ${goal}`,
  );
  const rows = storeRows(out);
  const total = rows.reduce((s, r) => s + r.summed, 0);
  console.log(`\nexperiment | cells | Σ cell s | longest cell s | longest cell | share of core-time`);
  for (const r of rows) {
    console.log(
      `${r.experiment} | ${r.cells} | ${r.summed.toFixed(1)} | ${r.longest.toFixed(2)} | ${r.longestCell} | ${((100 * r.summed) / (threads * t.wall)).toFixed(1)} %`,
    );
  }
  console.log(
    `all | ${rows.reduce((s, r) => s + r.cells, 0)} | ${total.toFixed(1)} | | | ${((100 * total) / (threads * t.wall)).toFixed(1)} % of ${threads} threads × wall`,
  );
}

export async function benchReproduce({ only }: BenchOptions): Promise<void> {
  // Minutes of both cores: in a full run, or when named (`reproduce`, `reproduce-full`, `-smoke`).
  const want = (name: string) => only.length === 0 || only.some((o) => o === "reproduce" || o === name);
  if (!want("reproduce-full") && !want("reproduce-smoke")) return;
  const cases = [
    { name: "reproduce-smoke", args: ["--size", "smoke"], goal: "wall < 20 s" },
    { name: "reproduce-full", args: [], goal: "wall < 120 s, CPU ≥ 185 %, peak RSS < 1 GB" },
  ].filter((c) => want(c.name));
  for (const c of cases) {
    const out = mkdtempSync(join(tmpdir(), `metarep-bench-${c.name}-`));
    try {
      const before = loadavg()[0];
      const t = timedCli(["reproduce", ...c.args, "--out", out]);
      console.log(
        `\n### metarep reproduce ${c.args.join(" ")} --out DIR — load average (1 min) ${before.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after, ${availableParallelism()} cores`,
      );
      printRun(`metarep reproduce ${c.args.join(" ")}`.trim(), t, c.goal, out);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
}
