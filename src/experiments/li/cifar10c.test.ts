import { beforeAll, describe, expect, test } from "vitest";
import { DatasetError } from "../../data/cifar10c.js";
import { fakeCifar10c } from "../../data/testing.js";
import { ParamError } from "../../errors.js";
import { resolveParams } from "../resolve.js";
import { runSeeds, type TestRun } from "../testing.js";
import type { Curve } from "../types.js";
import { liCifar10c } from "./cifar10c.js";

/*
 * The real-data path on a small stand-in with the release's layout (src/data/testing.ts): 8 × 8
 * RGB images, 200 per severity block (40 of classes 0 and 1), three corruptions that tint
 * different channels. Patches are 4 × 4 tiles (P = 4, d = 48).
 */
const data = fakeCifar10c(["fog", "snow", "zoom_blur"], 200);
const settings = { patch_size: 4, n: 8, n_test: 16, iters: 150, record_every: 50, m: 10, sigma0: 0.1 };

function run(overrides: Record<string, unknown>, dataset: unknown, seedIndices = [0, 1]): TestRun {
  const params = resolveParams(liCifar10c, null, { ...settings, ...overrides }) as Record<string, unknown>;
  const ctx = { progress: () => {}, warn: () => {}, dataset };
  return runSeeds({
    experiment: liCifar10c,
    params,
    size: null,
    seed: 0,
    seedIndices,
    command: "test",
    ctx,
  });
}

describe("li-cifar10c on a stand-in for CIFAR-10-C", () => {
  let rec: TestRun;
  beforeAll(() => {
    rec = run({}, data);
  });
  const find = (r: TestRun["result"]["seeds"][0], method: string, set: string): Curve => {
    const c = r.curves.find((cv) => cv.labels.method === method && cv.labels.set === set);
    if (!c) throw new Error(`no ${method} ${set} curve`);
    return c;
  };

  test("declares its data set, and records test and train error curves for both kinds of training", () => {
    expect(liCifar10c.dataset?.kind).toBe("cifar10c");
    expect(rec.status).toBe("ok");
    for (const r of rec.result.seeds) {
      for (const method of ["single", "multi"])
        for (const set of ["test", "train"]) {
          const c = find(r, method, set);
          expect(c.x).toEqual([0, 50, 100, 150]);
          for (const y of c.y) expect(y >= 0 && y <= 1).toBe(true);
        }
      expect(r.scalars).toEqual({ tasks: 3, patches: 4, patchDim: 48 });
    }
  });

  test("every corruption (task) has its final test error in the test curves' metrics; their mean is `final`", () => {
    for (const r of rec.result.seeds)
      for (const method of ["single", "multi"]) {
        const m = find(r, method, "test").metrics;
        const per = ["fog", "snow", "zoom_blur"].map((name) => m[`test[${name}]`] as number);
        for (const e of per) expect(e >= 0 && e <= 1).toBe(true);
        expect(m.final!).toBeCloseTo(per.reduce((a, b) => a + b, 0) / 3, 12);
        expect(m.max_task).toBe(Math.max(...per));
      }
  });

  test("training fits the (learnable) training images: mean training error falls from chance to below 10%", () => {
    for (const r of rec.result.seeds)
      for (const method of ["single", "multi"]) {
        const c = find(r, method, "train");
        expect(c.y[0]).toBeGreaterThan(0.2);
        expect(c.metrics.final!).toBeLessThan(0.1);
      }
  });

  test("--set corruptions picks the tasks, in that order", () => {
    const r = run({ corruptions: ["zoom_blur", "fog"], iters: 2, record_every: 2 }, data, [0]);
    const m = r.result.seeds[0].curves[0].metrics;
    expect(Object.keys(m).filter((k) => k.startsWith("test["))).toEqual(["test[zoom_blur]", "test[fog]"]);
  });

  test("without --data, or with data of the wrong shape, the run stops with a clear error", () => {
    expect(() => run({}, undefined, [0])).toThrow(DatasetError);
    expect(() => run({}, undefined, [0])).toThrow(/--data DIR/);
    expect(() => run({}, { labels: [1, 2], corruptions: [] }, [0])).toThrow(/labels must be an Int32Array/);
  });

  test("bad parameters are one-line errors naming the parameter, the constraint and the value", () => {
    expect(() => run({ corruptions: ["rain"] }, data, [0])).toThrow(ParamError);
    expect(() => run({ corruptions: ["rain"] }, data, [0])).toThrow(
      /"corruptions" must name loaded corruption files/,
    );
    expect(() => run({ n: 100 }, data, [0])).toThrow(/"n" needs n_test \+ K·n ≤ 40 images/);
    expect(() => resolveParams(liCifar10c, null, { classes: [3, 3] })).toThrow(
      /"classes" must be two different classes/,
    );
    expect(() => resolveParams(liCifar10c, null, { severity: 6 })).toThrow(/"severity" must be ≤ 5; got 6/);
    expect(() => resolveParams(liCifar10c, null, { patch_size: 0 })).toThrow(
      /"patch_size" must be ≥ 1; got 0/,
    );
    expect(() => run({ patch_size: 3 }, data, [0])).toThrow(/"patch_size" must divide the image height 8/);
    expect(() => resolveParams(liCifar10c, null, { q: 0.5 })).toThrow(/"q" must be ≥ 1; got 0.5/);
  });
});
