import { describe, expect, test } from "vitest";
import { z } from "zod";
import { grad } from "../../autodiff/grad.js";
import { add, mul, sum } from "../../autodiff/ops.js";
import { Tape, type Tensor } from "../../autodiff/tape.js";
import { ParamError } from "../../errors.js";
import { matFrom } from "../../linalg/mat.js";
import { key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { headPenalty } from "../headPenalty.js";
import { relativeError } from "../testing.js";
import {
  adaptAndEvaluate,
  blockedMetaGradient,
  canBlock,
  innerLoop,
  type ModelRef,
  networkMetaGradient,
  perTaskMetaGradient,
  type RegressionTask,
  setLoss,
} from "./metaGradient.js";
import { getNetworkMethod, networkMethods } from "./methods.js";
import { buildModel, ModelError, type NetworkModel, networkModels, predict } from "./models.js";
import { ADAM, trainNetwork } from "./train.js";

function randomTask(seed: number, inputs: number, mIn: number, mOut: number): RegressionTask {
  const s = stream(key(seed));
  const set = (m: number) => {
    const x = s.fillNormal(new Float64Array(m * inputs));
    const y = s.fillNormal(new Float64Array(m));
    return { x: matFrom(m, inputs, x), y: matFrom(m, 1, y) };
  };
  return { inner: set(mIn), outer: set(mOut) };
}

function flat(ps: readonly Float64Array[]): number[] {
  return ps.flatMap((p) => [...p]);
}

function unflat(v: readonly number[], like: readonly Float64Array[]): Float64Array[] {
  let o = 0;
  return like.map((p) => {
    const q = Float64Array.from(v.slice(o, o + p.length));
    o += p.length;
    return q;
  });
}

/**
 * The meta-objective F(θ) = mean_t L_out(φ_t(θ)), evaluated directly (no gradient of it); with a
 * penalty, plus R(W′) of the stacked adapted head weights (the last weight tensor; its bias is the
 * tensor after it).
 */
function metaObjective(
  id: string,
  m: ModelRef,
  params: Float64Array[],
  tasks: RegressionTask[],
  steps: number,
  alpha: number,
  penalty?: { lambdaCond: number; lambdaNorm: number },
): number {
  const tape = new Tape();
  let acc = 0;
  const h = m.model.shapes.length - m.model.headSize;
  const heads: number[] = [];
  for (const t of tasks) {
    tape.reset();
    const theta = m.model.shapes.map(([r, c], i) => tape.variable(params[i], r, c));
    const phi = innerLoop(tape, getNetworkMethod(id), m, theta, t, { alpha, steps, loss: "mse" });
    acc += setLoss(tape, m, phi, t.outer, "mse").data[0];
    heads.push(...phi[h].data);
  }
  const R = penalty
    ? headPenalty(matFrom(tasks.length, heads.length / tasks.length, Float64Array.from(heads)), penalty).value
    : 0;
  return acc / tasks.length + R;
}

function centralDiff(f: (v: number[]) => number, v: number[], h: number): number[] {
  return v.map((_, i) => {
    const up = v.slice();
    const down = v.slice();
    up[i] += h;
    down[i] -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

describe.each([
  ["tanh", [6, 5]],
  ["relu", [7]],
  ["sin", [4, 4]],
] as const)(
  "exact meta-gradients on a random %s MLP equal central differences of the meta-objective",
  (activation, widths) => {
    const model = buildModel("mlp", { widths: [...widths], activation }, { inputs: 2, outputs: 1 });
    const m = { id: "mlp", model };
    const params = model.init(key(5));
    // Random biases too, so every parameter matters (init sets them to 0).
    for (let i = 1; i < params.length; i += 2)
      stream(key(40 + i)).fillNormal(params[i], 0, params[i].length, 0.3);
    const tasks = [randomTask(1, 2, 6, 8), randomTask(2, 2, 5, 7), randomTask(3, 2, 6, 6)];
    test.each([
      ["maml", 1],
      ["maml", 3],
      ["anil", 2],
      ["avg-gd", 1],
    ] as const)("%s with %i inner steps", (id, steps) => {
      const alpha = 0.1;
      const out = params.map((p) => new Float64Array(p.length));
      networkMetaGradient(
        new Tape(),
        getNetworkMethod(id),
        m,
        params,
        tasks,
        { alpha, steps, loss: "mse" },
        out,
      );
      const fd = centralDiff(
        (v) => metaObjective(id, m, unflat(v, params), tasks, steps, alpha),
        flat(params),
        1e-6,
      );
      // relu: the random points sit away from its kinks (no pre-activation within the step of 0).
      expect(relativeError(flat(out), fd)).toBeLessThan(1e-6);
    });
  },
);

test.each([
  ["maml", 1],
  ["anil", 2],
] as const)(
  "with Bouniot et al.'s head penalty, %s's meta-gradient (%i inner steps) on a tanh MLP equals central differences of mean L_out + R(W′)",
  (id, steps) => {
    const model = buildModel("mlp", { widths: [3, 3], activation: "tanh" }, { inputs: 2, outputs: 1 });
    const m = { id: "mlp", model };
    const params = model.init(key(7));
    for (let i = 1; i < params.length; i += 2)
      stream(key(60 + i)).fillNormal(params[i], 0, params[i].length, 0.3);
    const tasks = [1, 2, 3, 4, 5].map((t) => randomTask(70 + t, 2, 6, 7));
    const penalty = { lambdaCond: 0.02, lambdaNorm: 0.5 };
    const alpha = 0.1;
    const out = params.map((p) => new Float64Array(p.length));
    const res = { value: 0, spectrum: { sigmaMax: 0, sigmaMin: 0, condition: 0, gramNorm: 0, meanNorm: 0 } };
    const loss = networkMetaGradient(
      new Tape(),
      getNetworkMethod(id),
      m,
      params,
      tasks,
      { alpha, steps, loss: "mse" },
      out,
      penalty,
      res,
    );
    const fd = centralDiff(
      (v) => metaObjective(id, m, unflat(v, params), tasks, steps, alpha, penalty),
      flat(params),
      1e-6,
    );
    expect(relativeError(flat(out), fd)).toBeLessThan(1e-6);
    // The returned loss is the outer loss alone; R is reported beside it, and it matters here.
    expect(loss + res.value).toBeCloseTo(metaObjective(id, m, params, tasks, steps, alpha, penalty), 12);
    const plain = params.map((p) => new Float64Array(p.length));
    networkMetaGradient(
      new Tape(),
      getNetworkMethod(id),
      m,
      params,
      tasks,
      { alpha, steps, loss: "mse" },
      plain,
    );
    expect(relativeError(flat(out), flat(plain))).toBeGreaterThan(1e-3);
    expect(res.spectrum.condition).toBeGreaterThan(1);
  },
);

test("the head penalty needs a method that adapts the head: avg-gd is refused in one line", () => {
  const model = buildModel("mlp", { widths: [3], activation: "tanh" }, { inputs: 2, outputs: 1 });
  const params = model.init(key(1));
  expect(() =>
    networkMetaGradient(
      new Tape(),
      getNetworkMethod("avg-gd"),
      { id: "mlp", model },
      params,
      [randomTask(1, 2, 4, 4), randomTask(2, 2, 4, 4)],
      { alpha: 0.1, steps: 1, loss: "mse" },
      params.map((p) => new Float64Array(p.length)),
      { lambdaCond: 1, lambdaNorm: 0 },
    ),
  ).toThrow(/avg-gd: "method" with lambda_cond or lambda_norm > 0 must adapt a head/);
});

test("FO-MAML's meta-gradient is the outer gradient at the adapted parameters; it differs from MAML's", () => {
  const model = buildModel("mlp", { widths: [5], activation: "tanh" }, { inputs: 2, outputs: 1 });
  const m = { id: "mlp", model };
  const params = model.init(key(8));
  const tasks = [randomTask(4, 2, 6, 8)];
  const inner = { alpha: 0.2, steps: 2, loss: "mse" as const };
  const fo = params.map((p) => new Float64Array(p.length));
  networkMetaGradient(new Tape(), getNetworkMethod("fo-maml"), m, params, tasks, inner, fo);
  // Adapt with plain values, then differentiate the outer loss there.
  const tape = new Tape();
  const theta = model.shapes.map(([r, c], i) => tape.variable(params[i], r, c));
  const phi = innerLoop(tape, getNetworkMethod("fo-maml"), m, theta, tasks[0], inner);
  const adapted = phi.map((p) => Float64Array.from(p.data));
  tape.reset();
  const at = model.shapes.map(([r, c], i) => tape.variable(adapted[i], r, c));
  const g = grad(setLoss(tape, m, at, tasks[0].outer, "mse"), at).map((t) => [...t.data]);
  expect(relativeError(flat(fo), g.flat())).toBeLessThan(1e-14);
  const exact = params.map((p) => new Float64Array(p.length));
  networkMetaGradient(new Tape(), getNetworkMethod("maml"), m, params, tasks, inner, exact);
  expect(relativeError(flat(exact), flat(fo))).toBeGreaterThan(1e-3);
});

test("the second-order path: the gradient of (meta-gradient · v) matches central differences", () => {
  // A Hessian-vector product of the MAML objective itself: third derivatives of the network.
  const model = buildModel("mlp", { widths: [4], activation: "tanh" }, { inputs: 2, outputs: 1 });
  const m = { id: "mlp", model };
  const params = model.init(key(9));
  const task = randomTask(6, 2, 5, 5);
  const v = model.shapes.map(([r, c], i) => stream(key(70 + i)).fillNormal(new Float64Array(r * c)));
  const gv = (p: Float64Array[]) => {
    const tape = new Tape();
    const theta = model.shapes.map(([r, c], i) => tape.variable(p[i], r, c));
    const phi = innerLoop(tape, getNetworkMethod("maml"), m, theta, task, {
      alpha: 0.2,
      steps: 1,
      loss: "mse",
    });
    const g = grad(setLoss(tape, m, phi, task.outer, "mse"), theta);
    let acc: Tensor | null = null;
    g.forEach((gi, i) => {
      const term = sum(mul(gi, tape.constant(v[i], gi.rows, gi.cols)));
      acc = acc ? add(acc, term) : term;
    });
    return { tape, theta, y: acc as unknown as Tensor };
  };
  const { theta, y } = gv(params);
  const hv = grad(y, theta).flatMap((t) => [...t.data]);
  const fd = centralDiff((x) => gv(unflat(x, params)).y.data[0], flat(params), 1e-5);
  expect(relativeError(hv, fd)).toBeLessThan(1e-6);
});

describe("models and methods are registry entries", () => {
  test("the five network methods share the linear methods' ids, names and colours", () => {
    expect(networkMethods.ids()).toEqual(["anil", "fo-anil", "maml", "fo-maml", "avg-gd"]);
    expect(getNetworkMethod("maml")).toMatchObject({
      name: "MAML",
      inner: "all",
      firstOrder: false,
      color: "#d62728",
    });
    expect(() => getNetworkMethod("reptile")).toThrow(
      /unknown network method "reptile"; known: anil, fo-anil/,
    );
  });

  test("a width of 0 is a one-line ParamError naming the option", () => {
    expect(() => buildModel("mlp", { widths: [40, 0] }, { inputs: 1, outputs: 1 })).toThrow(ParamError);
    expect(() => buildModel("mlp", { widths: [40, 0] }, { inputs: 1, outputs: 1 })).toThrow(
      'model mlp: "options.widths[1]" must be ≥ 1; got 0.',
    );
    expect(() => buildModel("mlp", { activation: "gelu" }, { inputs: 1, outputs: 1 })).toThrow(
      /^model mlp: "options.activation" must be one of "relu", "tanh", "sin", "identity"; got "gelu"\.$/,
    );
    expect(() => buildModel("resnet", {}, { inputs: 1, outputs: 1 })).toThrow(
      /unknown model "resnet"; known: mlp/,
    );
  });

  test("a model that does not compute on the tape is a one-line ModelError, not a silent zero gradient", () => {
    const good = buildModel("mlp", { widths: [3] }, { inputs: 1, outputs: 1 });
    const bad = (forward: NetworkModel["forward"]): NetworkModel => ({ ...good, forward });
    const task = randomTask(1, 1, 4, 4);
    const run = (model: NetworkModel) =>
      networkMetaGradient(
        new Tape(),
        getNetworkMethod("maml"),
        { id: "my-net", model },
        model.init(key(1)),
        [task],
        { alpha: 0.1, steps: 1, loss: "mse" },
        model.shapes.map(([r, c]) => new Float64Array(r * c)),
      );
    expect(() => run(bad(() => new Float64Array(4) as unknown as Tensor))).toThrow(
      "model my-net: forward must return a tensor of the tape it was given (built with the autodiff operations); got a Float64Array of 4.",
    );
    expect(() => run(bad((_p, x) => x.tape.constant(new Float64Array(4), 4, 1)))).toThrow(
      /^model my-net: forward's output does not depend on its parameters through the tape/,
    );
    expect(() => run(bad((p, x) => predict("mlp", good, p, x).tape.full(4, 2, 0)))).toThrow(ModelError);
  });

  test("a registered model kind is built through the same door", () => {
    networkModels.register(
      {
        id: "test-linear",
        name: "linear",
        description: "a linear map",
        family: "test",
        options: z.strictObject({}),
        build: (_o, dims) => buildModel("mlp", { widths: [], activation: "identity" }, dims),
      },
      "test",
    );
    try {
      const model = buildModel("test-linear", {}, { inputs: 3, outputs: 1 });
      expect(model.shapes).toEqual([
        [3, 1],
        [1, 1],
      ]);
    } finally {
      networkModels.unregister("test-linear");
    }
  });
});

describe("training", () => {
  const model = buildModel("mlp", { widths: [8], activation: "tanh" }, { inputs: 1, outputs: 1 });
  const m = { id: "mlp", model };
  const tasks = (t: number) => [randomTask(100 + t, 1, 5, 5), randomTask(200 + t, 1, 5, 5)];

  test("a divergent step size gives status diverged with the iteration, not a throw", () => {
    const r = trainNetwork(
      {
        method: getNetworkMethod("maml"),
        model: m,
        inner: { alpha: 50, steps: 2, loss: "mse" },
        beta: 10,
        iterations: 50,
        optimizer: { kind: "sgd" },
      },
      model.init(key(3)),
      tasks,
    );
    expect(r.status).toBe("diverged");
    expect(r.diverged!.iteration).toBeGreaterThanOrEqual(1);
    expect(r.diverged!.iteration).toBeLessThanOrEqual(50);
  });

  test("the same inputs give the same bits, and Adam lowers the meta-objective", () => {
    const run = () =>
      trainNetwork(
        {
          method: getNetworkMethod("maml"),
          model: m,
          inner: { alpha: 0.05, steps: 1, loss: "mse" },
          beta: 0.01,
          iterations: 30,
          optimizer: ADAM,
        },
        model.init(key(3)),
        () => [randomTask(7, 1, 5, 5)],
      );
    const a = run();
    const b = run();
    expect(a.status).toBe("ok");
    expect(flat(a.params)).toEqual(flat(b.params));
    const before = metaObjective("maml", m, model.init(key(3)), [randomTask(7, 1, 5, 5)], 1, 0.05);
    const after = metaObjective("maml", m, a.params, [randomTask(7, 1, 5, 5)], 1, 0.05);
    expect(after).toBeLessThan(0.8 * before);
  });

  test("test-time adaptation lowers the support loss step by step on a fitted task", () => {
    const t = randomTask(9, 1, 6, 6);
    const same = { inner: t.inner, outer: t.inner };
    const losses = adaptAndEvaluate(new Tape(), m, model.init(key(4)), same, "all", {
      alpha: 0.05,
      steps: 5,
      loss: "mse",
    });
    expect(losses).toHaveLength(6);
    for (let s = 1; s < losses.length; s++) expect(losses[s]).toBeLessThan(losses[s - 1]);
  });
});

describe("the blocked meta-gradient (one graph per batch) has the per-task loop's bits", () => {
  const tasks = [1, 2, 3, 4].map((i) => randomTask(60 + i, 5, 9, 7));
  describe.each([
    ["relu", [3]],
    ["tanh", [4, 3]],
    ["identity", [2]],
  ] as const)("bias-free %s MLP", (activation, widths) => {
    const model = buildModel(
      "mlp",
      { widths: [...widths], activation, bias: false },
      { inputs: 5, outputs: 1 },
    );
    const m = { id: "mlp", model };
    const params = model.init(key(11));
    test.each([
      ["maml", 1, "mse"],
      ["maml", 2, "half-mse"],
      ["fo-maml", 2, "mse"],
      ["anil", 1, "half-mse"],
      ["anil", 3, "mse"],
      ["fo-anil", 1, "half-mse"],
      ["avg-gd", 1, "mse"],
    ] as const)("%s, %i inner steps, %s", (id, steps, loss) => {
      expect(canBlock(model, tasks)).toBe(true);
      const inner = { alpha: 0.3, steps, loss };
      const method = getNetworkMethod(id);
      const a = params.map((p) => new Float64Array(p.length));
      const b = params.map((p) => new Float64Array(p.length));
      const tape = new Tape();
      const la = perTaskMetaGradient(tape, method, m, params, tasks, inner, a);
      const lb = blockedMetaGradient(tape, method, m, params, tasks, inner, b);
      expect(Object.is(la, lb)).toBe(true);
      for (let i = 0; i < a.length; i++) expect([...b[i]]).toEqual([...a[i]]);
      // And the blocked form is a gradient of the meta-objective (not only a copy of the other).
      if (activation !== "relu" && loss === "mse" && !method.firstOrder) {
        const fd = centralDiff(
          (v) => metaObjective(id, m, unflat(v, params), tasks, steps, inner.alpha),
          flat(params),
          1e-6,
        );
        expect(relativeError(flat(b), fd)).toBeLessThan(1e-6);
      }
    });
  });

  test("it is not used where it does not apply: biases, one task, sets of different sizes", () => {
    const biased = buildModel("mlp", { widths: [3] }, { inputs: 5, outputs: 1 });
    const plain = buildModel("mlp", { widths: [3], bias: false }, { inputs: 5, outputs: 1 });
    expect(canBlock(biased, tasks)).toBe(false);
    expect(canBlock(plain, tasks.slice(0, 1))).toBe(false);
    expect(canBlock(plain, [...tasks, randomTask(70, 5, 8, 7)])).toBe(false);
    expect(canBlock(plain, [...tasks, randomTask(71, 5, 9, 7)])).toBe(true);
  });
});
