/**
 * Bench suite "cnn": one full-batch gradient-descent step of the two-layer CNN (SPEC §3; Li et
 * al. 2025) against the NumPy reference `bench/reference/cnn_step_ref.py`, side by side in one
 * run on the same data and initial weights (written as .npy by this suite), reported as time per
 * step, achieved GFLOP/s of the two GEMMs a step needs (forward X Wᵀ and backward Dᵀ X: 8·N·P·d·m
 * flops), and the speed ratio (reference seconds / metarep seconds). Both run the same number of
 * steps and must end at the same weights (relative difference printed). The reference times its
 * loop alone (interpreter start-up and loading excluded) after one warm-up step; it runs once with
 * NumPy's default BLAS threads and once with one thread (metarep is single-threaded). Each metarep
 * timing is the best of `--repeat` runs after a warm-up. metarep runs the path `trainCnn` takes by
 * itself (`auto`: primal or dual by multiply-adds, printed); the single-task step is also run with
 * the primal path forced, the same algorithm as the reference's, for comparison.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exampleWeights } from "../src/algorithms/cnn/gradient.js";
import { initWeights } from "../src/algorithms/cnn/network.js";
import { type CnnPath, cnnPath, trainCnn } from "../src/algorithms/cnn/train.js";
import { parseNpy, writeNpy } from "../src/data/npy.js";
import { gemm } from "../src/linalg/gemm.js";
import { zeros } from "../src/linalg/mat.js";
import { samplePatchTasks } from "../src/models/patchData.js";
import { key } from "../src/rng/key.js";
import { type BenchOptions, REF_THREADS, runReference } from "./common.js";

interface Setting {
  name: string;
  d: number;
  n: number;
  K: number;
  m: number;
  P: number;
  steps: number;
  /** Forced path (default: the one `auto` takes, printed). */
  path?: CnnPath;
}

const SETTINGS: Setting[] = [
  {
    name: "multi-task step (d=400, n=50 per task, K=10, m=20, P=2)",
    d: 400,
    n: 50,
    K: 10,
    m: 20,
    P: 2,
    steps: 50,
  },
  { name: "single-task step (d=400, n=50, K=1, m=20, P=2)", d: 400, n: 50, K: 1, m: 20, P: 2, steps: 200 },
  {
    name: "single-task step, primal path forced (d=400, n=50, K=1, m=20, P=2)",
    d: 400,
    n: 50,
    K: 1,
    m: 20,
    P: 2,
    steps: 200,
    path: "primal",
  },
];

/** `bench/reference/cnn_step_ref.py` beside the sources (compiled file: dist/bench/cnn.js). */
function referenceScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, "reference", "cnn_step_ref.py"),
    resolve(here, "..", "..", "bench", "reference", "cnn_step_ref.py"),
  ];
  return candidates.find(existsSync) ?? candidates[1];
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "—";
}

/**
 * The f64x2 no-FMA ceiling, as the kernels suite measures it: GFLOP/s of the WebAssembly GEMM on
 * 512 × 512 operands (2n³ flops), best of `repeat`, in this process just before the CNN cases.
 */
function gemmCeiling(repeat: number): number {
  const n = 512;
  const A = zeros(n, n);
  const B = zeros(n, n);
  for (let i = 0; i < A.data.length; i++) {
    A.data[i] = ((i * 7) % 13) / 13 - 0.5;
    B.data[i] = ((i * 5) % 11) / 11 - 0.5;
  }
  const C = zeros(n, n);
  gemm(false, false, 1, A, B, 0, C); // warm-up
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < Math.max(3, repeat); r++) {
    const t0 = performance.now();
    gemm(false, false, 1, A, B, 0, C);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * n * n * n) / best / 1e9;
}

export function benchCnn({ only, repeat }: BenchOptions): void {
  const act = { kind: "relu-power" as const, q: 3 };
  if (only.length && !SETTINGS.some((s) => only.some((o) => s.name.includes(o) || "cnn".includes(o)))) return;
  const ceiling = gemmCeiling(repeat);
  const eta = 1;
  const script = referenceScript();
  const rows: string[][] = [];
  for (const s of SETTINGS) {
    if (only.length && !only.some((o) => s.name.includes(o) || "cnn".includes(o))) continue;
    const model = {
      K: s.K,
      d: s.d,
      P: s.P,
      uNorm: 0.3 * Math.sqrt(s.d),
      vNorm: Math.sqrt(s.d),
      sigmaP: 1,
      p: 0.6,
    };
    const data = samplePatchTasks(model, s.n, key(1));
    const c = exampleWeights(data, "task-mean");
    const W0 = initWeights(key(2), { m: s.m, d: s.d }, 0.02);
    const config = { activation: act, eta, lambda: 0, iters: s.steps, path: s.path ?? ("auto" as const) };
    const path = cnnPath(config, data, 2 * s.m, false);
    const flops = 8 * data.count * s.P * s.d * s.m;

    trainCnn({ ...config, iters: 5 }, data, c, W0); // warm-up: JIT
    let best = Number.POSITIVE_INFINITY;
    let W = W0;
    for (let r = 0; r < Math.max(1, repeat); r++) {
      const t0 = performance.now();
      const res = trainCnn(config, data, c, W0);
      best = Math.min(best, (performance.now() - t0) / 1000);
      W = res.W;
    }
    const ours = best / s.steps;

    const ref: { threads: string; perStep: number; diff: number }[] = [];
    if (existsSync(script)) {
      const dir = mkdtempSync(join(tmpdir(), "metarep-bench-cnn-"));
      try {
        writeFileSync(
          join(dir, "X.npy"),
          writeNpy({ descr: "<f8", shape: [data.X.rows, s.d], data: data.X.data }),
        );
        writeFileSync(join(dir, "y.npy"), writeNpy({ descr: "<f8", shape: [data.count], data: data.y }));
        writeFileSync(join(dir, "c.npy"), writeNpy({ descr: "<f8", shape: [data.count], data: c }));
        writeFileSync(join(dir, "W0.npy"), writeNpy({ descr: "<f8", shape: [2 * s.m, s.d], data: W0.data }));
        for (const threads of REF_THREADS) {
          const args = ["--dir", dir, "--patches", String(s.P), "--q", "3", "--eta", String(eta)];
          const out = runReference(script, [...args, "--steps", String(s.steps), "--json"], threads);
          const j = JSON.parse(out) as { seconds_per_step: number };
          const Wref = parseNpy(readFileSync(join(dir, "W_ref.npy"))).data as Float64Array;
          let diff = 0;
          let scale = 0;
          for (let k = 0; k < Wref.length; k++) {
            diff = Math.max(diff, Math.abs(Wref[k] - W.data[k]));
            scale = Math.max(scale, Math.abs(Wref[k]));
          }
          ref.push({ threads, perStep: j.seconds_per_step, diff: diff / scale });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    for (const r of ref.length
      ? ref
      : [{ threads: "(no reference)", perStep: Number.NaN, diff: Number.NaN }]) {
      rows.push([
        s.name,
        path,
        r.threads,
        fmt(1e3 * ours, 3),
        fmt(flops / ours / 1e9),
        `${fmt((100 * flops) / ours / 1e9 / ceiling, 0)} %`,
        fmt(1e3 * r.perStep, 3),
        fmt(flops / r.perStep / 1e9),
        fmt(r.perStep / ours),
        Number.isFinite(r.diff) ? r.diff.toExponential(1) : "—",
      ]);
    }
  }
  const head = [
    "setting",
    "metarep path",
    "numpy threads",
    "metarep ms/step",
    "metarep GFLOP/s",
    "of f64x2 ceiling",
    "numpy ms/step",
    "numpy GFLOP/s",
    "ratio (numpy/metarep)",
    "max |ΔW|/max |W|",
  ];
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (xs: string[]) => xs.map((x, j) => x.padEnd(widths[j])).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(
    `f64x2 ceiling: ${fmt(ceiling)} GFLOP/s, the WebAssembly GEMM (SIMD f64x2, no FMA: what bit-identity allows) on 512² operands in this process, as the kernels suite measures it.`,
  );
  console.log(
    "ratio > 1: metarep is faster. GFLOP/s counts the step's two GEMMs (8·N·P·d·m flops) on both sides, whatever",
  );
  console.log(
    "metarep's path computes: `dual` (W_t = a_t W_0 + C_tᵀ X, one R×R×2m product a step, R = N·P rows; src/algorithms/cnn/train.ts) does fewer.",
  );
}
