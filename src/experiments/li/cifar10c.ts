import { z } from "zod";
import { initWeights } from "../../algorithms/cnn/network.js";
import { checkCifar10cData, cifar10cTasks } from "../../data/cifar10c.js";
import { foldInString } from "../../rng/key.js";
import { cnnCost } from "../cost.js";
import { posInt } from "../params.js";
import type { Curve, Experiment } from "../types.js";
import { liCifar10cClaims } from "./claims.js";
import {
  checkLi,
  errorCurves,
  type LiTrace,
  liFields,
  sweepOf,
  trainSettingsOf,
  trainSingleAndMulti,
} from "./common.js";
import { liFigures } from "./figures.js";

const {
  K: _K,
  d: _d,
  patches: _patches,
  snr: _snr,
  v_snr: _vSnr,
  sigma_p: _sigmaP,
  p: _p,
  ...trainFields
} = liFields;

const schema = z
  .strictObject({
    ...trainFields,
    corruptions: sweepOf(z.string().min(1))
      .default([])
      .describe("corruptions used as tasks (empty: every corruption file in the data directory)"),
    classes: z
      .array(z.number().int().min(0).max(9))
      .length(2)
      .default([0, 1])
      .describe("the two CIFAR-10 classes: label +1 for the first, −1 for the second"),
    severity: z.number().int().min(1).max(5).default(5).describe("corruption severity 1…5"),
    n: posInt().default(50).describe("training images per task"),
    n_test: posInt().default(500).describe("test images (shared by the tasks, disjoint from training)"),
    patch_size: posInt().default(8).describe("patch tile size (divides 32): P = (32/size)², d = 3·size²"),
    sigma0: trainFields.sigma0.default(0.05),
    eta: trainFields.eta.default(0.5),
    iters: trainFields.iters.default(300),
  })
  .superRefine((p, ctx) => {
    checkLi({ d: Number.POSITIVE_INFINITY, K: 1, activation: p.activation, q: p.q }, ctx);
    if (p.classes[0] === p.classes[1]) {
      ctx.addIssue({
        code: "custom",
        path: ["classes"],
        message: "must be two different classes",
        input: p.classes,
      });
    }
  });

/**
 * Li et al. (AISTATS 2025), real data (SPEC §3): CIFAR-10-C with one corruption per task. Task t
 * is the binary problem "class a vs class b" (default airplane vs automobile) under corruption t
 * at one severity; single-task training sees one corruption's n images, multi-task training the
 * union over the corruptions (disjoint base images, see `cifar10cTasks`). Images become 8 × 8
 * RGB patches (16 per image, d = 192), per-image channel-centred. Curves: test and train error
 * (means over tasks) per recorded step for both kinds of training; the test curves' metrics also
 * hold each corruption's final test error as `test[<corruption>]`.
 */
export const liCifar10c: Experiment<typeof schema> = {
  id: "li-cifar10c",
  title: "CIFAR-10-C: one corruption per task, single- vs multi-task CNN training",
  family: "li",
  lookFor:
    "Per corruption, multi-task training over all the corruptions should reach a lower test error than training on that corruption alone.",
  paper:
    "Li, Chen, Deng, Kou, Cao, Gu. On the Power of Multitask Representation Learning with Gradient Descent. AISTATS 2025",
  description:
    "test error per corruption of single- vs multi-task CNN training on CIFAR-10-C (needs --data DIR)",
  dataset: {
    kind: "cifar10c",
    description:
      "a directory of the CIFAR-10-C release: labels.npy and <corruption>.npy files (uint8 N×32×32×3), e.g. from https://zenodo.org/records/2535967",
  },
  figures: liFigures["li-cifar10c"],
  claims: liCifar10cClaims,
  params: schema,
  sizes: { smoke: { n: 20, n_test: 50, iters: 30, record_every: 10 }, paper: {} },
  // Its trainings on 3·size²-dimensional patches (d = 192 at size 8, about twice the synthetic d).
  cost: (p) => 2 * cnnCost(p, 2, p.n),
  seeds: { smoke: 1, paper: 3 },
  runCondition(p, _c, key, ctx) {
    const data = checkCifar10cData(ctx.dataset);
    const names = p.corruptions.length ? p.corruptions : data.corruptions.map((c) => c.name);
    const { trains, tests } = cifar10cTasks(
      data,
      {
        corruptions: names,
        classes: [p.classes[0], p.classes[1]],
        severity: p.severity,
        n: p.n,
        nTest: p.n_test,
        patchSize: p.patch_size,
      },
      foldInString(key, "split"),
    );
    const W0 = initWeights(foldInString(key, "init"), { m: p.m, d: trains[0].d }, p.sigma0);
    const total = (names.length + 1) * p.iters;
    let done = 0;
    const res = trainSingleAndMulti(trainSettingsOf(p), trains, tests, W0, undefined, {
      signal: ctx.signal,
      onStep: () => {
        done++;
        if (done % 10 === 0) ctx.progress(done, total);
      },
    });
    ctx.progress(total, total);
    const withTasks = (tr: LiTrace): Curve[] =>
      errorCurves(tr, {}).map((c) => {
        if (c.labels.set !== "test") return c;
        const perTask = Object.fromEntries(
          names.map((name, t) => [
            `test[${name}]`,
            Number.isFinite(tr.finalTestPerTask[t]) ? tr.finalTestPerTask[t] : null,
          ]),
        );
        return { ...c, metrics: { ...c.metrics, ...perTask } };
      });
    const curves = [...withTasks(res.single), ...withTasks(res.multi)];
    const status = curves.some((c) => c.status === "diverged") ? "diverged" : "ok";
    return {
      status,
      curves,
      scalars: { tasks: names.length, patches: trains[0].P, patchDim: trains[0].d },
    };
  },
};
