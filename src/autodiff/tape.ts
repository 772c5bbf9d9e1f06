import { MetarepError } from "../errors.js";

/**
 * Reverse-mode automatic differentiation over float64 tensors, differentiable twice (DESIGN.md
 * "Layers": autodiff/). A `Tensor` is a node of a `Tape`: a row-major rows × cols matrix (vectors
 * and scalars are 1-row or 1 × 1 matrices), the operation that made it, and its inputs. There are
 * no per-scalar objects: one node per operation on a whole matrix.
 *
 * Gradients of gradients: `grad` (grad.ts) builds the backward pass out of the same operations
 * (ops.ts), recorded on the same tape, so a gradient is itself a tensor of the tape and can be
 * differentiated again (PyTorch's `create_graph=True`). Exact MAML differentiates through its inner
 * steps this way and gets its Hessian-vector products without forming a Hessian.
 *
 * Buffers: every operation's output comes from the tape's pool, by length; `reset()` returns them
 * all, so an outer iteration that resets its tape allocates nothing once the pool is warm. Values a
 * caller keeps across a reset must be copied out first.
 *
 * Same bits in every engine: the element-wise loops are plain IEEE operations in index order, the
 * elementary functions come from linalg/libm.ts, products go through linalg's WebAssembly entry
 * point (no fused multiply-add), and every sum runs in a fixed order.
 */

/** A bad use of the autodiff (tensors of another tape, a non-scalar to `grad`, …): one line. */
export class AutodiffError extends MetarepError {
  override name = "AutodiffError";
}

/**
 * The backward rule of an operation: the gradients of its inputs given the gradient `g` of its
 * output (same shape as `out`), built from differentiable operations; `need[i]` says whether input
 * i's gradient is wanted (null where it is not).
 */
export type Backward = (g: Tensor, out: Tensor, need: readonly boolean[]) => (Tensor | null)[];

/** A node of a tape: a rows × cols float64 matrix and how it was computed. */
export class Tensor {
  constructor(
    readonly tape: Tape,
    /** Position on the tape (inputs always have smaller positions). */
    readonly index: number,
    readonly rows: number,
    readonly cols: number,
    /** Row-major entries, rows · cols of them. Owned by the tape's pool unless a leaf's. */
    readonly data: Float64Array,
    /** Whether the tensor depends on a variable (only such tensors carry gradients). */
    readonly needsGrad: boolean,
    readonly inputs: readonly Tensor[],
    readonly backward: Backward | null,
    /** Operation name, for messages. */
    readonly op: string,
  ) {}

  /** A constant of the operation that made it (e.g. scale's factor), read by its backward rule. */
  aux = 0;

  get size(): number {
    return this.rows * this.cols;
  }

  /** The single entry of a 1 × 1 tensor. */
  item(): number {
    if (this.rows !== 1 || this.cols !== 1)
      throw new AutodiffError(
        `item: the tensor must be 1×1; got ${this.rows}×${this.cols} (from ${this.op})`,
      );
    return this.data[0];
  }
}

/**
 * A tape: the record of one computation, and the pool its buffers come from. Reset it once per
 * outer iteration (after copying out what is kept).
 */
export class Tape {
  readonly nodes: Tensor[] = [];
  private readonly pool = new Map<number, Float64Array[]>();
  private readonly owned: Float64Array[] = [];

  /** A buffer of `n` entries from the pool (contents unspecified: every op writes all entries). */
  alloc(n: number): Float64Array {
    const free = this.pool.get(n);
    const b = free?.pop() ?? new Float64Array(n);
    this.owned.push(b);
    return b;
  }

  /** Forget every node and return their buffers to the pool. */
  reset(): void {
    for (const b of this.owned) {
      let free = this.pool.get(b.length);
      if (!free) {
        free = [];
        this.pool.set(b.length, free);
      }
      free.push(b);
    }
    this.owned.length = 0;
    this.nodes.length = 0;
  }

  /** Record a node (ops.ts calls this). */
  push(
    rows: number,
    cols: number,
    data: Float64Array,
    inputs: readonly Tensor[],
    backward: Backward | null,
    op: string,
    needsGrad = inputs.some((t) => t.needsGrad),
  ): Tensor {
    for (const t of inputs) {
      if (t.tape !== this) throw new AutodiffError(`${op}: an input belongs to another tape (${t.op})`);
    }
    const t = new Tensor(this, this.nodes.length, rows, cols, data, needsGrad, inputs, backward, op);
    this.nodes.push(t);
    return t;
  }

  /**
   * A leaf to differentiate with respect to, sharing `data` (rows · cols entries, row-major; not
   * copied, not pooled).
   */
  variable(data: Float64Array, rows: number, cols: number): Tensor {
    checkLeaf("variable", data, rows, cols);
    return this.push(rows, cols, data, [], null, "variable", true);
  }

  /** A leaf that carries no gradient (data, targets), sharing `data`. */
  constant(data: Float64Array, rows: number, cols: number): Tensor {
    checkLeaf("constant", data, rows, cols);
    return this.push(rows, cols, data, [], null, "constant", false);
  }

  /** The same values as `t`, as a constant: gradients stop here (first-order methods). */
  detach(t: Tensor): Tensor {
    if (t.tape !== this) throw new AutodiffError(`detach: the tensor belongs to another tape (${t.op})`);
    return this.push(t.rows, t.cols, t.data, [], null, "detach", false);
  }

  /** A constant whose entries all equal `v`. */
  full(rows: number, cols: number, v: number): Tensor {
    const data = this.alloc(rows * cols);
    data.fill(v);
    return this.push(rows, cols, data, [], null, "full", false);
  }
}

function checkLeaf(op: string, data: Float64Array, rows: number, cols: number): void {
  for (const [name, v] of [
    ["rows", rows],
    ["cols", cols],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new AutodiffError(`${op}: "${name}" must be an integer ≥ 1; got ${v}`);
  }
  if (!(data instanceof Float64Array) || data.length !== rows * cols) {
    throw new AutodiffError(
      `${op}: "data" must be a Float64Array of rows · cols = ${rows * cols} entries; got ${data instanceof Float64Array ? data.length : typeof data}`,
    );
  }
}
