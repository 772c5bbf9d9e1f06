import { describe, expect, it } from "vitest";
import { key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { grad } from "./grad.js";
import {
  add,
  addRow,
  bmatmul,
  cos,
  div,
  exp,
  log,
  maskPositive,
  matmul,
  mean,
  mse,
  mul,
  relu,
  scale,
  sin,
  sub,
  sum,
  sumBlocks,
  sumRows,
  tanh,
  tileRows,
} from "./ops.js";
import { AutodiffError, Tape, type Tensor } from "./tape.js";

/** A function of some shaped inputs to a scalar, written with the tape's operations. */
type Scalar = (tape: Tape, xs: Tensor[]) => Tensor;
type Shape = readonly [number, number];

function randomInputs(seed: number, shapes: readonly Shape[], positive = false): Float64Array[] {
  const s = stream(key(seed));
  return shapes.map(([r, c]) => {
    const a = s.fillNormal(new Float64Array(r * c));
    if (positive) for (let i = 0; i < a.length; i++) a[i] = 0.5 + Math.abs(a[i]);
    return a;
  });
}

function value(f: Scalar, shapes: readonly Shape[], xs: Float64Array[]): number {
  const tape = new Tape();
  return f(
    tape,
    xs.map((x, i) => tape.constant(x, shapes[i][0], shapes[i][1])),
  ).item();
}

/** Central differences of f at xs, entry by entry (step h). */
function fdGradient(f: Scalar, shapes: readonly Shape[], xs: Float64Array[], h = 1e-6): Float64Array[] {
  return xs.map((x) => {
    const g = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      x[i] = v + h;
      const up = value(f, shapes, xs);
      x[i] = v - h;
      const down = value(f, shapes, xs);
      x[i] = v;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  });
}

function adGradient(f: Scalar, shapes: readonly Shape[], xs: Float64Array[]): Float64Array[] {
  const tape = new Tape();
  const vars = xs.map((x, i) => tape.variable(x, shapes[i][0], shapes[i][1]));
  return grad(f(tape, vars), vars).map((g) => Float64Array.from(g.data));
}

function relErr(a: Float64Array[], b: Float64Array[]): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < a.length; k++)
    for (let i = 0; i < a[k].length; i++) {
      num = Math.max(num, Math.abs(a[k][i] - b[k][i]));
      den = Math.max(den, Math.abs(b[k][i]));
    }
  return num / Math.max(den, 1e-12);
}

/** f's gradient, dotted with fixed directions v: a scalar whose gradient is the Hessian times v. */
function gradDot(f: Scalar, vs: Float64Array[], shapes: readonly Shape[]): Scalar {
  return (tape, xs) => {
    const g = grad(f(tape, xs), xs);
    let acc: Tensor | null = null;
    for (let k = 0; k < g.length; k++) {
      const term = sum(mul(g[k], tape.constant(vs[k], shapes[k][0], shapes[k][1])));
      acc = acc ? add(acc, term) : term;
    }
    return acc!;
  };
}

const cases: { name: string; shapes: Shape[]; f: Scalar; positive?: boolean }[] = [
  {
    name: "matmul",
    shapes: [
      [3, 4],
      [4, 2],
    ],
    f: (_t, [a, b]) => sum(mul(matmul(a, b), matmul(a, b))),
  },
  {
    name: "matmul aᵀb",
    shapes: [
      [4, 3],
      [4, 2],
    ],
    f: (_t, [a, b]) => sum(sin(matmul(a, b, true, false))),
  },
  {
    name: "matmul abᵀ",
    shapes: [
      [3, 4],
      [2, 4],
    ],
    f: (_t, [a, b]) => sum(sin(matmul(a, b, false, true))),
  },
  {
    name: "matmul aᵀbᵀ",
    shapes: [
      [4, 3],
      [2, 4],
    ],
    f: (_t, [a, b]) => sum(tanh(matmul(a, b, true, true))),
  },
  ...(
    [
      [false, false, [6, 2], [4, 3]],
      [true, false, [4, 3], [4, 2]],
      [false, true, [6, 2], [6, 2]],
      [true, true, [4, 3], [6, 2]],
    ] as const
  ).map(([ta, tb, sa, sb]) => ({
    name: `bmatmul over 2 blocks${ta ? ", aᵀ" : ""}${tb ? ", bᵀ" : ""}`,
    shapes: [sa, sb] as Shape[],
    f: ((_t, [a, b]) => sum(sin(bmatmul(a, tanh(b), 2, ta, tb)))) as Scalar,
  })),
  {
    name: "tileRows and sumBlocks",
    shapes: [
      [2, 3],
      [6, 3],
    ],
    f: (_t, [a, b]) => sum(tanh(sumBlocks(mul(tileRows(tanh(a), 3), b), 3))),
  },
  {
    name: "add, sub, mul",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    f: (_t, [a, b]) => sum(mul(sub(a, b), add(a, mul(a, b)))),
  },
  {
    name: "div",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    f: (_t, [a, b]) => sum(div(sin(a), b)),
    positive: true,
  },
  {
    name: "addRow and sumRows",
    shapes: [
      [3, 4],
      [1, 4],
    ],
    f: (_t, [a, r]) => sum(tanh(sumRows(tanh(addRow(a, r))))),
  },
  { name: "relu (away from 0)", shapes: [[3, 3]], f: (_t, [a]) => sum(mul(relu(a), a)) },
  { name: "tanh", shapes: [[2, 3]], f: (_t, [a]) => sum(mul(tanh(a), a)) },
  { name: "sin, cos", shapes: [[2, 3]], f: (_t, [a]) => sum(mul(sin(a), cos(a))) },
  {
    name: "exp, log",
    shapes: [[2, 3]],
    f: (_t, [a]) => sum(mul(exp(scale(a, 0.3)), log(a))),
    positive: true,
  },
  {
    name: "mean and mse",
    shapes: [
      [4, 1],
      [4, 1],
    ],
    f: (_t, [p, y]) => add(mse(tanh(p), y), mean(mul(p, p))),
  },
];

describe("autodiff gradients agree with central differences", () => {
  for (const c of cases) {
    it(`first order: ${c.name}`, () => {
      const xs = randomInputs(1, c.shapes, c.positive);
      expect(relErr(adGradient(c.f, c.shapes, xs), fdGradient(c.f, c.shapes, xs))).toBeLessThan(1e-7);
    });
    it(`second order (gradient of the gradient dotted with a vector): ${c.name}`, () => {
      const xs = randomInputs(2, c.shapes, c.positive);
      const vs = randomInputs(3, c.shapes);
      const h = gradDot(c.f, vs, c.shapes);
      expect(relErr(adGradient(h, c.shapes, xs), fdGradient(h, c.shapes, xs))).toBeLessThan(1e-6);
    });
  }

  it("third order through a tanh network: the gradient of a Hessian-vector product", () => {
    const shapes: Shape[] = [
      [5, 3],
      [3, 1],
    ];
    const f: Scalar = (t, [W, v]) =>
      mse(matmul(tanh(matmul(t.constant(X, 4, 5), W)), v), t.constant(y, 4, 1));
    const X = randomInputs(7, [[4, 5]])[0];
    const y = randomInputs(8, [[4, 1]])[0];
    const xs = randomInputs(4, shapes);
    const v1 = randomInputs(5, shapes);
    const v2 = randomInputs(6, shapes);
    const h = gradDot(gradDot(f, v1, shapes), v2, shapes);
    expect(relErr(adGradient(h, shapes, xs), fdGradient(h, shapes, xs))).toBeLessThan(1e-5);
  });
});

describe("the tape", () => {
  it("a reset returns the buffers, and the next pass reuses them and computes the same bits", () => {
    const tape = new Tape();
    const run = () => {
      const a = tape.variable(Float64Array.of(0.3, -1.2, 2.5, 0.7), 2, 2);
      const [g] = grad(sum(tanh(matmul(a, a))), [a]);
      return Float64Array.from(g.data);
    };
    const first = run();
    const buffers = new Set(tape.nodes.map((n) => n.data.buffer));
    tape.reset();
    const second = run();
    const reused = tape.nodes.filter((n) => buffers.has(n.data.buffer)).length;
    expect(reused).toBeGreaterThan(tape.nodes.length / 2);
    expect(second).toEqual(first);
  });

  it("a variable that does not reach the output gets zeros; detach stops the gradient", () => {
    const tape = new Tape();
    const a = tape.variable(Float64Array.of(1, 2), 1, 2);
    const b = tape.variable(Float64Array.of(3, 4), 1, 2);
    const [ga, gb] = grad(sum(mul(a, tape.detach(a))), [a, b]);
    expect([...ga.data]).toEqual([1, 2]);
    expect([...gb.data]).toEqual([0, 0]);
  });

  it("shape mismatches, foreign tensors and non-scalar outputs are one-line errors", () => {
    const tape = new Tape();
    const other = new Tape();
    const a = tape.variable(new Float64Array(6), 2, 3);
    expect(() => matmul(a, a)).toThrow(/^matmul: inner dimensions differ: op\(a\) is 2×3/);
    expect(() => add(a, tape.variable(new Float64Array(6), 3, 2))).toThrow(
      "add: operands must have the same shape; got 2×3 and 3×2",
    );
    expect(() => add(a, other.variable(new Float64Array(6), 2, 3))).toThrow(AutodiffError);
    expect(() => grad(a, [a])).toThrow(
      "grad: the differentiated tensor must be 1×1; got 2×3 (from variable)",
    );
    expect(() => tape.variable(new Float64Array(5), 2, 3)).toThrow(/rows · cols = 6 entries; got 5/);
  });
});

describe("blocked operations", () => {
  it("bmatmul's blocks are matmul's products of the blocks, bit for bit", () => {
    const t = new Tape();
    const [a, b] = randomInputs(21, [
      [9, 4],
      [9, 2],
    ]).map((x, i) => (i === 0 ? t.constant(x, 9, 4) : t.constant(x, 9, 2)));
    // a: 3 blocks of 3 × 4 (transposed: 4 × 3); b: 3 blocks of 3 × 2.
    const c = bmatmul(a, b, 3, true, false);
    expect([c.rows, c.cols]).toEqual([12, 2]);
    for (let i = 0; i < 3; i++) {
      const ai = t.constant(a.data.slice(i * 12, (i + 1) * 12), 3, 4);
      const bi = t.constant(b.data.slice(i * 6, (i + 1) * 6), 3, 2);
      expect([...c.data.slice(i * 8, (i + 1) * 8)]).toEqual([...matmul(ai, bi, true, false).data]);
    }
  });

  it("sumBlocks adds the blocks in order from zero; tileRows repeats", () => {
    const t = new Tape();
    const a = t.constant(Float64Array.from([1, 2, 3, 4, 5, 6]), 3, 2);
    expect([...sumBlocks(a, 3).data]).toEqual([9, 12]);
    expect([...tileRows(t.constant(Float64Array.from([1, 2]), 1, 2), 2).data]).toEqual([1, 2, 1, 2]);
  });

  it("bad block counts are one-line errors", () => {
    const t = new Tape();
    const a = t.constant(new Float64Array(6), 3, 2);
    expect(() => bmatmul(a, a, 2)).toThrow(
      /bmatmul: both operands must stack 2 blocks of equal rows; got 3×2 and 3×2/,
    );
    expect(() => bmatmul(a, a, 3)).toThrow(/bmatmul: inner dimensions differ/);
    expect(() => sumBlocks(a, 2)).toThrow(/sumBlocks: the operand must stack 2 blocks/);
    expect(() => tileRows(a, 0)).toThrow(/tileRows: blocks must be an integer ≥ 1; got 0/);
  });
});

describe("relu and its mask, branch-free", () => {
  // Bits, every NaN as one (its payload and sign are the engine's: Math.max(NaN, 0) may flip them).
  const bits = (x: Float64Array) => [
    ...new BigUint64Array(Float64Array.from(x, (v) => (Number.isNaN(v) ? Number.NaN : v)).buffer),
  ];
  const special = [-0, 0, -1, 1, Number.NaN, Infinity, -Infinity, 5e-324, -5e-324, 1e300, -2.5, 3.75];

  it("relu has the bits of Math.max(x, 0) (−0 → +0, NaN stays NaN)", () => {
    const tape = new Tape();
    const x = Float64Array.from(special);
    const out = relu(tape.constant(x, 3, 4)).data;
    expect(bits(out)).toEqual(bits(x.map((v) => Math.max(v, 0))));
  });

  it("maskPositive has the bits of by > 0 ? g : 0, its backward masks again", () => {
    const tape = new Tape();
    const g = Float64Array.from(special);
    const by = Float64Array.from(special).reverse();
    const byT = tape.variable(by, 3, 4);
    const gT = tape.variable(g, 3, 4);
    const m = maskPositive(gT, byT);
    expect(bits(m.data)).toEqual(bits(g.map((v, i) => (by[i] > 0 ? v : 0))));
    // d/dg Σ w ⊙ mask(g) = mask(w): the backward masks w by the same tensor.
    const w = Float64Array.from(special, (_, i) => i - 5.5);
    const [dg] = grad(sum(mul(m, tape.constant(w, 3, 4))), [gT]);
    expect(bits(dg.data)).toEqual(bits(w.map((v, i) => (by[i] > 0 ? v : 0))));
  });
});
