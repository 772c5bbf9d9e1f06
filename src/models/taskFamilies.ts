import type { z } from "zod";
import { formatValue, MetarepError, ParamError } from "../errors.js";
import { identity, type Mat } from "../linalg/mat.js";
import { Registry } from "../registry.js";
import type { Key } from "../rng/key.js";
import type { Stream } from "../rng/stream.js";
import { type HeadDesign, type SourceTasks, sampleSourceTasks } from "./fewShotTasks.js";

/**
 * The covariates of a task family at one dimension d: how the inputs x of every task are drawn,
 * and, where the family knows it, their population second moment.
 *
 * In the linear representation model `y = ⟨B* w*_t, x⟩ + σz` (SPEC §1) the samplers own B*, the
 * heads w*_t, the noise z and the key layout; a family decides only the law of x. Source and target
 * tasks of the few-shot experiments, and the inner and outer sets of the Collins direct sampler,
 * all draw their x through `draw`, so they share B* and the law of x.
 */
export interface Covariates {
  /** Dimension d of every x. */
  readonly d: number;
  /**
   * Draw `rows` i.i.d. inputs x ∈ R^d into `X[offset .. offset + rows·d)`, row-major, using only
   * the stream `s` (no other randomness: same stream state → same bytes). Callers may draw a task's
   * rows in one call or one row per call, so the law of a row must not depend on `rows`. Every
   * value must be finite (the samplers check and name the family otherwise).
   */
  draw(s: Stream, rows: number, X: Float64Array, offset: number): void;
  /**
   * The population second moment `Σ = E[xxᵀ]` (d × d, symmetric positive semi-definite), where the
   * family knows it exactly. The few-shot target stage needs it for the excess risk
   * `‖Σ^{1/2}(B̂ŵ − B*w*)‖² = (B̂ŵ − B*w*)ᵀ Σ (B̂ŵ − B*w*)` and refuses a family without it.
   */
  readonly covariance?: Mat;
}

/**
 * A task family (DESIGN.md "Registries"; issue 15): a sampler of multi-task data with its ground
 * truth, in the multi-task linear representation model. Built-ins (`isotropic`: x ~ N(0, I_d),
 * the theory's default) and plug-ins register alike in `taskFamilies`.
 *
 * An experiment that accepts a family (`family`, `family_options` parameters) parses the options
 * with `options` once, calls `covariates(d, options)` once per run, and draws every task's x from
 * it; `sampleTaskFamily` does the whole `sample(key, spec) → data + ground truth` for a library
 * user. `O` is the type of the parsed options.
 *
 * Example (the shape of a plug-in's entry; see `examples/plugins/anisotropic-covariates.mjs`):
 * ```ts
 * registerTaskFamily({
 *   id: "scaled", name: "Scaled isotropic", description: "x ~ N(0, s² I_d)",
 *   options: z.object({ s: z.number().gt(0).default(2) }),
 *   covariates: (d, { s }) => ({
 *     d,
 *     draw: (st, rows, X, offset) => { st.fillNormal(X, offset, rows * d, s); },
 *     covariance: scaledIdentity(d, s * s),
 *   }),
 * });
 * ```
 */
export interface TaskFamily<O = unknown> {
  /** Registry id, as given in `--set family=…`. */
  id: string;
  /** Display name. */
  name: string;
  /** One line: the law of x (and where it comes from). */
  description: string;
  /** Sort key of `taskFamilies.list()`. */
  order?: number;
  /** Paper family id (e.g. "du") or "plugin". */
  family?: string;
  /**
   * The family's options (`family_options`), a zod schema whose defaults parse from `{}`.
   * Absent: the family takes no options.
   */
  options?: z.ZodType<O>;
  /** The covariates at dimension d under parsed options (setup work, e.g. a rotation, goes here). */
  covariates(d: number, options: O): Covariates;
}

/** The task family registry (STYLE.md §9, §15): built-ins and plug-ins register alike. */
// biome-ignore lint/suspicious/noExplicitAny: entries have their own option types (checked by their schemas).
export const taskFamilies = new Registry<TaskFamily<any>>("task family");

/**
 * x ~ N(0, I_d): the theory's covariates (SPEC §1) and what every sampler draws when no family is
 * named. Its rows are the stream's normals as they come, so naming it gives the same bytes as
 * naming no family.
 */
export const isotropicFamily: TaskFamily<Record<string, never>> = {
  id: "isotropic",
  name: "Isotropic Gaussian",
  description: "x ~ N(0, I_d) (the theory's default; Du et al. 2021, Collins et al. 2022)",
  order: 0,
  covariates(d) {
    return {
      d,
      draw(s, rows, X, offset) {
        s.fillNormal(X, offset, rows * d);
      },
      covariance: identity(d),
    };
  },
};

taskFamilies.register(isotropicFamily);

/** Add a task family (a plug-in's, or a library user's); its id must be new. */
export function registerTaskFamily<O>(family: TaskFamily<O>, source?: string): TaskFamily<O> {
  return taskFamilies.register(family, source);
}

/** The task family with this id; unknown ids list the known ones. */
export function getTaskFamily(id: string): TaskFamily {
  return taskFamilies.get(id);
}

/** One problem with a family's options: where (relative to `family_options`) and what. */
export interface FamilyOptionProblem {
  /** Path inside the options, e.g. ["ratio"]; [] for the options object itself. */
  path: (string | number)[];
  /** The constraint, e.g. "must be ≥ 1". */
  constraint: string;
  value: unknown;
}

/**
 * Check a family's options: the parsed options, or the problems (each names its field, the
 * constraint and the value). A family without a schema takes `undefined` or `{}` only.
 */
export function checkFamilyOptions(
  family: TaskFamily,
  options: unknown,
): { ok: true; value: unknown } | { ok: false; problems: FamilyOptionProblem[] } {
  const input = options ?? {};
  if (!family.options) {
    const keys = typeof input === "object" && input !== null ? Object.keys(input) : null;
    if (keys !== null && keys.length === 0) return { ok: true, value: {} };
    return {
      ok: false,
      problems: [
        { path: [], constraint: `must be empty: task family "${family.id}" takes no options`, value: input },
      ],
    };
  }
  const res = family.options.safeParse(input, { reportInput: true });
  if (res.success) return { ok: true, value: res.data };
  return { ok: false, problems: res.error.issues.map(optionProblem) };
}

function optionProblem(issue: z.core.$ZodIssue): FamilyOptionProblem {
  const value = "input" in issue ? issue.input : undefined;
  const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  switch (issue.code) {
    case "unrecognized_keys":
      return {
        path,
        constraint: `has unknown option(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`,
        value,
      };
    case "invalid_type":
      return {
        path,
        constraint: `must be ${issue.expected === "int" ? "an integer" : `a ${issue.expected}`}`,
        value,
      };
    case "too_small":
      return { path, constraint: `must be ${issue.inclusive ? "≥" : ">"} ${issue.minimum}`, value };
    case "too_big":
      return { path, constraint: `must be ${issue.inclusive ? "≤" : "<"} ${issue.maximum}`, value };
    case "invalid_value":
      return {
        path,
        constraint: `must be one of ${issue.values.map((v) => formatValue(v)).join(", ")}`,
        value,
      };
    default:
      return { path, constraint: issue.message, value };
  }
}

/** `family_options.ratio`, `family_options[0]`, or `family_options`. */
export function optionPath(path: readonly (string | number)[], root = "family_options"): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : `${acc}.${p}`), root);
}

/**
 * The covariates of a family (an id of the registry, or an entry) at dimension d with `options` (parsed by the family's schema,
 * defaults from `{}`): what a sampler draws x from. Unknown ids list the known ones; bad options
 * throw a ParamError naming `family_options.<field>`; a covariance of the wrong shape or with
 * non-finite entries is refused naming the family. The returned `draw` checks that every drawn
 * value is finite.
 */
export function familyCovariates(
  family: string | TaskFamily,
  d: number,
  options?: unknown,
  context = "task family",
): Covariates {
  if (typeof family === "string") family = getTaskFamily(family);
  const id = family.id;
  const checked = checkFamilyOptions(family, options);
  if (!checked.ok) {
    const p = checked.problems[0];
    throw new ParamError(context, optionPath(p.path), `${p.constraint} (task family "${id}")`, p.value);
  }
  const cov = family.covariates(d, checked.value);
  if (typeof cov?.draw !== "function" || cov.d !== d) {
    throw new MetarepError(
      `task family "${id}": covariates(d = ${d}) must return { d: ${d}, draw(s, rows, X, offset), covariance? }; got ${formatValue(
        cov === null || typeof cov !== "object" ? cov : { d: cov.d, draw: typeof cov.draw },
      )}.`,
    );
  }
  const S = cov.covariance;
  if (S !== undefined) {
    if (S?.rows !== d || S.cols !== d || !(S.data instanceof Float64Array) || S.data.length !== d * d) {
      throw new MetarepError(
        `task family "${id}": "covariance" must be a ${d} × ${d} Mat over a Float64Array; got ${S?.rows} × ${S?.cols}.`,
      );
    }
    for (let i = 0; i < d * d; i++) {
      if (!Number.isFinite(S.data[i])) {
        throw new MetarepError(
          `task family "${id}": "covariance" entry ${i} must be finite; got ${S.data[i]}.`,
        );
      }
    }
  }
  return {
    d,
    covariance: S,
    draw(s, rows, X, offset) {
      cov.draw(s, rows, X, offset);
      const end = offset + rows * d;
      for (let i = offset; i < end; i++) {
        if (!Number.isFinite(X[i])) {
          throw new MetarepError(
            `task family "${id}": draw gave a non-finite covariate (row ${Math.floor((i - offset) / d)}, coordinate ${(i - offset) % d}): ${X[i]}.`,
          );
        }
      }
    },
  };
}

/** What `sampleTaskFamily` draws: T tasks of n rows in the linear representation model. */
export interface TaskFamilySpec {
  d: number;
  k: number;
  /** Tasks T. */
  T: number;
  /** Rows per task n. */
  n: number;
  /** Label noise σ (default 1). */
  sigma?: number;
  /** Head design (default gaussian, scale 1: w* ~ N(0, I_k)); see `HeadDesign`. */
  heads?: HeadDesign;
}

/**
 * `sample(key, spec)` of a task family: T tasks × n rows of `y = ⟨B* w*_t, x⟩ + σz` with x from the
 * family (`family` an id or an entry, `options` parsed by its schema), with the ground truth B*
 * (d × k, orthonormal), the true heads W* (T × k) and the family's population Σ = E[xxᵀ] (null
 * where it gives none). The draws are `sampleSourceTasks`'s with the family's covariates, so the
 * isotropic family gives the bytes of the plain sampler.
 *
 * Example: `const { data, Bstar, covariance } = sampleTaskFamily("isotropic", key(0), { d: 20, k: 3, T: 100, n: 25 })`.
 */
export function sampleTaskFamily(
  family: string | TaskFamily,
  key: Key,
  spec: TaskFamilySpec,
  options?: unknown,
): SourceTasks & { covariance: Mat | null } {
  const covariates = familyCovariates(family, spec.d, options);
  const id = typeof family === "string" ? family : family.id;
  const model = {
    d: spec.d,
    k: spec.k,
    sigma: spec.sigma ?? 1,
    heads: spec.heads ?? { kind: "gaussian" as const, scale: 1 },
    covariates,
    family: id,
  };
  return { ...sampleSourceTasks(model, spec.T, spec.n, key), covariance: covariates.covariance ?? null };
}
