/**
 * Bench suite "mlr": Kong et al.'s mixed-linear-regression pipeline against `mlr_ref.py`, side by
 * side in one run at the reference's defaults (d=32, k=4, n1=8192, t1=4 per half, n2=128, t2=16,
 * L=1, n3=8192, t3=4, τ=4, 1024 new tasks), whole pipeline including data generation on both
 * sides, reported as a speed ratio (reference seconds / metarep seconds). Both sides: best of
 * `--repeat` runs (metarep after a warm-up run that lets the JIT compile the hot loops).
 * Also the robust subspace estimators at n = 10⁴, d = 10, k = 1: time per run (no reference).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  MLR_PIPELINE_DEFAULTS,
  type MlrPipelineMetrics,
  runMlrPipeline,
} from "../src/algorithms/mlr/pipeline.js";
import { sampleCorruptedPcaData } from "../src/algorithms/robust/corruptedDistribution.js";
import { doubleFiltering } from "../src/algorithms/robust/doubleFiltering.js";
import { hrpca } from "../src/algorithms/robust/hrpca.js";
import {
  linearMixtureTruth,
  makeMixture,
  sampleComponents,
  sampleMixtureHalfMoments,
  sampleMixtureTasks,
} from "../src/models/mixedLinearRegression.js";
import { sampleMixtureProjectedTasks } from "../src/models/mixtureProjected.js";
import { foldIn, key } from "../src/rng/key.js";
import { type BenchOptions, type RefThreads, referenceDir, runReference } from "./common.js";

function runOurs(
  seed: number,
  sampler: "projected" | "direct",
): { seconds: number; metrics: MlrPipelineMetrics } {
  const t0 = performance.now();
  const W = sampleComponents(foldIn(key(seed), 0), 32, 4, "orthonormal");
  const mix = makeMixture(W, 1);
  const res = runMlrPipeline(
    {
      truth: linearMixtureTruth(mix),
      sample: (n, t, k) => sampleMixtureTasks(mix, n, t, k),
      sampleHalfMoments: (n, t, k) => sampleMixtureHalfMoments(mix, n, t, k),
      sampleProjectedTasks: (n, t, dirs, k) => sampleMixtureProjectedTasks(mix, n, t, dirs, k),
    },
    { ...MLR_PIPELINE_DEFAULTS, sampler },
    key(seed),
  );
  return { seconds: (performance.now() - t0) / 1000, metrics: res.metrics };
}

function timeReference(
  seed: number,
  threads: RefThreads,
): { seconds: number; metrics: MlrPipelineMetrics } | null {
  const script = join(referenceDir(), "mlr_ref.py");
  if (!existsSync(script)) return null;
  const out = runReference(script, ["--seed", String(seed), "--json"], threads);
  const j = JSON.parse(out) as MlrPipelineMetrics & { seconds: number };
  return { seconds: j.seconds, metrics: j };
}

type Timed = { seconds: number; metrics: MlrPipelineMetrics };

function best<T extends { seconds: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

const fmt = (v: number | null) => (v === null ? "—" : v.toFixed(3));

export function benchMlr({ only, repeat }: BenchOptions): void {
  const wanted = (name: string) => only.length === 0 || only.some((o) => name.includes(o));
  const pipeline = "pipeline at mlr_ref.py defaults (d=32, k=4, 8192 light + 128 heavy + 8192 light tasks)";
  if (wanted(pipeline) || wanted("mlr")) {
    // Interleaved rounds (the machine is shared: load drifts), best of each. The reference runs
    // with NumPy's default threads and with one thread, as metarep runs (fair environment).
    const rounds = Math.max(repeat, 5);
    runOurs(100, "projected"); // warm-up: let the JIT compile the hot loops first
    runOurs(101, "direct");
    const runs = {
      projected: [] as Timed[],
      direct: [] as Timed[],
      refDefault: [] as Timed[],
      refOne: [] as Timed[],
    };
    let haveRef = true;
    for (let r = 0; r < rounds; r++) {
      runs.projected.push(runOurs(r, "projected"));
      runs.direct.push(runOurs(r, "direct"));
      const a = timeReference(r, "default");
      const b = timeReference(r, "1");
      if (a === null || b === null) haveRef = false;
      else {
        runs.refDefault.push(a);
        runs.refOne.push(b);
      }
    }
    const refDefault = haveRef ? best(runs.refDefault) : null;
    const refOne = haveRef ? best(runs.refOne) : null;
    const m = (x: MlrPipelineMetrics) =>
      `${fmt(x.subspace_err)}, ${fmt(x.clustering_acc)}, ${fmt(x.test_mse_pm)}`;
    console.log(
      `case (best of ${rounds} interleaved rounds) | metarep s | numpy s (default threads / 1 thread) | speed-up vs default / vs 1 thread | subspace_err, clustering_acc, test_mse_pm metarep / numpy`,
    );
    for (const sampler of ["projected", "direct"] as const) {
      const ours = best(runs[sampler]);
      const ratio = (r: Timed | null) => (r ? `${(r.seconds / ours.seconds).toFixed(2)}×` : "n/a");
      const secs = (r: Timed | null) => (r ? r.seconds.toFixed(3) : "—");
      console.log(
        `${pipeline}, ${sampler} sampler | ${ours.seconds.toFixed(3)} | ${secs(refDefault)} / ${secs(refOne)} | ${ratio(refDefault)} / ${ratio(refOne)} | ${m(ours.metrics)} / ${refDefault ? m(refDefault.metrics) : "—"}`,
      );
    }
  }
  const robust = "robust PCA (n=10⁴, d=10, k=1)";
  if (wanted(robust) || wanted("robust")) {
    console.log("case | α | ms per run (best of repeats) | rounds or steps");
    for (const alpha of [0.005, 0.0125, 0.025]) {
      const data = sampleCorruptedPcaData(10000, 10, alpha, key(1));
      doubleFiltering(data.data, 1, alpha, key(0)); // warm-up
      let bestMs = Number.POSITIVE_INFINITY;
      let rounds = 0;
      for (let r = 0; r < Math.max(repeat, 3); r++) {
        const t0 = performance.now();
        rounds = doubleFiltering(data.data, 1, alpha, key(r)).rounds;
        bestMs = Math.min(bestMs, performance.now() - t0);
      }
      console.log(`${robust} double filtering | ${alpha} | ${bestMs.toFixed(1)} | ${rounds} rounds`);
    }
    const data = sampleCorruptedPcaData(10000, 10, 0.0125, key(1));
    const t0 = performance.now();
    const h = hrpca(data.data, 1, 0.0125, key(0));
    console.log(
      `${robust} HRPCA (official n/4 steps) | 0.0125 | ${(performance.now() - t0).toFixed(1)} | ${h.steps} steps`,
    );
  }
}
