import { z } from "zod";
import { methods } from "../algorithms/methods.js";
import { type ModelKind, networkModels } from "../algorithms/network/models.js";
import { estimators } from "../algorithms/representation/estimators.js";
import { checkClaims } from "../experiments/claims.js";
import { experiments } from "../experiments/registry.js";
import type { Experiment } from "../experiments/types.js";
import { type TaskFamily, taskFamilies } from "../models/taskFamilies.js";
import type { Registry, RegistryEntry } from "../registry.js";
import {
  adaptEstimator,
  adaptMethod,
  checkDisplay,
  checkOptions,
  type EntrySource,
  PluginError,
} from "./adapt.js";
import type { EstimatorPlugin, MethodPlugin, ModelPlugin, PluginDefinition } from "./contract.js";

/**
 * One kind of entry a plug-in may register: the definition's list under `key`, checked and
 * adapted into `registry`'s entries. Kinds whose registries live above this layer (figure kinds in
 * report/, dataset loaders in cli/) are added by those layers with `addPluginKind`; a process
 * without them (a worker thread) skips those lists.
 */
export interface PluginKind {
  key: keyof PluginDefinition & string;
  /** Singular, for messages and provenance ("estimator"). */
  kind: string;
  registry: Registry<RegistryEntry>;
  adapt(source: EntrySource, raw: unknown, index: number): RegistryEntry;
}

/**
 * A figure spec's shape (experiments/figureSpec.ts), checked when the plug-in loads: a spec the
 * figure builder cannot read is refused before any cell runs, not after the last (issue 23).
 */
const fn = z.custom<(...a: unknown[]) => unknown>((f) => typeof f === "function", "must be a function");
const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: "must name the curves' y quantity (a string, or a list of them)",
});
const axisShape = z.looseObject({
  title: z.string().optional(),
  log: z.boolean().optional(),
  domain: z.tuple([z.number(), z.number()]).optional(),
});
const seriesFigure = z.looseObject({
  kind: z.literal("series").optional(),
  name: z.string().min(1),
  select: z.looseObject({
    yName: names,
    xName: z.string().min(1).optional(),
    exceptMethods: z.array(z.string()).optional(),
  }),
  stat: z
    .discriminatedUnion("kind", [
      z.looseObject({ kind: z.literal("band"), points: z.boolean().optional() }),
      z.looseObject({ kind: z.literal("metric"), metric: z.string().min(1), what: z.string() }),
    ])
    .optional(),
  x: axisShape.optional(),
  y: axisShape.extend({ floor: z.enum(["clamp", "drop"]).optional() }).optional(),
  panel: z
    .discriminatedUnion("by", [
      z.looseObject({ by: z.literal("condition"), except: z.array(z.string()).optional() }),
      z.looseObject({ by: z.literal("label"), label: z.string().min(1), title: z.string() }),
      z.looseObject({
        by: z.literal("axes"),
        axes: z.array(z.looseObject({ label: z.string().min(1), title: z.string() })).min(1),
      }),
    ])
    .optional(),
  colour: z.looseObject({
    title: z.string(),
    registry: z.enum(["methods", "estimators"]).optional(),
    fixed: z.array(z.looseObject({ id: z.string(), color: z.string() })).optional(),
  }),
  dash: z
    .looseObject({ label: z.string().min(1), title: z.string(), domain: z.array(z.string()).min(1) })
    .optional(),
  overlays: z
    .array(
      z.discriminatedUnion("kind", [
        z.looseObject({ kind: z.literal("line"), label: z.string(), f: fn }),
        z.looseObject({ kind: z.literal("fitted"), label: z.string(), f: fn, fitTo: z.array(z.string()) }),
        z.looseObject({ kind: z.literal("geometric"), label: z.string(), rate: fn, anchor: z.number() }),
        z.looseObject({ kind: z.literal("slope"), metric: z.string().min(1) }),
      ]),
    )
    .optional(),
});
const customFigure = z.looseObject({
  kind: z.literal("custom"),
  name: z.string().min(1),
  builder: z.string().min(1),
});

const experimentShape = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "must be lowercase letters, digits, '.', '_' or '-'"),
  title: z.string().min(1),
  paper: z.string(),
  family: z.string().min(1),
  description: z.string(),
  params: z.instanceof(z.ZodType, { message: "must be a zod schema (use the api's z)" }),
  sizes: z.object({ smoke: z.record(z.string(), z.unknown()), paper: z.record(z.string(), z.unknown()) }),
  seeds: z.object({ smoke: z.number().int().min(1), paper: z.number().int().min(1) }),
  runCondition: z.custom<(...a: unknown[]) => unknown>((f) => typeof f === "function", "must be a function"),
  figures: z.array(z.looseObject({ name: z.string().min(1) })),
});

function adaptExperiment(s: EntrySource, raw: unknown, index: number): Experiment {
  const res = experimentShape.safeParse(raw);
  if (!res.success) {
    const i = res.error.issues[0];
    const id =
      typeof (raw as { id?: unknown })?.id === "string" ? `"${(raw as { id: string }).id}"` : `#${index + 1}`;
    throw new PluginError(
      `plug-in ${s.plugin} (${s.file}): experiment ${id}: "${i.path.join(".")}" ${i.message}.`,
    );
  }
  const e = raw as Experiment;
  try {
    checkClaims(e.id, e.claims ?? []);
  } catch (err) {
    throw new PluginError(
      `plug-in ${s.plugin} (${s.file}): experiment "${e.id}": claims: ${(err as Error).message}.`,
    );
  }
  for (const [i, fig] of e.figures.entries()) {
    const shape = (fig as { kind?: unknown }).kind === "custom" ? customFigure : seriesFigure;
    const res = shape.safeParse(fig);
    if (!res.success) {
      const issue = res.error.issues[0];
      throw new PluginError(
        `plug-in ${s.plugin} (${s.file}): experiment "${e.id}": figure "${fig.name}" (figures.${i}): "${issue.path.join(".")}" ${issue.message}.`,
      );
    }
  }
  for (const size of ["smoke", "paper"] as const) {
    const p = e.params.safeParse(e.sizes[size]);
    if (!p.success) {
      const i = p.error.issues[0];
      throw new PluginError(
        `plug-in ${s.plugin} (${s.file}): experiment "${e.id}": its params schema rejects its ${size} size: "${i.path.join(".")}" ${i.message}.`,
      );
    }
  }
  return e;
}

/** A plug-in task family: its metadata and options checked, `covariates` a function. */
function adaptTaskFamily(s: EntrySource, raw: unknown, index: number): TaskFamily {
  const d = checkDisplay(s, "task family", raw, index);
  const f = raw as TaskFamily;
  if (typeof f.covariates !== "function") {
    throw new PluginError(
      `plug-in ${s.plugin} (${s.file}): task family "${d.id}": "covariates" must be a function (d, options) → { d, draw, covariance? }; got ${typeof f.covariates}.`,
    );
  }
  const options = f.options === undefined ? undefined : checkOptions(s, "task family", d.id, f.options);
  return {
    id: d.id,
    name: d.name ?? d.id,
    description: d.description ?? `plug-in task family from ${s.file}`,
    order: d.order ?? 1000 + index,
    family: d.family ?? "plugin",
    ...(options ? { options } : {}),
    covariates: (dim, o) => f.covariates(dim, o),
  };
}

/** A plug-in network model: metadata and options checked, `build` a function (outputs checked when run). */
function adaptModel(s: EntrySource, raw: unknown, index: number): ModelKind {
  const d = checkDisplay(s, "model", raw, index);
  const f = raw as ModelPlugin;
  if (typeof f.build !== "function") {
    throw new PluginError(
      `plug-in ${s.plugin} (${s.file}): model "${d.id}": "build" must be a function (options, { inputs, outputs }) → { shapes, headSize, inputs, outputs, init, forward }; got ${typeof f.build}.`,
    );
  }
  const options = checkOptions(s, "model", d.id, f.options);
  return {
    id: d.id,
    name: d.name ?? d.id,
    description: d.description ?? `plug-in model from ${s.file}`,
    order: d.order ?? 1000 + index,
    family: d.family ?? "plugin",
    options,
    build: (o, dims) => f.build(o, dims),
  };
}

const KINDS: PluginKind[] = [
  {
    key: "estimators",
    kind: "estimator",
    registry: estimators as unknown as Registry<RegistryEntry>,
    adapt: (s, raw, i) => adaptEstimator(s, raw as EstimatorPlugin, i),
  },
  {
    key: "methods",
    kind: "method",
    registry: methods as unknown as Registry<RegistryEntry>,
    adapt: (s, raw, i) => adaptMethod(s, raw as MethodPlugin, i),
  },
  {
    key: "models",
    kind: "model",
    registry: networkModels as unknown as Registry<RegistryEntry>,
    adapt: adaptModel,
  },
  {
    key: "taskFamilies",
    kind: "task family",
    registry: taskFamilies as unknown as Registry<RegistryEntry>,
    adapt: adaptTaskFamily,
  },
  {
    key: "experiments",
    kind: "experiment",
    registry: experiments as unknown as Registry<RegistryEntry>,
    adapt: adaptExperiment,
  },
];

/**
 * A kind whose entries are `{ id, <fn>(…), …rest }` taken as they are once `id` is a non-empty
 * string and `fn` a function (figure kinds: `build`; data set loaders: `load`).
 */
export function functionKind(o: {
  key: PluginKind["key"];
  kind: string;
  registry: Registry<RegistryEntry>;
  fn: string;
  shape: string;
}): PluginKind {
  return {
    key: o.key,
    kind: o.kind,
    registry: o.registry,
    adapt(s, raw, i) {
      const e = raw as Record<string, unknown> | null;
      if (typeof e?.id !== "string" || e.id === "" || typeof e[o.fn] !== "function") {
        throw new PluginError(`plug-in ${s.plugin} (${s.file}): ${o.kind} #${i + 1} must be ${o.shape}.`);
      }
      return { ...e, id: e.id, [o.fn]: (e[o.fn] as (...a: unknown[]) => unknown).bind(e) };
    },
  };
}

/** Add a kind whose registry lives in a higher layer (report's figure kinds, cli's data sets). */
export function addPluginKind(kind: PluginKind): void {
  if (!KINDS.some((k) => k.key === kind.key)) KINDS.push(kind);
}

/** The keys a definition may use (every kind known anywhere, so no valid list is "unknown"). */
export const DEFINITION_KEYS = [
  "id",
  "estimators",
  "methods",
  "models",
  "taskFamilies",
  "experiments",
  "figureKinds",
  "datasetLoaders",
] as const;

/** One registered entry, for provenance: which kind, which id. */
export interface Provided {
  kind: string;
  id: string;
}

/**
 * Register a plug-in's definition: every entry is checked and adapted first, and every id checked
 * against its registry, before any is registered — a bad plug-in registers nothing. Returns what
 * it registered. `registerPlugin` from `metarep` is this, for code (no file, no digest).
 */
export function registerDefinition(def: PluginDefinition, source: EntrySource): Provided[] {
  if (typeof def !== "object" || def === null || Array.isArray(def)) {
    throw new PluginError(
      `plug-in ${source.plugin} (${source.file}): must export a definition object (or a function returning one); got ${Array.isArray(def) ? "an array" : String(def)}.`,
    );
  }
  const unknown = Object.keys(def).filter((k) => !(DEFINITION_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new PluginError(
      `plug-in ${source.plugin} (${source.file}): unknown export${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}; known: ${DEFINITION_KEYS.join(", ")}.`,
    );
  }
  const staged: { kind: PluginKind; entry: RegistryEntry }[] = [];
  let listed = 0;
  for (const key of DEFINITION_KEYS) {
    if (key === "id") continue;
    const list = def[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      throw new PluginError(
        `plug-in ${source.plugin} (${source.file}): "${key}" must be an array; got ${typeof list}.`,
      );
    }
    listed += list.length;
    const kind = KINDS.find((k) => k.key === key);
    if (!kind) continue; // a presentation kind this process does not draw (a worker thread)
    list.forEach((raw, i) => {
      staged.push({ kind, entry: kind.adapt(source, raw, i) });
    });
  }
  if (listed === 0) {
    throw new PluginError(
      `plug-in ${source.plugin} (${source.file}): exports nothing registrable (give at least one of ${DEFINITION_KEYS.slice(1).join(", ")}).`,
    );
  }
  const seen = new Set<string>();
  for (const { kind, entry } of staged) {
    const tag = `${kind.kind}:${entry.id}`;
    const by = kind.registry.sourceOf(entry.id);
    if (by !== undefined || seen.has(tag)) {
      throw new PluginError(
        `plug-in ${source.plugin} (${source.file}): ${kind.kind} id "${entry.id}" collides with ${by === undefined ? "another entry of the same plug-in" : by === "built-in" ? "a built-in" : by}.`,
      );
    }
    seen.add(tag);
  }
  const label = `plug-in ${source.plugin} (${source.file})`;
  for (const { kind, entry } of staged) kind.registry.register(entry, label);
  return staged.map(({ kind, entry }) => ({ kind: kind.kind, id: entry.id }));
}

/** Remove what `registerDefinition` registered (tests; a failed load). */
export function unregisterProvided(provided: readonly Provided[]): void {
  for (const p of provided) KINDS.find((k) => k.kind === p.kind)?.registry.unregister(p.id);
}

/**
 * Register a plug-in definition from code (the library's `registerPlugin`): the same checks and
 * adapters as a plug-in file, with `source` naming the caller in messages.
 */
export function registerPlugin(def: PluginDefinition, source = "code"): Provided[] {
  return registerDefinition(def, { plugin: def.id ?? source, file: source });
}
