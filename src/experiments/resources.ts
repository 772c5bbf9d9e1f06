/**
 * Memory estimates of an experiment's run, from its resolved parameters, so that a run or a sweep
 * whose size would explode is refused before it allocates (issues 14 and 23; the guards in
 * src/sweep/guards.ts compare them with `--max-memory`).
 *
 * What is estimated is the peak resident memory of the whole process (what `/usr/bin/time -f %M`
 * reports, what the operating system has to find): the guards add to these per-seed figures the
 * process's fixed cost (PROCESS_BYTES: Node, metarep's modules, the WebAssembly arena and the
 * figure renderer, measured as the peak of a trivial `run` that draws a figure) and, per worker
 * thread, THREAD_BYTES. An estimate has three parts:
 *  - `working`: the largest arrays one seed holds at once (8 bytes per float64: data sets, d×d
 *    matrices, networks), while it runs;
 *  - `result`: one seed's curves, held until the run ends (as numbers, as record JSON);
 *  - `figures`: drawing the run's figures once at the end: Vega's dataflow and scene graph, the SVG
 *    and the Vega-Lite JSON hold a few kilobytes per drawn point (RENDER_POINT), which at paper
 *    size (curves of thousands of iterations) outweighs the data.
 * The bench suite `memory` (bench/memory.ts) measures every experiment at smoke and paper size and
 * prints estimated against measured; the estimates are fitted to stay within a factor of 3 of it.
 * They err on the high side where the peak depends on the draws (a threshold search).
 */

export interface MemoryEstimate {
  /** Peak working memory of one seed while it runs, in bytes. */
  working: number;
  /** Bytes of one seed's result held afterwards (curves, scalars; as objects and as JSON). */
  result: number;
  /** Bytes to draw the run's figures once, at the end (whatever the number of seeds). */
  figures: number;
}

/**
 * Peak resident memory of a trivial run in one process (Node 20, the modules, the WebAssembly
 * arena, Vega and resvg drawing a small figure): measured 162 MB (`metarep run
 * collins-convergence --size smoke --seeds 1 --set iters=1 --set d=3 --set n=1 --workers 1`); a
 * run without figures (`sweep-probe`) peaks at 141 MB.
 */
export const PROCESS_BYTES = 160 * 2 ** 20;
/** Each worker thread's own V8 isolate and modules: measured 30 MB (two threads add 61 MB). */
export const THREAD_BYTES = 32 * 2 ** 20;

type Params = Record<string, unknown>;

/** What an experiment's model returns: a seed's working bytes and the curve points it returns. */
interface Shape {
  working: number;
  /** Curve points of one seed (every condition), as returned and as drawn. */
  points: number;
  /** Points drawn when they differ from `points` (default: `points`). */
  drawn?: number;
}

const F64 = 8;
/** A curve point held in a seed's result: x and y as numbers, in the record's JSON, labels. */
const POINT = 64;
/**
 * Bytes per drawn point while the figures are written: measured 4.4 kB (collins-diversity at paper
 * size, one seed: 72,000 drawn points, 320 MB above a trivial run).
 */
const RENDER_POINT = 4096;
/** Heap and code a seed's run grows by whatever it computes (JIT code, GC's young generation). */
const RUN_BYTES = 8 * 2 ** 20;

const num = (v: unknown, fallback = 0): number =>
  typeof v === "number" && Number.isFinite(v) ? v : fallback;
/** The largest value of a list parameter (or the scalar itself). */
const maxOf = (v: unknown, fallback = 0): number =>
  Array.isArray(v) ? v.reduce((m: number, x) => Math.max(m, num(x, fallback)), fallback) : num(v, fallback);
const lengthOf = (v: unknown, fallback = 1): number => (Array.isArray(v) ? v.length : fallback);
const methodsOf = (p: Params, all: number): number => lengthOf(p.methods, all);

function collins(p: Params, conditions: number): Shape {
  const d = num(p.d);
  const k = Math.max(num(p.k), num(p.k_prime, 0));
  const n = Math.max(num(p.n, 0), maxOf(p.ns, 0), 1);
  const m = Math.max(num(p.m_in, 0), num(p.m_out, 0), maxOf(p.ms, 0), num(p.m, 0));
  const iters = Math.max(num(p.iters, 0), num(p.meta_iters, 0));
  // The direct sampler draws one task's m × d designs (in and out) at a time (measured: no growth
  // above a trivial run at n = 50, m = 2000, d = 200); per task O(m + d) of draws and heads.
  const design = p.sampler === "direct" ? 2 * m * d : 0;
  return {
    working: F64 * (design + n * (3 * (m + d) + 2 * d * k) + 6 * d * d + 8 * d * k),
    points: (iters + 1) * methodsOf(p, 5) * conditions,
  };
}

/** Du et al.'s two-stage pipeline at its largest setting: source rows held, target tasks, d × d moments. */
function fewShotWorking(p: Params, rows: number): number {
  const d = num(p.d);
  const n2 = Math.max(num(p.n2, 0), maxOf(p.n2s, 0));
  const targets = num(p.targets, 0);
  // Source X and y, and half again for the estimators' working arrays (measured: 149 MB above a
  // trivial run for 160 MB of X); target tasks' data; d × d moments.
  return F64 * (1.5 * rows * (d + 1) + targets * (n2 + 1) * (d + 1) + 4 * d * d);
}

function fewShot(p: Params): Shape {
  const T = Math.max(num(p.T, 0), maxOf(p.Ts, 0));
  const n1 = Math.max(num(p.n1, 0), maxOf(p.n1s, 0));
  const conditions =
    lengthOf(p.Ts, 1) +
    lengthOf(p.n1s, 1) +
    lengthOf(p.n2s, 1) +
    lengthOf(p.kappas, 1) +
    lengthOf(p.leans, 1);
  return { working: fewShotWorking(p, T * n1), points: 10 * conditions * methodsOf(p, 8) };
}

/**
 * Tripuraneni et al.'s grid: X (n1·T rows of d) is held only at settings a held method runs
 * (n1·T ≤ max_rows and a method other than MoM); MoM alone streams the rows through M̂ (d × d).
 * Where every method is MoM or Burer–Monteiro and every task is read from its statistics
 * (2·n1 > d), the rows stream too and the cell holds the tasks' X_tᵀX_t instead (packed, T·d(d+1)/2
 * doubles, in JS and pinned for BM's run: measured 223 MB for the whole process at n1 = 300,
 * T = 1600, d = 100, against 625 MB holding X).
 */
function tripuraneni(p: Params): Shape {
  const d = num(p.d);
  const k = num(p.k, 1);
  // One cell's condition (its T and n1, `cellWorkingMemory`) before the grid's lists.
  const Ts = typeof p.T === "number" ? [p.T] : Array.isArray(p.Ts) ? p.Ts.map((t) => num(t)) : [num(p.T)];
  const n1s =
    typeof p.n1 === "number" ? [p.n1] : Array.isArray(p.n1s) ? p.n1s.map((t) => num(t)) : [num(p.n1)];
  const methods = Array.isArray(p.methods) ? p.methods : ["mom"];
  const holds = methods.some((m) => m !== "mom");
  const fromStatistics = methods.every((m) => m === "mom" || m === "bm" || m === "bm-mom");
  let working = 0;
  for (const T of Ts)
    for (const n1 of n1s) {
      // Streaming: M̂ and its eigenvectors (d × d), one chunk of rows, the heads (T × k).
      let cell = F64 * (4 * d * d + 4096 * (d + 1) + T * k);
      if (holds && n1 * T <= num(p.max_rows, Number.POSITIVE_INFINITY)) {
        if (fromStatistics && 2 * n1 > d) {
          // Chunks of whole tasks on the 128-row grid (`alignedChunkRows`), X_tᵀX_t twice (JS,
          // pinned), X_tᵀy_t and the heads' unpacked blocks (32 tasks of d × d).
          let g = n1;
          for (let b = 128; b; ) [g, b] = [b, g % b];
          const unit = (n1 / g) * 128;
          const chunk = unit * Math.max(1, Math.floor(4096 / unit));
          cell += F64 * ((chunk - 4096) * (d + 1) + T * d * (d + 1) + 3 * T * d + 32 * d * d);
        } else {
          // Held: X and y, and half again for Burer–Monteiro's products (measured 144 MB above a
          // trivial run for 129 MB of X).
          cell = Math.max(cell, F64 * 1.5 * n1 * T * (d + 1));
        }
      }
      working = Math.max(working, cell);
    }
  return {
    working,
    points: Ts.length * n1s.length * (2 * methods.length + 1),
  };
}

function kong(p: Params): Shape {
  const d = num(p.d, num(p.d_light, 32));
  const n1 = num(p.n1, num(p.total, 0) / Math.max(num(p.t, 1), 1));
  const t1 = Math.max(num(p.t1, 0), num(p.t, 0), maxOf(p.ts, 0));
  const n2 = num(p.n2, 0);
  const t2 = Math.max(num(p.t2, 0), maxOf(p.t2s, 0), num(p.max_t2, 0));
  const L = Math.max(num(p.L, 1), maxOf(p.Ls, 1));
  const n3 = num(p.n3, 0);
  const t3 = Math.max(num(p.t3, 0), maxOf(p.t3s, 0));
  // The direct sampler holds X (rows × d) and about two more arrays of its size while the moments
  // are formed (measured: 830 MB above a trivial run for 262 MB of X); the projected one 2 numbers a row.
  const direct = p.sampler === "direct" ? 3 * d : 2;
  // kong-subspace's light tasks: `total` examples (split into n = total/t tasks of t), or ns × t.
  const light = p.total === undefined ? n1 * t1 : Math.max(num(p.total), maxOf(p.ns, 0) * num(p.t, 2));
  const rows = light + n2 * t2 * (2 * L + 2) + n3 * t3 + num(p.n_test, 0);
  return {
    working: F64 * (rows * (direct + 1) + n1 * d + n2 * n2 + n2 * d * (2 * L + 2) + 4 * d * d),
    points: 200 * Math.max(lengthOf(p.taus, 1), lengthOf(p.t2s, 1)),
  };
}

function robustPca(p: Params): Shape {
  const n = num(p.n);
  const d = num(p.d);
  const k = num(p.k, 1);
  // Data n × d, its corrupted copy and HRPCA's working copy; d × d covariances; projections n × k.
  return {
    working: F64 * (3 * n * d + 4 * d * d + 3 * n * k + 4 * n),
    points: 20 * lengthOf(p.alphas, 10) * methodsOf(p, 4),
  };
}

function cnn(p: Params): Shape {
  const d = num(p.d);
  const K = Math.max(num(p.K), maxOf(p.Ks, 0));
  const n = Math.max(num(p.n), maxOf(p.ns, 0));
  const P = num(p.patches, 2);
  const m = num(p.m, 20);
  const iters = num(p.iters);
  const perTask = (n + num(p.n_test, 0)) * P * d;
  const conditions = lengthOf(p.Ks, 1) + lengthOf(p.ns, 1) + lengthOf(p.snrs, 1);
  const records = Math.ceil(iters / Math.max(num(p.record_every, 1), 1)) + 1;
  // Data of every task (train and test), filters and their gradients for K single-task nets and one multi-task net.
  return {
    working: F64 * (K * perTask + 4 * (K + 1) * m * d),
    points: records * 4 * conditions * (K + 1),
  };
}

/**
 * Kong et al.'s sample-complexity laws: light tasks are drawn as half-sample moments (d × d, no
 * X); the heavy law holds n_H = tasks_per_component·k tasks of 2·t₂ examples in d = k + 1, at t₂
 * up to its threshold (doubling, so up to twice it); the threshold grows with k, bounded by max_t2.
 */
function kongScaling(p: Params): Shape {
  const d = Math.max(maxOf(p.ds, 0), num(p.d_light, 0));
  const kH = maxOf(p.ks_heavy, 0);
  const t2 = Math.min(num(p.max_t2, 4096), 12 * kH);
  const heavy = num(p.tasks_per_component, 8) * kH * 2 * t2 * (kH + 2);
  const conditions = lengthOf(p.ds, 1) + lengthOf(p.ks_light, 1) + lengthOf(p.ks_heavy, 1);
  return { working: F64 * (8 * d * d + heavy), points: 4 * conditions };
}

/** Networks trained by MAML (Finn et al.'s sinusoids, the nonlinear representation): small nets. */
function network(p: Params, conditions: number, quantities: number): Shape {
  const records = Math.ceil(num(p.iters) / Math.max(num(p.record_every, 1), 1)) + 1;
  const d = num(p.d, 1);
  const n = num(p.n, num(p.meta_batch, 1));
  const m = Math.max(num(p.m_in, 0) + num(p.m_out, 0), num(p.query_points, 0), 1);
  return {
    working: F64 * 16 * n * m * d,
    points: records * methodsOf(p, 4) * conditions * quantities,
  };
}

/**
 * Bouniot et al.'s penalty on a network (`bouniot-network`): a batch's sets on the tape, as
 * `network`, plus the validation and test tasks held while each run is scored; two dist curves
 * (penalty off and on) of iters + 1 points and the grid's validation points per condition.
 */
function networkPenalty(p: Params): Shape {
  const d = num(p.d, 1);
  const m = num(p.m_in, 1) + num(p.m_out, 1);
  const held = (num(p.validation, 0) + num(p.targets, 0)) * m * (d + 1);
  const grid = lengthOf(p.lambda_conds, 3) * lengthOf(p.lambda_norms, 2);
  return {
    working: F64 * (16 * num(p.n, 1) * m * d + held),
    points: lengthOf(p.mus, 2) * (2 * (num(p.iters) + 1) + 2 * grid),
  };
}

/**
 * Finn et al.'s sinusoids: an MLP of a few thousand weights; a meta-batch's activations and their
 * adjoints on the autodiff tape (tasks × points × hidden units × a few arrays each).
 */
function finn(p: Params): Shape {
  const opts = (p.model_options ?? {}) as { widths?: unknown };
  const units = Array.isArray(opts.widths) ? opts.widths.reduce((s: number, w) => s + num(w), 0) : 80;
  const points = num(p.query_points, 100) + maxOf(p.shots, 10);
  const records = Math.ceil(num(p.iters) / Math.max(num(p.record_every, 1), 1)) + 1;
  return {
    working: F64 * 8 * num(p.meta_batch, 25) * points * units * num(p.inner_steps, 1),
    points: records * methodsOf(p, 4) * lengthOf(p.shots, 2) * 2,
  };
}

function bouniot(p: Params): Shape {
  const parts = Array.isArray(p.parts) ? p.parts : ["collins", "du"];
  const grid = lengthOf(p.lambda_conds, 1) * lengthOf(p.lambda_norms, 1) + 1;
  const c = parts.includes("collins") ? collins({ ...p, methods: ["anil"] }, lengthOf(p.mus, 1)) : null;
  const du = parts.includes("du") ? fewShotWorking(p, num(p.T) * num(p.n1)) : 0;
  return {
    working: Math.max(c?.working ?? 0, du),
    // Per condition and arm (off / on) a few metrics; the grid's runs are not returned as curves.
    points: 2 * grid * (lengthOf(p.mus, 1) + lengthOf(p.kappas, 1)),
  };
}

const MODELS: Record<string, (p: Params) => Shape> = {
  "collins-convergence": (p) => collins(p, 1),
  "collins-head-init": (p) => collins(p, lengthOf(p.w0s, 3)),
  "collins-diversity": (p) => collins(p, lengthOf(p.mus, 4)),
  "collins-finite-samples": (p) =>
    collins(p, lengthOf(p.ms, 1) * lengthOf(p.ns, 1) * lengthOf(p.sigmas, 1) * (p.splits ? 2 : 1)),
  "du-excess-risk": fewShot,
  "du-diversity": fewShot,
  "du-covariance": fewShot,
  "tripuraneni-mom": tripuraneni,
  "bouniot-regularisation": bouniot,
  "bouniot-network": networkPenalty,
  "kong-subspace": kong,
  "kong-clustering": kong,
  "kong-projection": kong,
  "kong-classification": kong,
  "kong-prediction": kong,
  "kong-sine": kong,
  "kong-robust-pca": robustPca,
  "kong-scaling": kongScaling,
  "li-multitask-cnn": cnn,
  "li-dynamics": cnn,
  "finn-sinusoid": finn,
  "nonlinear-representation": (p) => network(p, lengthOf(p.mus, 3), 2),
  "sweep-probe": (p) => ({ working: F64 * Math.max(1, num(p.work)), points: 2, drawn: 0 }),
};

/**
 * One cell's working memory: the estimate at the parameters with the cell's condition laid over
 * them (a model that knows a condition's scalars, e.g. tripuraneni-mom's T and n1, reads them
 * before its lists; the others give the largest over the grid, an upper bound).
 */
export function cellWorkingMemory(
  experimentId: string,
  params: Params,
  condition: Record<string, unknown> = {},
): number {
  return estimateMemory(experimentId, { ...params, ...condition })?.working ?? 0;
}

/** The experiments with a memory estimate (li-cifar10c's depends on its data set, not its parameters). */
export const ESTIMATED_EXPERIMENTS: readonly string[] = Object.keys(MODELS);

/** The estimate for an experiment's resolved parameters, or null if it has none. */
export function estimateMemory(experimentId: string, params: Params): MemoryEstimate | null {
  const f = MODELS[experimentId];
  if (!f) return null;
  const s = f(params);
  return {
    working: s.working + RUN_BYTES,
    result: POINT * s.points,
    figures: RENDER_POINT * (s.drawn ?? s.points),
  };
}
