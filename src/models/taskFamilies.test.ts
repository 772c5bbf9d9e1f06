import { afterEach, describe, expect, test } from "vitest";
import { z } from "zod";
import { ParamError, UnknownNameError } from "../errors.js";
import { identity, zeros } from "../linalg/mat.js";
import { RegistryCollisionError } from "../registry.js";
import { key } from "../rng/key.js";
import { stream } from "../rng/stream.js";
import { sampleSourceTasks } from "./fewShotTasks.js";
import { allocTask, type LinearRepModel, sampleGroundTruth, sampleTask } from "./linearRepresentation.js";
import type { DenseSet } from "./sampleSets.js";
import {
  checkFamilyOptions,
  familyCovariates,
  getTaskFamily,
  registerTaskFamily,
  sampleTaskFamily,
  type TaskFamily,
  taskFamilies,
} from "./taskFamilies.js";

/** A test family: x = s·z (Σ = s²I), with an options schema. */
const scaled: TaskFamily<{ s: number }> = {
  id: "test-scaled",
  name: "Scaled",
  description: "x ~ N(0, s² I)",
  family: "plugin",
  options: z.strictObject({ s: z.number().gt(0).default(2) }),
  covariates: (d, { s }) => {
    const covariance = identity(d);
    for (let a = 0; a < d; a++) covariance.data[a * d + a] = s * s;
    return { d, draw: (st, rows, X, offset) => void st.fillNormal(X, offset, rows * d, s), covariance };
  },
};

afterEach(() => {
  for (const id of ["test-scaled", "test-bad"]) taskFamilies.unregister(id);
});

describe("task family registry", () => {
  test("holds the built-in isotropic family; an unknown id lists the known ones", () => {
    expect(taskFamilies.ids()).toEqual(["isotropic"]);
    expect(taskFamilies.sourceOf("isotropic")).toBe("built-in");
    expect(() => getTaskFamily("gaussian")).toThrow(UnknownNameError);
    expect(() => getTaskFamily("gaussian")).toThrow('unknown task family "gaussian"; known: isotropic.');
  });

  test("a registered family is listed after the built-in; a taken id is refused naming both sources", () => {
    registerTaskFamily(scaled, "scaled.mjs");
    expect(taskFamilies.ids()).toEqual(["isotropic", "test-scaled"]);
    expect(() => registerTaskFamily({ ...scaled }, "other.mjs")).toThrow(RegistryCollisionError);
    expect(() => registerTaskFamily({ ...scaled, id: "isotropic" }, "other.mjs")).toThrow(
      'other.mjs: task family id "isotropic" is already registered (by built-in).',
    );
  });

  test("options default from {} and bad ones name family_options.<field>, the constraint and the value", () => {
    expect(checkFamilyOptions(scaled, undefined)).toEqual({ ok: true, value: { s: 2 } });
    expect(checkFamilyOptions(scaled, { s: 3 })).toEqual({ ok: true, value: { s: 3 } });
    expect(checkFamilyOptions(scaled, { s: 0, t: 1 })).toEqual({
      ok: false,
      problems: [
        { path: ["s"], constraint: "must be > 0", value: 0 },
        { path: [], constraint: 'has unknown option(s) "t"', value: { s: 0, t: 1 } },
      ],
    });
    expect(() => familyCovariates(scaled, 3, { s: -1 })).toThrow(ParamError);
    expect(() => familyCovariates(scaled, 3, { s: -1 })).toThrow(
      'task family: "family_options.s" must be > 0 (task family "test-scaled"); got -1.',
    );
    // A family without a schema takes no options.
    expect(checkFamilyOptions(getTaskFamily("isotropic"), {}).ok).toBe(true);
    expect(() => familyCovariates("isotropic", 3, { ratio: 2 })).toThrow(
      '"family_options" must be empty: task family "isotropic" takes no options',
    );
  });

  test("covariates of the wrong shape and non-finite draws are refused naming the family", () => {
    const bad = (covariance: ReturnType<typeof zeros>, value = 1): TaskFamily => ({
      id: "test-bad",
      name: "Bad",
      description: "",
      covariates: (d) => ({
        d,
        covariance,
        draw: (_s, rows, X, offset) => void X.fill(value, offset, offset + rows * d),
      }),
    });
    expect(() => familyCovariates(bad(zeros(2, 2)), 3)).toThrow(
      'task family "test-bad": "covariance" must be a 3 × 3 Mat over a Float64Array; got 2 × 2.',
    );
    const nan = zeros(3, 3);
    nan.data[4] = Number.NaN;
    expect(() => familyCovariates(bad(nan), 3)).toThrow('"covariance" entry 4 must be finite; got NaN.');
    const cov = familyCovariates(bad(identity(3), Number.POSITIVE_INFINITY), 3);
    expect(() => cov.draw(stream(key(0)), 2, new Float64Array(6), 0)).toThrow(
      'task family "test-bad": draw gave a non-finite covariate (row 0, coordinate 0): Infinity.',
    );
    expect(() => familyCovariates({ ...bad(identity(3)), covariates: () => ({ d: 2 }) as never }, 3)).toThrow(
      /covariates\(d = 3\) must return \{ d: 3, draw/,
    );
  });
});

describe("sampling from a family", () => {
  const spec = { d: 6, k: 2, T: 5, n: 7, sigma: 0.5 };
  const model = { d: 6, k: 2, sigma: 0.5, heads: { kind: "gaussian" as const, scale: 1 } };

  test("the isotropic family draws the bytes of the plain few-shot sampler, with Σ = I", () => {
    const plain = sampleSourceTasks(model, spec.T, spec.n, key(3));
    const fam = sampleTaskFamily("isotropic", key(3), spec);
    expect(fam.data.X).toEqual(plain.data.X);
    expect(fam.data.y).toEqual(plain.data.y);
    expect(fam.Bstar.data).toEqual(plain.Bstar.data);
    expect(fam.W.data).toEqual(plain.W.data);
    expect(fam.covariance?.data).toEqual(identity(6).data);
  });

  test("another family changes x (and y) but not the ground truth, and returns its Σ", () => {
    const plain = sampleSourceTasks(model, spec.T, spec.n, key(3));
    const fam = sampleTaskFamily(scaled, key(3), spec, { s: 4 });
    expect(fam.Bstar.data).toEqual(plain.Bstar.data);
    expect(fam.W.data).toEqual(plain.W.data);
    // x = 4z from the same stream positions: exactly 4 times the isotropic rows.
    expect(fam.data.X).toEqual(plain.data.X.map((v) => 4 * v));
    expect(fam.covariance?.data[0]).toBe(16);
  });

  test("the Collins direct sampler draws X from the family, and the isotropic family gives the same bytes", () => {
    const m: LinearRepModel = {
      d: 5,
      k: 2,
      heads: "collins",
      mu: 1,
      headScale: 1,
      headMean: 0,
      sigma: 0.1,
      mIn: 4,
      mOut: 6,
      sampler: "direct",
    };
    const Bstar = sampleGroundTruth(key(1), 5, 2);
    const sd = new Float64Array([1, 1]);
    const draw = (mm: LinearRepModel) => {
      const t = allocTask(mm);
      sampleTask(stream(key(9)), mm, Bstar, sd, t);
      return t;
    };
    const plain = draw(m);
    const iso = draw({ ...m, covariates: familyCovariates("isotropic", 5), family: "isotropic" });
    const sc = draw({ ...m, covariates: familyCovariates(scaled, 5, { s: 3 }), family: "test-scaled" });
    for (const set of ["inner", "outer"] as const) {
      const [a, b, c] = [plain, iso, sc].map((t) => t[set] as DenseSet);
      expect(b.X).toEqual(a.X);
      expect(b.noise).toEqual(a.noise);
      expect(c.X).toEqual(a.X.map((v) => 3 * v));
    }
  });

  test("a family is refused with the projected sampler and with population sets", () => {
    const m: LinearRepModel = {
      d: 5,
      k: 2,
      heads: "collins",
      mu: 1,
      headScale: 1,
      headMean: 0,
      sigma: 0,
      mIn: 4,
      mOut: 4,
      sampler: "projected",
      covariates: familyCovariates("isotropic", 5),
      family: "isotropic",
    };
    expect(() => allocTask(m)).toThrow(
      'linear representation model: "sampler" must be "direct" with task family "isotropic" (the projected sampler assumes x ~ N(0, I_d)); got "projected".',
    );
    expect(() => allocTask({ ...m, sampler: "direct", mOut: null })).toThrow(
      '"m_out" must be finite with task family "isotropic"',
    );
    expect(() => allocTask({ ...m, sampler: "direct" })).not.toThrow();
  });
});
