import { AbortedError, ParamError } from "../errors.js";
import type { Mat } from "../linalg/mat.js";
import { zeros } from "../linalg/mat.js";
import { orthonormalize } from "../linalg/qr.js";
import { dotAt } from "../linalg/vector.js";
import { distanceTo } from "../metrics/subspace.js";
import {
  allocTask,
  hasProjected,
  headStd,
  type LinearRepModel,
  releaseTask,
  resetProjected,
  sampleGroundTruth,
  sampleTask,
} from "../models/linearRepresentation.js";
import { foldIn, foldInString, type Key, split } from "../rng/key.js";
import { NormalSource, stream } from "../rng/stream.js";
import { checkHeadPenalty, type HeadPenalty, type HeadSpectrum, penaltyActive } from "./headPenalty.js";
import { finishMetaGradient, startMetaGradient } from "./metaGradient.js";
import { getMethod } from "./methods.js";
import {
  allocBatchTasks,
  allocPenaltyWorkspace,
  checkPenalisedMethods,
  finishPenalisedBatch,
  penalisedTaskPhase,
  storedHeadSpectrum,
} from "./penalisedMetaGradient.js";
import {
  allocPopulationWorkspace,
  finishPopulationGradient,
  type PopulationTask,
  startPopulationGradient,
} from "./populationMetaGradient.js";
import { allocWorkspace, type MetaParams } from "./workspace.js";

/** Settings of a gradient-based meta-learning run (SPEC §1.2). */
export interface MetaTrainConfig {
  model: LinearRepModel;
  /** Method ids (built-in or registered by a plug-in). */
  methods: readonly string[];
  /** Learner width k' ≥ k. */
  kPrime: number;
  /** Tasks per outer iteration. */
  n: number;
  /** Inner step size. */
  alpha: number;
  /** Outer step size. */
  beta: number;
  iters: number;
  /** ‖w₀‖: 0 is the theory's initialisation; otherwise w₀ is this times a random unit vector. */
  w0Scale: number;
  /** An entry of B or w beyond this (or non-finite) is a divergence. Default 1e8. */
  divergenceThreshold?: number;
  /**
   * Bouniot et al.'s head penalty `λ1·κ(W̃)² + λ2·‖W̃W̃ᵀ‖_F`, W̃ = W'/√n, on the stacked adapted heads
   * W' (n × k') of each outer batch, added once to the mean outer loss (`penalisedMetaGradient.ts`). Default
   * none (λ1 = λ2 = 0: the unpenalised code path, bit for bit). Needs methods that adapt a head.
   */
  penalty?: Partial<HeadPenalty>;
  /**
   * Several penalties (arms) in one run, instead of `penalty`: every method trains once per entry
   * (undefined: none), all on the same batches, drawn once (the direct and population samplers;
   * the traces are those of one run per entry, bit for bit, in the order penalties × methods).
   */
  penalties?: readonly (Partial<HeadPenalty> | undefined)[];
  /**
   * Record the MetaMTReg diagnostics of W' per outer iteration in `MethodTrace.diagnostics`
   * (default false: nothing is computed).
   */
  diagnostics?: boolean;
  /**
   * At the population loss (m_in = m_out = ∞, no penalty, no diagnostics), use a method's
   * `populationGradient` (span coordinates, `populationMetaGradient.ts`) when it has one: equal to
   * the d-dimensional per-task formulas to rounding, at a fraction of the cost. Default false: where
   * a run's outcome hangs on rounding (MAML stalled at dist ≈ 1 from ‖w₀‖ = 1 escapes at an
   * iteration set by the last bits), another rounding is another outcome.
   */
  populationFormulas?: boolean;
  /**
   * A method's run ends (status "ok") at the first iteration its dist falls below this: its trace is
   * then the prefix of the unstopped run's (the other methods' numbers never depend on which
   * methods are still running). For a measured quantity that is settled once dist is far below
   * where it is read, e.g. float64's floor. Default none (every method runs `iters` iterations).
   */
  stopBelow?: number;
}

/**
 * The diagnostics `mini_maml.py` logs every step (Bouniot et al., ECCV 2022), of the stacked adapted
 * heads W' (n × k') of the batch of iteration t, at the parameters before that iteration's update:
 * entry t − 1 belongs to iteration t. `penalty` is R(W') (0 without a penalty).
 */
export interface HeadDiagnosticsTrace {
  sigmaMax: number[];
  sigmaMin: number[];
  condition: number[];
  gramNorm: number[];
  meanNorm: number[];
  penalty: number[];
}

export interface MetaDivergence {
  iteration: number;
  quantity: "B" | "w";
  value: number;
}

/** One method's trajectory. `dist[t]` is the distance after t updates (t = 0 is the start). */
export interface MethodTrace {
  method: string;
  dist: number[];
  status: "ok" | "diverged";
  diverged?: MetaDivergence;
  /** Final learner parameters (the last finite ones). */
  params: MetaParams;
  /** With `diagnostics: true`: W''s spectrum per iteration. */
  diagnostics?: HeadDiagnosticsTrace;
}

export interface MetaTrainResult {
  Bstar: Mat;
  traces: MethodTrace[];
}

export interface MetaTrainHooks {
  signal?: AbortSignal;
  /** Called after each outer iteration t (1-based), with the traces so far (read only). */
  onIteration?(t: number, iters: number, traces: readonly MethodTrace[]): void;
}

/**
 * Initial parameters from the theory: `B₀ = Q/√α` (so αB₀ᵀB₀ = I), Q a random orthonormal
 * d × k' basis; `w₀ = 0`, or `w0Scale` times a random unit vector.
 */
export function initialParams(
  key: Key,
  d: number,
  kPrime: number,
  alpha: number,
  w0Scale: number,
): MetaParams {
  const [kB, kw] = split(key, 2);
  const G = zeros(d, kPrime);
  stream(kB).fillNormal(G.data);
  const B = orthonormalize(G);
  const s = 1 / Math.sqrt(alpha);
  for (let i = 0; i < B.data.length; i++) B.data[i] *= s;
  const w = new Float64Array(kPrime);
  if (w0Scale !== 0) {
    stream(kw).fillNormal(w);
    let nrm = 0;
    for (const x of w) nrm += x * x;
    nrm = Math.sqrt(nrm);
    for (let c = 0; c < kPrime; c++) w[c] *= w0Scale / nrm;
  }
  return { B, w };
}

/** The key layout of a run: ground truth, initialisation, and one task key per iteration. */
export function runKeys(key: Key): { truth: Key; init: Key; tasks: Key } {
  const [truth, init, tasks] = split(key, 3);
  return { truth, init, tasks };
}

/**
 * Outer loop of Collins et al.: each iteration draws n fresh tasks (inner and outer data), every
 * method takes one step `(B, w) ← (B, w) − β · mean_i G_i` on the *same* tasks (common random
 * numbers: method differences are not sampling noise), and `dist` is recorded.
 *
 * Heads (and, with the direct sampler, the data) are drawn once per task and shared by the
 * methods, into reused buffers: nothing is allocated in the loop. With the projected sampler
 * each method reveals its own data lazily from a stream keyed by (iteration, method id), so a
 * method's numbers never depend on which other methods run. Divergence (non-finite or
 * |entry| > threshold) stops that method and is reported with its iteration; others go on.
 *
 * With `penalty` (λ1 or λ2 > 0) each step descends mean outer loss + R(W') of Bouniot et al.
 * (`penalisedMetaGradient.ts`): the n tasks of a batch are kept in n buffers (the penalty couples
 * them), drawn from the same stream in the same order, so the direct and population samplers see
 * the same data as without the penalty; the projected sampler reveals each method's data in
 * another order (same distribution, other draws). With `diagnostics: true` every trace carries the
 * MetaMTReg diagnostics of W' per iteration (`HeadDiagnosticsTrace`); neither option changes a byte
 * of the unpenalised path.
 *
 * Task families (`model.covariates`, `models/taskFamilies.ts`): the direct sampler draws every
 * task's inner and outer X from the family, and the meta-gradients use the sample moments
 * Σ̂ = XᵀX/m, ĉ = Xᵀy/m, so they are exact for any law of x. The population sets (m = ∞: Σ̂ = I,
 * ĉ = θ*) and the projected sampler assume x ~ N(0, I_d), and so do SPEC §1.2's rates; a family with
 * either is refused (`checkFamilySampling`) rather than run with the isotropic formulas.
 */
export function metaTrain(config: MetaTrainConfig, key: Key, hooks: MetaTrainHooks = {}): MetaTrainResult {
  const { model, n, alpha, beta, iters, kPrime } = config;
  const threshold = config.divergenceThreshold ?? 1e8;
  const stopBelow = config.stopBelow ?? Number.NEGATIVE_INFINITY;
  const keys = runKeys(key);
  const Bstar = sampleGroundTruth(keys.truth, model.d, model.k);
  const sd = headStd(model);
  // Direct-sampler sets are pinned in the kernel memory for the run (same draws and bits).
  const task = allocTask(model, undefined, true);
  try {
    const projected = hasProjected(task);
    // B*'s basis once, buffers reused: the same bits as subspaceDistance / captureDistance.
    const distanceToTruth = distanceTo(Bstar, kPrime, kPrime === model.k ? "subspace" : "capture");
    if (config.penalties && config.penalty)
      throw new ParamError("metaTrain", "penalties", "is given with penalty: give one of them", "both");
    if (config.penalties && projected)
      throw new ParamError(
        "metaTrain",
        "penalties",
        "needs the direct or population sampler (the projected one draws each run's data)",
        "projected",
      );
    const arms = (config.penalties ?? [config.penalty]).map((p) => checkHeadPenalty("metaTrain", p));
    const penalised = arms.some(penaltyActive);
    if (penalised) checkPenalisedMethods("metaTrain", config.methods);
    const withDiagnostics = config.diagnostics === true;
    // The penalty couples the tasks of a batch: keep all n tasks' data until the batch ends.
    // Pinned after `task`, so releasing `task` (finally) releases them too (a stack).
    const batch = penalised ? allocBatchTasks(model, n, undefined, true) : [];

    // Population batches in span coordinates: O(k'²) per task instead of O(d·k') (the
    // d-dimensional products were about two thirds of collins-diversity's run).
    const spanPath =
      model.mIn === null &&
      model.mOut === null &&
      !penalised &&
      !withDiagnostics &&
      config.populationFormulas === true;
    const popTask: PopulationTask = { wStar: task.wStar, tau: 0 };

    const runs = arms.flatMap((penalty) =>
      config.methods.map((id) => {
        const init = initialParams(keys.init, model.d, kPrime, alpha, config.w0Scale);
        const on = penaltyActive(penalty);
        const method = getMethod(id);
        return {
          penalty,
          /** Whether this run's steps carry the penalty (others step on the same batch unpenalised). */
          on,
          method,
          population: spanPath && method.populationGradient ? method.populationGradient : null,
          pop:
            spanPath && method.populationGradient ? allocPopulationWorkspace(model.d, model.k, kPrime) : null,
          /**
           * Name of this method's data stream under the projected sampler: keyed by the method's id,
           * never by its position in a list, so adding or reordering methods changes no method's draws.
           */
          stream: `method:${id}`,
          /** The projected sampler's normals, restarted on this method's stream every iteration. */
          normals: new NormalSource(stream(keys.init), NORMAL_BLOCK),
          task: projected ? allocTask(model, task) : task,
          params: init,
          ws: allocWorkspace(model.d, kPrime),
          trace: {
            method: id,
            dist: [distanceToTruth(init.B)],
            status: "ok",
            params: init,
            ...(withDiagnostics ? { diagnostics: emptyDiagnostics() } : {}),
          } as MethodTrace,
          active: true,
          batch: penalised && projected ? allocBatchTasks(model, n, batch[0]) : batch,
          pws: on || withDiagnostics ? allocPenaltyWorkspace(n, model.d, kPrime) : null,
        };
      }),
    );

    const traces = runs.map((r) => r.trace);
    for (let t = 1; t <= iters; t++) {
      if (hooks.signal?.aborted) throw new AbortedError(`metaTrain: stopped at iteration ${t}`);
      const active = runs.filter((r) => r.active);
      if (active.length === 0) break;
      for (const r of active) {
        if (r.pop) startPopulationGradient(r.params, Bstar, r.pop, r.ws);
        else startMetaGradient(r.params, r.ws);
      }
      const kt = foldIn(keys.tasks, t);
      const s = stream(kt);
      if (projected) for (const r of active) r.normals.restart(stream(foldInString(kt, r.stream)));
      for (let i = 0; i < n; i++) {
        if (penalised) {
          sampleTask(s, model, Bstar, sd, batch[i]);
          for (let j = 0; j < active.length; j++) {
            const r = active[j];
            if (!r.on) {
              // An unpenalised arm (`penalties`): the plain step on the batch's task.
              r.method.taskGradient(r.params, batch[i], alpha, r.ws);
              if (r.pws) r.pws.Wp.set(r.method.id === "avg-gd" ? r.params.w : r.ws.wp, i * kPrime);
              continue;
            }
            if (projected) resetProjected(r.batch[i], r.normals, model.sigma);
            penalisedTaskPhase(r.method.id, r.params, r.batch[i], alpha, r.ws, r.pws!, i);
          }
          continue;
        }
        sampleTask(s, model, Bstar, sd, task);
        if (spanPath) popTask.tau = dotAt(task.theta, 0, task.theta, 0, model.d);
        for (let j = 0; j < active.length; j++) {
          const r = active[j];
          if (r.population) {
            r.population(r.params, popTask, alpha, r.pop!, r.ws.Gw);
            continue;
          }
          if (projected) resetProjected(r.task, r.normals, model.sigma);
          r.method.taskGradient(r.params, r.task, alpha, r.ws);
          if (r.pws) r.pws.Wp.set(r.method.id === "avg-gd" ? r.params.w : r.ws.wp, i * kPrime);
        }
      }
      for (const r of active) {
        if (r.on) {
          const res = finishPenalisedBatch(r.method.id, r.params, r.batch, alpha, r.ws, r.pws!, r.penalty);
          if (withDiagnostics) pushDiagnostics(r.trace.diagnostics!, res.spectrum, res.value);
        } else if (r.pws) pushDiagnostics(r.trace.diagnostics!, storedHeadSpectrum(r.pws, n), 0);
        if (r.pop) finishPopulationGradient(r.params, Bstar, r.pop, r.ws, n);
        else finishMetaGradient(r.params, r.ws, n, alpha);
        const bad = step(r.params, r.ws.GB, r.ws.Gw, beta, threshold);
        if (bad) {
          r.active = false;
          r.trace.status = "diverged";
          r.trace.diverged = { iteration: t, ...bad };
          continue;
        }
        const dist = distanceToTruth(r.params.B);
        r.trace.dist.push(dist);
        if (dist < stopBelow) r.active = false;
      }
      hooks.onIteration?.(t, iters, traces);
    }
    return { Bstar, traces };
  } finally {
    releaseTask(task);
  }
}

function emptyDiagnostics(): HeadDiagnosticsTrace {
  return { sigmaMax: [], sigmaMin: [], condition: [], gramNorm: [], meanNorm: [], penalty: [] };
}

function pushDiagnostics(t: HeadDiagnosticsTrace, s: HeadSpectrum, penalty: number): void {
  t.sigmaMax.push(s.sigmaMax);
  t.sigmaMin.push(s.sigmaMin);
  t.condition.push(s.condition);
  t.gramNorm.push(s.gramNorm);
  t.meanNorm.push(s.meanNorm);
  t.penalty.push(penalty);
}

/**
 * `(B, w) ← (B, w) − β (G_B, G_w)`, committed only if every entry stays finite and within the
 * threshold; otherwise the parameters keep their last finite values and the culprit is returned.
 */
function step(
  p: MetaParams,
  GB: Float64Array,
  Gw: Float64Array,
  beta: number,
  threshold: number,
): { quantity: "B" | "w"; value: number } | null {
  const B = p.B.data;
  for (let i = 0; i < B.length; i++) {
    const v = B[i] - beta * GB[i];
    if (!(Math.abs(v) <= threshold)) return { quantity: "B", value: v };
  }
  for (let c = 0; c < p.w.length; c++) {
    const v = p.w[c] - beta * Gw[c];
    if (!(Math.abs(v) <= threshold)) return { quantity: "w", value: v };
  }
  for (let i = 0; i < B.length; i++) B[i] -= beta * GB[i];
  for (let c = 0; c < p.w.length; c++) p.w[c] -= beta * Gw[c];
  return null;
}

/**
 * Block of the projected sampler's normal sources. The draws do not depend on it; a refill costs
 * a kernel call, and an iteration's unused tail of the last block is wasted: 1024 costs ~9 ns a
 * normal against ~11 at 256, and wastes under half a block per method and iteration (a method uses
 * ~2,200 normals per iteration at m = 10, n = 20, ~11,000 at n = 100).
 */
const NORMAL_BLOCK = 1024;
