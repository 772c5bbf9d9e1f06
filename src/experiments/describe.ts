import { z } from "zod";
import { type Claim, expectedText } from "./claims.js";
import { resolveParams, SIZE_NAMES } from "./resolve.js";
import { estimateMemory, type MemoryEstimate, PROCESS_BYTES } from "./resources.js";
import { conditionsOf, conditionText } from "./runner.js";
import type { Experiment, SizeName } from "./types.js";

/**
 * Everything a researcher needs to know about an experiment before running it, read from the
 * experiment itself (its zod schema, sizes, conditions, figures, memory estimate) so that
 * `metarep describe`, `metarep run <id> --help` and the generated docs/experiments.md cannot drift
 * from what runs.
 */

/** One parameter: its type and constraint (from the zod schema), defaults per size, description. */
export interface ParamInfo {
  name: string;
  /** E.g. "integer ≥ 1", "number > 0", "one of collins, isotropic", "list of number ≥ 0". */
  constraint: string;
  description: string;
  /** The resolved value at each size (JSON text; `∞` for null sample counts is the schema's null). */
  values: Record<SizeName, string>;
}

export interface SizeInfo {
  size: SizeName;
  seeds: number;
  /** The size's overrides of the schema defaults, as `name=value`. */
  overrides: string[];
  /** Its condition points (cells per seed), by canonical text (empty text: one condition). */
  conditions: string[];
  /** The size's memory estimate per seed (src/experiments/resources.ts), or null if not estimated. */
  memory: MemoryEstimate | null;
  /** Cells of a default run: conditions × seeds. */
  cells: number;
}

export interface FigureInfo {
  name: string;
  /** What it draws: its y axis against its x axis, or its custom builder. */
  shows: string;
}

export interface ExperimentInfo {
  id: string;
  title: string;
  paper: string;
  family: string;
  description: string;
  lookFor?: string;
  /** The experiment's claims (what of the paper it tests), once experiments declare them. */
  claims: string[];
  dataset?: { kind: string; description: string };
  /** Why a plain `reproduce` leaves it out (see `Experiment.optIn`). */
  optIn?: string;
  params: ParamInfo[];
  sizes: SizeInfo[];
  figures: FigureInfo[];
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  description?: string;
  properties?: Record<string, JsonSchema>;
  const?: unknown;
};

/** A JSON Schema node as a short constraint: "integer ≥ 1", "one of a, b", "list of number > 0". */
export function constraintOf(s: JsonSchema): string {
  if (s.anyOf) {
    const parts = s.anyOf.filter((x) => x.type !== "null").map(constraintOf);
    const nullable = s.anyOf.some((x) => x.type === "null");
    return `${[...new Set(parts)].join(" or ")}${nullable ? " or null" : ""}`;
  }
  if (s.enum)
    return `one of ${s.enum.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ")}`;
  if (s.const !== undefined) return JSON.stringify(s.const);
  const type = Array.isArray(s.type) ? s.type.join(" or ") : s.type;
  if (type === "array") {
    const min = s.minItems !== undefined && s.minItems > 0 ? ` (at least ${s.minItems})` : "";
    return `list of ${s.items ? constraintOf(s.items) : "values"}${min}`;
  }
  if (type === "integer" || type === "number") {
    const bounds: string[] = [];
    if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
    else if (s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER) bounds.push(`≥ ${s.minimum}`);
    if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
    else if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) bounds.push(`≤ ${s.maximum}`);
    return [type, bounds.join(", ")].filter(Boolean).join(" ");
  }
  if (type === "object") return "object (JSON)";
  return type ?? "any";
}

/** A resolved value as the user would type it after `--set name=` (null sample counts read `inf`). */
function valueText(v: unknown): string {
  if (v === undefined) return "absent";
  if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null))
    return v.map((x) => valueText(x)).join(",");
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** The text of one experiment's info (see `ExperimentInfo`). */
export function experimentInfo(exp: Experiment): ExperimentInfo {
  const schema = z.toJSONSchema(exp.params, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const resolved = Object.fromEntries(
    SIZE_NAMES.map((s) => [s, resolveParams(exp, s) as Record<string, unknown>]),
  ) as Record<SizeName, Record<string, unknown>>;
  const params: ParamInfo[] = Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    constraint: constraintOf(s),
    description: s.description ?? "",
    values: Object.fromEntries(SIZE_NAMES.map((sz) => [sz, valueText(resolved[sz][name])])) as Record<
      SizeName,
      string
    >,
  }));
  const sizes: SizeInfo[] = SIZE_NAMES.map((size) => {
    const conditions = conditionsOf(exp, resolved[size]).map(conditionText);
    return {
      size,
      seeds: exp.seeds[size],
      overrides: Object.entries(exp.sizes[size] as Record<string, unknown>).map(
        ([k, v]) => `${k}=${valueText(v)}`,
      ),
      conditions,
      memory: estimateMemory(exp.id, resolved[size]),
      cells: conditions.length * exp.seeds[size],
    };
  });
  const figures: FigureInfo[] = exp.figures.map((f) => {
    if (f.kind === "custom") return { name: f.name, shows: `its own figure (${f.builder})` };
    const yName = [f.select.yName].flat().join(", ");
    const y = f.y?.title ?? yName;
    const x = f.x?.title ?? f.select.xName ?? "";
    return { name: f.name, shows: x ? `${y} vs ${x}` : String(y) };
  });
  const paperParams = resolveParamsQuiet(exp);
  return {
    id: exp.id,
    title: exp.title,
    paper: exp.paper,
    family: exp.family,
    description: exp.description,
    ...(exp.lookFor ? { lookFor: exp.lookFor } : {}),
    claims: (exp.claims ?? []).map((c) => claimText(c, paperParams)),
    ...(exp.dataset ? { dataset: exp.dataset } : {}),
    ...(exp.optIn ? { optIn: exp.optIn } : {}),
    params,
    sizes,
    figures,
  };
}

/**
 * A claim as one line: `id` — its statement (source, where in the paper, "unverified" where the
 * number was not read in its text; the test and what it expects at paper size).
 */
function claimText(c: Claim, params: Record<string, unknown>): string {
  const where = `${c.source.paper}, ${c.source.where}${c.source.verified ? "" : ", unverified"}`;
  const known = c.knownDisagreement ? ` Known disagreement: ${c.knownDisagreement}` : "";
  return `\`${c.id}\` — ${c.statement} (${where}; ${c.test.kind}: ${expectedText(c.test, params)}).${known}`;
}

/** The paper-size parameters, or the defaults when the paper size does not parse (a plug-in's). */
function resolveParamsQuiet(exp: Experiment): Record<string, unknown> {
  const r = exp.params.safeParse(exp.sizes.paper);
  return r.success ? (r.data as Record<string, unknown>) : {};
}

/** Bytes in a readable unit (512 MB, 6.1 GB). */
export function bytesText(b: number): string {
  if (b < 2 ** 10) return `${Math.ceil(b)} B`;
  if (b < 2 ** 20) return `${Math.ceil(b / 2 ** 10)} kB`;
  if (b < 2 ** 30) return `${(b / 2 ** 20).toFixed(0)} MB`;
  return `${(b / 2 ** 30).toFixed(1)} GB`;
}

/**
 * One size's cost line: cells and the estimated peak memory of the process that runs them one at a
 * time (`--workers 1`; see src/experiments/resources.ts), and its parts.
 */
export function costText(s: SizeInfo): string {
  const cells = `${s.cells} cell${s.cells === 1 ? "" : "s"} (${s.conditions.length} condition${s.conditions.length === 1 ? "" : "s"} × ${s.seeds} seed${s.seeds === 1 ? "" : "s"})`;
  const mem = s.memory
    ? `, about ${bytesText(PROCESS_BYTES + s.memory.working + s.seeds * s.memory.result + s.memory.figures)} of memory on one thread (${bytesText(s.memory.working)} working per seed, ${bytesText(s.memory.result)} of results per seed, ${bytesText(s.memory.figures)} to draw the figures)`
    : ", memory not estimated";
  return cells + mem;
}
