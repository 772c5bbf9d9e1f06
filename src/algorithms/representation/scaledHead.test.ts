import { describe, expect, test } from "vitest";
import { lstsq } from "../../linalg/lstsq.js";
import { matFrom } from "../../linalg/mat.js";
import { HeadRangeError, normalResidual, scaledHead } from "./scaledHead.js";

/** Heads of users' data at the ends of float64's range, against exact answers (issue 23). */

// B̂ = the first two coordinate axes of R³, and a rotated one (orthonormal columns).
const AXES = matFrom(3, 2, Float64Array.from([1, 0, 0, 1, 0, 0]));
const c = Math.cos(0.3);
const s = Math.sin(0.3);
const ROT = matFrom(3, 2, Float64Array.from([c, 0, s, 0.6, 0, 0.8]));
const W_STAR = [0.6, -0.5];

/** Rows X (n × 3) and labels y = X B w* exactly (in exact arithmetic). */
function consistent(rows: number[][], B = AXES, w = W_STAR): { X: Float64Array; y: Float64Array } {
  const X = Float64Array.from(rows.flat());
  const y = Float64Array.from(
    rows.map((r) => {
      let p = 0;
      for (let a = 0; a < 3; a++) for (let j = 0; j < 2; j++) p += r[a] * B.data[a * 2 + j] * w[j];
      return p;
    }),
  );
  return { X, y };
}

const near = (got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-12) => {
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(rel * Math.abs(want[i]) + 1e-300);
};

describe("scaledHead at ordinary scales", () => {
  test("equals the SVD least-squares solution, with and without ridge", () => {
    const rows = [
      [0.3, -1.2, 0.5],
      [1.1, 0.4, -0.7],
      [-0.8, 0.9, 0.2],
      [0.5, 0.5, 1.5],
      [-1.4, -0.3, 0.6],
    ];
    const X = Float64Array.from(rows.flat());
    const y = Float64Array.from([0.7, -0.2, 1.3, 0.1, -0.9]);
    const A = matFrom(5, 2, new Float64Array(10));
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 2; j++)
        for (let a = 0; a < 3; a++) A.data[i * 2 + j] += X[i * 3 + a] * ROT.data[a * 2 + j];
    for (const ridge of [0, 0.5, 3]) {
      const h = scaledHead(X, y, 5, ROT, ridge, "task");
      near(h.w, lstsq(A, y, { ridge }).x, 1e-12);
      expect(h.rank).toBe(2);
      expect(h.condition).toBeLessThan(100);
    }
  });

  test("collinear rows (ridge 0): the minimum-norm solution, and an infinite condition number", () => {
    const X = Float64Array.from([1, 2, 0, 2, 4, 0, -1, -2, 0]);
    const y = Float64Array.from([1, 2, -1]);
    const h = scaledHead(X, y, 3, AXES, 0, "task");
    // x = t(1, 2): min-norm w ∝ (1, 2) with (1, 2)·w = 1 ⇒ w = (0.2, 0.4).
    near(h.w, [0.2, 0.4], 1e-12);
    expect(h.condition).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("scaledHead near the ends of float64's range: exact answers", () => {
  test("one labelled row at 1.7e308 among ordinary rows: w* exactly, and the other rows' predictions", () => {
    const { X, y } = consistent([
      [1.7e308, 0, 0],
      [0.5, 1.5, 0.2],
      [-1.2, 0.7, 1.1],
      [0.3, -0.4, 2],
    ]);
    const h = scaledHead(X, y, 4, AXES, 0, "task");
    near(h.w, W_STAR);
    near([h.predict(Float64Array.from([2, 3, 5]), 0)], [2 * 0.6 - 3 * 0.5]);
  });

  test("an inconsistent row at 1e300: the limit answer (that row's equation holds, least squares on the rest)", () => {
    const X = Float64Array.from([1e300, 0, 0, 1, 1, 0, 2, -1, 0, -1, 3, 0]);
    const y = Float64Array.from([3e299, 0.5, -0.3, 1.2]);
    const h = scaledHead(X, y, 4, AXES, 0, "task");
    const w1 = 0.3;
    // w2 = Σ x₂(y − x₁w₁) / Σ x₂² over the ordinary rows.
    const w2 = (1 * (0.5 - w1) + -1 * (-0.3 - 2 * w1) + 3 * (1.2 + w1)) / (1 + 1 + 9);
    near(h.w, [w1, w2], 1e-12);
  });

  test("data near 1e160 with --ridge 1: the ridge is negligible (relative 1e-320), the answer is w*", () => {
    const { X, y } = consistent(
      [
        [1e160, 2e160, -3e159],
        [-4e159, 1.5e160, 7e159],
        [9e159, -2e159, 1e160],
      ],
      ROT,
    );
    const h = scaledHead(X, y, 3, ROT, 1, "task");
    near(h.w, W_STAR, 1e-12);
    near(
      [h.predict(Float64Array.from([3e160, 1e160, 2e160]), 0)],
      [3e160 * (c * 0.6) + 1e160 * (s * 0.6 + 0.6 * -0.5) + 2e160 * (0.8 * -0.5)],
    );
  });

  test("features near 1e-300 with labels of order 1: heads of order 1e300, exactly", () => {
    const w = [6e299, -5e299];
    const { X, y } = consistent(
      [
        [1e-300, 2e-300, 0],
        [3e-300, -1e-300, 5e-301],
        [-2e-300, 4e-300, 1e-300],
      ],
      AXES,
      w,
    );
    const h = scaledHead(X, y, 3, AXES, 0, "task");
    near(h.w, w);
  });

  test("a model entry of 1e300: a head of order 1e-300, exactly; of 1e308: a one-line refusal naming the scale", () => {
    const big = matFrom(3, 2, Float64Array.from([1e300, 0, 0, 1, 0, 0]));
    const w = [6e-301, -0.5];
    const { X, y } = consistent(
      [
        [1, 0.5, 0],
        [0.2, -1, 0],
        [-0.7, 0.3, 0],
      ],
      big,
      w,
    );
    near(scaledHead(X, y, 3, big, 0, "task").w, w);
    const huge = matFrom(3, 2, Float64Array.from([1e308, 0, 0, 1, 0, 0]));
    const ys = consistent([
      [1, 0.5, 0],
      [0.2, -1, 0],
      [-0.7, 0.3, 0],
    ]).y;
    let err: unknown;
    try {
      scaledHead(X, ys, 3, huge, 0, 'task "t1"');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HeadRangeError);
    expect((err as Error).message).toMatch(
      /^task "t1": its head ŵ would have entries of order 1e-308, below float64's normal range \(labels up to .*\); rescale the feature or target columns$/,
    );
  });

  test("a head beyond float64's range (features 1e-300, labels 1e10) is a one-line refusal", () => {
    const { X } = consistent([
      [1e-300, 0, 0],
      [0, 1e-300, 0],
      [1e-300, 1e-300, 0],
    ]);
    const y = Float64Array.from([1e10, 2e10, 3e10]);
    expect(() => scaledHead(X, y, 3, AXES, 0, "task")).toThrow(/beyond float64's range/);
  });
});

describe("the residual check (normalResidual) and the rounding rule for tiny head entries", () => {
  const rows = [0.3, -1.2, 0.5, 1.1, 0.4, -0.7, -0.8, 0.9, 0.2, 0.5, 0.5, 1.5];
  /** [A y] (4 × 3) of rows on ROT, labels below. */
  function scaledProblem(): { Ay: Float64Array; v: Float64Array } {
    const y = [0.7, -0.2, 1.3, 0.1];
    const Ay = new Float64Array(12);
    const A = matFrom(4, 2, new Float64Array(8));
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) {
        for (let a = 0; a < 3; a++) Ay[i * 3 + j] += rows[i * 3 + a] * ROT.data[a * 2 + j];
        A.data[i * 2 + j] = Ay[i * 3 + j];
      }
      Ay[i * 3 + 2] = y[i];
    }
    return { Ay, v: lstsq(A, Float64Array.from(y)).x };
  }

  test("O(ε) at the least-squares solution; of order 1e-3 when it is moved by 1e-3; Infinity when not finite", () => {
    const { Ay, v } = scaledProblem();
    const none = new Float64Array(2);
    expect(normalResidual(Ay, 4, 2, none, v)).toBeLessThan(1e-14);
    const moved = Float64Array.from(v, (x, c) => x + (c === 0 ? 1e-3 : 0));
    const r = normalResidual(Ay, 4, 2, none, moved);
    expect(r).toBeGreaterThan(1e-5);
    expect(r).toBeLessThan(1e-2);
    expect(normalResidual(Ay, 4, 2, none, Float64Array.of(Number.NaN, 0))).toBe(Number.POSITIVE_INFINITY);
    // With ridge rows ρ: the ridge solution passes, the plain one does not.
    const rho = Float64Array.of(1, 1);
    const A = matFrom(4, 2, Float64Array.from([0, 1, 3, 4, 6, 7, 9, 10].map((i) => Ay[i])));
    const yv = Float64Array.from([2, 5, 8, 11].map((i) => Ay[i]));
    expect(normalResidual(Ay, 4, 2, rho, lstsq(A, yv, { ridge: 1 }).x)).toBeLessThan(1e-14);
    expect(normalResidual(Ay, 4, 2, rho, v)).toBeGreaterThan(1e-3);
  });

  test("a head entry below float64's normal range whose term is negligible is kept (rounded), not refused", () => {
    // Row (1.7e308, 0) with label 1: w₁ = 1/1.7e308 ≈ 5.9e-309 (subnormal), a term 1 in ŷ of that
    // row but 1e-308 of the others; w₂ by least squares on the ordinary rows: 4.4/11.
    const X = Float64Array.from([1.7e308, 0, 0, 1, 1, 0, 2, -1, 0, -1, 3, 0]);
    const y = Float64Array.from([1, 0.5, -0.3, 1.2]);
    const h = scaledHead(X, y, 4, AXES, 0, "task");
    near([h.w[1]], [0.4], 1e-14);
    expect(Math.abs(h.w[0] - 1 / 1.7e308)).toBeLessThanOrEqual(2 ** -1073);
    near([h.predict(Float64Array.from([1.7e308, 0, 0]), 0)], [1], 1e-14);
    near([h.predict(Float64Array.from([1, 2, 0]), 0)], [0.8], 1e-14);
  });
});

describe("squaredResiduals: the training residuals in units of 2^e", () => {
  test("Σ (y − x·B̂ŵ)² to 1e-12 at e = 0, 2^−2e of it at e = 300, and for labels of 1e300 (whose squares only exist scaled)", () => {
    const X = Float64Array.from([0.3, -1.2, 0.5, 1.1, 0.4, -0.7, -0.8, 0.9, 0.2, 0.5, 0.5, 1.5]);
    const y = Float64Array.from([0.7, -0.2, 1.3, 0.1]);
    const h = scaledHead(X, y, 4, ROT, 0, "task");
    let want = 0;
    for (let i = 0; i < 4; i++) {
      let p = 0;
      for (let a = 0; a < 3; a++)
        for (let j = 0; j < 2; j++) p += X[i * 3 + a] * ROT.data[a * 2 + j] * h.w[j];
      want += (y[i] - p) ** 2;
    }
    expect(want).toBeGreaterThan(0.1);
    near([h.squaredResiduals(0)], [want], 1e-12);
    near([h.squaredResiduals(300) * 2 ** 600], [want], 1e-12);
    // Labels of 1e300: the residuals' squares (1e600) only exist in scaled units.
    const big = scaledHead(
      X,
      Float64Array.from(y, (v) => v * 1e300),
      4,
      ROT,
      0,
      "task",
    );
    const f = 1e300 * 2 ** -997; // exact: the labels' factor in units of 2^997
    near([big.squaredResiduals(997)], [want * f * f], 1e-12);
  });
});
