import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ParamError } from "../../errors.js";
import {
  linearMixtureTruth,
  makeMixture,
  sampleComponents,
  sampleMixtureHalfMoments,
  sampleMixtureTasks,
} from "../../models/mixedLinearRegression.js";
import { sampleMixtureProjectedTasks } from "../../models/mixtureProjected.js";
import { foldIn, key } from "../../rng/key.js";
import {
  MLR_PIPELINE_DEFAULTS,
  type MlrPipelineConfig,
  type MlrPipelineMetrics,
  runMlrPipeline,
} from "./pipeline.js";

function run(seed: number, config: Partial<MlrPipelineConfig> = {}) {
  const W = sampleComponents(foldIn(key(seed), 0), 32, 4, "orthonormal");
  const mix = makeMixture(W, 1);
  return runMlrPipeline(
    {
      truth: linearMixtureTruth(mix),
      sample: (n, t, k) => sampleMixtureTasks(mix, n, t, k),
      sampleHalfMoments: (n, t, k) => sampleMixtureHalfMoments(mix, n, t, k),
      sampleProjectedTasks: (n, t, dirs, k) => sampleMixtureProjectedTasks(mix, n, t, dirs, k),
    },
    { ...MLR_PIPELINE_DEFAULTS, ...config },
    key(seed),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
};

const SEEDS = [0, 1, 2, 3];
const SAMPLERS = ["projected", "direct"] as const;
const reference = resolve(import.meta.dirname, "../../../../shared/reference/mlr_ref.py");

describe.runIf(existsSync(reference))(
  "agreement with the NumPy reference mlr_ref.py (defaults, 4 seeds, medians)",
  () => {
    const ours: Record<string, MlrPipelineMetrics[]> = {};
    let theirs: MlrPipelineMetrics[];
    beforeAll(() => {
      for (const sampler of SAMPLERS) ours[sampler] = SEEDS.map((s) => run(s, { sampler }).metrics);
      theirs = SEEDS.map(
        (s) =>
          JSON.parse(
            execFileSync("python3", [reference, "--seed", String(s), "--json"], { encoding: "utf8" }),
          ) as MlrPipelineMetrics,
      );
    });
    const med = (ms: MlrPipelineMetrics[], name: keyof MlrPipelineMetrics) =>
      median(ms.map((m) => m[name] as number));

    describe.each(SAMPLERS)("%s sampler", (sampler) => {
      test.each([
        ["subspace_err", 0.2],
        ["final_w_err", 0.3],
        ["test_mse_pm", 0.04],
        ["test_mse_map", 0.05],
        ["test_mse_ls", 0.05],
        ["test_mse_oracle", 0.03],
      ] as const)("%s: relative difference of medians below %s", (name, tol) => {
        expect(Math.abs(med(ours[sampler], name) / med(theirs, name) - 1)).toBeLessThan(tol);
      });

      test.each([
        ["clustering_acc", 0.05],
        ["classification_acc", 0.02],
        ["test_map_acc", 0.03],
      ] as const)("%s: absolute difference of medians below %s", (name, tol) => {
        expect(Math.abs(med(ours[sampler], name) - med(theirs, name))).toBeLessThan(tol);
      });

      test("every seed finds k clusters and the stages improve on each other as in the reference", () => {
        for (const m of ours[sampler]) {
          expect(m.clusters_found).toBe(4);
          expect(m.final_w_err!).toBeLessThan(m.init_w_err!);
          expect(m.test_mse_pm).toBeLessThan(m.test_mse_map);
          expect(m.test_mse_map).toBeLessThan(m.test_mse_ls);
          expect(m.test_mse_oracle).toBeLessThan(m.test_mse_pm);
        }
      });
    });
  },
);

describe("the pipeline", () => {
  const small: Partial<MlrPipelineConfig> = { n1: 2048, n3: 1024, nTest: 128 };

  test("is a pure function of its key: same key, same bytes; another key, other numbers", () => {
    expect(JSON.stringify(run(7, small).metrics)).toBe(JSON.stringify(run(7, small).metrics));
    expect(JSON.stringify(run(8, small).metrics)).not.toBe(JSON.stringify(run(7, small).metrics));
  });

  test("single linkage at Δ²/2 with large heavy tasks finds the k clusters", () => {
    const m = run(9, { ...small, linkage: "single", threshold: 1, t2: 512, n2: 64 }).metrics;
    expect(m.clusters_found).toBe(4);
    expect(m.clustering_acc).toBe(1);
  });

  test.each([
    [{ k: 32 }, /"k" must be < d \(= 32\); got 32/],
    [{ t3: 1 }, /"t3" must be an integer ≥ 2; got 1/],
    [{ t1: 1 }, /"t1" must be an integer ≥ 2; got 1/],
    [{ L: 0 }, /"L" must be an integer ≥ 1; got 0/],
    [{ tau: 0 }, /"tau" must be an integer ≥ 1; got 0/],
    [{ n2: 3 }, /"n2" must be ≥ k \(= 4\) heavy tasks; got 3/],
  ] as const)("bad input %j is a one-line ParamError", (bad, message) => {
    let err: unknown;
    try {
      run(0, { ...small, ...bad });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParamError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
  });
});
