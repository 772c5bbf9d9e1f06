/**
 * Bench suite "memory": the memory guard's estimate against the measured peak, per experiment and
 * size (issue 23). Each case is `metarep run ID --size S --seeds 1 --workers 1 --quiet --out DIR`
 * (plus the case's `--set`s) under /usr/bin/time; "measured" is its peak resident memory (`%M`, the
 * whole process), and "estimated" is what the guard compares with `--max-memory` for that command
 * (sweep/guards.ts `estimatedTotal`: the process's fixed cost, one seed's working memory and
 * result, and the figures). One seed, because the estimate's per-seed parts are what depend on the
 * parameters (a run holds every seed's result, a few kB to MB). The baseline (a trivial run that
 * draws one small figure) is printed with the increments above it: the estimate less the process's
 * fixed cost against the measured peak less the baseline. The fit's goal: estimated / measured
 * within [1/3, 3] for every row. Besides each experiment at smoke and paper size, a few cases
 * with parameters that make the data, not the process, dominate.
 * Filters: `memory` (every case), `memory-smoke`, `memory-paper`, `memory-large`, or an experiment
 * id (its cases). Peak memory is measured, never asserted in tests.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSets } from "../src/cli/flags.js";
import { getExperiment, listExperiments } from "../src/experiments/registry.js";
import { resolveParams } from "../src/experiments/resolve.js";
import { estimateMemory, PROCESS_BYTES } from "../src/experiments/resources.js";
import type { SizeName } from "../src/experiments/types.js";
import { compiledSibling } from "../src/sweep/compiled.js";
import { estimatedTotal, formatBytes } from "../src/sweep/guards.js";
import type { BenchOptions } from "./common.js";

export interface MemoryCase {
  id: string;
  size: SizeName;
  sets: string[];
  group: "baseline" | "smoke" | "paper" | "large";
}

/** The trivial run whose peak is the process's fixed cost (one small figure drawn). */
export const BASELINE: MemoryCase = {
  id: "collins-convergence",
  size: "smoke",
  sets: ["iters=1", "d=3", "n=1"],
  group: "baseline",
};

/** Every experiment that needs no data set at both sizes, and cases where the data dominates. */
export function memoryCases(ids: readonly string[]): MemoryCase[] {
  const large: MemoryCase[] = [
    // Issue 23's case: MoM alone streams 1.92 M rows (the old estimate said 4.3 GB).
    {
      id: "tripuraneni-mom",
      size: "smoke",
      sets: ["methods=mom", "n1s=300", "Ts=6400", "d=100", "k=5"],
      group: "large",
    },
    // Burer–Monteiro holds X: 160,000 rows of d = 100.
    {
      id: "tripuraneni-mom",
      size: "smoke",
      sets: ["methods=bm", "n1s=25", "Ts=6400", "d=100", "k=5"],
      group: "large",
    },
    {
      id: "du-excess-risk",
      size: "smoke",
      sets: ["sweeps=T", "Ts=2000", "n1=25", "d=400", "targets=200", "methods=mom"],
      group: "large",
    },
    {
      id: "kong-robust-pca",
      size: "smoke",
      sets: ["d=500", "n=40000", "alphas=0.01", "methods=naive,oracle,double-filtering"],
      group: "large",
    },
    {
      id: "kong-subspace",
      size: "smoke",
      sets: ["sampler=direct", "total=65536", "ts=4", "ns=16384", "d=500"],
      group: "large",
    },
    {
      id: "collins-convergence",
      size: "smoke",
      sets: ["sampler=direct", "m_in=2000", "m_out=2000", "d=200", "n=50", "iters=5"],
      group: "large",
    },
    { id: "li-multitask-cnn", size: "smoke", sets: ["d=5000", "Ks=20", "iters=10"], group: "large" },
  ];
  // An opt-in experiment (finn-sinusoid: about 8 CPU-hours at paper size) runs at paper size only
  // when named.
  const sizes = (id: string) =>
    getExperiment(id).optIn ? (["smoke"] as const) : (["smoke", "paper"] as const);
  return [
    ...ids.flatMap((id) => sizes(id).map((size) => ({ id, size, sets: [], group: size }))),
    ...large.filter((c) => ids.includes(c.id)),
  ];
}

/** The guard's estimate of a case's peak (the whole process), or null if the experiment has none. */
export function estimateCase(c: MemoryCase): number | null {
  const params = resolveParams(getExperiment(c.id), c.size, parseSets(c.sets)) as Record<string, unknown>;
  const est = estimateMemory(c.id, params);
  return est === null ? null : estimatedTotal(est, { concurrent: 1, held: 1 });
}

/** Peak resident bytes of `metarep run` for a case, under /usr/bin/time; null if it failed. */
export function measureCase(c: MemoryCase): { peak: number; cpu: number } | null {
  const bin = compiledSibling(import.meta.url, "../src/cli/bin.js");
  const out = mkdtempSync(join(tmpdir(), "metarep-bench-memory-"));
  try {
    const args = ["run", c.id, "--size", c.size, "--seeds", "1", "--workers", "1", "--quiet", "--out", out];
    for (const s of c.sets) args.push("--set", s);
    const r = spawnSync("/usr/bin/time", ["-f", "TIME %M %U %S", process.execPath, bin, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "ignore", "pipe"],
    });
    const m = /TIME (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
    if (r.status !== 0 || !m) {
      console.log(
        `${c.id} ${c.size} ${c.sets.join(" ")}: failed (exit ${r.status}): ${r.stderr.trim().split("\n")[0]}`,
      );
      return null;
    }
    return { peak: Number(m[1]) * 1024, cpu: Number(m[2]) + Number(m[3]) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function benchMemory({ only }: BenchOptions): Promise<void> {
  // Every registered experiment that needs no data set (its size depends on the data set).
  const ids = listExperiments()
    .filter((e) => !e.dataset)
    .map((e) => e.id);
  // Minutes of one core at paper size: in a full bench run, or when named.
  const wanted = (c: MemoryCase) =>
    only.length === 0 || only.some((o) => o === "memory" || o === `memory-${c.group}` || o === c.id);
  const cases = [
    ...memoryCases(ids),
    // Named explicitly: an opt-in experiment at paper size too.
    ...ids
      .filter((id) => getExperiment(id).optIn && only.includes(id))
      .map((id): MemoryCase => ({ id, size: "paper", sets: [], group: "paper" })),
  ].filter(wanted);
  if (cases.length === 0) return;
  const base = measureCase(BASELINE);
  if (base === null) return;
  console.log(
    `baseline (${BASELINE.id} --size ${BASELINE.size} --set ${BASELINE.sets.join(" --set ")}): measured ${formatBytes(base.peak)}; the estimate's fixed cost ${formatBytes(PROCESS_BYTES)}`,
  );
  console.log(
    "\nexperiment | size | --set | estimated | measured | ratio | increment est. | increment meas. | CPU s",
  );
  let worst = 1;
  for (const c of cases) {
    const est = estimateCase(c);
    const m = measureCase(c);
    if (m === null) continue;
    const ratio = est === null ? Number.NaN : est / m.peak;
    if (est !== null) worst = Math.max(worst, ratio, 1 / ratio);
    console.log(
      `${c.id} | ${c.size} | ${c.sets.join(" ") || "-"} | ${est === null ? "not estimated" : formatBytes(est)} | ${formatBytes(m.peak)} | ${est === null ? "-" : ratio.toFixed(2)} | ${est === null ? "-" : formatBytes(est - PROCESS_BYTES)} | ${formatBytes(Math.max(0, m.peak - base.peak))} | ${m.cpu.toFixed(1)}`,
    );
  }
  console.log(`\nworst factor between estimated and measured: ${worst.toFixed(2)} (goal ≤ 3)`);
}
