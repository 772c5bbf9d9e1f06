import { describe, expect, test } from "vitest";
import { allocCnnWorkspace, forwardInto } from "../algorithms/cnn/network.js";
import { fromRows } from "../linalg/mat.js";
import { type PatchModel, samplePatchTask } from "../models/patchData.js";
import { key } from "../rng/key.js";
import { classAlignments, featureAlignment, noiseAlignment } from "./alignment.js";

describe("feature and noise alignment", () => {
  // m = 2 filters per class in d = 3.
  const W = fromRows([
    [1, 0, 0],
    [3, 1, 0],
    [-2, 0, 1],
    [-0.5, 0, 0],
  ]);

  test("each class's largest alignment with the feature as it sees it (y·v), and their mean", () => {
    const v = Float64Array.from([2, 0, 0]);
    expect(classAlignments(W, v)).toEqual({ plus: 6, minus: 4 });
    expect(featureAlignment(W, v)).toBe(5);
    // Scaling the feature scales the alignment: these are inner products, not cosines.
    expect(featureAlignment(W, Float64Array.from([4, 0, 0]))).toBe(10);
  });

  test("noise alignment is the mean over examples of the largest ⟨w_{y_i,r}, ξ_i⟩ over own-class filters and noise patches", () => {
    const model: PatchModel = { K: 2, d: 30, P: 3, uNorm: 1, vNorm: 1, sigmaP: 1, p: 0.5 };
    const data = samplePatchTask(model, 0, 7, key(3));
    const Wr = { rows: 8, cols: 30, data: Float64Array.from({ length: 240 }, (_, i) => Math.sin(i * 0.37)) };
    const ws = allocCnnWorkspace(7, 3, { m: 4, d: 30 });
    forwardInto(Wr, { kind: "relu-power", q: 3 }, data, ws);
    let expected = 0;
    for (let i = 0; i < 7; i++) {
      let best = Number.NEGATIVE_INFINITY;
      const rows = data.y[i] > 0 ? [0, 1, 2, 3] : [4, 5, 6, 7];
      for (const p of [1, 2])
        for (const r of rows) {
          let z = 0;
          for (let k = 0; k < 30; k++) z += Wr.data[r * 30 + k] * data.X.data[(i * 3 + p) * 30 + k];
          best = Math.max(best, z);
        }
      expected += best / 7;
    }
    expect(noiseAlignment(ws.Z, data.y, 3)).toBeCloseTo(expected, 12);
    expect(noiseAlignment(ws.Z, data.y, 3, 3)).toBeNaN();
  });
});
