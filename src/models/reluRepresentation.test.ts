import { describe, expect, test } from "vitest";
import { key } from "../rng/key.js";
import { sampleGroundTruth } from "./linearRepresentation.js";
import { reluTaskBuffers, reluTasks } from "./reluRepresentation.js";

const p = { d: 7, k: 3, n: 4, m_in: 9, m_out: 40, sigma: 0.3 };
const Bstar = sampleGroundTruth(key(5), p.d, p.k);

/** Every array of a batch, in order, as plain numbers (−0 and +0 told apart by Object.is below). */
const flat = (b: ReturnType<typeof reluTasks>) =>
  b.flatMap((t) => [...t.inner.x.data, ...t.inner.y.data, ...t.outer.x.data, ...t.outer.y.data]);

describe("reluTasks", () => {
  test("reused buffers give the bits of fresh ones, batch after batch", () => {
    const buf = reluTaskBuffers(p);
    for (const t of [1, 2, 3]) {
      const fresh = flat(reluTasks(p, 0.5, Bstar, key(1), t));
      const reused = flat(reluTasks(p, 0.5, Bstar, key(1), t, buf));
      expect(reused.length).toBe(fresh.length);
      expect(reused.every((v, i) => Object.is(v, fresh[i]))).toBe(true);
    }
  });

  test("labels are ⟨w*, relu(B*ᵀx)⟩ + noise: without noise, y lies in the span of the task's features", () => {
    const q = { ...p, sigma: 0 };
    const [task] = reluTasks(q, 1, Bstar, key(2), 1);
    // Rows whose features are all zero (x in the negative cone of every column) have label 0; a
    // label is otherwise a combination of the k features, checked against the first row's head.
    const feats = (row: number) =>
      Array.from({ length: q.k }, (_, c) => {
        let s = 0;
        for (let i = 0; i < q.d; i++) s += task.outer.x.data[row * q.d + i] * Bstar.data[i * q.k + c];
        return Math.max(s, 0);
      });
    // Solve for w* from k rows with independent features, then check every other row.
    const rows = [0, 1, 2].map(feats);
    const ys = [0, 1, 2].map((r) => task.outer.y.data[r]);
    const det = (m: number[][]) =>
      m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
      m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
      m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    const D = det(rows);
    expect(Math.abs(D)).toBeGreaterThan(1e-6);
    const w = [0, 1, 2].map((c) => det(rows.map((r, i) => r.map((v, j) => (j === c ? ys[i] : v)))) / D);
    for (let r = 3; r < q.m_out; r++) {
      const f = feats(r);
      expect(task.outer.y.data[r]).toBeCloseTo(f[0] * w[0] + f[1] * w[1] + f[2] * w[2], 10);
    }
  });

  test("buffers of another family are refused", () => {
    expect(() => reluTasks(p, 1, Bstar, key(1), 1, reluTaskBuffers({ ...p, n: 3 }))).toThrow(
      /buffers were made for another family/,
    );
  });
});
