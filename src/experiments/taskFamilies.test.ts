import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { z } from "zod";
import { meanAndStandardError } from "../metrics/excessRisk.js";
import { geometricSpectrum } from "../models/covariance.js";
import {
  registerTaskFamily,
  sampleTaskFamily,
  type TaskFamily,
  taskFamilies,
} from "../models/taskFamilies.js";
import { key } from "../rng/key.js";
import { runSetting } from "./fewShot.js";
import { canonicalJson, hash64 } from "./keys.js";
import { getExperiment } from "./registry.js";
import { resolveParams } from "./resolve.js";
import { runSeed } from "./runner.js";
import type { Curve, Experiment, RunResult } from "./types.js";

/*
 * Task families through the experiments: the built-in isotropic family and the example plug-in
 * examples/plugins/anisotropic-covariates.mjs, loaded as the CLI's loader does (a default export
 * called with the library's public API plus zod's `z`) and registered programmatically.
 */

const FAMILY = "anisotropic-covariates";
const ctx = { progress: () => {}, warn: () => {} };

async function loadExample(): Promise<TaskFamily[]> {
  // @ts-expect-error: a plain JavaScript module without types.
  const mod = await import("../../examples/plugins/anisotropic-covariates.mjs");
  const api = { ...(await import("../index.js")), z };
  const plugin = mod.default(api) as { id: string; taskFamilies: TaskFamily[] };
  expect(plugin.id).toBe(FAMILY);
  return plugin.taskFamilies;
}

beforeEach(async () => {
  for (const f of await loadExample()) registerTaskFamily(f, "anisotropic-covariates.mjs");
});
afterEach(() => {
  taskFamilies.unregister(FAMILY);
});

function run(id: string, size: "smoke" | null, overrides: Record<string, unknown>): RunResult {
  const exp = getExperiment(id) as Experiment;
  return runSeed(exp, resolveParams(exp, size, overrides), 11, 0, ctx);
}

const digest = (r: RunResult) => hash64(canonicalJson(r));

const DU = {
  d: 8,
  k: 2,
  Ts: [20, 40],
  n1s: [10],
  n2s: [20],
  targets: 60,
  anil_epochs: 5,
  methods: ["mom", "altmin", "oracle", "ols"],
};
const COLLINS = { d: 8, ms: [10], ns: [10], sigmas: [0.1], iters: 40, splits: false, sampler: "direct" };

describe("experiments that accept a task family", () => {
  test("resolved parameters hold no family unless one is named", () => {
    for (const id of ["du-excess-risk", "du-diversity", "collins-finite-samples", "collins-convergence"]) {
      const p = resolveParams(getExperiment(id) as Experiment, "smoke") as Record<string, unknown>;
      expect(["family" in p, "family_options" in p], id).toEqual([false, false]);
    }
    const p = resolveParams(getExperiment("du-excess-risk"), "smoke", { family: FAMILY }) as Record<
      string,
      unknown
    >;
    expect(p).toMatchObject({ family: FAMILY });
    expect("family_options" in p).toBe(false);
  });

  test("an unknown family, bad options and samplers that assume isotropic x are refused when parsed", () => {
    const du = getExperiment("du-excess-risk");
    expect(() => resolveParams(du, "smoke", { family: "nope" })).toThrow(
      `du-excess-risk: "family" must be a registered task family (known: isotropic, ${FAMILY}); got "nope".`,
    );
    expect(() =>
      resolveParams(du, "smoke", { family: FAMILY, family_options: { ratio: 0.5, tilt: 1 } }),
    ).toThrow(
      `du-excess-risk: "family_options.ratio" must be ≥ 1 (task family "${FAMILY}"); got 0.5; "family_options" has unknown option(s) "tilt" (task family "${FAMILY}"); got {"ratio":0.5,"tilt":1}.`,
    );
    const cfs = getExperiment("collins-finite-samples");
    expect(() => resolveParams(cfs, "smoke", { family: FAMILY })).toThrow(
      `collins-finite-samples: "sampler" must be "direct" with a task family (family = "${FAMILY}"): the projected sampler assumes x ~ N(0, I_d); got "projected"; "splits" must be false with a task family`,
    );
    expect(() =>
      resolveParams(getExperiment("collins-convergence"), "smoke", { family: FAMILY, sampler: "direct" }),
    ).toThrow(/"m_in" must be finite with a task family .*; got null; "m_out" must be finite/);
  });

  test('naming the built-in "isotropic" family gives the bytes of naming none (few-shot and Collins)', () => {
    expect(digest(run("du-excess-risk", "smoke", { ...DU, family: "isotropic" }))).toBe(
      digest(run("du-excess-risk", "smoke", DU)),
    );
    expect(digest(run("collins-finite-samples", "smoke", { ...COLLINS, family: "isotropic" }))).toBe(
      digest(run("collins-finite-samples", "smoke", COLLINS)),
    );
  });

  test("the example family with Σ = I options (ratio 1, no rotation) reproduces the isotropic bytes", () => {
    const identityOptions = { family: FAMILY, family_options: { ratio: 1, rotate: false } };
    expect(digest(run("du-excess-risk", "smoke", { ...DU, ...identityOptions }))).toBe(
      digest(run("du-excess-risk", "smoke", DU)),
    );
    expect(digest(run("collins-finite-samples", "smoke", { ...COLLINS, ...identityOptions }))).toBe(
      digest(run("collins-finite-samples", "smoke", COLLINS)),
    );
  });
});

describe("the example plug-in anisotropic-covariates", () => {
  test("its sampled X has covariance Σ (within 5 standard errors of each entry) and Σ is far from I", () => {
    const d = 5;
    const s = sampleTaskFamily(FAMILY, key(2), { d, k: 2, T: 40, n: 500 }, { ratio: 10 });
    const S = s.covariance!;
    const N = s.data.start[s.data.tasks];
    expect(N).toBe(20000);
    // Tr Σ = d and Σ symmetric, as documented.
    let trace = 0;
    for (let a = 0; a < d; a++) trace += S.data[a * d + a];
    expect(trace).toBeCloseTo(d, 12);
    let worst = 0;
    let farFromI = 0;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        let acc = 0;
        for (let i = 0; i < N; i++) acc += s.data.X[i * d + a] * s.data.X[i * d + b];
        const sab = S.data[a * d + b];
        expect(S.data[b * d + a]).toBe(sab);
        // Var of one product x_a x_b for Gaussian x: Σ_aa Σ_bb + Σ_ab².
        const se = Math.sqrt((S.data[a * d + a] * S.data[b * d + b] + sab * sab) / N);
        worst = Math.max(worst, Math.abs(acc / N - sab) / se);
        farFromI = Math.max(farFromI, Math.abs(sab - (a === b ? 1 : 0)) / se);
      }
    }
    expect(worst).toBeLessThan(5);
    expect(farFromI).toBeGreaterThan(20);
  });

  test("it runs through du-excess-risk and collins-finite-samples (sampler direct, finite m), changing the numbers", () => {
    // ratio 4: with ratio ≥ 10 the default steps α = β = 0.25 make ANIL and MAML diverge (the
    // curvature grows with λ_max(Σ)), which the record would show as "diverged".
    const options = { family: FAMILY, family_options: { ratio: 4 } };
    const du = run("du-excess-risk", "smoke", { ...DU, ...options });
    const collins = run("collins-finite-samples", "smoke", { ...COLLINS, ...options });
    for (const [r, plain] of [
      [du, run("du-excess-risk", "smoke", DU)],
      [collins, run("collins-finite-samples", "smoke", COLLINS)],
    ] as const) {
      expect(r.status).toBe("ok");
      expect(r.curves.every((c: Curve) => c.y.every(Number.isFinite))).toBe(true);
      expect(r.curves.map((c) => c.labels)).toEqual(plain.curves.map((c) => c.labels));
      expect(digest(r)).not.toBe(digest(plain));
    }
  });

  test("oracle and OLS excess risks in the Σ-norm keep their isotropic levels σ²k/(n2−k−1) and σ²d/(n2−d−1)", () => {
    // For Gaussian x ~ N(0, Σ) the least-squares error in the Σ-norm does not depend on Σ
    // (E[(XᵀX)⁻¹] = Σ⁻¹/(n − d − 1)); the identity norm would give σ² tr(Σ⁻¹)/(n − d − 1) instead.
    const [d, k, n2, sigma, ratio] = [10, 2, 40, 1, 10];
    const p = resolveParams(getExperiment("du-excess-risk"), null, {
      d,
      k,
      T: 20,
      n1: 10,
      n2,
      sigma,
      targets: 3000,
      methods: ["oracle", "ols"],
      family: FAMILY,
      family_options: { ratio },
    }) as Parameters<typeof runSetting>[0];
    const out = runSetting(p, { T: 20, n1: 10, n2 }, key(5), ctx);
    const v = geometricSpectrum(d, ratio);
    let trInv = 0;
    for (const x of v) trInv += 1 / x;
    for (const [er, dim] of [
      [out.oracle, k],
      [out.methods[1].er, d],
    ] as const) {
      const { mean, se } = meanAndStandardError(er);
      const level = (sigma * sigma * dim) / (n2 - dim - 1);
      expect(Math.abs(mean - level)).toBeLessThan(4 * se!);
    }
    const ols = meanAndStandardError(out.methods[1].er);
    const identityNorm = (sigma * sigma * trInv) / (n2 - d - 1);
    expect(Math.abs(ols.mean - identityNorm)).toBeGreaterThan(8 * ols.se!);
  });

  test("a family without a population Σ is refused by the few-shot target stage", () => {
    registerTaskFamily({
      id: "no-sigma",
      name: "No Σ",
      description: "isotropic draws without a covariance",
      covariates: (d: number) => ({
        d,
        draw: (s, rows, X, offset) => void s.fillNormal(X, offset, rows * d),
      }),
    });
    try {
      expect(() => run("du-excess-risk", "smoke", { ...DU, family: "no-sigma" })).toThrow(
        'few-shot target stage: task family "no-sigma" gives no population covariance Σ = E[xxᵀ]',
      );
    } finally {
      taskFamilies.unregister("no-sigma");
    }
  });
});
