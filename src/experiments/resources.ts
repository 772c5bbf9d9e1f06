/**
 * Memory estimates of one seed of an experiment, from its resolved parameters, so that a run or a
 * sweep whose size would explode is refused before it allocates (issue 14; the CLI's guards in
 * src/cli/guards.ts compare them with `--max-memory`).
 *
 * An estimate is an order of magnitude, not an exact count: the largest arrays a seed holds at
 * once (8 bytes per float64, the data sets, d×d matrices, the curves it returns), rounded up. It
 * errs on the high side; within a factor of about two is good enough to tell a 50 MB run from a
 * 6 GB one. Experiments without an entry here are not estimated (their cell count is still
 * limited). Written as a table by experiment id so it can be re-wired as an optional
 * `estimateBytes(params)` on the Experiment type without changing the numbers.
 */

export interface MemoryEstimate {
  /** Peak working memory of one seed while it runs, in bytes. */
  working: number;
  /** Bytes of one seed's result held afterwards (curves, scalars; as objects and as JSON). */
  result: number;
}

type Params = Record<string, unknown>;

const F64 = 8;
/** A curve point held as numbers and as JSON text (x, y, object overhead). */
const POINT = 64;

const num = (v: unknown, fallback = 0): number =>
  typeof v === "number" && Number.isFinite(v) ? v : fallback;
/** The largest value of a list parameter (or the scalar itself). */
const maxOf = (v: unknown, fallback = 0): number =>
  Array.isArray(v) ? v.reduce((m: number, x) => Math.max(m, num(x, fallback)), fallback) : num(v, fallback);
const lengthOf = (v: unknown, fallback = 1): number => (Array.isArray(v) ? v.length : fallback);
const methodsOf = (p: Params, all: number): number => lengthOf(p.methods, all);

function collins(p: Params, conditions: number): MemoryEstimate {
  const d = num(p.d);
  const k = Math.max(num(p.k), num(p.k_prime, 0));
  const n = Math.max(num(p.n, 0), maxOf(p.ns, 0), 1);
  const m = Math.max(num(p.m_in, 0), num(p.m_out, 0), maxOf(p.ms, 0));
  const iters = num(p.iters);
  // Per task: the direct sampler holds m × d designs (in and out); the projected one O(m + d).
  const perTask = p.sampler === "direct" ? 2 * m * d : 3 * (m + d) + 2 * d * k;
  const working = F64 * (n * perTask + 6 * d * d + 8 * d * k) + 1e6;
  return { working, result: POINT * (iters + 1) * methodsOf(p, 5) * conditions };
}

function fewShot(p: Params): MemoryEstimate {
  const d = num(p.d);
  const T = Math.max(num(p.T, 0), maxOf(p.Ts, 0));
  const n1 = Math.max(num(p.n1, 0), maxOf(p.n1s, 0));
  const n2 = Math.max(num(p.n2, 0), maxOf(p.n2s, 0));
  const targets = num(p.targets, 0);
  const rows = p.max_rows === undefined ? T * n1 : Math.min(T * n1, num(p.max_rows));
  // Source X and y (twice: the estimators' copies), target tasks' data, d × d moment matrices.
  const working = F64 * (3 * rows * (d + 1) + targets * (n2 + 1) * (d + 1) + 4 * d * d + T * d) + 1e6;
  const points = lengthOf(p.Ts, 1) + lengthOf(p.n1s, 1) + lengthOf(p.n2s, 1) + lengthOf(p.kappas, 1);
  return { working, result: POINT * 10 * points * methodsOf(p, 8) };
}

function kong(p: Params): MemoryEstimate {
  const d = num(p.d, num(p.d_light, 32));
  const n1 = num(p.n1, num(p.total, 0) / Math.max(num(p.t, 1), 1));
  const t1 = Math.max(num(p.t1, 0), num(p.t, 0), maxOf(p.ts, 0));
  const n2 = num(p.n2, 0);
  const t2 = Math.max(num(p.t2, 0), maxOf(p.t2s, 0), num(p.max_t2, 0));
  const L = Math.max(num(p.L, 1), maxOf(p.Ls, 1));
  const n3 = num(p.n3, 0);
  const t3 = Math.max(num(p.t3, 0), maxOf(p.t3s, 0));
  const direct = p.sampler === "direct" ? d : 2;
  const rows = n1 * t1 + n2 * t2 * (2 * L + 2) + n3 * t3 + num(p.n_test, 0);
  const working = F64 * (rows * (direct + 1) + n1 * d + n2 * n2 + n2 * d * (2 * L + 2) + 4 * d * d) + 1e6;
  return { working, result: POINT * 200 * Math.max(lengthOf(p.taus, 1), lengthOf(p.t2s, 1)) };
}

function robustPca(p: Params): MemoryEstimate {
  const n = num(p.n);
  const d = num(p.d);
  const k = num(p.k, 1);
  // Data n × d, its corrupted copy and HRPCA's working copy; d × d covariances; projections n × k.
  const working = F64 * (3 * n * d + 4 * d * d + 3 * n * k + 4 * n) + 1e6;
  return { working, result: POINT * 20 * lengthOf(p.alphas, 10) * methodsOf(p, 4) };
}

function cnn(p: Params): MemoryEstimate {
  const d = num(p.d);
  const K = Math.max(num(p.K), maxOf(p.Ks, 0));
  const n = Math.max(num(p.n), maxOf(p.ns, 0));
  const P = num(p.patches, 2);
  const m = num(p.m, 20);
  const iters = num(p.iters);
  const perTask = (n + num(p.n_test, 0)) * P * d;
  // Data of every task (train and test), filters and their gradients for K single-task nets and one multi-task net.
  const working = F64 * (K * perTask + 4 * (K + 1) * m * d) + 1e6;
  const conditions = lengthOf(p.Ks, 1) + lengthOf(p.ns, 1) + lengthOf(p.snrs, 1);
  const records = Math.ceil(iters / Math.max(num(p.record_every, 1), 1)) + 1;
  return { working, result: POINT * records * 4 * conditions * (K + 1) };
}

export const MEMORY_ESTIMATES: Record<string, (p: Params) => MemoryEstimate> = {
  "collins-convergence": (p) => collins(p, 1),
  "collins-head-init": (p) => collins(p, lengthOf(p.w0s, 3)),
  "collins-diversity": (p) => collins(p, lengthOf(p.mus, 4)),
  "collins-finite-samples": (p) =>
    collins(p, lengthOf(p.ms, 1) * lengthOf(p.ns, 1) * lengthOf(p.sigmas, 1) * (p.splits ? 2 : 1)),
  "du-excess-risk": fewShot,
  "du-diversity": fewShot,
  "tripuraneni-mom": fewShot,
  "kong-subspace": kong,
  "kong-clustering": kong,
  "kong-projection": kong,
  "kong-classification": kong,
  "kong-prediction": kong,
  "kong-sine": kong,
  "kong-robust-pca": robustPca,
  "li-multitask-cnn": cnn,
  "li-dynamics": cnn,
  "sweep-probe": (p) => ({ working: F64 * Math.max(1, num(p.work)) + 1e5, result: POINT * 2 }),
};

/** The estimate for an experiment's resolved parameters, or null if it has none. */
export function estimateMemory(experimentId: string, params: Params): MemoryEstimate | null {
  const f = MEMORY_ESTIMATES[experimentId];
  return f ? f(params) : null;
}
