import { describe, expect, test } from "vitest";
import { ParamError } from "../errors.js";
import { key } from "../rng/key.js";
import { checkCifar10cData, cifar10cTasks, DatasetError, imagePatches } from "./cifar10c.js";
import { fakeCifar10c } from "./testing.js";

describe("CIFAR-10-C as patch tasks", () => {
  const data = fakeCifar10c(["fog", "snow", "zoom_blur"]);

  test("patches are the image's tiles, row-major, pixels in (row, column, channel) order, per-image channel-centred over 255", () => {
    const c = data.corruptions[1];
    const row = 7;
    const { X, P, d } = imagePatches(c, [row], 4);
    expect(P).toBe(4);
    expect(d).toBe(48);
    const px = (r: number, col: number, ch: number) => c.images[((row * 8 + r) * 8 + col) * 3 + ch];
    const mean = [0, 1, 2].map((ch) => {
      let s = 0;
      for (let r = 0; r < 8; r++) for (let col = 0; col < 8; col++) s += px(r, col, ch);
      return s / 64;
    });
    // Tile (1, 0) is patch 2: rows 4…7, columns 0…3.
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        for (let ch = 0; ch < 3; ch++) {
          expect(X[2 * 48 + (i * 4 + j) * 3 + ch]).toBeCloseTo((px(4 + i, j, ch) - mean[ch]) / 255, 14);
        }
    expect(() => imagePatches(c, [0], 3)).toThrow(
      /"patch_size" must divide the image height 8 and width 8; got 3/,
    );
  });

  test("tasks: the two classes as ±1, disjoint training images per task, one test set of other images", () => {
    const s = {
      corruptions: ["snow", "fog"],
      classes: [0, 1] as [number, number],
      severity: 2,
      n: 2,
      nTest: 3,
      patchSize: 4,
    };
    const { trains, tests } = cifar10cTasks(data, s, key(3));
    expect(trains.map((t) => t.count)).toEqual([2, 2]);
    expect(tests.map((t) => t.count)).toEqual([3, 3]);
    expect(Array.from(trains[1].task)).toEqual([1, 1]);
    for (const ds of [...trains, ...tests]) {
      expect(ds.P).toBe(4);
      expect(ds.d).toBe(48);
      for (const y of ds.y) expect(Math.abs(y)).toBe(1);
    }
    // Recover each example's base image by matching its patches against the severity-2 block.
    const snow = data.corruptions[1];
    const fog = data.corruptions[0];
    const baseOf = (ds: (typeof trains)[0], c: typeof snow, e: number) => {
      const found: number[] = [];
      for (let b = 0; b < 40; b++) {
        const row = 40 + b;
        if (data.labels[row] !== 0 && data.labels[row] !== 1) continue;
        const { X } = imagePatches(c, [row], 4);
        if (X.every((v, k) => v === ds.X.data[e * 4 * 48 + k])) found.push(b);
      }
      expect(found.length).toBe(1);
      const lab = data.labels[40 + found[0]];
      expect(ds.y[e]).toBe(lab === 0 ? 1 : -1);
      return found[0];
    };
    const trainSnow = [0, 1].map((e) => baseOf(trains[0], snow, e));
    const trainFog = [0, 1].map((e) => baseOf(trains[1], fog, e));
    const testSnow = [0, 1, 2].map((e) => baseOf(tests[0], snow, e));
    const testFog = [0, 1, 2].map((e) => baseOf(tests[1], fog, e));
    expect(testSnow).toEqual(testFog);
    const all = [...trainSnow, ...trainFog, ...testSnow];
    expect(new Set(all).size).toBe(all.length);
  });

  test("asking for more images than the two classes have, an unknown corruption, or one class twice is a one-line error", () => {
    const s = {
      corruptions: ["fog"],
      classes: [0, 1] as [number, number],
      severity: 1,
      n: 6,
      nTest: 3,
      patchSize: 4,
    };
    // 40 base images with labels cycling 0…9: 8 of classes 0 and 1.
    expect(() => cifar10cTasks(data, s, key(1))).toThrow(ParamError);
    expect(() => cifar10cTasks(data, s, key(1))).toThrow(/"n" needs n_test \+ K·n ≤ 8 images.*got 6/);
    expect(() => cifar10cTasks(data, { ...s, n: 1, corruptions: ["rain"] }, key(1))).toThrow(
      /"corruptions" must name loaded corruption files \(loaded: fog, snow, zoom_blur\); got "rain"/,
    );
    expect(() => cifar10cTasks(data, { ...s, n: 1, classes: [2, 2] }, key(1))).toThrow(
      /two different classes/,
    );
  });

  test("the data check names what is wrong", () => {
    expect(() => checkCifar10cData(undefined)).toThrow(/--data DIR/);
    const bad = fakeCifar10c(["fog", "snow"]);
    bad.corruptions[1] = { ...bad.corruptions[1], count: 10 };
    expect(() => checkCifar10cData(bad)).toThrow(DatasetError);
    expect(() => checkCifar10cData(bad)).toThrow(/snow\.npy/);
    const badLabel = fakeCifar10c(["fog"]);
    badLabel.labels[3] = 11;
    expect(() => checkCifar10cData(badLabel)).toThrow(/label 11 at index 3/);
  });
});
