import { describe, expect, test } from "vitest";
import { errorRate, errorRatePerTask } from "./classification.js";

describe("classification error", () => {
  const out = Float64Array.from([0.5, -1, 0, 2, -3, 0.1]);
  const y = Float64Array.from([1, 1, 1, -1, -1, -1]);

  test("an example is wrong when y·f ≤ 0 (ties count as errors)", () => {
    expect(errorRate(out, y)).toBeCloseTo(4 / 6, 15);
    expect(errorRate(new Float64Array(0), new Float64Array(0))).toBeNaN();
  });

  test("per task, over that task's examples only; a task without examples is NaN", () => {
    const task = Int32Array.from([0, 0, 1, 1, 2, 2]);
    const e = errorRatePerTask(out, y, task, 4);
    expect(Array.from(e.subarray(0, 3))).toEqual([0.5, 1, 0.5]);
    expect(e[3]).toBeNaN();
  });
});
