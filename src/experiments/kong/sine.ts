import { z } from "zod";
import {
  makeSineMixture,
  sampleSineComponents,
  sampleSineTasks,
  sineMixtureTruth,
  sineOracleMse,
} from "../../models/sineMixture.js";
import { foldInString } from "../../rng/key.js";
import { kongPipelineCost } from "../cost.js";
import { positive } from "../params.js";
import type { Experiment } from "../types.js";
import { kongSineClaims } from "./claims.js";
import { kongFigures } from "./figures.js";
import {
  checkKongMixture,
  checkKongStages,
  type MixtureSetting,
  mixtureFields,
  stageFields,
} from "./params.js";
import { fitKongMixture, predictionCurves, predictionFields } from "./prediction.js";

const { d: _d, components: _c, delta: _delta, noise: _noise, ...rest } = mixtureFields;

const schema = z
  .strictObject({
    ...rest,
    d: z.number().int().min(2).default(16).describe("Chebyshev features (degree d − 1)"),
    noise: mixtureFields.noise.default([0.1]),
    freq_min: positive().default(0.5).describe("lowest frequency Ω (cycles per unit x)"),
    freq_max: positive().default(1).describe("highest frequency Ω"),
    ...stageFields,
    t2: stageFields.t2.default(32),
    ...predictionFields,
    taus: predictionFields.taus.default([1, 2, 4, 8, 12, 16, 20, 24, 32, 48]),
  })
  .superRefine(checkKongMixture)
  .superRefine(checkKongStages)
  .superRefine((p, ctx) => {
    if (p.freq_max < p.freq_min) {
      ctx.addIssue({
        code: "custom",
        path: ["freq_max"],
        message: `must be ≥ freq_min (= ${p.freq_min})`,
        input: p.freq_max,
      });
    }
  });

/**
 * The sine-wave extension of Kong et al. (ICML 2020; SPEC §2): k sine waves
 * `y = sin(2πΩ_ℓ x + φ_ℓ) + s ε`, x ~ U[−1, 1], Ω ~ U[freq_min, freq_max], φ ~ U[0, 2π), learned
 * by the same pipeline on Chebyshev–Vandermonde features of degree d − 1. Test MSE vs τ for the
 * posterior mean, MAP, per-task least squares on the features, and the oracle (the true sine:
 * MSE ≈ s²). The truth used by the stage metrics (moment and regression vectors) is computed by
 * Gauss–Legendre quadrature.
 */
export const kongSine: Experiment<typeof schema> = {
  id: "kong-sine",
  title: "Mixture of sine waves on Chebyshev features: test MSE vs τ",
  family: "kong",
  lookFor:
    "On a mixture of sine waves the same pipeline predicts a new task's curve from a few points: the posterior mean's test MSE falls well below per-task least squares at small τ.",
  paper: "Kong, Somani, Song, Kakade, Oh. Meta-learning for Mixed Linear Regression. ICML 2020",
  description: "sine-wave mixture: test MSE vs τ for PM, MAP, LS, oracle",
  figures: kongFigures["kong-sine"],
  claims: kongSineClaims,
  params: schema,
  sizes: {
    smoke: { n1: 4096, n3: 4096, n_test: 256, taus: [2, 8, 16, 32] },
    paper: {},
  },
  seeds: { smoke: 3, paper: 10 },
  cost: (p) => kongPipelineCost({ ...p, tests: 2 * p.n_test * p.taus.reduce((a, b) => a + b, 0) }),
  runCondition(p, _c, key, ctx) {
    const comps = sampleSineComponents(foldInString(key, "components"), p.k, p.freq_min, p.freq_max);
    const sine = makeSineMixture(p.d, comps, p.noise.length === 1 ? p.noise[0] : p.noise, p.p ?? undefined);
    const truth = sineMixtureTruth(sine);
    // Δ for the single-linkage threshold: the separation of the moment vectors the distances see.
    let delta = Number.POSITIVE_INFINITY;
    for (let a = 0; a < p.k; a++)
      for (let b = a + 1; b < p.k; b++) {
        let s = 0;
        for (let i = 0; i < p.d; i++) s += (truth.V.data[a * p.d + i] - truth.V.data[b * p.d + i]) ** 2;
        delta = Math.min(delta, Math.sqrt(s));
      }
    const setting: MixtureSetting = {
      mixture: { d: p.d, k: p.k, W: truth.W, s: sine.s, p: sine.p },
      truth,
      sample: (n, t, k) => sampleSineTasks(sine, n, t, k),
      delta,
    };
    const { final, scalars } = fitKongMixture(p, setting, key);
    const curves = predictionCurves(
      p.taus,
      p.n_test,
      p.methods,
      final,
      setting,
      p.sampler,
      key,
      ctx,
      (batch, from, to) => sineOracleMse(sine, batch, from, to),
    );
    return { status: "ok", curves, scalars: { ...scalars, delta } };
  },
};
