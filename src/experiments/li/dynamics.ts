import { z } from "zod";
import { cnnCost } from "../cost.js";
import type { Experiment } from "../types.js";
import { liDynamicsClaims } from "./claims.js";
import { alignmentCurves, checkLi, errorCurves, liFields, raceRatios, runLiCondition } from "./common.js";
import { liFigures } from "./figures.js";

const schema = z
  .strictObject({ ...liFields, record_every: liFields.record_every.default(5) })
  .superRefine(checkLi);

/**
 * Li et al. (AISTATS 2025), feature learning vs noise memorisation over training (SPEC §3
 * diagnostics): per recorded step, the largest filter alignment with the shared feature u
 * (`feature: "u"`), with the task features v_t (`"v"`, mean over tasks) and with the training
 * noise patches (`"noise"`, mean over examples), for single-task training (each task's own
 * network, mean over tasks) and multi-task training. Alignments are inner products ⟨w, x⟩ (the
 * preactivations), averaged over the two classes. Also the error curves, as in li-multitask-cnn.
 */
export const liDynamics: Experiment<typeof schema> = {
  id: "li-dynamics",
  title: "Alignment with the shared feature, the task features and the noise during training",
  family: "li",
  lookFor:
    "In multi-task training the filters' alignment with the shared feature u grows and dominates; single-task filters align with their own feature v_t and with the training noise instead (memorisation).",
  paper:
    "Li, Chen, Deng, Kou, Cao, Gu. On the Power of Multitask Representation Learning with Gradient Descent. AISTATS 2025",
  description: "max filter alignment with u, v_t and the training noise vs iteration, single vs multi",
  figures: liFigures["li-dynamics"],
  claims: liDynamicsClaims,
  params: schema,
  sizes: { smoke: { K: 10, n: 20, iters: 100, n_test: 100, record_every: 10 }, paper: {} },
  seeds: { smoke: 2, paper: 5 },
  cost: (p) => cnnCost(p, p.K, p.n),
  runCondition(p, _c, key, ctx) {
    const c = { K: p.K, n: p.n, snr: p.snr };
    const total = (c.K + 1) * p.iters;
    let done = 0;
    const res = runLiCondition(p, c, key, {
      signal: ctx.signal,
      onStep: () => {
        done++;
        if (done % 50 === 0) ctx.progress(done, total);
      },
    });
    ctx.progress(total, total);
    const curves = [
      ...alignmentCurves(res.single, {}),
      ...alignmentCurves(res.multi, {}),
      ...errorCurves(res.single, {}),
      ...errorCurves(res.multi, {}),
    ];
    const race = raceRatios(p, c);
    const status = curves.some((cv) => cv.status === "diverged") ? "diverged" : "ok";
    return { status, curves, scalars: { raceSingle: race.single, raceMulti: race.multi } };
  },
};
