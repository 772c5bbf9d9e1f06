import { describe, expect, test } from "vitest";
import { ParamError } from "../../errors.js";
import { pinned, release } from "../../linalg/gemm.js";
import type { Mat } from "../../linalg/mat.js";
import type { PatchDataset } from "../../models/patchData.js";
import { key, split } from "../../rng/key.js";
import { Stream } from "../../rng/stream.js";
import {
  type Activation,
  activateInto,
  activation,
  activationDerivative,
  checkActivation,
} from "./activation.js";
import { exampleWeights, lossAndGradient } from "./gradient.js";
import { logisticLoss, logisticLossDerivative } from "./loss.js";
import { allocCnnWorkspace, blockExamples, cnnOutputs, initWeights } from "./network.js";
import { type CnnState, type CnnTrainConfig, cnnPath, cnnPathCosts, trainCnn } from "./train.js";

const ACTS: Activation[] = [
  { kind: "relu-power", q: 3 },
  { kind: "relu-power", q: 1.5 },
  { kind: "relu-power", q: 1 },
  { kind: "polynomial", q: 3 },
  { kind: "smoothed-relu", q: 3, rho: 0.4 },
];

/** Random data: N examples of P Gaussian patches in d, labels ±1, tasks round-robin. */
function randomData(seed: number, N: number, P: number, d: number, tasks = 2): PatchDataset {
  const s = new Stream(key(seed));
  const X = new Float64Array(N * P * d);
  s.fillNormal(X);
  const y = Float64Array.from({ length: N }, () => (s.uniform() < 0.5 ? 1 : -1));
  const task = Int32Array.from({ length: N }, (_, i) => i % tasks);
  return { count: N, P, d, X: { rows: N * P, cols: d, data: X }, y, task, tasks };
}

/** f(W, x_i) by the definition, one dot product at a time (no GEMM): the oracle. */
function naiveOutputs(W: Mat, act: Activation, data: PatchDataset): number[] {
  const m = W.rows / 2;
  const { d, P } = data;
  const out: number[] = [];
  for (let i = 0; i < data.count; i++) {
    let f = 0;
    for (let j = 0; j < 2 * m; j++)
      for (let p = 0; p < P; p++) {
        let z = 0;
        for (let k = 0; k < d; k++) z += W.data[j * d + k] * data.X.data[(i * P + p) * d + k];
        f += (j < m ? 1 : -1) * activation(act, z);
      }
    out.push(f / m);
  }
  return out;
}

function objective(W: Mat, act: Activation, lambda: number, data: PatchDataset, c: Float64Array): number {
  const out = naiveOutputs(W, act, data);
  let L = 0;
  out.forEach((f, i) => {
    L += c[i] * Math.log1p(Math.exp(-data.y[i] * f));
  });
  let sq = 0;
  for (const w of W.data) sq += w * w;
  return L + 0.5 * lambda * sq;
}

describe("activations", () => {
  test.each(ACTS.map((a) => [`${a.kind} q=${a.q}`, a] as const))(
    "%s: σ' matches central differences of σ, and activateInto matches the scalar functions",
    (_name, a) => {
      const zs = [-2.3, -0.7, -0.05, 0.05, 0.3, 0.39, 0.41, 1.1, 3.7];
      for (const z of zs) {
        const h = 1e-6;
        const fd = (activation(a, z + h) - activation(a, z - h)) / (2 * h);
        expect(Math.abs(fd - activationDerivative(a, z))).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
      }
      const z = Float64Array.from(zs);
      const v = new Float64Array(z.length);
      const s = new Float64Array(z.length);
      activateInto(a, z, v, s);
      zs.forEach((x, i) => {
        expect(Math.abs(v[i] - activation(a, x))).toBeLessThanOrEqual(1e-15 * Math.abs(v[i]));
        expect(Math.abs(s[i] - activationDerivative(a, x))).toBeLessThanOrEqual(1e-15 * Math.abs(s[i]));
      });
    },
  );

  test("activateInto for relu³ (branchless) gives the branch on z > 0's bits, NaN and ±∞ included", () => {
    const a: Activation = { kind: "relu-power", q: 3 };
    const s0 = new Stream(key(11));
    const zs = [0, -0, 1e-300, -1e-300, 2 ** 1023, Number.MAX_VALUE, Number.POSITIVE_INFINITY];
    for (let i = 0; i < 200; i++) zs.push(s0.normal() * 10 ** (s0.uniform() * 20 - 10));
    for (const extra of [[], [Number.NaN], [Number.NEGATIVE_INFINITY]]) {
      const z = Float64Array.from([...zs, ...extra]);
      const v = new Float64Array(z.length);
      const sl = new Float64Array(z.length);
      activateInto(a, z, v, sl);
      z.forEach((x, i) => {
        const x2 = x * x;
        expect(Object.is(v[i], x > 0 ? x2 * x : 0)).toBe(true);
        expect(Object.is(sl[i], x > 0 ? 3 * x2 : 0)).toBe(true);
      });
    }
  });

  test("relu-power is max(0, z)^q, polynomial is odd, smoothed-relu is C¹ at ρ and linear beyond", () => {
    expect(activation({ kind: "relu-power", q: 3 }, 2)).toBe(8);
    expect(activation({ kind: "relu-power", q: 3 }, -2)).toBe(0);
    expect(activation({ kind: "polynomial", q: 3 }, -2)).toBe(-8);
    const sm: Activation = { kind: "smoothed-relu", q: 3, rho: 0.5 };
    const below = activation(sm, 0.5 - 1e-9);
    const above = activation(sm, 0.5 + 1e-9);
    expect(Math.abs(below - above)).toBeLessThan(1e-8);
    expect(activationDerivative(sm, 0.5)).toBeCloseTo(1, 12);
    expect(activation(sm, 2) - activation(sm, 1)).toBeCloseTo(1, 12);
  });

  test.each([
    [{ kind: "relu-power", q: 0.5 }, /"q" must be ≥ 1; got 0.5/],
    [{ kind: "polynomial", q: 2 }, /"q" must be an odd integer.*got 2/],
    [{ kind: "smoothed-relu", q: 3 }, /"rho" must be > 0/],
    [{ kind: "tanh", q: 3 }, /"activation" must be one of relu-power, polynomial, smoothed-relu; got "tanh"/],
  ] as const)("bad activation %j is a one-line ParamError", (a, msg) => {
    expect(() => checkActivation(a as Activation)).toThrow(ParamError);
    expect(() => checkActivation(a as Activation)).toThrow(msg);
  });
});

describe("the logistic loss", () => {
  test("matches log(1 + e^{−z}) and its derivative where the naive formula is exact, and stays finite at the extremes", () => {
    for (const z of [-30, -3, -0.5, 0, 0.5, 3, 30]) {
      expect(logisticLoss(z)).toBeCloseTo(Math.log(1 + Math.exp(-z)), 12);
      expect(logisticLossDerivative(z)).toBeCloseTo(-1 / (1 + Math.exp(z)), 14);
    }
    expect(logisticLoss(1e4)).toBe(0);
    expect(logisticLoss(-1e4)).toBe(1e4);
    expect(logisticLossDerivative(-1e4)).toBe(-1);
    expect(logisticLossDerivative(1e4)).toBe(-0);
    expect(logisticLoss(Number.POSITIVE_INFINITY)).toBe(0);
  });
});

describe("the two-layer CNN", () => {
  test.each(ACTS.map((a) => [`${a.kind} q=${a.q}`, a] as const))(
    "%s: the GEMM forward pass equals the definition, one dot product at a time",
    (_name, a) => {
      const data = randomData(1, 7, 3, 11);
      const W = initWeights(key(2), { m: 4, d: 11 }, 0.7);
      const ours = cnnOutputs(W, a, data);
      naiveOutputs(W, a, data).forEach((f, i) => {
        expect(Math.abs(ours[i] - f)).toBeLessThan(1e-12 * (1 + Math.abs(f)));
      });
    },
  );

  test.each(ACTS.map((a) => [`${a.kind} q=${a.q}`, a] as const))(
    "%s: the analytic gradient (with weight decay and unequal example weights) matches central finite differences",
    (_name, a) => {
      const data = randomData(3, 6, 3, 8, 3);
      const c = Float64Array.from([0.3, 0.1, 0.25, 0.05, 0.2, 0.1]);
      const lambda = 0.03;
      // σ₀ keeps f of order one, so rounding in the differences stays far below the tolerance.
      const W = initWeights(key(4), { m: 3, d: 8 }, 0.4);
      const ws = allocCnnWorkspace(data.count, data.P, { m: 3, d: 8 });
      const L = lossAndGradient(W, a, lambda, data, c, ws);
      expect(Math.abs(L - objective(W, a, lambda, data, c))).toBeLessThan(1e-12);
      const h = 1e-6;
      let worst = 0;
      for (let k = 0; k < W.data.length; k++) {
        const w0 = W.data[k];
        W.data[k] = w0 + h;
        const up = objective(W, a, lambda, data, c);
        W.data[k] = w0 - h;
        const down = objective(W, a, lambda, data, c);
        W.data[k] = w0;
        const fd = (up - down) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - ws.grad.data[k]) / (1e-3 + Math.abs(fd)));
      }
      // The ReLU (q = 1) has a kink at 0: no preactivation here is within h of it.
      expect(worst).toBeLessThan(1e-6);
    },
  );

  test("a pass over many blocks of examples (the last one partial) gives the gradient of the one-shot formula", () => {
    const a: Activation = { kind: "relu-power", q: 3 };
    const d = 400;
    const N = 2 * blockExamples(2, d) + 7;
    const data = randomData(21, N, 2, d);
    const c = exampleWeights(data, "mean");
    const W = initWeights(key(22), { m: 2, d }, 0.05);
    const ws = allocCnnWorkspace(N, 2, { m: 2, d });
    const L = lossAndGradient(W, a, 0, data, c, ws);
    // One-shot: Z = X Wᵀ for all rows, then ∇ = Σ_rows D[row]ᵀ X[row], accumulated naively.
    const out = naiveOutputs(W, a, data);
    const grad = new Float64Array(4 * d);
    let loss = 0;
    for (let i = 0; i < N; i++) {
      const margin = data.y[i] * out[i];
      loss += c[i] * Math.log1p(Math.exp(-margin));
      const g = (c[i] * (-1 / (1 + Math.exp(margin))) * data.y[i]) / 2;
      for (let p = 0; p < 2; p++) {
        const x = data.X.data.subarray((i * 2 + p) * d, (i * 2 + p + 1) * d);
        for (let j = 0; j < 4; j++) {
          let z = 0;
          for (let k = 0; k < d; k++) z += W.data[j * d + k] * x[k];
          const coef = g * (j < 2 ? 1 : -1) * activationDerivative(a, z);
          for (let k = 0; k < d; k++) grad[j * d + k] += coef * x[k];
        }
      }
    }
    expect(L).toBeCloseTo(loss, 13);
    let worst = 0;
    let scale = 0;
    for (let k = 0; k < grad.length; k++) {
      worst = Math.max(worst, Math.abs(grad[k] - ws.grad.data[k]));
      scale = Math.max(scale, Math.abs(grad[k]));
    }
    expect(worst).toBeLessThan(1e-12 * scale);
  });

  test("f is invariant to permuting an example's patches and changes sign when the classes' filters swap", () => {
    const a: Activation = { kind: "relu-power", q: 3 };
    const data = randomData(5, 5, 4, 9);
    const W = initWeights(key(6), { m: 3, d: 9 }, 1);
    const f = cnnOutputs(W, a, data);
    const perm = [2, 0, 3, 1];
    const X = new Float64Array(data.X.data.length);
    for (let i = 0; i < data.count; i++)
      perm.forEach((q, p) => {
        X.set(data.X.data.subarray((i * 4 + q) * 9, (i * 4 + q + 1) * 9), (i * 4 + p) * 9);
      });
    const g = cnnOutputs(W, a, { ...data, X: { ...data.X, data: X } });
    const swapped = { rows: 6, cols: 9, data: new Float64Array(54) };
    swapped.data.set(W.data.subarray(27), 0);
    swapped.data.set(W.data.subarray(0, 27), 27);
    const h = cnnOutputs(swapped, a, data);
    for (let i = 0; i < data.count; i++) {
      expect(g[i]).toBeCloseTo(f[i], 12);
      expect(h[i]).toBeCloseTo(-f[i], 12);
    }
  });

  test("example weights: task-mean gives 1/n_t, mean gives 1/N", () => {
    const data = randomData(7, 5, 2, 3, 2); // tasks 0,1,0,1,0
    expect(Array.from(exampleWeights(data, "task-mean"))).toEqual([1 / 3, 1 / 2, 1 / 3, 1 / 2, 1 / 3]);
    expect(Array.from(exampleWeights(data, "mean"))).toEqual([0.2, 0.2, 0.2, 0.2, 0.2]);
  });

  test("initialisation has entries of standard deviation σ₀ and depends only on the key", () => {
    const W = initWeights(key(8), { m: 50, d: 100 }, 0.02);
    let s = 0;
    let s2 = 0;
    for (const w of W.data) {
      s += w;
      s2 += w * w;
    }
    const n = W.data.length;
    expect(Math.abs(s / n)).toBeLessThan(4 * (0.02 / Math.sqrt(n)));
    expect(Math.abs(Math.sqrt(s2 / n) / 0.02 - 1)).toBeLessThan(0.03);
    expect(initWeights(key(8), { m: 50, d: 100 }, 0.02).data).toEqual(W.data);
    expect(() => initWeights(key(8), { m: 0, d: 100 }, 0.02)).toThrow(/"m" must be an integer ≥ 1; got 0/);
  });
});

describe("gradient descent", () => {
  const a: Activation = { kind: "relu-power", q: 3 };

  test("with every example weight 0, weight decay alone gives W_t = (1 − ηλ)^t W_0", () => {
    const data = randomData(9, 4, 2, 5);
    const W0 = initWeights(key(10), { m: 2, d: 5 }, 1);
    const res = trainCnn({ activation: a, eta: 0.1, lambda: 0.5, iters: 20 }, data, new Float64Array(4), W0);
    expect(res.status).toBe("ok");
    const f = 0.95 ** 20;
    W0.data.forEach((w, k) => {
      expect(res.W.data[k]).toBeCloseTo(f * w, 13);
    });
  });

  test("one step is W − η ∇L, and small steps decrease the loss monotonically to fit the training labels", () => {
    const data = randomData(11, 20, 2, 40);
    const c = exampleWeights(data, "mean");
    const W0 = initWeights(key(12), { m: 5, d: 40 }, 0.3);
    const ws = allocCnnWorkspace(20, 2, { m: 5, d: 40 });
    lossAndGradient(W0, a, 0, data, c, ws);
    const one = trainCnn({ activation: a, eta: 0.05, lambda: 0, iters: 1, path: "primal" }, data, c, W0);
    W0.data.forEach((w, k) => {
      expect(one.W.data[k]).toBe(w - 0.05 * ws.grad.data[k]);
    });
    const losses: number[] = [];
    let fitted = 0;
    trainCnn({ activation: a, eta: 0.05, lambda: 0, iters: 300, recordEvery: 10 }, data, c, W0, {
      onRecord: (s) => {
        losses.push(s.loss);
        fitted = s.ws.out.reduce((acc, f, i) => acc + (f * data.y[i] > 0 ? 1 : 0), 0);
      },
    });
    expect(losses.length).toBe(31);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    expect(fitted).toBe(20);
  });

  test("X pinned in the kernel memory gives the same loss, gradient and outputs bit for bit as X copied per product", () => {
    const data = randomData(15, 37, 3, 23);
    const c = exampleWeights(data, "task-mean");
    const W0 = initWeights(key(16), { m: 4, d: 23 }, 0.5);
    const copied = allocCnnWorkspace(37, 3, { m: 4, d: 23 });
    const inPlace = allocCnnWorkspace(37, 3, { m: 4, d: 23 });
    inPlace.pinnedX = { source: data.X.data, mat: pinned(data.X) };
    try {
      const l1 = lossAndGradient(W0, a, 0.1, data, c, copied);
      const l2 = lossAndGradient(W0, a, 0.1, data, c, inPlace);
      expect(l2).toBe(l1);
      expect(Array.from(inPlace.grad.data)).toEqual(Array.from(copied.grad.data));
      expect(Array.from(inPlace.out)).toEqual(Array.from(copied.out));
    } finally {
      release(inPlace.pinnedX.mat);
    }
  });

  test("a step size far too large is recorded as a divergence with its step, not thrown", () => {
    const data = randomData(13, 10, 2, 30);
    const W0 = initWeights(key(14), { m: 3, d: 30 }, 1);
    const res = trainCnn(
      { activation: a, eta: 1e6, lambda: 0, iters: 50 },
      data,
      exampleWeights(data, "mean"),
      W0,
    );
    expect(res.status).toBe("diverged");
    expect(res.diverged!.iteration).toBeGreaterThan(0);
    expect(res.diverged!.iteration).toBeLessThanOrEqual(50);
    expect(res.W.data.every(Number.isFinite)).toBe(true);
    expect(res.steps).toBe(res.diverged!.iteration - (res.diverged!.quantity === "W" ? 1 : 0));
  });

  test.each([
    [{ path: "kernel" }, /"path" must be auto, primal or dual; got "kernel"/],
    [{ eta: 0 }, /"eta" must be > 0; got 0/],
    [{ eta: -1 }, /"eta" must be > 0; got -1/],
    [{ lambda: -0.1 }, /"lambda" must be ≥ 0; got -0.1/],
    [{ iters: 1.5 }, /"iters" must be an integer ≥ 0; got 1.5/],
    [{ activation: { kind: "relu-power", q: 0 } }, /"q" must be ≥ 1; got 0/],
  ] as const)("bad setting %j is a one-line ParamError", (bad, msg) => {
    const data = randomData(15, 2, 2, 3);
    const cfg = { activation: a, eta: 0.1, lambda: 0, iters: 1, ...bad };
    const run = () =>
      trainCnn(cfg as never, data, new Float64Array(2), initWeights(split(key(1), 1)[0], { m: 1, d: 3 }, 1));
    expect(run).toThrow(ParamError);
    expect(run).toThrow(msg);
  });
});

describe("the dual path (W_t = a_t W_0 + C_tᵀ X)", () => {
  /** Every record of a run: t, loss, outputs, preactivations and W. */
  function traced(cfg: CnnTrainConfig, data: PatchDataset, c: Float64Array, W0: Mat) {
    const records: { t: number; loss: number; out: number[]; Z: number[]; W: number[] }[] = [];
    const res = trainCnn(cfg, data, c, W0, {
      onRecord: (s: CnnState) =>
        records.push({
          t: s.t,
          loss: s.loss,
          out: Array.from(s.ws.out),
          Z: Array.from(s.ws.Z.data),
          W: Array.from(s.W.data),
        }),
    });
    return { res, records };
  }

  function relDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
    let diff = 0;
    let scale = 0;
    for (let k = 0; k < x.length; k++) {
      diff = Math.max(diff, Math.abs(x[k] - y[k]));
      scale = Math.max(scale, Math.abs(x[k]));
    }
    return diff / scale;
  }

  test.each(ACTS.map((act, i) => [act, i % 2 === 0 ? 0 : 0.05] as const))(
    "%j, λ = %s: the same iterates, losses, outputs and preactivations as the primal path at every record",
    (act, lambda) => {
      const data = randomData(21, 12, 3, 50);
      const c = exampleWeights(data, "task-mean");
      const W0 = initWeights(key(22), { m: 4, d: 50 }, 0.1);
      const cfg = { activation: act, eta: 0.02, lambda, iters: 60, recordEvery: 7 };
      const primal = traced({ ...cfg, path: "primal" }, data, c, W0);
      const dual = traced({ ...cfg, path: "dual" }, data, c, W0);
      expect(dual.res.status).toBe("ok");
      expect(dual.res.steps).toBe(60);
      expect(dual.records.map((r) => r.t)).toEqual([0, 7, 14, 21, 28, 35, 42, 49, 56, 60]);
      expect(dual.records.map((r) => r.t)).toEqual(primal.records.map((r) => r.t));
      // t = 0 is the same computation on both paths: the same bits.
      expect(dual.records[0]).toEqual(primal.records[0]);
      // Training moved W (the comparison below is not of two copies of W_0).
      expect(relDiff(primal.res.W.data, W0.data)).toBeGreaterThan(1e-3);
      primal.records.forEach((p, i) => {
        const q = dual.records[i];
        expect(Math.abs(q.loss - p.loss)).toBeLessThan(1e-12 * Math.abs(p.loss));
        expect(relDiff(p.out, q.out)).toBeLessThan(1e-11);
        expect(relDiff(p.Z, q.Z)).toBeLessThan(1e-11);
        expect(relDiff(p.W, q.W)).toBeLessThan(1e-12);
      });
      expect(relDiff(primal.res.W.data, dual.res.W.data)).toBeLessThan(1e-12);
    },
  );

  test("with every example weight 0, W_t = (1 − ηλ)^t W_0 on the dual path too", () => {
    const data = randomData(9, 4, 2, 5);
    const W0 = initWeights(key(10), { m: 2, d: 5 }, 1);
    const cfg = { activation: { kind: "relu-power", q: 3 } as Activation, eta: 0.1, lambda: 0.5, iters: 20 };
    const res = trainCnn({ ...cfg, path: "dual" }, data, new Float64Array(4), W0);
    expect(res.status).toBe("ok");
    W0.data.forEach((w, k) => {
      expect(res.W.data[k]).toBeCloseTo(0.95 ** 20 * w, 13);
    });
  });

  test.each([1e6, 3e3])(
    "a step size of %s diverges at the same step, with the same quantity and last iterate, as on the primal path",
    (eta) => {
      const data = randomData(13, 10, 2, 30);
      const W0 = initWeights(key(14), { m: 3, d: 30 }, 1);
      const c = exampleWeights(data, "mean");
      const cfg = { activation: { kind: "relu-power", q: 3 } as Activation, eta, lambda: 0, iters: 50 };
      const primal = trainCnn({ ...cfg, path: "primal" }, data, c, W0);
      const dual = trainCnn({ ...cfg, path: "dual" }, data, c, W0);
      expect(primal.status).toBe("diverged");
      expect(dual.status).toBe("diverged");
      expect(dual.diverged?.iteration).toBe(primal.diverged?.iteration);
      expect(dual.diverged?.quantity).toBe(primal.diverged?.quantity);
      expect(dual.steps).toBe(primal.steps);
      expect(dual.W.data.every(Number.isFinite)).toBe(true);
      expect(relDiff(primal.W.data, dual.W.data)).toBeLessThan(1e-9);
    },
  );

  test("a threshold the cheap bound passes but W does not reach: the dual path forms W, checks it and goes on", () => {
    const data = randomData(23, 10, 2, 30);
    const W0 = initWeights(key(24), { m: 3, d: 30 }, 0.1);
    const c = exampleWeights(data, "mean");
    const cfg = { activation: { kind: "relu-power", q: 3 } as Activation, eta: 0.02, lambda: 0, iters: 40 };
    const free = trainCnn({ ...cfg, path: "primal" }, data, c, W0);
    let peak = 0;
    trainCnn({ ...cfg, path: "primal" }, data, c, W0, {
      onRecord: (s) => {
        for (const w of s.W.data) peak = Math.max(peak, Math.abs(w));
      },
    });
    // Just above every |W_t| entry: no divergence, though the bound |a|·max|W_0| + max|X|·Σ_r|C|
    // exceeds it from the first step on (max|X| ≈ 4 on these Gaussian patches, and W moves).
    expect(relDiff(free.W.data, W0.data)).toBeGreaterThan(0.05);
    const above = trainCnn({ ...cfg, path: "dual", divergenceThreshold: peak * (1 + 1e-9) }, data, c, W0);
    expect(above.status).toBe("ok");
    expect(relDiff(free.W.data, above.W.data)).toBeLessThan(1e-12);
    // Just below: both paths stop at the same step.
    const below = { ...cfg, divergenceThreshold: peak * (1 - 1e-6) };
    const p = trainCnn({ ...below, path: "primal" }, data, c, W0);
    const q = trainCnn({ ...below, path: "dual" }, data, c, W0);
    expect(p.status).toBe("diverged");
    expect(q.diverged).toEqual({ ...p.diverged, value: q.diverged?.value });
    expect(Math.abs((q.diverged?.value ?? 0) - (p.diverged?.value ?? 0))).toBeLessThan(1e-12 * peak);
  });

  test("auto takes the path with fewer multiply-adds, and runs it bit for bit", () => {
    const act: Activation = { kind: "relu-power", q: 3 };
    // 100 rows of X in d = 400 (a single task): dual; 1000 rows: primal.
    const few = randomData(31, 50, 2, 400);
    const many = randomData(32, 500, 2, 400);
    const middle = randomData(34, 250, 2, 400);
    const cfg = { activation: act, eta: 0.5, lambda: 0, iters: 20 };
    expect(cnnPath(cfg, few, 40, false)).toBe("dual");
    expect(cnnPath(cfg, many, 40, false)).toBe("primal");
    expect(cnnPath({ ...cfg, path: "primal" }, few, 40, false)).toBe("primal");
    // 500 rows < 2d over 100 steps: dual, unless W is formed at every step (a record every step);
    // over 20 steps forming G (R²·d) does not pay.
    expect(cnnPath({ ...cfg, iters: 100, recordEvery: 10 }, middle, 40, true)).toBe("dual");
    expect(cnnPath({ ...cfg, iters: 100, recordEvery: 1 }, middle, 40, true)).toBe("primal");
    expect(cnnPath({ ...cfg, iters: 20, recordEvery: 10 }, middle, 40, true)).toBe("primal");
    const costs = cnnPathCosts(100, 400, 40, 20, 0);
    expect(costs.primal).toBe(20 * 2 * 100 * 400 * 40 + 100 * 400 * 40);
    expect(costs.dual).toBe(100 * 100 * 400 + 100 * 400 * 40 + 20 * 100 * 100 * 40 + 100 * 400 * 40);
    const W0 = initWeights(key(33), { m: 20, d: 400 }, 0.02);
    const c = exampleWeights(few, "mean");
    const auto = trainCnn(cfg, few, c, W0);
    const dual = trainCnn({ ...cfg, path: "dual" }, few, c, W0);
    expect(Array.from(auto.W.data)).toEqual(Array.from(dual.W.data));
  });
});
