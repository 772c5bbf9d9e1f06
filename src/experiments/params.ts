import { z } from "zod";
import { formatValue, MetarepError } from "../errors.js";
import type { Registry, RegistryEntry } from "../registry.js";
import { closestNames } from "../suggest.js";

/**
 * Validation of experiment parameters at the boundary (CLI flags, records, web forms, queued
 * jobs): one message per problem, naming the parameter, the constraint and the value got.
 */
export class ParamValidationError extends MetarepError {
  override name = "ParamValidationError";
  constructor(
    readonly context: string,
    readonly problems: string[],
    /** The top-level parameter each problem is about (null: the whole object), for forms. */
    readonly fields: (string | null)[] = problems.map(() => null),
  ) {
    super(`${context}: ${problems.join("; ")}.`);
  }
}

/** An issue's path as text: `result.seeds[0].curves[2].y[3]`. */
export function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`))
    .join("");
}

/** One zod issue as "name, constraint, value got"; `known` lists the valid keys of the object. */
export function describeIssue(issue: z.core.$ZodIssue, known: readonly string[]): string {
  const path = issuePath(issue);
  const got = "input" in issue && issue.input !== undefined ? `; got ${formatValue(issue.input)}` : "";
  switch (issue.code) {
    case "unrecognized_keys": {
      // Each mistyped name with the known names closest to it.
      const named = issue.keys.map((k) => {
        const near = closestNames(k, known).map((c) => `"${c}"`);
        return near.length ? `"${k}" (did you mean ${near.join(" or ")}?)` : `"${k}"`;
      });
      return `unknown parameter${issue.keys.length > 1 ? "s" : ""} ${named.join(", ")}; known: ${known.join(", ")}`;
    }
    case "invalid_type": {
      const e = issue.expected === "int" ? "integer" : String(issue.expected);
      const expected = `${/^[aeiou]/.test(e) ? "an" : "a"} ${e}`;
      return `"${path}" must be ${expected}${got}`;
    }
    case "too_small": {
      const what = issue.origin === "array" ? "have at least" : issue.inclusive ? "be ≥" : "be >";
      const unit = issue.origin === "array" ? " entries" : "";
      return `"${path}" must ${what} ${issue.minimum}${unit}${got}`;
    }
    case "too_big": {
      const what = issue.origin === "array" ? "have at most" : issue.inclusive ? "be ≤" : "be <";
      const unit = issue.origin === "array" ? " entries" : "";
      return `"${path}" must ${what} ${issue.maximum}${unit}${got}`;
    }
    case "invalid_value":
      return `"${path}" must be one of ${issue.values.map((v) => formatValue(v)).join(", ")}${got}`;
    default: {
      // A mistyped registry id (`registeredId`): the ids closest to it.
      const closest = (issue as { params?: { closest?: string[] } }).params?.closest ?? [];
      const hint = closest.length ? ` (did you mean ${closest.map((c) => `"${c}"`).join(" or ")}?)` : "";
      return `"${path}" ${issue.message}${got}${hint}`;
    }
  }
}

/** Parse `input` with `schema`, or throw one ParamValidationError listing every problem. */
export function parseParams<S extends z.ZodType>(context: string, schema: S, input: unknown): z.output<S> {
  const res = schema.safeParse(input, { reportInput: true });
  if (res.success) return res.data;
  const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const issues = res.error.issues;
  throw new ParamValidationError(
    context,
    issues.map((i) => describeIssue(i, known)),
    issues.map((i) => {
      if (i.code === "unrecognized_keys") return i.keys[0] ?? null;
      return i.path.length > 0 ? String(i.path[0]) : null;
    }),
  );
}

/** A positive integer, or null for ∞ (population). */
export const sampleCount = () => z.number().int().min(1).nullable();
export const posInt = () => z.number().int().min(1);
export const positive = () => z.number().gt(0);
export const nonNegative = () => z.number().min(0);

/**
 * An id of a registry's entry, checked when parsed (so a plug-in registered after the schema was
 * built is accepted): `must be a registered estimator (mom, altmin, …); got "x"`. The JSON schema
 * carries `registry: <kind>`, from which the page lists the choices.
 */
export const registeredId = <T extends RegistryEntry>(registry: Registry<T>) =>
  z
    .string()
    .check((ctx) => {
      if (!registry.has(ctx.value))
        ctx.issues.push({
          code: "custom",
          message: `must be a registered ${registry.kind} (${registry.ids().join(", ")})`,
          input: ctx.value,
          params: { closest: closestNames(ctx.value, registry.ids()) },
        });
    })
    .meta({ registry: registry.kind });

/**
 * Per-entry option overrides keyed by id (`estimator_options: {"my-estimator": {steps: 20}}`):
 * each id must be registered and its object must parse under the entry's own `options` schema.
 * Optional: absent from resolved parameters (and records) unless given.
 */
export const entryOptions = <T extends RegistryEntry & { options: z.ZodType }>(registry: Registry<T>) =>
  z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .check((ctx) => {
      for (const [id, value] of Object.entries(ctx.value)) {
        if (!registry.has(id)) {
          ctx.issues.push({
            code: "custom",
            path: [id],
            message: `must name a registered ${registry.kind} (${registry.ids().join(", ")})`,
            input: value,
          });
          continue;
        }
        const schema = registry.get(id).options;
        const res = schema.safeParse(value, { reportInput: true });
        if (!res.success)
          for (const i of res.error.issues) {
            if (i.code === "unrecognized_keys") {
              // Name the entry's own options, not the experiment's parameters.
              const takes = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
              ctx.issues.push({
                code: "custom",
                path: [id, ...i.path],
                input: value,
                message: `has unknown option${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")}; ${registry.kind} "${id}" takes ${takes.length ? takes.join(", ") : "no options"}`,
              });
            } else ctx.issues.push({ ...i, path: [id, ...i.path] } as (typeof ctx.issues)[number]);
          }
      }
    })
    .optional();

/** A non-empty list of `item`; a single value is taken as a list of one (`--set ms=10`). */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item).min(1));

/**
 * Parse a `--set name=value` value: numbers, `inf`/`∞`/`null` (null means ∞ for sample counts),
 * `true`/`false`, comma-separated lists of those, or a bare string. The schema decides whether
 * the value is acceptable.
 */
export function parseSetValue(text: string): unknown {
  const t = text.trim();
  if (t.startsWith("[") || t.startsWith("{")) {
    try {
      return JSON.parse(t);
    } catch {
      return t;
    }
  }
  if (t.includes(",")) return t.split(",").map((s) => parseScalar(s.trim()));
  return parseScalar(t);
}

function parseScalar(t: string): unknown {
  if (t === "inf" || t === "∞" || t === "Infinity" || t === "null") return null;
  if (t === "true") return true;
  if (t === "false") return false;
  if (t !== "" && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return Number(t);
  return t;
}
