/**
 * Cost models of experiments' cells (`Experiment.cost`), in estimated core-milliseconds: a work
 * count from the parameters times a constant measured once per kind of work (paper size, one core,
 * Node 20, the machine of issue 22). Only their order matters: the scheduler starts the costliest
 * cells first across every experiment of a `reproduce`. `cost.test.ts` checks each model's order
 * against operation counts of the work it models.
 */

/**
 * Gradient-based meta-learning (Collins et al.; `metaTrain`): iters × methods × n tasks, each
 * O(d·k') for the head and the population residual, plus with samples O((m_in + m_out)·d) for the
 * direct sampler's rows, or O(d) per finite set for the projected sampler's reveals (independent
 * of m: `ProjectedWishartSet`). `sampler` absent: the direct sampler's cost. With `span` (the
 * population formulas in span coordinates, `populationMetaGradient.ts`) at the population loss
 * (m_in = m_out = ∞) the tasks cost O(k'²) each and each iteration O(d·k') per method (the distance,
 * the batch's G_B): 19 µs per method and iteration at d = 20, k' = 3, n = 20.
 */
export function metaTrainCost(p: {
  iters: number;
  methods: readonly string[];
  n: number;
  d: number;
  k: number;
  k_prime?: number | null;
  m_in: number | null;
  m_out: number | null;
  sampler?: string;
  span?: boolean;
}): number {
  const kp = p.k_prime ?? p.k;
  // Nanoseconds per task and method: 2.8 µs at d = 20, k = 3 in population (the head, the
  // residuals, the task's draws); with samples, 2.5 ns per row entry for the direct sampler
  // (7.8 µs at m = 50), about 10 ns per dimension and finite set for the projected one (0.4 µs;
  // fused passes, issue 22).
  const finiteSets = (p.m_in === null ? 0 : 1) + (p.m_out === null ? 0 : 1);
  if (p.span && finiteSets === 0)
    return (p.iters * p.methods.length * (p.n * 50 * kp * kp + 170 * p.d * kp)) / 1e6;
  const samples =
    p.sampler === "projected" ? 10 * finiteSets * p.d : 2.5 * ((p.m_in ?? 0) + (p.m_out ?? 0)) * p.d;
  const perTask = 47 * p.d * kp + samples;
  return (p.iters * p.methods.length * p.n * perTask) / 1e6;
}

/**
 * Du et al.'s two-stage pipeline (`runSetting`): each estimator's passes over the source rows
 * (T·n1 rows of d) — MoM one, AltMin / AltMinGD one per round (with a stopping tolerance about 20
 * rounds: it converges by ~3 decades a round at n1 ≥ 25), Burer–Monteiro about 60 (L-BFGS
 * evaluations, their row pass in the kernel module), FO-ANIL half a pass per epoch (its task
 * gradients in the kernel module: 3× cheaper than two JS passes), ANIL 1.5 (residual products there) — then every method's least-squares head and excess risk on the target
 * tasks' rows, `targetSets` times (one source stage evaluated on several target distributions).
 * 6.8 ns per row entry and pass.
 */
export function fewShotCost(
  p: {
    d: number;
    methods: readonly string[];
    iters: number;
    tol?: number;
    anil_epochs: number;
    targets: number;
  },
  s: { T: number; n1: number; n2: number },
  targetSets = 1,
): number {
  let passes = 0;
  const rounds = (p.tol ?? 0) > 0 ? Math.min(p.iters, 20) : p.iters;
  for (const m of p.methods) {
    if (m === "mom") passes += 1;
    else if (m === "altmin" || m === "altmin-gd") passes += rounds;
    else if (m === "bm" || m === "bm-mom") passes += 60;
    else if (m === "fo-anil") passes += 0.5 * p.anil_epochs;
    else if (m === "anil") passes += 1.5 * p.anil_epochs;
  }
  const source = s.T * s.n1 * p.d * passes;
  const target = targetSets * p.targets * s.n2 * p.d * (p.methods.length + 1);
  return (6.8 * (source + target)) / 1e6;
}

/**
 * `tripuraneni-mom` at one (n1, T): MoM's pass over the n1·T rows of d (26 ns per row entry: held,
 * drawing X, M̂ and the heads; streamed, drawing every row twice; a cell that also serves nested
 * smaller T, `prefixes`, adds only their heads, 2 ns per entry), and where n1·T ≤ max_rows each
 * Burer–Monteiro fit: at n1 ≤ k the start is stationary (one evaluation; the heads and the copies:
 * 110 ns per row entry); otherwise its L-BFGS evaluations (25–45) read each task by a SIMD pass
 * over its rows when n1 ≤ d/2 (120 ns per row entry in all) or from its sufficient statistics when
 * n1 > d/2 (streamed with M̂'s pass: forming X_tᵀX_t, then d² per task and evaluation: 18 ns per
 * row entry in all), plus its per-task work (heads, balance term: 50 ns per d·k² and task).
 * Measured on seed 0 of the paper size (issue 22, after the kernels for the heads and the
 * statistics, and the streamed statistics).
 */
export function tripuraneniCost(
  p: { d: number; k: number; methods: readonly string[]; max_rows: number },
  n1: number,
  T: number,
  prefixes: readonly number[] = [],
): number {
  const entries = n1 * T * p.d;
  const held = n1 * T <= p.max_rows && p.methods.some((m) => m !== "mom");
  // A cell serving nested smaller T (`prefixes`) draws only its largest T's rows; each smaller T
  // adds, streamed MoM-only, its heads (2 ns per entry), or, from statistics, its own M̂ and fits
  // (21 ns per entry, 50 ns per d·k² and task).
  const prefix = prefixes.reduce(
    (s, t) => s + (held ? 21 * n1 * t * p.d + 50 * t * p.d * p.k * p.k : 2 * n1 * t * p.d),
    0,
  );
  let ns = (p.methods.includes("mom") ? 26 * entries : 0) + prefix;
  if (n1 * T <= p.max_rows) {
    for (const m of p.methods) {
      if (m !== "bm" && m !== "bm-mom") continue;
      if (n1 <= p.k) ns += 110 * entries;
      else ns += (2 * n1 > p.d ? 18 : 120) * entries + 50 * T * p.d * p.k * p.k;
    }
  }
  return ns / 1e6;
}

/**
 * Kong et al.'s pipeline (subspace, clustering, classification, prediction): the examples each
 * stage reads, times d (subspace: n1·t1; clustering: n2 heavy tasks of (2L + 2)·t2; classification
 * n3·t3 against k components; prediction `tests` new-task examples against k), 3 ns per entry.
 */
export function kongPipelineCost(p: {
  d: number;
  k: number;
  n1: number;
  t1: number;
  n2?: number;
  t2?: number;
  L?: number;
  n3?: number;
  t3?: number;
  tests?: number;
}): number {
  const heavy = (p.n2 ?? 0) * (p.t2 ?? 0) * (2 * (p.L ?? 1) + 2);
  const examples = p.n1 * p.t1 + heavy + ((p.n3 ?? 0) * (p.t3 ?? 0) + (p.tests ?? 0)) * p.k;
  return (3 * examples * p.d) / 1e6;
}

/** Li et al.'s CNN: K single-task trainings of n examples and one of K·n, `iters` steps (2.6 µs each). */
export function cnnCost(p: { iters: number }, K: number, n: number): number {
  return (2.6 * 2 * K * n * p.iters) / 1e3;
}
