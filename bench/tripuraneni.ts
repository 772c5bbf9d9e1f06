/**
 * Bench suite "tripuraneni": `metarep run tripuraneni-mom --size paper` with MoM alone over the
 * whole grid of Tripuraneni et al. (n1 ∈ {5, 25, 300}, T = 100 … 6400: up to 1.92 M rows of
 * d = 100 per setting), one seed, as a child process: wall time and peak resident memory (the
 * kernel's high-water mark VmHWM, read from /proc while it runs). MoM streams its rows, so memory
 * stays O(d²) plus one chunk; goal: peak under 2 GB.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compiledSibling } from "../src/sweep/compiled.js";
import type { BenchOptions } from "./common.js";

function highWaterMark(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export async function benchTripuraneni({ only }: BenchOptions): Promise<void> {
  if (only.length > 0 && !only.some((o) => "tripuraneni mom paper".includes(o))) return;
  const bin = compiledSibling(import.meta.url, "../src/cli/bin.js");
  const out = mkdtempSync(join(tmpdir(), "metarep-bench-trip-"));
  const args = ["run", "tripuraneni-mom", "--size", "paper", "--seeds", "1", "--set", "methods=mom"];
  try {
    const t0 = performance.now();
    let peak = 0;
    const code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, [bin, ...args, "--out", out, "--quiet"], { stdio: "ignore" });
      const timer = setInterval(() => {
        const h = child.pid === undefined ? null : highWaterMark(child.pid);
        if (h !== null) peak = Math.max(peak, h);
      }, 100);
      child.on("exit", (c) => {
        clearInterval(timer);
        done(c);
      });
    });
    const seconds = (performance.now() - t0) / 1000;
    console.log("case | exit | wall s | peak RSS | goal");
    console.log(
      `metarep ${args.join(" ")} (full grid: n1 ∈ {5, 25, 300}, T ≤ 6400) | ${code} | ${seconds.toFixed(1)} | ${(peak / 2 ** 20).toFixed(0)} MiB | peak < 2 GB`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
