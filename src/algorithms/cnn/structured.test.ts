import { describe, expect, test } from "vitest";
import { GEMM_KC, gemm, gemmStrided } from "../../linalg/gemm.js";
import { type Mat, zeros } from "../../linalg/mat.js";
import {
  concatPatchDatasets,
  type PatchDataset,
  type PatchLayout,
  samplePatchTask,
} from "../../models/patchData.js";
import { key } from "../../rng/key.js";
import { Stream } from "../../rng/stream.js";
import { activateLossSlopes, exampleWeights, lossAndGradient, lossAndSlopes } from "./gradient.js";
import { activateRows, allocCnnWorkspace, forwardInto, initWeights, outputsInto } from "./network.js";
import { layoutOf, pinNoise, structuredBackward, unpinNoise } from "./structured.js";
import { trainCnn } from "./train.js";

const ACT = { kind: "relu-power", q: 3 } as const;

/** Synthetic patch data with known zeros: K tasks of `n` examples of P patches in d. */
function synthetic(K: number, n: number, P: number, d: number, seed: number): PatchDataset {
  const model = { K, d, P, uNorm: 3, vNorm: 5, sigmaP: 1, p: 0.6 };
  return concatPatchDatasets(Array.from({ length: K }, (_, t) => samplePatchTask(model, t, n, key(seed))));
}

/** The same data without its layout: the dense products. */
const dense = (data: PatchDataset): PatchDataset => ({ ...data, layout: undefined });

const same = (a: Float64Array, b: Float64Array) =>
  expect(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ),
  ).toBe(true);

// Shapes: noiseFrom below and above the kernel's block, d over two blocks, P not dividing the
// block (so blocks of rows split examples), several blocks of rows.
const CASES: [string, number, number, number, number][] = [
  ["the experiment's shape (K = 20, d = 100, P = 2)", 20, 30, 2, 100],
  ["d over two kernel blocks, P = 3", 5, 40, 3, 300],
  ["noise from beyond the first block", 140, 2, 3, 300],
];

describe("structured CNN products (known zeros skipped) give the dense products' bits", () => {
  test("the kernel's inner block is GEMM_KC: splitting the inner dimension there keeps the bits", () => {
    const s = new Stream(key(1));
    const A = zeros(7, 3 * GEMM_KC + 5);
    const B = zeros(3 * GEMM_KC + 5, 6);
    s.fillNormal(A.data);
    s.fillNormal(B.data);
    const whole = gemm(false, false, 1, A, B, 0, zeros(7, 6));
    // A·B as two products over the columns of A (rows of B) before and after `cut`, summed.
    const split = (cut: number) => {
      const A1 = zeros(7, cut);
      const A2 = zeros(7, A.cols - cut);
      for (let i = 0; i < 7; i++)
        for (let p = 0; p < A.cols; p++)
          (p < cut ? A1 : A2).data[i * (p < cut ? cut : A.cols - cut) + (p < cut ? p : p - cut)] =
            A.data[i * A.cols + p];
      const B1: Mat = { rows: cut, cols: 6, data: B.data.slice(0, cut * 6) };
      const B2: Mat = { rows: B.rows - cut, cols: 6, data: B.data.slice(cut * 6) };
      return gemm(false, false, 1, A2, B2, 1, gemm(false, false, 1, A1, B1, 0, zeros(7, 6)));
    };
    same(split(GEMM_KC).data, whole.data);
    // A cut elsewhere changes some bits: the test above can fail.
    const other = split(GEMM_KC - 40);
    expect(other.data.some((v, k) => v !== whole.data[k])).toBe(true);
  });

  test.each(CASES)("%s: outputs, preactivations, loss and gradient", (_, K, n, P, d) => {
    const data = synthetic(K, n, P, d, 3);
    expect(layoutOf(data)).not.toBeNull();
    expect(layoutOf(dense(data))).toBeNull();
    const W = initWeights(key(4), { m: 6, d }, 0.5);
    const shape = { m: 6, d };
    const a = allocCnnWorkspace(data.count, P, shape);
    const b = allocCnnWorkspace(data.count, P, shape);
    same(forwardInto(W, ACT, data, a), forwardInto(W, ACT, dense(data), b));
    same(a.Z.data, b.Z.data);
    const c = exampleWeights(data, "task-mean");
    expect(lossAndGradient(W, ACT, 0.1, data, c, a)).toBe(lossAndGradient(W, ACT, 0.1, dense(data), c, b));
    same(a.grad.data, b.grad.data);
    // A backward over two ranges of examples (β = 1 for the second), as a blocked pass does it.
    const half = Math.floor(data.count / 2) + 1;
    const layout = layoutOf(data) as PatchLayout;
    structuredBackward(data, layout, a, 0, half, 0);
    structuredBackward(data, layout, a, half, data.count, 1);
    const F = 12;
    const rows = (i0: number, i1: number, M: Float64Array, cols: number) => ({
      rows: (i1 - i0) * P,
      cols,
      data: M,
      offset: i0 * P * cols,
      stride: cols,
    });
    const G = { rows: F, cols: d, data: new Float64Array(F * d), offset: 0, stride: d };
    gemmStrided(true, false, 1, rows(0, half, a.S.data, F), rows(0, half, data.X.data, d), 0, G);
    gemmStrided(
      true,
      false,
      1,
      rows(half, data.count, a.S.data, F),
      rows(half, data.count, data.X.data, d),
      1,
      G,
    );
    same(a.grad.data, G.data);
  });

  test("a training run on the primal path: the same weights bit for bit", () => {
    const data = synthetic(20, 30, 2, 100, 5);
    const W0 = initWeights(key(6), { m: 10, d: 100 }, 0.02);
    const config = { activation: ACT, eta: 1, lambda: 0, iters: 15, path: "primal" as const };
    const c = exampleWeights(data, "task-mean");
    same(trainCnn(config, data, c, W0).W.data, trainCnn(config, dense(data), c, W0).W.data);
  });

  // The dual path on data with known zeros (G's zero blocks and W's zero terms skipped) against
  // the same path's dense products: every recorded iterate, its loss, preactivations and outputs.
  test.each([
    ...CASES.map(([name, K, n, P, d]) => [name, K, n, P, d, 0] as const),
    ["weight decay (a_t ≠ 1), two blocks of rows", 4, 20, 2, 50, 0.05] as const,
  ])("a training run on the dual path, %s: the same iterates bit for bit", (_, K, n, P, d, lambda) => {
    const data = synthetic(K, n, P, d, 11);
    const W0 = initWeights(key(12), { m: 4, d }, 0.1);
    const config = { activation: ACT, eta: 0.5, lambda, iters: 6, recordEvery: 1, path: "dual" as const };
    const c = exampleWeights(data, "mean");
    const run = (on: PatchDataset) => {
      const seen: Float64Array[] = [];
      const res = trainCnn(config, on, c, W0, {
        onRecord: (st) =>
          seen.push(st.W.data.slice(), st.ws.Z.data.slice(), st.ws.out.slice(), Float64Array.of(st.loss)),
      });
      return { res, seen };
    };
    const a = run(data);
    const b = run(dense(data));
    expect(a.res.status).toBe("ok");
    expect(a.seen.length).toBe(b.seen.length);
    for (const [k, v] of a.seen.entries()) same(v, b.seen[k]);
    same(a.res.W.data, b.res.W.data);
    // The run moved (the test can fail): W_6 is not W_0.
    expect(a.res.W.data.some((v, k) => v !== W0.data[k])).toBe(true);
  });

  test.each(CASES)(
    "%s: outputs for evaluation (feature parts per column and x, noise pinned or not)",
    (_, K, n, P, d) => {
      const data = synthetic(K, n, P, d, 17);
      const W = initWeights(key(18), { m: 6, d }, 0.5);
      const shape = { m: 6, d };
      const a = allocCnnWorkspace(data.count, P, shape);
      const b = allocCnnWorkspace(data.count, P, shape);
      const want = forwardInto(W, ACT, dense(data), b).slice();
      same(outputsInto(W, ACT, data, a), want);
      pinNoise(data, a, 1 << 22);
      expect(a.pinnedNoise).not.toBeNull();
      try {
        a.out.fill(0);
        same(outputsInto(W, ACT, data, a), want);
      } finally {
        unpinNoise(a);
      }
      expect(a.pinnedNoise).toBeNull();
    },
  );

  test("a diverging run on the dual path: the same step, quantity, value and last iterate", () => {
    const data = synthetic(3, 10, 2, 20, 13);
    const W0 = initWeights(key(14), { m: 3, d: 20 }, 1);
    const config = { activation: ACT, eta: 1e4, lambda: 0, iters: 50, path: "dual" as const };
    const c = exampleWeights(data, "mean");
    const a = trainCnn(config, data, c, W0);
    const b = trainCnn(config, dense(data), c, W0);
    expect(a.status).toBe("diverged");
    expect(a.diverged).toEqual(b.diverged);
    same(a.W.data, b.W.data);
  });

  test("activation, outputs, loss and slopes in one pass equal activateRows then lossAndSlopes", () => {
    const data = synthetic(3, 10, 2, 20, 15);
    const W = initWeights(key(16), { m: 3, d: 20 }, 1);
    const shape = { m: 3, d: 20 };
    const a = allocCnnWorkspace(data.count, 2, shape);
    const b = allocCnnWorkspace(data.count, 2, shape);
    const c = exampleWeights(data, "task-mean");
    forwardInto(W, ACT, data, a);
    // A NaN and a −∞ preactivation (their examples take activateRows' fallback to the branch).
    for (const ws of [a, b]) {
      ws.Z.data.set(a.Z.data);
      ws.Z.data[5] = Number.NaN;
      ws.Z.data[6 * 7 + 2] = Number.NEGATIVE_INFINITY;
    }
    for (const withGradient of [true, false]) {
      const la = activateLossSlopes(ACT, data, c, a, 0, data.count, withGradient, 0.25);
      activateRows(ACT, b, 0, data.count);
      const lb = lossAndSlopes(data, c, b, 0, data.count, withGradient, 0.25);
      expect(la).toBe(lb);
      same(a.out, b.out);
      same(a.S.data, b.S.data);
    }
    // The branch reads a NaN or −∞ preactivation as σ = σ' = 0.
    expect(a.out.every(Number.isFinite)).toBe(true);
    expect(a.S.data[5]).toBe(0);
  });

  test("non-finite weights take the dense product (NaN propagates as it does there)", () => {
    const data = synthetic(3, 10, 2, 20, 7);
    const W = initWeights(key(8), { m: 2, d: 20 }, 1);
    W.data[3] = Number.NaN;
    const a = allocCnnWorkspace(data.count, 2, { m: 2, d: 20 });
    const b = allocCnnWorkspace(data.count, 2, { m: 2, d: 20 });
    same(forwardInto(W, ACT, data, a), forwardInto(W, ACT, dense(data), b));
  });

  test("a layout describing another X is ignored", () => {
    const data = synthetic(3, 10, 2, 20, 9);
    expect(layoutOf({ ...data, X: { ...data.X, data: data.X.data.slice() } })).toBeNull();
  });
});
