import { type Claim, type ClaimSource, customMeasure, type Measure, metricOf } from "../claims.js";
import type { RunResult } from "../types.js";

/**
 * What of Li, Chen, Deng, Kou, Cao, Gu (AISTATS 2025) the `li-*` experiments test. The paper's
 * text was not available (SPEC §3 is reconstructed from the authors' line of work), so every
 * source names the claim, unverified.
 */
const LI = "Li et al., On the Power of Multitask Representation Learning with Gradient Descent, AISTATS 2025";
const MAIN: ClaimSource = {
  paper: LI,
  where: "main results: single- vs multi-task training of a two-layer CNN (paper text not read; SPEC §3)",
  verified: false,
};
const DYNAMICS: ClaimSource = {
  paper: LI,
  where: "feature learning vs noise memorisation over training (paper text not read; SPEC §3)",
  verified: false,
};

/** The base condition of `li-multitask-cnn` (its K, n and SNR parameters). */
const atBase = (c: RunResult["curves"][number], p: Record<string, unknown>) =>
  c.labels.K === p.K && c.labels.n === p.n && c.labels.snr === p.snr;

function finalError(method: string, set: "test" | "train"): Measure {
  return customMeasure(`${method}-task ${set} error at the end, at the base K, n and SNR`, (seed, p) => {
    const c = seed.curves.find(
      (x) => x.yName === `${set} error` && x.labels.method === method && x.labels.set === set && atBase(x, p),
    );
    return c ? (c.metrics.final ?? null) : null;
  });
}

function eventOn(m: Measure, describe: string, when: (v: number) => boolean): Measure {
  return customMeasure(describe, (seed, p) => {
    const v = m.of(seed, p);
    return v === null ? null : when(v) ? 1 : 0;
  });
}

export const liMultitaskCnnClaims: readonly Claim[] = [
  {
    id: "both-fit-training",
    statement: "Both single-task and multi-task training reach zero training error.",
    source: MAIN,
    test: {
      kind: "event",
      measure: customMeasure(
        "the largest final training error of the two trainings (base condition) is 0",
        (seed, p) => {
          const s = finalError("single", "train").of(seed, p);
          const m = finalError("multi", "train").of(seed, p);
          return s === null || m === null ? null : Math.max(s, m) === 0 ? 1 : 0;
        },
      ),
      happens: true,
    },
  },
  {
    id: "multi-generalises",
    statement: "Multi-task training reaches near-zero test error (≤ 5 %).",
    source: MAIN,
    test: {
      kind: "event",
      measure: eventOn(
        finalError("multi", "test"),
        "multi-task test error ≤ 0.05 (base condition)",
        (v) => v <= 0.05,
      ),
      happens: true,
    },
  },
  {
    id: "single-does-not",
    statement: "Single-task training's test error stays bounded away from zero (≥ 10 %).",
    source: MAIN,
    test: {
      kind: "event",
      measure: eventOn(
        finalError("single", "test"),
        "single-task test error ≥ 0.1 (base condition)",
        (v) => v >= 0.1,
      ),
      happens: true,
    },
  },
  {
    id: "multi-beats-single",
    statement: "Multi-task training's test error is below single-task training's on the same tasks.",
    source: MAIN,
    test: { kind: "paired order", below: finalError("multi", "test"), above: finalError("single", "test") },
  },
];

const alignment = (method: string, feature: string) =>
  metricOf(
    { yName: "alignment", labels: { method, feature } },
    "final",
    `${method}-task training's final alignment with ${feature === "u" ? "the shared feature u" : feature}`,
  );

export const liDynamicsClaims: readonly Claim[] = [
  {
    id: "multi-learns-shared-feature",
    statement:
      "Multi-task training aligns the filters with the shared feature u; single-task training does not.",
    source: DYNAMICS,
    test: { kind: "paired order", below: alignment("single", "u"), above: alignment("multi", "u") },
  },
  {
    id: "single-memorises-noise",
    statement:
      "Single-task training memorises noise: its filters align more with the noise than with the shared feature.",
    source: DYNAMICS,
    test: { kind: "paired order", below: alignment("single", "u"), above: alignment("single", "noise") },
  },
];

export const liCifar10cClaims: readonly Claim[] = [
  {
    id: "multi-beats-single",
    statement:
      "On CIFAR-10-C (one corruption per task), multi-task training's mean test error is below single-task training's.",
    source: { paper: LI, where: "experiments on CIFAR-10-C (paper text not read)", verified: false },
    test: {
      kind: "paired order",
      below: metricOf(
        { yName: "test error", labels: { method: "multi", set: "test" } },
        "final",
        "multi-task mean test error",
      ),
      above: metricOf(
        { yName: "test error", labels: { method: "single", set: "test" } },
        "final",
        "single-task mean test error",
      ),
    },
  },
];
