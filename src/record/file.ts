import { z } from "zod";
import { formatValue, MetarepError } from "../errors.js";
import { VERDICT_WORDS, type VerdictWord } from "../experiments/claims.js";
import { canonicalJson } from "../experiments/keys.js";
import { describeIssue, issuePath, ParamValidationError, parseParams } from "../experiments/params.js";
import { getExperiment } from "../experiments/registry.js";
import { SIZE_NAMES } from "../experiments/resolve.js";
import { conditionText } from "../experiments/runner.js";
import type { Curve, Divergence, Experiment, RunResult, SizeName } from "../experiments/types.js";
import { METAREP_VERSION, RECORD_SCHEMA_VERSION } from "../version.js";
import { cellId } from "./ids.js";
import type { RunRecord } from "./types.js";

/**
 * Reading a stored `RunRecord` back (`metarep run --record FILE`, the web page's record import):
 * validation at the boundary and a bit-exact comparison of results. Pure: no Node modules.
 */

/** A record that is not one `metarep run` (or a sweep, or the web page) could have written. */
export class RecordValidationError extends MetarepError {
  override name = "RecordValidationError";
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.join("; ")}.`);
  }
}

const statusSchema = z.enum(["ok", "diverged"]);
const finite = z.number();

const divergenceSchema = z.strictObject({
  iteration: z.number().int().min(0),
  quantity: z.string(),
  value: z.union([finite, z.string()], { error: "must be a number or a string" }),
});

const labelValue = z.union([z.string(), finite, z.boolean(), z.null()], {
  error: "must be a string, a number, a boolean or null",
});

const curveSchema = z.strictObject({
  labels: z.record(z.string(), labelValue),
  xName: z.string(),
  yName: z.string(),
  x: z.array(finite),
  y: z.array(finite),
  metrics: z.record(z.string(), finite.nullable()),
  status: statusSchema,
  diverged: divergenceSchema.optional(),
});

const resultSchema = z.strictObject({
  status: statusSchema,
  curves: z.array(curveSchema),
  scalars: z.record(z.string(), finite.nullable()),
});

/** A plug-in a record (or a queued cell) used: id, file, digest and its entries' display. */
export const pluginRefSchema = z.strictObject({
  id: z.string().min(1),
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"),
  entries: z
    .array(
      z.strictObject({
        kind: z.string().min(1),
        id: z.string().min(1),
        name: z.string(),
        color: z.string(),
      }),
    )
    .optional(),
});

const recordSchema = z.strictObject({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  metarepVersion: z.string().min(1),
  experiment: z.string().min(1),
  size: z.union([z.enum(SIZE_NAMES as [SizeName, ...SizeName[]]), z.null()], {
    error: `must be ${SIZE_NAMES.map((n) => `"${n}"`).join(", ")} or null`,
  }),
  params: z.record(z.string(), z.unknown()),
  seed: z.number().int().min(0),
  seedIndices: z.array(z.number().int().min(0)).min(1),
  cellId: z.string().min(1),
  grid: z.record(z.string(), z.unknown()).optional(),
  gridPoint: z.string().optional(),
  condition: z.record(z.string(), labelValue).optional(),
  conditionPoint: z.string().optional(),
  status: statusSchema,
  stopped: z.literal(true).optional(),
  result: z.strictObject({ seeds: z.array(resultSchema) }),
  dataset: z
    .strictObject({ kind: z.string().min(1), path: z.string().min(1), digest: z.string().min(1) })
    .optional(),
  plugins: z.array(pluginRefSchema).optional(),
  verdicts: z
    .array(
      z.strictObject({
        claim: z.string().min(1),
        verdict: z.enum(VERDICT_WORDS as [VerdictWord, ...VerdictWord[]]),
        measured: z.number().nullable(),
        interval: z.tuple([z.number(), z.number()]).nullable(),
        expected: z.string(),
        seeds: z.number().int().min(0),
        note: z.string().optional(),
        indicative: z.boolean().optional(),
        knownDisagreement: z.boolean().optional(),
      }),
    )
    .optional(),
  command: z.string(),
  startedAt: z.string(),
  seconds: z.number().min(0),
  worker: z.string().min(1).optional(),
});

// Compile-time guards: each schema validates exactly its type's fields, so a field added to a
// type in types.ts fails to compile here until the validator knows it.
type SameFields<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Check<T extends true> = T;
type _SchemaGuards = [
  Check<SameFields<z.output<typeof divergenceSchema>, Divergence>>,
  Check<SameFields<z.output<typeof curveSchema>, Curve>>,
  Check<SameFields<z.output<typeof resultSchema>, RunResult>>,
  Check<SameFields<z.output<typeof recordSchema>, RunRecord>>,
];

/** How many shape problems one message lists (a record can hold thousands of bad numbers). */
const MAX_PROBLEMS = 3;

/** The keys of the object schema at `path` inside `schema` (for "known: …" in messages). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  const unwrap = () => {
    while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
  };
  for (const p of path) {
    unwrap();
    if (s instanceof z.ZodObject) s = s.shape[String(p)];
    else if (s instanceof z.ZodArray) s = s.element;
    else return [];
  }
  unwrap();
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function describeShapeIssue(issue: z.core.$ZodIssue): string {
  const path = issuePath(issue);
  if (issue.code === "unrecognized_keys") {
    const where = path ? ` in "${path}"` : "";
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}${where}; known: ${keysAt(recordSchema, issue.path).join(", ")}`;
  }
  const text = describeIssue(issue, []);
  const missing = !("input" in issue) || issue.input === undefined;
  return issue.code === "invalid_type" && missing ? `${text}; got nothing` : text;
}

const withoutPeriod = (m: string) => m.replace(/\.$/, "");

/**
 * Validate a parsed JSON value as a `RunRecord`: its shape (every field, every number), the
 * schema version, a known experiment, its data set when it reads one, parameters that are valid
 * and already resolved (parsing leaves them unchanged), one result per seed index, a status
 * that follows from the results and a cell id that matches the contents. Throws one
 * `RecordValidationError` whose message names the field, the constraint and the value got;
 * `source` (e.g. the file name) starts the message.
 */
export function parseRecord(data: unknown, source = "record"): RunRecord {
  function fail(...problems: string[]): never {
    throw new RecordValidationError(source, problems);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    fail(`a record must be a JSON object; got ${formatValue(data)}`);
  }
  const version = (data as Record<string, unknown>).schemaVersion;
  if (version !== RECORD_SCHEMA_VERSION) {
    fail(
      `"schemaVersion" must be ${RECORD_SCHEMA_VERSION} (the record layout of metarep ${METAREP_VERSION}); got ${version === undefined ? "nothing" : formatValue(version)}`,
    );
  }
  const shape = recordSchema.safeParse(data, { reportInput: true });
  if (!shape.success) {
    const issues = shape.error.issues;
    const more = issues.length > MAX_PROBLEMS ? [`and ${issues.length - MAX_PROBLEMS} more problems`] : [];
    fail(...issues.slice(0, MAX_PROBLEMS).map(describeShapeIssue), ...more);
  }
  const rec: RunRecord = shape.data;

  let exp: Experiment;
  try {
    exp = getExperiment(rec.experiment);
  } catch (e) {
    return fail(`"experiment": ${withoutPeriod((e as Error).message)}`);
  }
  if (exp.dataset && !rec.dataset) {
    fail(
      `"dataset" ({kind, path, digest}) is required for ${exp.id}, which reads a ${exp.dataset.kind} data set; got nothing`,
    );
  }
  if (!exp.dataset && rec.dataset) {
    fail(`"dataset" is not taken by ${exp.id} (it generates its own data); got ${formatValue(rec.dataset)}`);
  }
  if (exp.dataset && rec.dataset && rec.dataset.kind !== exp.dataset.kind) {
    fail(`"dataset.kind" must be "${exp.dataset.kind}" for ${exp.id}; got ${formatValue(rec.dataset.kind)}`);
  }
  if ((rec.grid === undefined) !== (rec.gridPoint === undefined)) {
    fail(
      `"grid" and "gridPoint" must be given together (a sweep cell) or not at all; got ${rec.grid === undefined ? `only "gridPoint"` : `only "grid"`}`,
    );
  }

  let resolved: Record<string, unknown>;
  try {
    resolved = parseParams(exp.id, exp.params, rec.params) as Record<string, unknown>;
  } catch (e) {
    // The schema's messages name the parameter ("alpha" …); here it is the field "params.alpha".
    if (e instanceof ParamValidationError)
      return fail(...e.problems.map((p) => (p.startsWith('"') ? `"params.${p.slice(1)}` : `"params": ${p}`)));
    throw e;
  }
  if (canonicalJson(resolved) !== canonicalJson(rec.params)) {
    const keys = [...new Set([...Object.keys(resolved), ...Object.keys(rec.params)])].sort();
    const k = keys.find((n) => canonicalJson(resolved[n]) !== canonicalJson(rec.params[n])) ?? "";
    const text = (v: unknown) => (v === undefined ? "nothing" : canonicalJson(v));
    fail(
      `"params.${k}" must be resolved (defaults filled, as \`metarep run\` records them): resolving gives ${text(resolved[k])}; got ${text(rec.params[k])}`,
    );
  }

  if ((rec.condition === undefined) !== (rec.conditionPoint === undefined)) {
    fail(
      `"condition" and "conditionPoint" must be given together (a cell of one condition) or not at all; got ${rec.condition === undefined ? `only "conditionPoint"` : `only "condition"`}`,
    );
  }
  if (rec.condition && conditionText(rec.condition) !== rec.conditionPoint) {
    fail(
      `"conditionPoint" must be the text of "condition" (${conditionText(rec.condition)}); got ${formatValue(rec.conditionPoint)}`,
    );
  }

  const seeds = rec.result.seeds;
  if (seeds.length !== rec.seedIndices.length) {
    fail(
      `"result.seeds" must hold one result per seed index (${rec.seedIndices.length}: ${rec.seedIndices.join(", ")}); got ${seeds.length}`,
    );
  }
  const status = seeds.some((r) => r.status === "diverged") ? "diverged" : "ok";
  if (rec.status !== status) {
    fail(`"status" must be "${status}" (it follows from the seeds' statuses); got "${rec.status}"`);
  }
  const id = cellId(
    exp.id,
    rec.params,
    rec.seed,
    rec.seedIndices,
    rec.gridPoint ?? "",
    rec.conditionPoint ?? "",
  );
  if (rec.cellId !== id) {
    fail(
      `"cellId" must match the record's experiment, params, seed, seed indices, grid point and condition (${id}); got "${rec.cellId}"`,
    );
  }
  return rec;
}

/** A value for a difference message: every double distinct (-0 shown as -0), "missing" for none. */
function show(v: unknown): string {
  if (v === undefined) return "missing";
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  return formatValue(v);
}

/** Compare fields of two records of numbers/labels: the first key whose values differ. */
function firstKeyDifference(
  x: Record<string, unknown>,
  y: Record<string, unknown>,
): { key: string; a: unknown; b: unknown } | null {
  const keys = [...Object.keys(x), ...Object.keys(y).filter((k) => !Object.hasOwn(x, k))];
  for (const k of keys) {
    const a = Object.hasOwn(x, k) ? x[k] : undefined;
    const b = Object.hasOwn(y, k) ? y[k] : undefined;
    if (!Object.is(a, b)) return { key: k, a, b };
  }
  return null;
}

/**
 * Compare two runs' results (e.g. a stored record's and a re-run's) bit for bit: the same curves
 * with the same labels, names, statuses, divergences, x and y values, metrics, and the same
 * scalars; numbers are compared with `Object.is` (NaN equals NaN, -0 differs from 0). Returns
 * null when identical, else one line naming the first difference: seed, curve (index and labels),
 * field, index and both values. `seedIndices` names the seeds (default: positions); `names`
 * labels the two values, e.g. `["record", "re-run"]`.
 */
export function compareResults(
  a: readonly RunResult[],
  b: readonly RunResult[],
  options: { seedIndices?: readonly number[]; names?: readonly [string, string] } = {},
): string | null {
  const [na, nb] = options.names ? [` (${options.names[0]})`, ` (${options.names[1]})`] : ["", ""];
  const both = (x: unknown, y: unknown) => `${show(x)}${na} vs ${show(y)}${nb}`;
  if (a.length !== b.length) return `number of seeds: ${both(a.length, b.length)}`;
  for (let i = 0; i < a.length; i++) {
    const seed = `seed ${options.seedIndices?.[i] ?? i}`;
    const ra = a[i];
    const rb = b[i];
    if (ra.curves.length !== rb.curves.length)
      return `${seed}: number of curves: ${both(ra.curves.length, rb.curves.length)}`;
    for (let j = 0; j < ra.curves.length; j++) {
      const ca = ra.curves[j];
      const cb = rb.curves[j];
      const where = `${seed}, curve ${j} ${JSON.stringify(ca.labels)}`;
      const label = firstKeyDifference(ca.labels, cb.labels);
      if (label) return `${where}: labels.${label.key}: ${both(label.a, label.b)}`;
      for (const f of ["xName", "yName", "status"] as const) {
        if (ca[f] !== cb[f]) return `${where}: ${f}: ${both(ca[f], cb[f])}`;
      }
      if ((ca.diverged === undefined) !== (cb.diverged === undefined))
        return `${where}: diverged: ${both(ca.diverged ?? "none", cb.diverged ?? "none")}`;
      if (ca.diverged && cb.diverged) {
        const d = firstKeyDifference({ ...ca.diverged }, { ...cb.diverged });
        if (d) return `${where}: diverged.${d.key}: ${both(d.a, d.b)}`;
      }
      for (const f of ["x", "y"] as const) {
        const xs = ca[f];
        const ys = cb[f];
        for (let k = 0; k < Math.max(xs.length, ys.length); k++) {
          if (!Object.is(xs[k], ys[k]))
            return `${where}: ${f}[${k}]: ${both(xs[k], ys[k])}${xs.length === ys.length ? "" : ` (${xs.length} vs ${ys.length} values)`}`;
        }
      }
      const m = firstKeyDifference(ca.metrics, cb.metrics);
      if (m) return `${where}: metrics.${m.key}: ${both(m.a, m.b)}`;
    }
    if (ra.status !== rb.status) return `${seed}: status: ${both(ra.status, rb.status)}`;
    const s = firstKeyDifference(ra.scalars, rb.scalars);
    if (s) return `${seed}: scalars.${s.key}: ${both(s.a, s.b)}`;
  }
  return null;
}
