import { describe, expect, test } from "vitest";
import { ParamError } from "../errors.js";
import { key } from "../rng/key.js";
import {
  checkPatchModel,
  concatPatchDatasets,
  featureAxis,
  type PatchModel,
  patchSnr,
  samplePatchTask,
  samplePatchTasks,
  sharedFeature,
  taskFeature,
} from "./patchData.js";

const MODEL: PatchModel = { K: 4, d: 60, P: 3, uNorm: 2, vNorm: 5, sigmaP: 0.7, p: 0.3 };

describe("the multi-task patch data model", () => {
  const n = 4000;
  const data = samplePatchTask(MODEL, 2, n, key(1));
  const row = (i: number, p: number) => data.X.data.subarray((i * 3 + p) * 60, (i * 3 + p + 1) * 60);

  test("the feature patch is y·u with probability p, else y·v_t, and nothing else", () => {
    let shared = 0;
    let plus = 0;
    for (let i = 0; i < n; i++) {
      const f = data.shared![i] ? sharedFeature(MODEL) : taskFeature(MODEL, 2);
      expect(Array.from(row(i, 0))).toEqual(Array.from(f, (x) => x * data.y[i] + 0));
      shared += data.shared![i];
      if (data.y[i] === 1) plus++;
      else expect(data.y[i]).toBe(-1);
    }
    // Binomial(4000, 0.3) has sd 29; Binomial(4000, 0.5) has sd 32: 4 sd bounds.
    expect(Math.abs(shared - 0.3 * n)).toBeLessThan(4 * 29);
    expect(Math.abs(plus - 0.5 * n)).toBeLessThan(4 * 32);
    expect(Array.from(data.task).every((t) => t === 2)).toBe(true);
  });

  test("noise patches are orthogonal to every feature, with variance σ_p² on the other axes", () => {
    let s = 0;
    let s2 = 0;
    let count = 0;
    for (let i = 0; i < n; i++)
      for (let p = 1; p < 3; p++) {
        const x = row(i, p);
        for (let a = 0; a <= MODEL.K; a++) expect(x[a]).toBe(0);
        for (let a = MODEL.K + 1; a < 60; a++) {
          s += x[a];
          s2 += x[a] * x[a];
          count++;
        }
      }
    const sd = Math.sqrt(s2 / count);
    // count = 440000 draws: the sample sd is within 0.5% of σ_p with overwhelming probability.
    expect(Math.abs(sd / 0.7 - 1)).toBeLessThan(0.005);
    expect(Math.abs(s / count)).toBeLessThan(4 * (0.7 / Math.sqrt(count)));
  });

  test("SNR = ‖u‖ / (σ_p √d); features sit on their own axes", () => {
    expect(patchSnr(MODEL)).toBeCloseTo(2 / (0.7 * Math.sqrt(60)), 15);
    expect(featureAxis("u")).toBe(0);
    expect(featureAxis(3)).toBe(4);
    expect(sharedFeature(MODEL)[0]).toBe(2);
    expect(taskFeature(MODEL, 3)[4]).toBe(5);
  });

  test("a task's data depend only on (key, task): prefixes nest and other tasks do not matter", () => {
    const a = samplePatchTask(MODEL, 1, 50, key(7));
    const b = samplePatchTask(MODEL, 1, 80, key(7));
    expect(Array.from(b.X.data.subarray(0, a.X.data.length))).toEqual(Array.from(a.X.data));
    expect(Array.from(b.y.subarray(0, 50))).toEqual(Array.from(a.y));
    const union = samplePatchTasks(MODEL, 50, key(7));
    expect(union.count).toBe(200);
    expect(Array.from(union.X.data.subarray(50 * 3 * 60, 100 * 3 * 60))).toEqual(Array.from(a.X.data));
    expect(Array.from(union.task.subarray(50, 100)).every((t) => t === 1)).toBe(true);
    // A model with more tasks changes task 1's data only on the extra feature axes.
    const wider = samplePatchTask({ ...MODEL, K: 9 }, 1, 50, key(7));
    expect(Array.from(wider.y)).toEqual(Array.from(a.y));
    for (let k = 0; k < a.X.data.length; k++) {
      if (k % 60 > 9 || k % 180 < 60) expect(wider.X.data[k]).toBe(a.X.data[k]);
    }
    expect(Array.from(samplePatchTask(MODEL, 1, 50, key(8)).y)).not.toEqual(Array.from(a.y));
  });

  test("concatenation keeps examples, labels, tasks and feature kinds in order", () => {
    const a = samplePatchTask(MODEL, 0, 3, key(2));
    const b = samplePatchTask(MODEL, 3, 2, key(2));
    const c = concatPatchDatasets([a, b]);
    expect(c.count).toBe(5);
    expect(Array.from(c.task)).toEqual([0, 0, 0, 3, 3]);
    expect(Array.from(c.y)).toEqual([...a.y, ...b.y]);
    expect(Array.from(c.shared!)).toEqual([...a.shared!, ...b.shared!]);
    expect(c.X.rows).toBe(15);
  });

  test.each([
    [{ K: 0 }, /"K" must be an integer ≥ 1; got 0/],
    [{ d: 5 }, /"d" must be an integer ≥ K \+ 2 \(= 6\); got 5/],
    [{ P: 1 }, /"P" must be an integer ≥ 2; got 1/],
    [{ p: 1.5 }, /"p" must be in \[0, 1\]; got 1.5/],
    [{ p: -0.1 }, /"p" must be in \[0, 1\]; got -0.1/],
    [{ sigmaP: -1 }, /"sigmaP" must be a finite number ≥ 0; got -1/],
  ] as const)("bad model %j is a one-line ParamError", (bad, msg) => {
    const m = { ...MODEL, ...bad };
    expect(() => checkPatchModel(m)).toThrow(ParamError);
    expect(() => checkPatchModel(m)).toThrow(msg);
  });
});
