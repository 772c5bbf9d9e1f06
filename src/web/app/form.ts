import { z } from "zod";
import { methods } from "../../algorithms/methods.js";
import { estimators } from "../../algorithms/representation/estimators.js";
import { canonicalJson } from "../../experiments/keys.js";
import { ParamValidationError, parseParams, parseSetValue } from "../../experiments/params.js";
import { resolveParams } from "../../experiments/resolve.js";
import type { Experiment, SizeName } from "../../experiments/types.js";
import { checkRun, PAGE_LIMITS, ResourceLimitError } from "../../sweep/guards.js";

/**
 * The page's parameter forms, derived from each experiment's zod schema (the one the CLI
 * validates with), so a form cannot drift from the CLI. Text fields take what `--set` takes
 * (numbers, `∞`/`inf`, comma lists), parsed by the same `parseSetValue`.
 */

export type FieldKind = "text" | "select" | "multi" | "checkbox";

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  description: string;
  /** Choices of a select or multi-select (enum values). */
  options: string[];
  /** A nullable count whose null means ∞ (population): null is shown as "∞". */
  infinity: boolean;
  /**
   * An optional parameter without a default (e.g. `family`): absent from resolved parameters
   * unless given; an empty text field leaves it unset.
   */
  optional: boolean;
}

/** A form value: text for text fields, a choice, a set of choices, or a flag. */
export type FieldValue = string | string[] | boolean;

interface JsonProp {
  type?: string;
  enum?: unknown[];
  items?: JsonProp;
  anyOf?: JsonProp[];
  description?: string;
  /** An id of this registry's entries (`registeredId`): the choices are its ids. */
  registry?: string;
}

/** Registries whose ids parameters name (`registeredId` in experiments/params.ts). */
const REGISTRIES: Record<string, { ids(): string[] }> = { estimator: estimators, method: methods };

function choices(prop: JsonProp): string[] | undefined {
  if (prop.enum) return prop.enum.map(String);
  if (prop.registry) return REGISTRIES[prop.registry]?.ids();
  return undefined;
}

/**
 * One field per parameter, in schema order. Object-valued parameters (`estimator_options`,
 * `family_options`) are text fields holding JSON, as `--set` takes them; optional ones without a
 * default stay unset while empty.
 */
export function fieldSpecs(exp: Experiment): FieldSpec[] {
  const json = z.toJSONSchema(exp.params, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, JsonProp>;
  };
  // In output terms every defaulted parameter is required: what is not is optional without default.
  const output = z.toJSONSchema(exp.params, { io: "output", unrepresentable: "any" }) as {
    required?: string[];
  };
  const required = new Set(output.required ?? []);
  return Object.entries(json.properties ?? {}).flatMap(([name, prop]): FieldSpec[] => {
    const description = prop.description ?? "";
    const optional = !required.has(name);
    const base = { name, description, options: [] as string[], infinity: false, optional };
    const one = choices(prop);
    if (one) return [{ ...base, kind: "select", options: one }];
    const many = prop.type === "array" && prop.items ? choices(prop.items) : undefined;
    if (many) return [{ ...base, kind: "multi", options: many }];
    if (prop.type === "boolean") return [{ ...base, kind: "checkbox" }];
    const nullable = prop.anyOf?.some((p) => p.type === "null") ?? false;
    return [{ ...base, kind: "text", infinity: nullable && /\b(inf|∞)/.test(description) }];
  });
}

/** A resolved parameter value as the form shows it (`--set` syntax). */
export function formatField(spec: FieldSpec, value: unknown): FieldValue {
  if (spec.kind === "checkbox") return value === true;
  if (spec.kind === "multi") return Array.isArray(value) ? value.map(String) : [String(value)];
  if (spec.kind === "select") return String(value);
  return formatText(value, spec.infinity);
}

function formatText(value: unknown, infinity: boolean): string {
  if (value === undefined) return "";
  if (value === null) return infinity ? "∞" : "null";
  if (Array.isArray(value)) {
    // "[]" parses back to an empty list (an empty field would be the empty string).
    return value.length === 0 ? "[]" : value.map((v) => formatText(v, infinity)).join(", ");
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A form value as a parameter value, before validation. */
export function parseField(spec: FieldSpec, value: FieldValue): unknown {
  if (spec.kind === "checkbox" || spec.kind === "select") return value;
  if (spec.kind === "multi") return spec.options.filter((o) => (value as string[]).includes(o));
  return parseSetValue(value as string);
}

/** The form's values for an experiment at a size: its resolved parameters. */
export function formValues(exp: Experiment, size: SizeName): Record<string, FieldValue> {
  const params = resolveParams(exp, size) as Record<string, unknown>;
  return Object.fromEntries(fieldSpecs(exp).map((s) => [s.name, formatField(s, params[s.name])]));
}

const runSettings = z.strictObject({
  seeds: z.number().int().min(1).max(1000).describe("number of seeds"),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe("root seed"),
});

/** The run settings (number of seeds, root seed), validated like every parameter. */
export function parseRunSettings(input: { seeds: unknown; seed: unknown }): z.output<typeof runSettings> {
  return parseParams("run", runSettings, input);
}

export interface ValidForm {
  ok: true;
  /** Parsed form values (what the worker receives; it validates them again). */
  overrides: Record<string, unknown>;
  /** Resolved parameters. */
  params: Record<string, unknown>;
  seeds: number;
  seed: number;
  /** The CLI command that runs the same thing. */
  command: string;
}

export interface InvalidForm {
  ok: false;
  /** Messages per field (parameter names, `seeds`, `seed`). */
  errors: Record<string, string[]>;
  /** Messages about no single field. */
  general: string[];
}

/** Validate a form with the experiment's schema (and the run settings), as the CLI would. */
export function validateForm(
  exp: Experiment,
  size: SizeName,
  values: Record<string, FieldValue>,
  run: { seeds: string; seed: string },
): ValidForm | InvalidForm {
  const errors: Record<string, string[]> = {};
  const general: string[] = [];
  const collect = (e: unknown) => {
    if (!(e instanceof ParamValidationError)) throw e;
    const byField = problemsByField(e.problems, e.fields);
    for (const [f, ps] of Object.entries(byField.errors)) errors[f] = [...(errors[f] ?? []), ...ps];
    general.push(...byField.general);
  };
  const overrides: Record<string, unknown> = {};
  for (const spec of fieldSpecs(exp)) {
    if (!(spec.name in values)) continue;
    const value = values[spec.name];
    if (spec.optional && spec.kind === "text" && typeof value === "string" && value.trim() === "") continue;
    overrides[spec.name] = parseField(spec, value);
  }
  let params: Record<string, unknown> | null = null;
  try {
    params = resolveParams(exp, size, overrides) as Record<string, unknown>;
  } catch (e) {
    collect(e);
  }
  let settings: z.output<typeof runSettings> | null = null;
  try {
    settings = parseRunSettings({ seeds: parseSetValue(run.seeds), seed: parseSetValue(run.seed) });
  } catch (e) {
    collect(e);
  }
  if (params === null || settings === null) return { ok: false, errors, general };
  // The CLI's resource guards (cells, estimated memory), with the CLI's default limits.
  try {
    checkRun(`run ${exp.id}`, exp.id, params, settings.seeds, PAGE_LIMITS);
  } catch (e) {
    if (!(e instanceof ResourceLimitError)) throw e;
    return { ok: false, errors, general: [e.message] };
  }
  return {
    ok: true,
    overrides,
    params,
    seeds: settings.seeds,
    seed: settings.seed,
    command: cliCommand(exp, size, settings.seeds, settings.seed, params),
  };
}

/** Validation problems grouped by the field they name (`ParamValidationError.fields`). */
export function problemsByField(
  problems: readonly string[],
  fields: readonly (string | null | undefined)[],
): { errors: Record<string, string[]>; general: string[] } {
  const errors: Record<string, string[]> = {};
  const general: string[] = [];
  problems.forEach((p, i) => {
    const f = fields[i];
    if (!f) general.push(p);
    else errors[f] = [...(errors[f] ?? []), p];
  });
  return { errors, general };
}

/**
 * `metarep run <id> --size … --seeds … --seed … --set name=value…`, with a `--set` for each
 * parameter that differs from the size's defaults.
 */
export function cliCommand(
  exp: Experiment,
  size: SizeName,
  seeds: number,
  seed: number,
  params: Record<string, unknown>,
): string {
  const base = resolveParams(exp, size) as Record<string, unknown>;
  const sets = Object.keys(params)
    .filter((name) => canonicalJson(params[name]) !== canonicalJson(base[name]))
    .map((name) => {
      const v = params[name];
      const list = (a: unknown[]) => (a.length === 0 ? "[]" : a.map((x) => String(x)).join(","));
      const text =
        v === null
          ? "null"
          : Array.isArray(v)
            ? list(v)
            : typeof v === "object"
              ? JSON.stringify(v)
              : String(v);
      return ` --set ${name}=${/^[\w.,+-]+$/.test(text) ? text : JSON.stringify(text)}`;
    })
    .join("");
  return `metarep run ${exp.id} --size ${size} --seeds ${seeds} --seed ${seed}${sets}`;
}
