import { z } from "zod";
import {
  addTaskStatistics,
  burerMonteiroFromStatistics,
  emptyTaskStatistics,
  prefixTaskStatistics,
  statisticsHeadsOf,
  type TaskStatistics,
  usesStatistics,
} from "../../algorithms/representation/burerMonteiro.js";
import { getEstimator } from "../../algorithms/representation/estimators.js";
import { pinnedTaskHeads, taskHeads } from "../../algorithms/representation/heads.js";
import { randomBasis } from "../../algorithms/representation/init.js";
import { MomAccumulator, momFormsMatrix, momStreamedPrefixes } from "../../algorithms/representation/mom.js";
import type { EstimatorOptions, RepresentationFit } from "../../algorithms/representation/types.js";
import { GEMM_KC } from "../../linalg/gemm.js";
import { type Mat, matFrom, zeros } from "../../linalg/mat.js";
import { f64 } from "../../linalg/wasm/kernels.js";
import { headDiagnostics } from "../../metrics/conditioning.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import {
  type FewShotModel,
  STREAM_CHUNK_ROWS,
  type StreamOptions,
  sampleSourceTasks,
  streamSourceTasksPinned,
} from "../../models/fewShotTasks.js";
import { equalOffsets } from "../../models/multiTaskData.js";
import { foldInString, type Key } from "../../rng/key.js";
import { tripuraneniCost } from "../cost.js";
import {
  checkFewShot,
  estimatorOptions,
  fewShotFields,
  fewShotModel,
  fewShotStatus,
  fitMethods,
  joinSettings,
  startsFromMom,
} from "../fewShot.js";
import { listOf, posInt } from "../params.js";
import { conditionText } from "../runner.js";
import type { Condition, ConditionPart, Curve, Experiment, RunContext, RunResult } from "../types.js";
import { tripuraneniClaims } from "./claims.js";
import { duFigures } from "./figures.js";

const { T: _T, n1: _n1, n2: _n2, targets: _t, ridge: _r, ...fields } = fewShotFields;

const schema = z
  .strictObject({
    ...fields,
    d: fields.d.default(100),
    k: fields.k.default(5),
    heads: fields.heads.default("scaled"),
    methods: fields.methods.default(["mom", "bm"]),
    // Stopping rule (issue 22): at tol 1e-4 instead of 1e-6, BM's L-BFGS takes 43 evaluations, not
    // 55, at n1 = 25, T = 6400 (27 not 31 at n1 = 300, T = 1600: ~15 % of the experiment's BM time)
    // and sin θ moves by ≤ 1e-5 relative (0.080239 → 0.080240), far below what the claims and
    // the figure read (BM's and MoM's sin θ differ by a factor 4 at n1 = 25).
    bm_tol: fields.bm_tol.default(1e-4),
    Ts: listOf(posInt()).default([100, 200, 400, 800, 1600, 3200, 6400]).describe("source tasks T"),
    n1s: listOf(posInt()).default([5, 25, 300]).describe("rows per source task n1"),
    max_rows: posInt()
      .default(500_000)
      .describe(
        "skip settings with n1·T above this when a method needs X held (n1·T·d doubles); MoM alone streams rows",
      ),
  })
  .superRefine(checkFewShot);

/**
 * Tripuraneni, Jin, Jordan (ICML 2021), "Provable meta-learning of linear representations": the
 * subspace error sin θ = dist(B̂, B*) (unsquared) of the method-of-moments estimator and of
 * Burer–Monteiro factored ERM as the number of source tasks T grows, for several n1, in the setting
 * d=100, k=5, heads N(0, I_k/k) (defaults ours where the paper's are not restated). MoM's error
 * falls roughly like 1/√(n1T); BM (the rank-k least-squares fit) is below it. MoM alone never holds
 * X: its rows stream through M̂ (O(d²) memory), so its curve covers the whole grid (1.92 M rows at
 * n1=300, T=6400) whatever the other methods. Methods that need X held (BM) are skipped, with a
 * warning and a `skipped[n1=…,T=…]` scalar, where n1·T > `max_rows` (default 500 000 rows: 400 MB
 * of X per cell, so two cells at once stay within the default --max-memory). Where 2·n1 > d
 * (n1 = 300) BM reads every task from its sufficient statistics, so those settings stream their
 * rows too and never hold X (`streamsStatistics`; issue 22); nested T share a pass (`cellsOf`).
 * Curves: {method, n1, quantity: "sin θ"} over T (metric `slope`), learned-head `cond(Ŵ)`, and the
 * true heads' `cond(W*)` per n1.
 */
export const tripuraneniMom: Experiment<typeof schema> = {
  id: "tripuraneni-mom",
  title: "Subspace error of the method of moments and Burer–Monteiro vs the number of tasks",
  family: "du",
  lookFor:
    "The subspace error sin θ(B̂, B*) of the method of moments falls as the number of tasks T grows, faster with more rows per task n1; Burer–Monteiro, started from MoM, reaches a lower error at the same T.",
  paper: "Tripuraneni, Jin, Jordan. Provable Meta-Learning of Linear Representations. ICML 2021",
  description: "sin θ(B̂, B*) of MoM and Burer–Monteiro vs T, for n1 ∈ {5, 25, 300}, d=100, k=5",
  figures: duFigures["tripuraneni-mom"],
  claims: tripuraneniClaims,
  params: schema,
  sizes: { smoke: { d: 30, k: 3, Ts: [100, 400, 1600], n1s: [5, 25] }, paper: {} },
  seeds: { smoke: 1, paper: 3 },
  commonRandomNumbers: true,
  cost: (p, c) => tripuraneniCost(p, c.n1 as number, c.T as number, prefixesOf(c)),
  conditions: (p) => cellsOf(p),
  runCondition(p, c, key, ctx): RunResult {
    const n1 = c.n1 as number;
    const T = c.T as number;
    const model = fewShotModel({ ...p, T: 1, n1: 1, n2: 1, targets: 1, ridge: 0 });
    const safe = (v: number) => (Number.isFinite(v) ? v : Number.MAX_VALUE);
    const curve = (
      labels: Curve["labels"],
      yName: string,
      y: number,
      metrics: Curve["metrics"] = {},
    ): Curve => ({
      labels: { ...labels, n1, quantity: yName },
      xName: "T",
      yName,
      x: [T],
      y: [y],
      metrics: { final: y, ...metrics },
      status: "ok",
    });
    const curves: Curve[] = [];
    const held = n1 * T <= p.max_rows;
    if (!held || (p.methods.length === 1 && p.methods[0] === "mom")) {
      // Above max_rows only MoM runs: it streams the rows (same draws as sampleSourceTasks), M̂
      // accumulated chunk by chunk, X never held, so its curve covers the whole grid. A cell may
      // serve nested T (`prefixes`, see `cellsOf`): one pass, each T's numbers as its own cell's.
      const Ts = [...prefixesOf(c), T];
      const skipped = p.methods.filter((m) => m !== "mom");
      for (const t of Ts)
        if (n1 * t > p.max_rows && skipped.length) {
          ctx.warn(
            `tripuraneni-mom: skipped ${skipped.join(", ")} at n1=${n1}, T=${t} (n1·T = ${n1 * t} rows > max_rows = ${p.max_rows}: they hold X; MoM streams)`,
          );
        }
      if (!p.methods.includes("mom")) return { status: "ok" as const, curves: [], scalars: { skipped: 1 } };
      const chunk = { chunkRows: alignedChunkRows(n1) };
      const { fits, Bstar, W } = momStreamedPrefixes(model, Ts, n1, key, chunk);
      const heads = streamedHeads(
        model,
        Ts,
        n1,
        key,
        fits.map((f) => f.B),
        chunk,
      );
      const scalars: RunResult["scalars"] = {};
      Ts.forEach((t, i) => {
        const at = (cv: Curve): Curve => ({ ...cv, x: [t] });
        curves.push(
          at(curve({ method: "mom" }, "sin θ", subspaceDistance(fits[i].B, Bstar), { slope: null })),
        );
        curves.push(at(curve({ method: "mom" }, "cond(Ŵ)", safe(headDiagnostics(heads[i]).condition))));
        const Wt = matFrom(t, p.k, W.data.subarray(0, t * p.k));
        curves.push(at(curve({}, "cond(W*)", safe(headDiagnostics(Wt).condition))));
        if (n1 * t > p.max_rows && skipped.length) {
          if (Ts.length === 1) scalars.skipped = 1;
          else scalars[`skipped[n1=${n1},T=${t}]`] = 1;
        }
      });
      ctx.progress(1, 1);
      return { status: fewShotStatus(curves), curves, scalars };
    }
    if (streamsStatistics(p, n1, T)) {
      // Every method reads the tasks from sufficient statistics: one streamed pass, X never held;
      // nested smaller T (`prefixes`, see `cellsOf`) read the first tasks of the same pass.
      const Ts = [...prefixesOf(c), T];
      const { settings, Bstar, W } = fitFromStream(p, model, Ts, n1, key, ctx);
      Ts.forEach((t, j) => {
        const { fits, stats } = settings[j];
        const at = (cv: Curve): Curve => ({ ...cv, x: [t] });
        // The learned heads from the statistics (BᵀX_tᵀX_tB, BᵀX_tᵀy_t): taskHeads' to rounding.
        const heads = statisticsHeadsOf(
          stats,
          fits.map((f) => f.B),
        );
        p.methods.forEach((method, i) => {
          curves.push(at(curve({ method }, "sin θ", subspaceDistance(fits[i].B, Bstar), { slope: null })));
          curves.push(at(curve({ method }, "cond(Ŵ)", safe(headDiagnostics(heads[i]).condition))));
        });
        const Wt = matFrom(t, p.k, W.data.subarray(0, t * p.k));
        curves.push(at(curve({}, "cond(W*)", safe(headDiagnostics(Wt).condition))));
      });
      ctx.progress(1, 1);
      return { status: fewShotStatus(curves), curves, scalars: {} };
    }
    const src = sampleSourceTasks(model, T, n1, key);
    const fits = fitMethods({ ...p, T, n1, n2: 1, targets: 1, ridge: 0 }, src.data, src.Bstar, key, ctx);
    p.methods.forEach((method, i) => {
      const learns = getEstimator(method).learns;
      const dist = learns ? subspaceDistance(fits[i].B, src.Bstar) : 1;
      const cond = learns ? headDiagnostics(taskHeads(src.data, fits[i].B)).condition : Number.NaN;
      curves.push(curve({ method }, "sin θ", dist, { slope: null }));
      curves.push(curve({ method }, "cond(Ŵ)", safe(cond)));
    });
    curves.push(curve({}, "cond(W*)", safe(headDiagnostics(src.W).condition)));
    ctx.progress(1, 1);
    return { status: fewShotStatus(curves), curves, scalars: {} };
  },
  combine: (p, parts) => joinSettings(settingParts(p, parts), "T"),
};

/**
 * Learned heads ŵ_t = argmin ‖y_t − X_t B̂ w‖ of every source task, from a second pass over the
 * streamed rows (the same draws again), so cond(Ŵ) needs no held X either; for nested T (ascending,
 * each a whole number of chunks) one pass gives the heads of the first T tasks on each T's B̂. The
 * rows are read where the kernel module draws them (`pinnedTaskHeads`), not copied out.
 */
function streamedHeads(
  model: FewShotModel,
  Ts: readonly number[],
  n1: number,
  key: Key,
  Bs: readonly Mat[],
  options: StreamOptions,
): Mat[] {
  const Ws = Ts.map((t, i) => zeros(t, Bs[i].cols));
  streamSourceTasksPinned(
    model,
    Ts[Ts.length - 1],
    n1,
    key,
    (X, y, rows, firstTask) => {
      const offsets = equalOffsets(rows / n1, n1);
      Ts.forEach((t, i) => {
        if (firstTask < t) pinnedTaskHeads(X, y, offsets, Bs[i], Ws[i], firstTask);
      });
    },
    options,
  );
  return Ws;
}

/** The smaller nested T a cell serves besides its own T (`prefixes`: "800+1600", or none). */
function prefixesOf(c: Record<string, unknown>): number[] {
  return typeof c.prefixes === "string" && c.prefixes !== "" ? c.prefixes.split("+").map(Number) : [];
}

/**
 * The cells: one per (n1, T), except that the settings of one n1 read from statistics share one
 * cell (`fitFromStream` over the largest T's rows; n1 = 300, T ≤ 1600 at the paper size: ~1.1 of
 * 4.5 CPU-s per seed, the draws and X_tᵀX_t of the smaller T), and streamed MoM-only settings of one n1 whose draws nest
 * share a cell, whose pass over the largest T's rows reads off M̂ of each smaller T on the way
 * (`momStreamedPrefixes`) and whose second pass gives every T's heads: {n1, T (the largest),
 * prefixes: "T₁+T₂…"}. Nested means: T_max/T a power of two (M̂'s weights scale exactly) and T a
 * whole number of chunks, with heads drawn task by task (not the `condition` design, whose W* is
 * not a prefix). At the paper size n1 = 300, T = 3200 rides on T = 6400's pass: ~2.6 s of each
 * seed's 8.5 s there (draws and M̂ of 960,000 rows), with the same records (`combine` splits it).
 */
export function cellsOf(p: Params): Condition[] {
  const cells: Condition[] = [];
  for (const n1 of p.n1s) {
    const streamed = (T: number) =>
      p.methods.includes("mom") &&
      (n1 * T > p.max_rows || (p.methods.length === 1 && p.methods[0] === "mom"));
    const perChunk = alignedChunkRows(n1) / n1;
    const taken = new Set<number>();
    const nested = new Map<number, number[]>();
    if (p.heads !== "condition") {
      const Ts = [...new Set(p.Ts.filter(streamed))].sort((a, b) => b - a);
      for (const top of Ts) {
        if (taken.has(top)) continue;
        const under = Ts.filter((t) => {
          const r = top / t;
          return t < top && !taken.has(t) && Number.isInteger(r) && (r & (r - 1)) === 0 && t % perChunk === 0;
        });
        if (!under.length) continue;
        for (const t of under) taken.add(t);
        nested.set(
          top,
          under.sort((a, b) => a - b),
        );
      }
    }
    // Settings read from statistics share one pass over the largest one's rows (no power of two
    // needed: each T has its own M̂, fed from each chunk's start).
    if (p.heads !== "condition") {
      const fromStats = [...new Set(p.Ts.filter((T) => streamsStatistics(p, n1, T)))].sort((a, b) => a - b);
      if (fromStats.length > 1) {
        const top = fromStats[fromStats.length - 1];
        for (const t of fromStats.slice(0, -1)) taken.add(t);
        nested.set(top, fromStats.slice(0, -1));
      }
    }
    for (const T of p.Ts) {
      if (taken.has(T)) continue;
      const under = nested.get(T);
      cells.push(under ? { n1, T, prefixes: under.join("+") } : { n1, T });
    }
  }
  return cells;
}

/**
 * A seed's cells back as one part per (n1, T), in grid order: a nested cell's curves are split by
 * their T (labelled T as their own cell's were) and its scalars named for their own (n1, T), so
 * `joinSettings` gives the records of a cell per (n1, T).
 */
function settingParts(p: Params, parts: readonly ConditionPart[]): ConditionPart[] {
  const bySetting = new Map<string, ConditionPart>();
  for (const part of parts) {
    const n1 = part.condition.n1 as number;
    const prefixes = prefixesOf(part.condition);
    if (!prefixes.length) {
      bySetting.set(`${n1},${part.condition.T}`, part);
      continue;
    }
    const suffix = `[${conditionText(part.condition)}]`;
    for (const T of [...prefixes, part.condition.T as number]) {
      const curves = part.result.curves
        .filter((cv) => cv.x[0] === T)
        .map((cv) => {
          const { prefixes: _p, ...labels } = cv.labels;
          return { ...cv, labels: { ...labels, T } };
        });
      const scalars: RunResult["scalars"] = {};
      for (const [name, v] of Object.entries(part.result.scalars)) {
        const own = name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
        if (own === `skipped[n1=${n1},T=${T}]`) scalars[own] = v;
      }
      bySetting.set(`${n1},${T}`, {
        condition: { n1, T },
        result: { status: fewShotStatus(curves), curves, scalars },
      });
    }
  }
  return p.n1s.flatMap((n1) => p.Ts.flatMap((T) => bySetting.get(`${n1},${T}`) ?? []));
}

type Params = z.output<typeof schema>;

/** The methods `fitFromStream` runs: MoM and Burer–Monteiro (random or MoM start). */
const STREAMED_METHODS = new Set(["mom", "bm", "bm-mom"]);

/**
 * Whether the held setting (n1, T) runs from one streamed pass instead of held X (issue 22): every
 * method is MoM or Burer–Monteiro, every task is read from its sufficient statistics (2·n1 > d,
 * `usesStatistics`: at n1 = 300, d = 100 BM never reads the rows again), MoM forms M̂ (as it does on
 * held rows when `momFormsMatrix`), and a MoM-started BM has the MoM estimate to start from (MoM
 * runs too, as `fitMethods` hands it over). The records are then those of held X but for cond(Ŵ)
 * (heads from statistics: equal to rounding), and the cell holds T·d(d+1)/2 doubles of X_tᵀX_t
 * (64 MB at T = 1600) instead of n1·T·d of X (384 MB).
 */
export function streamsStatistics(p: Params, n1: number, T: number): boolean {
  if (n1 * T > p.max_rows || !usesStatistics(n1, p.d)) return false;
  if (p.methods.length === 1 && p.methods[0] === "mom") return false;
  const fromMom = (m: string) => startsFromMom(m, optionsOf(p, m));
  const needsMom = p.methods.some((m) => m === "mom" || fromMom(m));
  if (needsMom && !momFormsMatrix(n1 * T, p.d, p.k)) return false;
  return p.methods.every(
    (m) => STREAMED_METHODS.has(m) && (m === "mom" || !fromMom(m) || p.methods.includes("mom")),
  );
}

/** An estimator's options under this experiment's parameters (as `fitMethods` reads them). */
function optionsOf(p: Params, m: string): EstimatorOptions {
  return estimatorOptions({ ...p, T: 1, n1: 1, n2: 1, targets: 1, ridge: 0 }, m);
}

/** Greatest common divisor of two positive integers. */
function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Rows per streamed chunk at n1 rows per task: whole tasks and a multiple of GEMM_KC rows, about
 * STREAM_CHUNK_ROWS (9,600 at n1 = 300). The kernel adds M̂'s partial sums per GEMM_KC rows, so
 * chunks on that grid give M̂ the bits of `momMatrix` on held rows (blocks of MOM_BLOCK_ROWS, also on it).
 */
export function alignedChunkRows(n1: number): number {
  const unit = (n1 / gcd(n1, GEMM_KC)) * GEMM_KC;
  return unit * Math.max(1, Math.floor(STREAM_CHUNK_ROWS / unit));
}

/**
 * `fitMethods` on the source tasks of (T, n1) without holding them: one streamed pass over the rows
 * of `sampleSourceTasks` (the same draws) feeds M̂ (`MomAccumulator`), every task's sufficient
 * statistics (X_tᵀX_t, X_tᵀy_t, y_tᵀy_t, `addTaskStatistics`: the bits `taskStatistics` forms from
 * held rows) and, for Burer–Monteiro's random starts (drawn from their keys before any data), the
 * start heads (`pinnedTaskHeads`: the bits of `taskHeads`). MoM is then `acc.estimate`, and BM runs
 * on the statistics (`burerMonteiroFromStatistics`, the same objective), so every B̂ has the bits
 * of the held run. Saves the held copy of X (384 MB at n1 = 300, T = 1600) and one read of it.
 */
export function fitFromStream(
  p: Params,
  model: FewShotModel,
  Ts: readonly number[],
  n1: number,
  key: Key,
  ctx: RunContext,
): { settings: { fits: RepresentationFit[]; stats: TaskStatistics }[]; Bstar: Mat; W: Mat } {
  const { d, k } = p;
  const Tmax = Ts[Ts.length - 1];
  const stats = emptyTaskStatistics(d, equalOffsets(Tmax, n1), "auto");
  // One M̂ per T, each fed the rows of its first T tasks (from each chunk's start: the same
  // 128-row grid as a pass at that T alone).
  const accs = p.methods.includes("mom") ? Ts.map((T) => new MomAccumulator(d, n1 * T)) : [];
  const G = zeros(d, d);
  const options = new Map(p.methods.map((m) => [m, optionsOf(p, m)]));
  // The start heads of the largest T: those of a smaller T are its first rows (the same B₀).
  const starts = p.methods
    .filter((m) => m !== "mom" && !startsFromMom(m, options.get(m)!))
    .map((m) => ({ m, B0: randomBasis(foldInString(key, `estimator:${m}`), d, k), W0: zeros(Tmax, k) }));
  const { Bstar, W } = streamSourceTasksPinned(
    model,
    Tmax,
    n1,
    key,
    (X, y, rows, firstTask) => {
      accs.forEach((acc, i) => {
        const own = Math.min(rows, Math.max(0, (Ts[i] - firstTask) * n1));
        if (own > 0) acc.addPinned({ ...X, rows: own }, y, own);
      });
      const tasks = rows / n1;
      for (let v = 0; v < tasks; v++) {
        const at = X.at + 8 * v * n1 * d;
        addTaskStatistics(
          stats,
          firstTask + v,
          f64(),
          at / 8,
          { rows: n1, cols: d, at, stride: d },
          y,
          v * n1,
          G,
        );
      }
      const offsets = equalOffsets(tasks, n1);
      for (const s of starts) pinnedTaskHeads(X, y, offsets, s.B0, s.W0, firstTask);
    },
    { chunkRows: alignedChunkRows(n1) },
  );
  const settings = Ts.map((T, i) => {
    const own = T === Tmax ? stats : prefixTaskStatistics(stats, T);
    const mom = accs.length ? accs[i].estimate(k) : undefined;
    const fits = p.methods.map((m) => {
      if (m === "mom") return mom!;
      const start = starts.find((s) => s.m === m);
      return burerMonteiroFromStatistics(
        own,
        k,
        options.get(m)!,
        {
          key: foldInString(key, `estimator:${m}`),
          ...(start ? {} : { initBasis: mom!.B }),
          signal: ctx.signal,
        },
        m,
        start && matFrom(T, k, start.W0.data.slice(0, T * k)),
      );
    });
    return { fits, stats: own };
  });
  return { settings, Bstar, W };
}
