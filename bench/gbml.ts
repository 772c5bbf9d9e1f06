/**
 * Bench suite "gbml": Collins et al.'s meta-learning methods against `gbml_ref.py`, side by side
 * in one run, same settings, reported as a speed ratio (reference seconds / metarep seconds).
 * Timings exclude interpreter start-up on both sides (the reference reports its own compute
 * time). Each metarep timing is the best of `--repeat` runs after a warm-up; the reference runs
 * once per setting and thread count (its spread is small next to its run time), with NumPy's
 * default threads and with one, in the fair environment of `referenceEnv`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type MetaTrainConfig, type MethodId, metaTrain } from "../src/algorithms/index.js";
import { type GbmlParams, gbmlSchema, trainConfig } from "../src/experiments/gbml.js";
import { key } from "../src/rng/key.js";

import { type BenchOptions, REF_THREADS, type RefThreads, referenceDir, runReference } from "./common.js";

interface Case {
  name: string;
  method: MethodId;
  params: Partial<GbmlParams>;
}

function refArgs(c: Case, p: GbmlParams): string[] {
  const a = [
    "--method",
    c.method,
    "--d",
    String(p.d),
    "--k",
    String(p.k),
    "--n",
    String(p.n),
    "--alpha",
    String(p.alpha),
    "--beta",
    String(p.beta),
    "--iters",
    String(p.iters),
    "--mu",
    String(p.mu),
    "--sigma",
    String(p.sigma),
    "--json",
  ];
  if (p.m_in !== null) a.push("--m-in", String(p.m_in));
  if (p.m_out !== null) a.push("--m-out", String(p.m_out));
  return a;
}

function timeOurs(p: GbmlParams, method: MethodId, repeat: number): { seconds: number; final: number } {
  const cfg = { ...trainConfig(p), methods: [method] };
  let best = Number.POSITIVE_INFINITY;
  let final = Number.NaN;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    const res = metaTrain(cfg, key(r));
    best = Math.min(best, (performance.now() - t0) / 1000);
    const d = res.traces[0].dist;
    final = d[d.length - 1];
  }
  return { seconds: best, final };
}

function timeReference(
  c: Case,
  p: GbmlParams,
  threads: RefThreads,
): { seconds: number; final: number } | null {
  const script = join(referenceDir(), "gbml_ref.py");
  if (!existsSync(script)) return null;
  const out = runReference(script, refArgs(c, p), threads);
  const j = JSON.parse(out) as { seconds: number; dist: number[] };
  return { seconds: j.seconds, final: j.dist[j.dist.length - 1] };
}

export function benchGbml({ only, repeat }: BenchOptions): void {
  const cases = (
    [
      ...(["projected", "direct"] as const).map((sampler) => ({
        name: `finite-sample MAML, ${sampler} sampler (d=100, k=5, n=100, m=20, σ=0.5, α=β=0.25, 1000 iters)`,
        method: "maml",
        params: {
          d: 100,
          k: 5,
          n: 100,
          m_in: 20,
          m_out: 20,
          sigma: 0.5,
          alpha: 0.25,
          beta: 0.25,
          iters: 1000,
          sampler,
        },
      })),
      ...(["anil", "fo-anil", "maml", "fo-maml", "avg-gd"] as const).map((m) => ({
        name: `population ${m} (d=20, k=3, n=20, α=β=0.5, µ=1, 400 iters)`,
        method: m,
        params: { iters: 400 },
      })),
    ] as Case[]
  ).filter((c) => only.length === 0 || only.some((o) => c.name.includes(o)));

  console.log(
    "case | metarep s | numpy s (default threads / 1 thread) | speed-up vs default / vs 1 thread | final dist metarep / numpy",
  );
  for (const c of cases) {
    const p = gbmlSchema.parse({ ...c.params, methods: [c.method] });
    timeOurs({ ...p, iters: Math.min(p.iters, 400) }, c.method, 1); // warm-up: let the JIT compile the hot loop first
    const ours = timeOurs(p, c.method, repeat);
    const [ref, one] = REF_THREADS.map((t) => timeReference(c, p, t));
    const ratio = (r: typeof ref) => (r ? `${(r.seconds / ours.seconds).toFixed(2)}×` : "n/a");
    const secs = (r: typeof ref) => (r ? r.seconds.toFixed(3) : "—");
    console.log(
      `${c.name} | ${ours.seconds.toFixed(3)} | ${secs(ref)} / ${secs(one)} | ${ratio(ref)} / ${ratio(one)} | ${ours.final.toExponential(2)} / ${ref ? ref.final.toExponential(2) : "—"}`,
    );
  }
}

/**
 * Bouniot et al.'s head penalty (λ1·κ(W̃)² + λ2·‖W̃W̃ᵀ‖_F, W̃ = W'/√n, on the adapted heads of each batch):
 * ANIL with and without it at the Collins finite-sample setting, same seeds, best of `repeat`.
 * Goal: ≤ 1.2× the unregularised time (the penalty adds O(n·k²) per outer step plus keeping the
 * batch's data; the Σ_in products are shared with the meta-gradient). Small weights, so no run
 * diverges (a diverged run stops early and would flatter the ratio; the status is printed).
 */
export function benchPenalty({ only, repeat }: BenchOptions): void {
  const samplers = (["projected", "direct"] as const).filter(
    (s) => only.length === 0 || only.some((o) => `penalty ${s}`.includes(o)),
  );
  if (samplers.length === 0) return;
  console.log(
    "case | ANIL s | ANIL + penalties s | ratio (penalised/plain) | final dist plain / penalised | status",
  );
  for (const sampler of samplers) {
    const cfg: MetaTrainConfig = {
      model: {
        d: 100,
        k: 5,
        heads: "collins",
        mu: 1,
        headScale: 1,
        headMean: 0,
        sigma: 0.5,
        mIn: 20,
        mOut: 20,
        sampler,
      },
      methods: ["anil"],
      kPrime: 5,
      n: 100,
      alpha: 0.25,
      beta: 0.25,
      iters: 1000,
      w0Scale: 0,
    };
    const pen: MetaTrainConfig = { ...cfg, penalty: { lambdaCond: 1e-3, lambdaNorm: 1e-4 } };
    const time = (c: MetaTrainConfig) => {
      let best = Number.POSITIVE_INFINITY;
      let cpu = Number.POSITIVE_INFINITY;
      let trace = metaTrain({ ...c, iters: 200 }, key(0)).traces[0]; // warm-up
      for (let r = 0; r < repeat; r++) {
        const t0 = performance.now();
        const u0 = process.cpuUsage();
        trace = metaTrain(c, key(r)).traces[0];
        const u = process.cpuUsage(u0);
        best = Math.min(best, (performance.now() - t0) / 1000);
        cpu = Math.min(cpu, (u.user + u.system) / 1e6);
      }
      return { seconds: best, cpu, final: trace.dist[trace.dist.length - 1], status: trace.status };
    };
    const a = time(cfg);
    const b = time(pen);
    console.log(
      `penalty ${sampler}: ANIL, d=100, k=5, n=100, m=20, σ=0.5, α=β=0.25, 1000 iters, λ1=1e-3, λ2=1e-4 | ${a.seconds.toFixed(3)} (cpu ${a.cpu.toFixed(3)}) | ${b.seconds.toFixed(3)} (cpu ${b.cpu.toFixed(3)}) | ${(b.seconds / a.seconds).toFixed(2)}× (cpu ${(b.cpu / a.cpu).toFixed(2)}×) | ${a.final.toExponential(2)} / ${b.final.toExponential(2)} | ${a.status} / ${b.status}`,
    );
  }
}
