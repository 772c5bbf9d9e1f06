import { describe, expect, test } from "vitest";
import { matFrom } from "../linalg/mat.js";
import {
  allocTask,
  DenseSet,
  type LinearRepModel,
  sampleGroundTruth,
  sampleTask,
  type TaskData,
  type TaskSampleSet,
} from "../models/index.js";
import { foldIn, key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { finishMetaGradient, startMetaGradient } from "./metaGradient.js";
import { getMethod, METHOD_IDS, type MethodId } from "./methods.js";
import { centralDifference, relativeError } from "./testing.js";
import { allocWorkspace } from "./workspace.js";

/*
 * Independent reference: the outer objective written naively with nested arrays (no shared
 * kernels), differentiated by central finite differences. The closed forms must match to 1e-7.
 */
type Vec = number[];
type M = number[][]; // d × k'

/** X and y of a set (null for the population), materialised for the naive formulas. */
function data(
  set: TaskSampleSet,
  thetaStar: Float64Array,
): { X: Float64Array; y: Float64Array; m: number } | null {
  if (set.m === null) return null;
  if (!(set instanceof DenseSet)) throw new Error("finite-difference checks need the direct sampler");
  return { X: set.X, y: set.labels(thetaStar), m: set.m };
}

function naiveResid(set: TaskSampleSet, thetaStar: Float64Array, th: Vec): Vec {
  const d = th.length;
  const D = data(set, thetaStar);
  if (D === null) return th.map((v, i) => v - thetaStar[i]);
  const { X, y, m } = D;
  const g = new Array(d).fill(0);
  for (let j = 0; j < m; j++) {
    let e = -y[j];
    for (let i = 0; i < d; i++) e += X[j * d + i] * th[i];
    for (let i = 0; i < d; i++) g[i] += (e * X[j * d + i]) / m;
  }
  return g;
}

function naiveLoss(set: TaskSampleSet, thetaStar: Float64Array, th: Vec): number {
  const D = data(set, thetaStar);
  if (D === null) return 0.5 * th.reduce((s, v, i) => s + (v - thetaStar[i]) ** 2, 0);
  const { X, y, m } = D;
  const d = th.length;
  let acc = 0;
  for (let j = 0; j < m; j++) {
    let e = -y[j];
    for (let i = 0; i < d; i++) e += X[j * d + i] * th[i];
    acc += e * e;
  }
  return acc / (2 * m);
}

const matvec = (B: M, w: Vec): Vec => B.map((row) => row.reduce((s, b, c) => s + b * w[c], 0));
const tmatvec = (B: M, v: Vec): Vec => B[0].map((_, c) => B.reduce((s, row, i) => s + row[c] * v[i], 0));

/** Inner step of each method: the adapted (B', w'). */
function adapt(method: MethodId, B: M, w: Vec, t: TaskData, alpha: number): { Bp: M; wp: Vec } {
  if (method === "avg-gd") return { Bp: B, wp: w };
  const r = naiveResid(t.inner, t.theta, matvec(B, w));
  const gw = tmatvec(B, r);
  const wp = w.map((v, c) => v - alpha * gw[c]);
  if (method === "anil" || method === "fo-anil") return { Bp: B, wp };
  const Bp = B.map((row, i) => row.map((b, c) => b - alpha * r[i] * w[c]));
  return { Bp, wp };
}

const outerLoss = (t: TaskData, Bp: M, wp: Vec) => naiveLoss(t.outer, t.theta, matvec(Bp, wp));

function setup(mIn: number | null, mOut: number | null, kPrime: number) {
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
  for (let i = 0; i < 3; i++) {
    const t = allocTask(model);
    sampleTask(s, model, Bstar, sd, t);
    tasks.push(t);
  }
  // A generic (B, w): not at any special point, so every term of the gradient is exercised.
  const p = new Float64Array(model.d * kPrime + kPrime);
  stream(foldIn(key(3), kPrime)).fillNormal(p, 0, p.length);
  for (let i = 0; i < p.length; i++) p[i] *= 0.6;
  return { model, tasks, p: Array.from(p) };
}

function unpack(p: Vec, d: number, kp: number): { B: M; w: Vec } {
  const B: M = [];
  for (let i = 0; i < d; i++) B.push(p.slice(i * kp, (i + 1) * kp));
  return { B, w: p.slice(d * kp) };
}

function closedForm(method: MethodId, tasks: TaskData[], p: Vec, d: number, kp: number, alpha: number): Vec {
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
  ["population inner, finite outer", null, 7, 2],
];

describe.each(settings)("meta-gradients, %s", (_name, mIn, mOut, kp) => {
  const alpha = 0.3;
  const { model, tasks, p } = setup(mIn, mOut, kp);
  const d = model.d;

  test.each(["anil", "maml"] as const)("%s equals central differences of the outer objective", (method) => {
    const F = (q: Vec) => {
      const { B, w } = unpack(q, d, kp);
      return (
        tasks.reduce((s, t) => {
          const { Bp, wp } = adapt(method, B, w, t, alpha);
          return s + outerLoss(t, Bp, wp);
        }, 0) / tasks.length
      );
    };
    const err = relativeError(closedForm(method, tasks, p, d, kp, alpha), centralDifference(F, p, 1e-5));
    expect(err).toBeLessThan(1e-7);
  });

  test.each(["fo-anil", "fo-maml", "avg-gd"] as const)(
    "%s equals central differences of the outer loss at the adapted point (held fixed)",
    (method) => {
      // First order: the gradient of L_out w.r.t. (B', w') at the adapted point, averaged.
      const { B, w } = unpack(p, d, kp);
      const fd = new Array(p.length).fill(0);
      for (const t of tasks) {
        const { Bp, wp } = adapt(method, B, w, t, alpha);
        const q = [...Bp.flat(), ...wp];
        const g = centralDifference(
          (x) => {
            const u = unpack(x, d, kp);
            return outerLoss(t, u.B, u.w);
          },
          q,
          1e-5,
        );
        for (let i = 0; i < g.length; i++) fd[i] += g[i] / tasks.length;
      }
      expect(relativeError(closedForm(method, tasks, p, d, kp, alpha), fd)).toBeLessThan(1e-7);
    },
  );
});

test("the exact and first-order meta-gradients differ (the second-order terms are not zero)", () => {
  const { model, tasks, p } = setup(5, 7, 2);
  for (const [exact, fo] of [
    ["anil", "fo-anil"],
    ["maml", "fo-maml"],
  ] as const) {
    const a = closedForm(exact, tasks, p, model.d, 2, 0.3);
    const b = closedForm(fo, tasks, p, model.d, 2, 0.3);
    expect(relativeError(a, b)).toBeGreaterThan(1e-3);
    // …and coincide as α → 0 (then no adaptation is differentiated through).
    const a0 = closedForm(exact, tasks, p, model.d, 2, 1e-9);
    const b0 = closedForm(fo, tasks, p, model.d, 2, 1e-9);
    expect(relativeError(a0, b0)).toBeLessThan(1e-7);
  }
});

test("every method id has a gradient and unknown ids list the known ones", () => {
  expect(METHOD_IDS.map((id) => getMethod(id).id)).toEqual([...METHOD_IDS]);
  expect(() => getMethod("reptile")).toThrow(
    /unknown method "reptile"; known: anil, fo-anil, maml, fo-maml, avg-gd/,
  );
});
