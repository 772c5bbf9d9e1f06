import { describe, expect, test } from "vitest";
import { matFrom } from "../linalg/mat.js";
import { conditionNumber } from "../metrics/conditioning.js";
import {
  allocTask,
  DenseSet,
  headStd,
  type LinearRepModel,
  sampleGroundTruth,
  sampleTask,
  type TaskData,
  type TaskSampleSet,
} from "../models/index.js";
import { foldIn, key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import type { HeadPenalty } from "./headPenalty.js";
import { finishMetaGradient, startMetaGradient } from "./metaGradient.js";
import { type MetaTrainConfig, metaTrain, runKeys } from "./metaTrain.js";
import { getMethod, type MethodId } from "./methods.js";
import { allocPenaltyWorkspace, finishPenalisedBatch, penalisedTaskPhase } from "./penalisedMetaGradient.js";
import { centralDifference, naiveHeadPenalty, relativeError } from "./testing.js";
import { allocWorkspace } from "./workspace.js";

/*
 * Independent reference: the penalised outer objective F(B, w) = mean_i L_out,i(B'_i, w'_i) + R(W')
 * written naively (nested arrays, no shared kernels), differentiated by central differences.
 */
type Vec = number[];
type M = number[][];

function materialise(set: TaskSampleSet, thetaStar: Float64Array) {
  if (set.m === null) return null;
  if (!(set instanceof DenseSet)) throw new Error("finite-difference checks need the direct sampler");
  return { X: set.X, y: set.labels(thetaStar), m: set.m };
}

function resid(set: TaskSampleSet, thetaStar: Float64Array, th: Vec): Vec {
  const D = materialise(set, thetaStar);
  if (D === null) return th.map((v, i) => v - thetaStar[i]);
  const d = th.length;
  const g = new Array(d).fill(0);
  for (let j = 0; j < D.m; j++) {
    let e = -D.y[j];
    for (let i = 0; i < d; i++) e += D.X[j * d + i] * th[i];
    for (let i = 0; i < d; i++) g[i] += (e * D.X[j * d + i]) / D.m;
  }
  return g;
}

function loss(set: TaskSampleSet, thetaStar: Float64Array, th: Vec): number {
  const D = materialise(set, thetaStar);
  if (D === null) return 0.5 * th.reduce((s, v, i) => s + (v - thetaStar[i]) ** 2, 0);
  const d = th.length;
  let acc = 0;
  for (let j = 0; j < D.m; j++) {
    let e = -D.y[j];
    for (let i = 0; i < d; i++) e += D.X[j * d + i] * th[i];
    acc += e * e;
  }
  return acc / (2 * D.m);
}

const matvec = (B: M, w: Vec): Vec => B.map((row) => row.reduce((s, b, c) => s + b * w[c], 0));
const tmatvec = (B: M, v: Vec): Vec => B[0].map((_, c) => B.reduce((s, row, i) => s + row[c] * v[i], 0));

function adapt(method: MethodId, B: M, w: Vec, t: TaskData, alpha: number): { Bp: M; wp: Vec } {
  const r = resid(t.inner, t.theta, matvec(B, w));
  const gw = tmatvec(B, r);
  const wp = w.map((v, c) => v - alpha * gw[c]);
  if (method === "anil" || method === "fo-anil") return { Bp: B, wp };
  return { Bp: B.map((row, i) => row.map((b, c) => b - alpha * r[i] * w[c])), wp };
}

function unpack(p: Vec, d: number, kp: number): { B: M; w: Vec } {
  const B: M = [];
  for (let i = 0; i < d; i++) B.push(p.slice(i * kp, (i + 1) * kp));
  return { B, w: p.slice(d * kp) };
}

// SPEC §1.3 written out (W̃ = W'/√n, eigenvalues, the n × n product): the reference does not share
// `headPenalty`'s code, so the chain through the normalisation is checked too.
const R = (W: Vec[], pen: HeadPenalty) => naiveHeadPenalty(W, pen);

function setup(mIn: number | null, mOut: number | null, kPrime: number, nTasks: number) {
  const model: LinearRepModel = {
    d: 6,
    k: 2,
    heads: "collins",
    mu: 0.7,
    headScale: 1,
    headMean: 0.3,
    sigma: 0.5,
    mIn,
    mOut,
    sampler: "direct",
  };
  const Bstar = sampleGroundTruth(key(1), model.d, model.k);
  const sd = new Float64Array([1, 0.7]);
  const tasks: TaskData[] = [];
  const s = stream(key(2));
  for (let i = 0; i < nTasks; i++) {
    const t = allocTask(model);
    sampleTask(s, model, Bstar, sd, t);
    tasks.push(t);
  }
  const p = new Float64Array(model.d * kPrime + kPrime);
  stream(foldIn(key(3), kPrime)).fillNormal(p, 0, p.length);
  for (let i = 0; i < p.length; i++) p[i] *= 0.6;
  return { model, tasks, p: Array.from(p) };
}

function penalisedClosedForm(
  method: MethodId,
  tasks: TaskData[],
  p: Vec,
  d: number,
  kp: number,
  alpha: number,
  pen: HeadPenalty,
): Vec {
  const params = {
    B: matFrom(d, kp, Float64Array.from(p.slice(0, d * kp))),
    w: Float64Array.from(p.slice(d * kp)),
  };
  const ws = allocWorkspace(d, kp);
  const pws = allocPenaltyWorkspace(tasks.length, d, kp);
  startMetaGradient(params, ws);
  for (let i = 0; i < tasks.length; i++) penalisedTaskPhase(method, params, tasks[i], alpha, ws, pws, i);
  finishPenalisedBatch(method, params, tasks, alpha, ws, pws, pen);
  finishMetaGradient(params, ws, tasks.length, alpha);
  return [...ws.GB, ...ws.Gw];
}

function plainClosedForm(
  method: MethodId,
  tasks: TaskData[],
  p: Vec,
  d: number,
  kp: number,
  alpha: number,
): Vec {
  const params = {
    B: matFrom(d, kp, Float64Array.from(p.slice(0, d * kp))),
    w: Float64Array.from(p.slice(d * kp)),
  };
  const ws = allocWorkspace(d, kp);
  startMetaGradient(params, ws);
  for (const t of tasks) getMethod(method).taskGradient(params, t, alpha, ws);
  finishMetaGradient(params, ws, tasks.length, alpha);
  return [...ws.GB, ...ws.Gw];
}

const settings: [string, number | null, number | null, number][] = [
  ["finite samples (m_in=5, m_out=7), k'=k", 5, 7, 2],
  ["population (m=∞), k'=k", null, null, 2],
  ["finite inner, population outer, wider learner k'=3", 5, null, 3],
];

const penalties: [string, HeadPenalty][] = [
  ["κ² only", { lambdaCond: 0.3, lambdaNorm: 0 }],
  ["‖W'W'ᵀ‖_F only", { lambdaCond: 0, lambdaNorm: 0.4 }],
  ["both", { lambdaCond: 0.2, lambdaNorm: 0.5 }],
];

describe.each(settings)("penalised meta-gradients, %s, 5 tasks", (_name, mIn, mOut, kp) => {
  const alpha = 0.3;
  const { model, tasks, p } = setup(mIn, mOut, kp, 5);
  const d = model.d;

  describe.each(penalties)("%s", (_pname, pen) => {
    test.each(["anil", "maml"] as const)(
      "%s equals central differences of mean outer loss + R(W'), through the inner step",
      (method) => {
        const F = (q: Vec) => {
          const { B, w } = unpack(q, d, kp);
          const heads: Vec[] = [];
          let L = 0;
          for (const t of tasks) {
            const { Bp, wp } = adapt(method, B, w, t, alpha);
            heads.push(wp);
            L += loss(t.outer, t.theta, matvec(Bp, wp));
          }
          return L / tasks.length + R(heads, pen);
        };
        const err = relativeError(
          penalisedClosedForm(method, tasks, p, d, kp, alpha, pen),
          centralDifference(F, p, 1e-5),
        );
        expect(err).toBeLessThan(1e-6);
      },
    );

    test.each(["fo-anil", "fo-maml"] as const)(
      "%s adds the gradient of R(W' + 1δᵀ) at δ = 0 to G_w (inner step as identity) and nothing to G_B",
      (method) => {
        const { B, w } = unpack(p, d, kp);
        const heads = tasks.map((t) => adapt(method, B, w, t, alpha).wp);
        const gDelta = centralDifference(
          (delta) =>
            R(
              heads.map((h) => h.map((v, c) => v + delta[c])),
              pen,
            ),
          new Array(kp).fill(0),
          1e-5,
        );
        const plain = plainClosedForm(method, tasks, p, d, kp, alpha);
        const pen1 = penalisedClosedForm(method, tasks, p, d, kp, alpha, pen);
        const nB = d * kp;
        expect(relativeError(pen1.slice(0, nB), plain.slice(0, nB))).toBeLessThan(1e-15);
        const dGw = pen1.slice(nB).map((v, c) => v - plain[nB + c]);
        expect(relativeError(dGw, gDelta)).toBeLessThan(1e-6);
      },
    );
  });

  test.each(["anil", "fo-anil", "maml", "fo-maml"] as const)(
    "%s: the two-phase code with λ = 0 equals the one-pass gradient",
    (method) => {
      const a = penalisedClosedForm(method, tasks, p, d, kp, alpha, { lambdaCond: 0, lambdaNorm: 0 });
      expect(relativeError(a, plainClosedForm(method, tasks, p, d, kp, alpha))).toBeLessThan(1e-13);
    },
  );
});

function collinsConfig(over: Partial<MetaTrainConfig> = {}): MetaTrainConfig {
  return {
    model: {
      d: 12,
      k: 3,
      heads: "collins",
      mu: 1 / 16,
      headScale: 1,
      headMean: 0,
      sigma: 0.3,
      mIn: 10,
      mOut: 10,
      sampler: "direct",
    },
    methods: ["anil", "fo-anil", "maml", "fo-maml"],
    kPrime: 3,
    n: 20,
    alpha: 0.4,
    beta: 0.4,
    iters: 30,
    w0Scale: 0,
    ...over,
  };
}

const bytes = (r: ReturnType<typeof metaTrain>) =>
  JSON.stringify(
    r.traces.map((t) => ({
      dist: t.dist,
      B: Array.from(t.params.B.data),
      w: Array.from(t.params.w),
      status: t.status,
    })),
  );

describe("metaTrain with the penalty option", () => {
  test("λ1 = λ2 = 0, and diagnostics on, give the same bytes as no option", () => {
    const base = bytes(metaTrain(collinsConfig(), key(5)));
    expect(bytes(metaTrain(collinsConfig({ penalty: { lambdaCond: 0, lambdaNorm: 0 } }), key(5)))).toBe(base);
    const diag = metaTrain(collinsConfig({ diagnostics: true }), key(5));
    expect(bytes(diag)).toBe(base);
    const tr = diag.traces[0].diagnostics!;
    expect(tr.condition).toHaveLength(30);
    expect(tr.sigmaMax[29] / tr.sigmaMin[29]).toBeCloseTo(tr.condition[29], 12);
    expect(tr.penalty.every((v) => v === 0)).toBe(true);
    expect(metaTrain(collinsConfig(), key(5)).traces[0].diagnostics).toBeUndefined();
  });

  test.each(["direct", "projected"] as const)(
    "a penalty changes the trajectory, deterministically (%s sampler)",
    (sampler) => {
      const model = { ...collinsConfig().model, sampler };
      const cfg = collinsConfig({
        model,
        // (λ1 = 0.01 lets projected-sampler MAML diverge at iteration 15 here: a κ² gradient is
        // 2λ1κ²/σ_min in size.)
        penalty: { lambdaCond: 0.005, lambdaNorm: 0.01 },
        diagnostics: true,
      });
      const a = metaTrain(cfg, key(5));
      expect(a.traces.every((t) => t.status === "ok")).toBe(true);
      expect(bytes(a)).toBe(bytes(metaTrain(cfg, key(5))));
      expect(bytes(a)).not.toBe(bytes(metaTrain(collinsConfig({ model }), key(5))));
      expect(a.traces[0].diagnostics!.penalty[0]).toBeGreaterThan(0);
      // The penalty term reported is R(W') of the recorded spectrum, with W̃ = W'/√n (n = 20).
      const dg = a.traces[0].diagnostics!;
      expect(dg.penalty[3]).toBeCloseTo(0.005 * dg.condition[3] ** 2 + (0.01 * dg.gramNorm[3]) / 20, 10);
    },
  );

  test("with the projected sampler, λ = 0 also gives the same bytes as no option", () => {
    const model = { ...collinsConfig().model, sampler: "projected" as const };
    expect(
      bytes(metaTrain(collinsConfig({ model, penalty: { lambdaCond: 0 }, diagnostics: true }), key(6))),
    ).toBe(bytes(metaTrain(collinsConfig({ model }), key(6))));
  });

  test.each([false, true])(
    "several penalties in one run (diagnostics %s) give each separate run's bytes, in the order penalties × methods",
    (diagnostics) => {
      const arms: (Partial<HeadPenalty> | undefined)[] = [
        undefined,
        { lambdaCond: 0.005 },
        { lambdaNorm: 0.01 },
        { lambdaCond: 0.005, lambdaNorm: 0.01 },
      ];
      const together = metaTrain(collinsConfig({ penalties: arms, diagnostics }), key(7));
      const apart = arms.flatMap(
        (penalty) =>
          metaTrain(collinsConfig({ ...(penalty ? { penalty } : {}), diagnostics }), key(7)).traces,
      );
      expect(together.traces).toHaveLength(16);
      expect(bytes(together)).toBe(bytes({ ...together, traces: apart }));
      if (diagnostics)
        expect(JSON.stringify(together.traces.map((t) => t.diagnostics))).toBe(
          JSON.stringify(apart.map((t) => t.diagnostics)),
        );
    },
  );

  test("penalties with penalty, or with the projected sampler, is a one-line error", () => {
    expect(() =>
      metaTrain(collinsConfig({ penalties: [undefined], penalty: { lambdaCond: 1 } }), key(0)),
    ).toThrow('metaTrain: "penalties" is given with penalty: give one of them; got "both".');
    const model = { ...collinsConfig().model, sampler: "projected" as const };
    expect(() => metaTrain(collinsConfig({ model, penalties: [undefined] }), key(0))).toThrow(
      /metaTrain: "penalties" needs the direct or population sampler/,
    );
  });

  test("a penalty with avg-gd, or a negative weight, is a one-line error", () => {
    expect(() =>
      metaTrain(collinsConfig({ methods: ["avg-gd"], penalty: { lambdaCond: 1 } }), key(0)),
    ).toThrow(
      /metaTrain: "methods" with lambda_cond or lambda_norm > 0 must be a built-in method that adapts a head .*; got "avg-gd"\./,
    );
    expect(() => metaTrain(collinsConfig({ penalty: { lambdaNorm: -0.5 } }), key(0))).toThrow(
      'metaTrain: "lambda_norm" must be a finite number ≥ 0; got -0.5.',
    );
  });

  test.each(["anil", "fo-anil", "maml", "fo-maml"] as const)(
    "%s with λ1 > 0 and ill-conditioned true heads (κ(W*) ≥ 16) lowers κ(W') on every seed, same data",
    (method) => {
      const cfg = collinsConfig({
        model: { ...collinsConfig().model, mu: 1 / 32 },
        methods: [method],
        iters: 60,
      });
      for (let seed = 0; seed < 4; seed++) {
        // The true heads of the first batch: rows from N(0, diag(1, 1, 1/32²)).
        const Wstar = new Float64Array(cfg.n * 3);
        const s = stream(foldIn(runKeys(key(seed)).tasks, 1));
        const Bstar = sampleGroundTruth(runKeys(key(seed)).truth, 12, 3);
        const t = allocTask(cfg.model);
        for (let i = 0; i < cfg.n; i++) {
          sampleTask(s, cfg.model, Bstar, headStd(cfg.model), t);
          Wstar.set(t.wStar, i * 3);
        }
        expect(conditionNumber(matFrom(cfg.n, 3, Wstar))).toBeGreaterThanOrEqual(16);
        const meanLast = (c: MetaTrainConfig) => {
          const k = metaTrain({ ...c, diagnostics: true }, key(seed)).traces[0].diagnostics!.condition;
          return k.slice(-10).reduce((a, v) => a + v, 0) / 10;
        };
        const plain = meanLast(cfg);
        const reg = meanLast({ ...cfg, penalty: { lambdaCond: 0.02 } });
        expect(reg).toBeLessThan(plain);
      }
    },
  );
});
