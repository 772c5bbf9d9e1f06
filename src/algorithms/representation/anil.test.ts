import { describe, expect, test } from "vitest";
import { randn, TestRng } from "../../linalg/testing.js";
import { unpin } from "../../linalg/wasm/kernels.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleSourceTasks } from "../../models/fewShotTasks.js";
import { DenseSet } from "../../models/sampleSets.js";
import { key } from "../../rng/key.js";
import { anilEstimate, anilLoop, asMetaTasks, pinnedMetaTasks } from "./anil.js";

describe("ANIL and FO-ANIL on a finite source task set", () => {
  test("tasks built from given rows have residual Xᵀ(Xθ − y)/m (labels stored as DenseSet noise, θ* = 0)", () => {
    const src = sampleSourceTasks(
      { d: 5, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      3,
      6,
      key(1),
    );
    const tasks = asMetaTasks(src.data, 2, "halves");
    const theta = randn(1, 5, new TestRng(2)).data;
    const out = new Float64Array(5);
    const t = 1;
    tasks[t].outer.residual(tasks[t].theta, theta, out);
    // Outer rows of task 1: rows 6 + 3 .. 6 + 5 of the data.
    for (let a = 0; a < 5; a++) {
      let ref = 0;
      for (let i = 9; i < 12; i++) {
        let xt = 0;
        for (let b = 0; b < 5; b++) xt += src.data.X[i * 5 + b] * theta[b];
        ref += (src.data.X[i * 5 + a] * (xt - src.data.y[i])) / 3;
      }
      expect(out[a]).toBeCloseTo(ref, 13);
    }
    expect(tasks[t].inner).toBeInstanceOf(DenseSet);
    expect((tasks[t].inner as DenseSet).m).toBe(3);
  });

  test("tasks with their rows pinned in the kernel memory give the DenseSets' bits (residual and covariance products)", () => {
    // d = 7 (odd) and uneven task sizes exercise the kernels' tails.
    const src = sampleSourceTasks(
      { d: 7, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      4,
      9,
      key(3),
    );
    for (const split of ["halves", "shared"] as const) {
      const dense = asMetaTasks(src.data, 2, split);
      const pinned = pinnedMetaTasks(src.data, 2, split)!;
      try {
        const theta = randn(1, 7, new TestRng(4)).data;
        const a = new Float64Array(7);
        const b = new Float64Array(7);
        dense.forEach((task, t) => {
          for (const side of ["inner", "outer"] as const) {
            task[side].residual(task.theta, theta, a);
            pinned.tasks[t][side].residual(pinned.tasks[t].theta, theta, b);
            expect(Array.from(b)).toEqual(Array.from(a));
            task[side].covApply(theta, a);
            pinned.tasks[t][side].covApply(theta, b);
            expect(Array.from(b)).toEqual(Array.from(a));
          }
        });
      } finally {
        unpin(pinned.at);
      }
    }
  });

  test("FO-ANIL's batches in the kernel (pinned rows) give the JS loop's bits, full and mini-batch, both splits", () => {
    const src = sampleSourceTasks(
      { d: 7, k: 2, sigma: 0.5, heads: { kind: "gaussian", scale: 1 } },
      12,
      9,
      key(6),
    );
    for (const split of ["halves", "shared"] as const) {
      for (const batch of [12, 5]) {
        const options = { epochs: 7, batch, split };
        const ctx = { key: key(8) };
        const fast = anilEstimate(src.data, 2, options, ctx, true);
        const slow = anilLoop(src.data, 2, asMetaTasks(src.data, 2, split), options, ctx, true, null);
        expect(Array.from(fast.B.data)).toEqual(Array.from(slow.B.data));
        expect(fast.info).toEqual(slow.info);
        expect(fast.iterations).toBe(slow.iterations);
      }
    }
  });

  test("without noise and with many rows, FO-ANIL and ANIL learn B* up to their finite-sample floors (dist < 0.1)", () => {
    const src = sampleSourceTasks(
      { d: 10, k: 2, sigma: 0, heads: { kind: "gaussian", scale: 1 } },
      50,
      80,
      key(2),
    );
    for (const firstOrder of [true, false]) {
      const fit = anilEstimate(
        src.data,
        2,
        { epochs: 150, alpha: 0.25, beta: 0.5 },
        { key: key(3) },
        firstOrder,
      );
      expect(fit.status).toBe("ok");
      expect(fit.iterations).toBe(150);
      expect(subspaceDistance(fit.B, src.Bstar)).toBeLessThan(0.1);
    }
  });

  test("a blow-up is reported with its iteration and quantity, not thrown", () => {
    const src = sampleSourceTasks(
      { d: 6, k: 2, sigma: 1, heads: { kind: "gaussian", scale: 30 } },
      10,
      8,
      key(4),
    );
    const fit = anilEstimate(src.data, 2, { epochs: 50, beta: 50 }, { key: key(5) }, true);
    expect(fit.status).toBe("diverged");
    expect(fit.diverged!.iteration).toBeGreaterThan(0);
    expect(["B", "w"]).toContain(fit.diverged!.quantity);
  });

  test('"halves" needs two rows per task: one clear error', () => {
    const src = sampleSourceTasks(
      { d: 6, k: 2, sigma: 1, heads: { kind: "gaussian", scale: 1 } },
      4,
      1,
      key(4),
    );
    expect(() => anilEstimate(src.data, 2, {}, { key: key(0) }, false)).toThrow(
      /"split" needs at least 2 rows per task when "halves"; got "halves"/,
    );
  });
});
