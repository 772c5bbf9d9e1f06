import { describe, expect, test } from "vitest";
import { listExperiments } from "./registry.js";
import { resolveParams } from "./resolve.js";
import { conditionsOf, conditionText } from "./runner.js";

/**
 * Measured CPU seconds of paper-size cells (seed 0, one at a time on one core of the two-core
 * machine of issue 22, with other sessions' load beside it; the per-cell profile behind
 * `npm run bench reproduce`'s table), for cells whose code has not changed since. A recorded
 * table: this test never times anything, it checks the cost models' ORDER against it.
 */
const MEASURED: [string, string, number][] = [
  // Measured after issue 22's population span coordinates (and collins-diversity's stopping rule).
  ["collins-convergence", "", 0.04],
  ["collins-diversity", "mu=1", 0.03],
  ["collins-diversity", "mu=0.5", 0.08],
  ["collins-diversity", "mu=0.2", 0.24],
  ["collins-diversity", "mu=0.1", 0.3],
  // Measured after issue 22's fused projected-sampler passes and floor_iters = 300 (500 elsewhere).
  ["collins-finite-samples", "m_in=10,m_out=10,n=100,sigma=0.5", 0.45],
  ["collins-finite-samples", "m_in=10,m_out=10,n=100,sigma=0", 0.49],
  ["collins-finite-samples", "m_in=50,m_out=50,n=100,sigma=0.5", 0.42],
  ["collins-finite-samples", "m_in=50,m_out=50,n=100,sigma=0", 0.44],
  ["collins-finite-samples", "m_in=10,m_out=null,n=20,sigma=0", 0.22],
  ["collins-finite-samples", "m_in=10,m_out=10,n=20,sigma=0.5", 0.15],
  ["collins-finite-samples", "m_in=50,m_out=50,n=20,sigma=0.5", 0.1],
  ["collins-head-init", "w0=0", 0.15],
  ["collins-head-init", "w0=1", 0.1],
  ["collins-head-init", "w0=3", 0.06],
  ["du-diversity", "kappa=4", 0.11],
  ["du-diversity", "kappa=2", 0.11],
  ["du-diversity", "kappa=16", 0.11],
  ["du-diversity", "kappa=32", 0.1],
  ["du-diversity", "kappa=1", 0.09],
  ["du-diversity", "kappa=8", 0.08],
  // Measured after issue 22's kernels for the heads and BM's statistics, and bm_tol 1e-4; the
  // n1 = 300 cells after their rows stream (statistics, T ≤ 1600 in one pass; T = 3200 nested in
  // T = 6400's pass).
  ["tripuraneni-mom", "n1=300,T=6400,prefixes=3200", 5.2],
  ["tripuraneni-mom", "n1=300,T=1600,prefixes=100+200+400+800", 3.42],
  ["tripuraneni-mom", "n1=25,T=6400", 2.97],
  ["kong-subspace", "order=magnitude,sweep=n·t = 65536,x=2", 0.14],
  ["kong-subspace", "order=magnitude,sweep=n·t = 65536,x=4", 0.05],
  ["kong-subspace", "order=magnitude,sweep=t = 4,x=8192", 0.03],
  ["kong-subspace", "order=magnitude,sweep=n·t = 65536,x=8", 0.03],
  ["kong-subspace", "order=magnitude,sweep=t = 4,x=1024", 0.02],
  ["kong-subspace", "order=magnitude,sweep=t = 4,x=16384", 0.02],
  // Measured after issue 22's one cell per L (Û once per cell, t₂ swept inside).
  ["kong-clustering", "L=3", 0.11],
  ["kong-clustering", "L=1", 0.07],
  ["kong-projection", "", 0.06],
  // Measured after issue 22's per-task least squares kernel (minNormPairs) and fused passes.
  ["kong-classification", "", 0.22],
  ["kong-prediction", "", 0.7],
  ["kong-sine", "", 0.3],
  ["kong-robust-pca", "alpha=0.02", 0.05],
  ["kong-robust-pca", "alpha=0.0225", 0.04],
  ["kong-robust-pca", "alpha=0.0175", 0.04],
  ["kong-scaling", "law=light-k,x=8", 0.12],
  ["kong-scaling", "law=light-d,x=128", 0.1],
  ["kong-scaling", "law=light-d,x=64", 0.07],
  ["kong-scaling", "law=heavy-k,x=16", 0.04],
  // Measured after HRPCA's skipped V̄ steps (upper bound below the best).
  ["kong-robust-pca", "alpha=0.005", 0.38],
  ["kong-robust-pca", "alpha=0.0125", 0.29],
  ["kong-robust-pca", "alpha=0.025", 0.28],
  // Measured after kong-scaling's heavy-task moments formed in the kernel module (sampleMixturePartMoments).
  ["kong-scaling", "law=heavy-k,x=64", 0.76],
  ["kong-scaling", "law=heavy-k,x=32", 0.16],
  // Medians over the 5 paper seeds (issue 22): the du part's penalised arms at λ1 ≥ 1e-2 run
  // 120–500 L-BFGS iterations, the others 25–290.
  ["bouniot-regularisation", "part=du,kappa=16", 1.16],
  ["bouniot-regularisation", "part=du,kappa=1", 0.48],
  ["bouniot-regularisation", "part=collins,mu=1", 0.42],
  ["bouniot-regularisation", "part=collins,mu=0.1", 0.29],
  // Measured after issue 22's structured dual path, fused activation pass and structured evaluation.
  ["li-multitask-cnn", "K=20,n=60,snr=0.3", 0.63],
  ["li-multitask-cnn", "K=20,n=30,snr=0.3", 0.36],
  ["li-multitask-cnn", "K=20,n=30,snr=0.2", 0.35],
  ["li-multitask-cnn", "K=20,n=30,snr=0.15", 0.33],
  ["li-multitask-cnn", "K=20,n=30,snr=0.45", 0.34],
  ["li-multitask-cnn", "K=20,n=10,snr=0.3", 0.2],
  ["li-dynamics", "", 0.52],
  // Measured after issue 22's thin-block kernel and branch-free ReLU (µ = 1 includes the warm-up).
  ["nonlinear-representation", "mu=0.2", 4.89],
  ["nonlinear-representation", "mu=0.5", 3.54],
  ["nonlinear-representation", "mu=1", 1.29],
];

/** Ranks with ties averaged (1-based). */
function ranks(v: readonly number[]): number[] {
  const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
    for (let q = i; q <= j; q++) r[idx[q][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation: Pearson's on the ranks. */
function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) ** 2;
    sbb += (rb[i] - mean) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function modelCost(id: string, condition: string): number {
  const exp = listExperiments({ internal: true }).find((e) => e.id === id)!;
  const params = resolveParams(exp, "paper");
  const c = conditionsOf(exp, params).find((x) => conditionText(x) === condition);
  if (!c) throw new Error(`${id}: no condition "${condition}"`);
  return exp.cost!(params as never, c);
}

describe("cost models (Experiment.cost, one unit across experiments)", () => {
  test("every registered experiment declares one, finite and > 0 at both sizes", () => {
    for (const exp of listExperiments({ internal: true })) {
      expect(exp.cost, exp.id).toBeTypeOf("function");
      for (const size of ["smoke", "paper"] as const) {
        const params = resolveParams(exp, size);
        for (const c of conditionsOf(exp, params)) {
          const v = exp.cost!(params as never, c);
          expect(Number.isFinite(v) && v > 0, `${exp.id} ${conditionText(c)}: ${v}`).toBe(true);
        }
      }
    }
  });

  test("their order across experiments follows the measured cells' (Spearman ρ ≥ 0.8), and the costliest measured cells are among the model's costliest", () => {
    const model = MEASURED.map(([id, c]) => modelCost(id, c));
    const measured = MEASURED.map(([, , s]) => s);
    expect(spearman(model, measured)).toBeGreaterThanOrEqual(0.8);
    // The 8 longest measured cells are all in the model's top 12 (what the queue starts first).
    const top = (v: number[], n: number) =>
      new Set(
        v
          .map((x, i) => [x, i] as const)
          .sort((a, b) => b[0] - a[0])
          .slice(0, n)
          .map(([, i]) => i),
      );
    // Ties with the model's 12th costliest count as inside (the model cannot order equal costs:
    // li-dynamics and li-multitask-cnn's n = 30 cells share one).
    const twelfth = [...model].sort((a, b) => b - a)[11];
    const modelTop = new Set(model.flatMap((x, i) => (x >= twelfth ? [i] : [])));
    for (const i of top(measured, 8)) expect(modelTop.has(i), MEASURED[i].slice(0, 2).join(" ")).toBe(true);
  });
});
