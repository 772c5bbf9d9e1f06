import { gemm, gemmBlocks } from "../linalg/gemm.js";
import { cos as cosf, exp as expf, log as logf, sin as sinf, tanh as tanhf } from "../linalg/libm.js";
import { AutodiffError, type Backward, type Tensor } from "./tape.js";

/*
 * The closed set of differentiable operations. Each computes its output into a pooled buffer and
 * records a backward rule written with these same operations, so gradients are differentiable
 * again. Element-wise loops run in index order; sums accumulate in index order; products go
 * through linalg's `gemm` (the WebAssembly module, no fused multiply-add). Hence the same bits in
 * every engine.
 */

function shape(t: Tensor): string {
  return `${t.rows}×${t.cols}`;
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.rows !== b.rows || a.cols !== b.cols)
    throw new AutodiffError(`${op}: operands must have the same shape; got ${shape(a)} and ${shape(b)}`);
}

/**
 * op(a) · op(b), where op transposes when `ta` / `tb` is set: (m × k)(k × n) → m × n.
 * Backward: d op(a) = g op(b)ᵀ and d op(b) = op(a)ᵀ g, written as transposed products so that no
 * transpose is ever formed.
 */
export function matmul(a: Tensor, b: Tensor, ta = false, tb = false): Tensor {
  const m = ta ? a.cols : a.rows;
  const k = ta ? a.rows : a.cols;
  const kb = tb ? b.cols : b.rows;
  const n = tb ? b.rows : b.cols;
  if (k !== kb)
    throw new AutodiffError(
      `matmul: inner dimensions differ: op(a) is ${m}×${k} (a ${shape(a)}${ta ? ", transposed" : ""}) but op(b) is ${kb}×${n} (b ${shape(b)}${tb ? ", transposed" : ""})`,
    );
  const data = a.tape.alloc(m * n);
  gemm(ta, tb, 1, a, b, 0, { rows: m, cols: n, data });
  return a.tape.push(m, n, data, [a, b], MATMUL_BACKWARD[(ta ? 2 : 0) + (tb ? 1 : 0)], "matmul");
}

function matmulBackward(ta: boolean, tb: boolean): Backward {
  return (g: Tensor, out: Tensor, need: readonly boolean[]): (Tensor | null)[] => {
    const [a, b] = out.inputs;
    const ga = need[0] ? (ta ? matmul(b, g, tb, true) : matmul(g, b, false, !tb)) : null;
    const gb = need[1] ? (tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false)) : null;
    return [ga, gb];
  };
}

/** The four backward rules (by transposes), made once: no closure per product. */
const MATMUL_BACKWARD = [
  matmulBackward(false, false),
  matmulBackward(false, true),
  matmulBackward(true, false),
  matmulBackward(true, true),
];

/**
 * Blocked product: `blocks` independent products op(a_b) · op(b_b), where a and b stack their
 * blocks vertically (a is blocks·ra × ca, block b its rows b·ra …; likewise b), into the
 * vertically stacked blocks·m × n result. The blocks never mix, so one tape node does the work of
 * `blocks` matmuls (one per task of a meta-batch) and each block has the bits of the matmul of its
 * operands. Backward: matmul's rule, block by block.
 */
export function bmatmul(a: Tensor, b: Tensor, blocks: number, ta = false, tb = false): Tensor {
  if (!Number.isInteger(blocks) || blocks < 1 || a.rows % blocks !== 0 || b.rows % blocks !== 0)
    throw new AutodiffError(
      `bmatmul: both operands must stack ${blocks} blocks of equal rows; got ${shape(a)} and ${shape(b)}`,
    );
  const ra = a.rows / blocks;
  const rb = b.rows / blocks;
  const m = ta ? a.cols : ra;
  const k = ta ? ra : a.cols;
  const kb = tb ? b.cols : rb;
  const n = tb ? rb : b.cols;
  if (k !== kb)
    throw new AutodiffError(
      `bmatmul: inner dimensions differ: op(a_b) is ${m}×${k}${ta ? " (transposed)" : ""} but op(b_b) is ${kb}×${n}${tb ? " (transposed)" : ""}`,
    );
  const data = a.tape.alloc(blocks * m * n);
  gemmBlocks(ta, tb, blocks, a, b, { rows: blocks * m, cols: n, data });
  const t = a.tape.push(
    blocks * m,
    n,
    data,
    [a, b],
    BMATMUL_BACKWARD[(ta ? 2 : 0) + (tb ? 1 : 0)],
    "bmatmul",
  );
  t.aux = blocks;
  return t;
}

function bmatmulBackward(ta: boolean, tb: boolean): Backward {
  return (g: Tensor, out: Tensor, need: readonly boolean[]): (Tensor | null)[] => {
    const [a, b] = out.inputs;
    const n = out.aux;
    const ga = need[0] ? (ta ? bmatmul(b, g, n, tb, true) : bmatmul(g, b, n, false, !tb)) : null;
    const gb = need[1] ? (tb ? bmatmul(g, a, n, true, ta) : bmatmul(a, g, n, !ta, false)) : null;
    return [ga, gb];
  };
}

const BMATMUL_BACKWARD = [
  bmatmulBackward(false, false),
  bmatmulBackward(false, true),
  bmatmulBackward(true, false),
  bmatmulBackward(true, true),
];

/** `blocks` copies of a stacked vertically (blocks·rows × cols): one copy of θ per task. Backward: sumBlocks. */
export function tileRows(a: Tensor, blocks: number): Tensor {
  if (!Number.isInteger(blocks) || blocks < 1)
    throw new AutodiffError(`tileRows: blocks must be an integer ≥ 1; got ${blocks}`);
  const n = a.size;
  const data = a.tape.alloc(blocks * n);
  for (let b = 0; b < blocks; b++) data.set(a.data, b * n);
  const t = a.tape.push(blocks * a.rows, a.cols, data, [a], tileRowsBackward, "tileRows");
  t.aux = blocks;
  return t;
}

const tileRowsBackward: Backward = (g, o) => [sumBlocks(g, o.aux)];

/**
 * The sum of a's `blocks` vertical blocks (a is blocks·r × c; the result r × c), added block by
 * block in order from zero: 0 + a_0 + a_1 + …, the order in which a meta-batch's per-task
 * gradients are accumulated. Backward: tileRows.
 */
export function sumBlocks(a: Tensor, blocks: number): Tensor {
  if (!Number.isInteger(blocks) || blocks < 1 || a.rows % blocks !== 0)
    throw new AutodiffError(
      `sumBlocks: the operand must stack ${blocks} blocks of equal rows; got ${shape(a)}`,
    );
  const rows = a.rows / blocks;
  const n = rows * a.cols;
  const data = a.tape.alloc(n);
  const x = a.data;
  data.fill(0);
  for (let b = 0; b < blocks; b++) {
    const off = b * n;
    for (let i = 0; i < n; i++) data[i] += x[off + i];
  }
  const t = a.tape.push(rows, a.cols, data, [a], sumBlocksBackward, "sumBlocks");
  t.aux = blocks;
  return t;
}

const sumBlocksBackward: Backward = (g, o) => [tileRows(g, o.aux)];

/** An output buffer for an element-wise operation on a and b (checked to have the same shape). */
function binaryOut(op: string, a: Tensor, b: Tensor): Float64Array {
  sameShape(op, a, b);
  return a.tape.alloc(a.size);
}

// Each element-wise loop is written out (no per-element callback): a shared loop calling a
// closure per entry is megamorphic and several times slower.

/** a + b (same shapes). */
export function add(a: Tensor, b: Tensor): Tensor {
  const data = binaryOut("add", a, b);
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < data.length; i++) data[i] = x[i] + y[i];
  return a.tape.push(a.rows, a.cols, data, [a, b], addBackward, "add");
}

const addBackward: Backward = (g, _o, need) => [need[0] ? g : null, need[1] ? g : null];

/** a − b (same shapes). */
export function sub(a: Tensor, b: Tensor): Tensor {
  const data = binaryOut("sub", a, b);
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < data.length; i++) data[i] = x[i] - y[i];
  return a.tape.push(a.rows, a.cols, data, [a, b], subBackward, "sub");
}

const subBackward: Backward = (g, _o, need) => [need[0] ? g : null, need[1] ? scale(g, -1) : null];

/** a ⊙ b, entry by entry (same shapes). */
export function mul(a: Tensor, b: Tensor): Tensor {
  const data = binaryOut("mul", a, b);
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < data.length; i++) data[i] = x[i] * y[i];
  return a.tape.push(a.rows, a.cols, data, [a, b], mulBackward, "mul");
}

const mulBackward: Backward = (g, o, need) => [
  need[0] ? mul(g, o.inputs[1]) : null,
  need[1] ? mul(g, o.inputs[0]) : null,
];

/** a ⊘ b, entry by entry (same shapes). Backward: g ⊘ b and −g ⊙ (a ⊘ b) ⊘ b. */
export function div(a: Tensor, b: Tensor): Tensor {
  const data = binaryOut("div", a, b);
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < data.length; i++) data[i] = x[i] / y[i];
  return a.tape.push(a.rows, a.cols, data, [a, b], divBackward, "div");
}

const divBackward: Backward = (g, o, need) => [
  need[0] ? div(g, o.inputs[1]) : null,
  need[1] ? scale(div(mul(g, o), o.inputs[1]), -1) : null,
];

/** c · a for a constant number c. */
export function scale(a: Tensor, c: number): Tensor {
  const n = a.size;
  const data = a.tape.alloc(n);
  const x = a.data;
  for (let i = 0; i < n; i++) data[i] = c * x[i];
  const t = a.tape.push(a.rows, a.cols, data, [a], scaleBackward, "scale");
  t.aux = c;
  return t;
}

const scaleBackward: Backward = (g, o) => [scale(g, o.aux)];

/** a + 1 rᵀ: the row vector r (1 × n) added to every row of a (m × n), e.g. a layer's bias. */
export function addRow(a: Tensor, r: Tensor): Tensor {
  if (r.rows !== 1 || r.cols !== a.cols)
    throw new AutodiffError(`addRow: the row must be 1×${a.cols} for a ${shape(a)} operand; got ${shape(r)}`);
  const { rows, cols } = a;
  const data = a.tape.alloc(rows * cols);
  const x = a.data;
  const y = r.data;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = x[i * cols + j] + y[j];
  return a.tape.push(
    rows,
    cols,
    data,
    [a, r],
    (g, _o, need) => [need[0] ? g : null, need[1] ? sumRows(g) : null],
    "addRow",
  );
}

/** The column sums of a (m × n) as a 1 × n row, rows added in order. */
export function sumRows(a: Tensor): Tensor {
  const { rows, cols } = a;
  const data = a.tape.alloc(cols);
  const x = a.data;
  for (let j = 0; j < cols; j++) data[j] = x[j];
  for (let i = 1; i < rows; i++) for (let j = 0; j < cols; j++) data[j] += x[i * cols + j];
  return a.tape.push(1, cols, data, [a], (g) => [repeatRows(g, rows)], "sumRows");
}

/** The row r (1 × n) repeated m times (m × n). */
export function repeatRows(r: Tensor, m: number): Tensor {
  if (r.rows !== 1) throw new AutodiffError(`repeatRows: the operand must be one row; got ${shape(r)}`);
  const cols = r.cols;
  const data = r.tape.alloc(m * cols);
  for (let i = 0; i < m; i++) data.set(r.data, i * cols);
  return r.tape.push(m, cols, data, [r], (g) => [sumRows(g)], "repeatRows");
}

/** The sum of all entries (1 × 1), in index order. */
export function sum(a: Tensor): Tensor {
  const data = a.tape.alloc(1);
  const x = a.data;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  data[0] = s;
  const { rows, cols } = a;
  return a.tape.push(1, 1, data, [a], (g) => [fill(g, rows, cols)], "sum");
}

/** A rows × cols tensor every entry of which is the 1 × 1 tensor s. */
export function fill(s: Tensor, rows: number, cols: number): Tensor {
  if (s.rows !== 1 || s.cols !== 1) throw new AutodiffError(`fill: the operand must be 1×1; got ${shape(s)}`);
  const data = s.tape.alloc(rows * cols);
  data.fill(s.data[0]);
  return s.tape.push(rows, cols, data, [s], (g) => [sum(g)], "fill");
}

/** The mean of all entries (1 × 1). */
export function mean(a: Tensor): Tensor {
  return scale(sum(a), 1 / a.size);
}

/** Mean squared error (1/N) Σ (p − y)² over the N entries (same shapes). */
export function mse(p: Tensor, y: Tensor): Tensor {
  sameShape("mse", p, y);
  const d = sub(p, y);
  return mean(mul(d, d));
}

type Unary = (x: number) => number;

function unary(op: string, a: Tensor, f: Unary, backward: Tensor["backward"]): Tensor {
  const n = a.size;
  const data = a.tape.alloc(n);
  const x = a.data;
  for (let i = 0; i < n; i++) data[i] = f(x[i]);
  return a.tape.push(a.rows, a.cols, data, [a], backward, op);
}

/** max(a, 0) entry by entry (NaN stays NaN). Backward: g where a > 0, else 0 (the derivative at 0 taken as 0). */
export function relu(a: Tensor): Tensor {
  const data = a.tape.alloc(a.size);
  const x = a.data;
  // Branch-free, the bits of Math.max(x, 0): x's two words kept unless x ≤ 0 (−0 and negatives
  // give +0; NaN stays NaN, its payload kept: a divergence is not masked).
  const n = data.length;
  const xi = new Int32Array(x.buffer, x.byteOffset, 2 * n);
  const di = new Int32Array(data.buffer, data.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const keep = -Number(!(x[i] <= 0));
    di[2 * i] = xi[2 * i] & keep;
    di[2 * i + 1] = xi[2 * i + 1] & keep;
  }
  return a.tape.push(a.rows, a.cols, data, [a], reluBackward, "relu");
}

const reluBackward: Backward = (g, o) => [maskPositive(g, o.inputs[0])];

/**
 * g where `by` > 0, else 0: the derivative of relu applied to g. Linear in g (its backward masks
 * again); piecewise constant in `by`, which therefore carries no gradient and is not an input.
 */
export function maskPositive(g: Tensor, by: Tensor): Tensor {
  sameShape("maskPositive", g, by);
  const n = g.size;
  const data = g.tape.alloc(n);
  const x = g.data;
  const m = by.data;
  // Branch-free, the same bits as `m[i] > 0 ? x[i] : 0`: x's two words kept or cleared (+0) by a
  // mask from the comparison (the sign of a ReLU's input is a coin flip the branch predictor
  // loses half the time).
  const xi = new Int32Array(x.buffer, x.byteOffset, 2 * n);
  const di = new Int32Array(data.buffer, data.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const keep = -Number(m[i] > 0);
    di[2 * i] = xi[2 * i] & keep;
    di[2 * i + 1] = xi[2 * i + 1] & keep;
  }
  const t = g.tape.push(g.rows, g.cols, data, [g], maskBackward, "maskPositive");
  t.aux = by.index;
  return t;
}

/** maskPositive's backward: mask again by the same tensor (its tape position in `aux`: no closure per node). */
const maskBackward: Backward = (gg, o) => [maskPositive(gg, o.tape.nodes[o.aux])];

/** tanh entry by entry (libm). Backward: g ⊙ (1 − tanh²). */
export function tanh(a: Tensor): Tensor {
  return unary("tanh", a, tanhf, (g, o) => [mul(g, oneMinusSquare(o))]);
}

/** 1 − a² entry by entry. Backward: −2 a ⊙ g. */
export function oneMinusSquare(a: Tensor): Tensor {
  return unary(
    "oneMinusSquare",
    a,
    (x) => 1 - x * x,
    (g, o) => [mul(g, scale(o.inputs[0], -2))],
  );
}

/** sin entry by entry (libm). Backward: g ⊙ cos a. */
export function sin(a: Tensor): Tensor {
  return unary("sin", a, sinf, (g, o) => [mul(g, cos(o.inputs[0]))]);
}

/** cos entry by entry (libm). Backward: −g ⊙ sin a. */
export function cos(a: Tensor): Tensor {
  return unary("cos", a, cosf, (g, o) => [mul(g, scale(sin(o.inputs[0]), -1))]);
}

/** exp entry by entry (libm). Backward: g ⊙ exp a. */
export function exp(a: Tensor): Tensor {
  return unary("exp", a, expf, (g, o) => [mul(g, o)]);
}

/** Natural log entry by entry (libm). Backward: g ⊘ a. */
export function log(a: Tensor): Tensor {
  return unary("log", a, logf, (g, o) => [div(g, o.inputs[0])]);
}
