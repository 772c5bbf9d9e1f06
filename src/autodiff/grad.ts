import { add } from "./ops.js";
import { AutodiffError, type Tensor } from "./tape.js";

/**
 * The gradients of a scalar `y` (1 × 1) with respect to `xs`, as tensors of the same tape.
 *
 * One reverse sweep over the tape from y down to the first of `xs`, through the nodes that both
 * depend on some x and lead to y; each node's backward rule records differentiable operations, so
 * the result can be differentiated again (gradients of gradients: exact MAML's second order). A
 * caller that wants first-order gradients detaches them (`tape.detach`). An x that y does not depend
 * on gets zeros. Contributions reaching a node from several consumers are added in the order of the
 * sweep (consumers last on the tape first), which is fixed, so the bits are too.
 */
export function grad(y: Tensor, xs: readonly Tensor[]): Tensor[] {
  const tape = y.tape;
  if (y.rows !== 1 || y.cols !== 1)
    throw new AutodiffError(
      `grad: the differentiated tensor must be 1×1; got ${y.rows}×${y.cols} (from ${y.op})`,
    );
  for (const x of xs) {
    if (x.tape !== tape)
      throw new AutodiffError(`grad: a tensor to differentiate by belongs to another tape (${x.op})`);
  }
  const nodes = tape.nodes;
  const top = y.index;
  let lo = top + 1;
  for (const x of xs) lo = Math.min(lo, x.index);
  // relevant[i − lo]: node i depends on some x (so a gradient flowing into it is wanted).
  const relevant = new Uint8Array(Math.max(0, top - lo + 1));
  for (const x of xs) if (x.index <= top) relevant[x.index - lo] = 1;
  for (let i = lo; i <= top; i++) {
    if (relevant[i - lo]) continue;
    for (const inp of nodes[i].inputs) {
      if (inp.index >= lo && relevant[inp.index - lo]) {
        relevant[i - lo] = 1;
        break;
      }
    }
  }
  const grads: (Tensor | null)[] = new Array(Math.max(0, top - lo + 1)).fill(null);
  if (top >= lo && relevant[top - lo]) grads[top - lo] = tape.full(1, 1, 1);
  for (let i = top; i >= lo; i--) {
    const g = grads[i - lo];
    const node = nodes[i];
    if (!g || !node.backward) continue;
    const need = node.inputs.map((inp) => inp.index >= lo && relevant[inp.index - lo] === 1);
    if (!need.some(Boolean)) continue;
    const gi = node.backward(g, node, need);
    for (let j = 0; j < node.inputs.length; j++) {
      const gj = gi[j];
      if (!need[j] || !gj) continue;
      const at = node.inputs[j].index - lo;
      const had = grads[at];
      grads[at] = had ? add(had, gj) : gj;
    }
  }
  return xs.map(
    (x) => (x.index <= top && x.index >= lo ? grads[x.index - lo] : null) ?? tape.full(x.rows, x.cols, 0),
  );
}
