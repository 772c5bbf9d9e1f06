import { describe, expect, test } from "vitest";
import { foldIn, key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { allocTask, releaseTask, sampleTask } from "./linearRepresentation.js";
import { DenseSet, PinnedDenseSet } from "./sampleSets.js";

const bits = (x: Float64Array) => Array.from(new BigUint64Array(x.buffer, x.byteOffset, x.length));

describe("the direct sampler's sets pinned in the kernel memory", () => {
  test("draw the same X and give the same residuals and covariance products bit for bit, for odd m and d", () => {
    for (const [m, d] of [
      [20, 100],
      [1, 1],
      [3, 7],
      [17, 33],
      [5, 4],
      [2, 2],
    ]) {
      const k = foldIn(key(41), m * 1000 + d);
      const js = new DenseSet(m, d);
      const pinned = new PinnedDenseSet(m, d);
      try {
        const a = stream(k);
        const b = stream(k);
        js.draw(a, 0.7);
        pinned.draw(b, 0.7);
        expect(a.nextUint32()).toBe(b.nextUint32());
        expect(bits(pinned.X())).toEqual(bits(js.X));
        const s = stream(foldIn(k, 1));
        const theta = s.fillNormal(new Float64Array(d));
        const thetaStar = s.fillNormal(new Float64Array(d));
        const r1 = new Float64Array(d);
        const r2 = new Float64Array(d);
        js.residual(thetaStar, theta, r1);
        pinned.residual(thetaStar, theta, r2);
        expect(bits(r2)).toEqual(bits(r1));
        js.covApply(theta, r1);
        pinned.covApply(theta, r2);
        expect(bits(r2)).toEqual(bits(r1));
      } finally {
        pinned.release();
      }
    }
  });

  test("a pinned task draws what an unpinned one draws, and releases its memory", () => {
    const model = {
      d: 30,
      k: 3,
      heads: "collins" as const,
      mu: 1,
      headScale: 1,
      headMean: 0,
      sigma: 0.5,
      mIn: 10,
      mOut: 7,
      sampler: "direct" as const,
    };
    const Bstar = { rows: 30, cols: 3, data: stream(key(1)).fillNormal(new Float64Array(90)) };
    const sd = new Float64Array([1, 1, 1]);
    const plain = allocTask(model);
    const pinned = allocTask(model, undefined, true);
    try {
      sampleTask(stream(key(2)), model, Bstar, sd, plain);
      sampleTask(stream(key(2)), model, Bstar, sd, pinned);
      expect(bits((pinned.inner as PinnedDenseSet).X())).toEqual(bits((plain.inner as DenseSet).X));
      expect(bits((pinned.outer as PinnedDenseSet).X())).toEqual(bits((plain.outer as DenseSet).X));
    } finally {
      releaseTask(pinned);
    }
  });
});
