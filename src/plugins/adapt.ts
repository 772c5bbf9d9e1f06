import { z } from "zod";
import { type MetaMethod, pluginTaskGradient } from "../algorithms/methods.js";
import type { RepresentationEstimator, RepresentationFit } from "../algorithms/representation/types.js";
import { MetarepError } from "../errors.js";
import type { Mat } from "../linalg/mat.js";
import { orthonormalize } from "../linalg/qr.js";
import type { EntryDisplay, EstimatorPlugin, MethodPlugin } from "./contract.js";

/** A plug-in that cannot be loaded, or whose entry broke its contract while running. */
export class PluginError extends MetarepError {
  override name = "PluginError";
}

/** Plug-in entries come after the built-ins unless they give an `order`. */
const PLUGIN_ORDER = 1000;

/** Colours for plug-in entries that name none (picked by a hash of the id: stable). */
const PLUGIN_COLOURS = ["#8c564b", "#bcbd22", "#9467bd", "#393b79", "#637939", "#e7ba52", "#843c39"];

function colourOf(id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return PLUGIN_COLOURS[h % PLUGIN_COLOURS.length];
}

/** Where an entry comes from, for messages: `plug-in my-plugin (my-plugin.mjs)`. */
export interface EntrySource {
  plugin: string;
  file: string;
}

const where = (s: EntrySource, kind: string, id: string) =>
  `plug-in ${s.plugin} (${s.file}): ${kind} "${id}"`;

const displaySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "must be lowercase letters, digits, '.', '_' or '-'"),
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  color: z.string().min(1).optional(),
  order: z.number().finite().optional(),
  family: z.string().min(1).optional(),
});

/** Check an entry's common fields; the message names the file, the entry and the field. */
export function checkDisplay(s: EntrySource, kind: string, entry: unknown, index: number): EntryDisplay {
  if (typeof entry !== "object" || entry === null) {
    throw new PluginError(
      `plug-in ${s.plugin} (${s.file}): ${kind} #${index + 1} must be an object; got ${String(entry)}.`,
    );
  }
  const res = displaySchema.safeParse(entry);
  if (!res.success) {
    const i = res.error.issues[0];
    const id =
      typeof (entry as { id?: unknown }).id === "string" ? (entry as { id: string }).id : `#${index + 1}`;
    throw new PluginError(`${where(s, kind, id)}: "${i.path.join(".")}" ${i.message}.`);
  }
  return res.data;
}

/** An entry's options schema must be a zod schema whose defaults parse from `{}`. */
export function checkOptions(
  s: EntrySource,
  kind: string,
  id: string,
  options: unknown,
): z.ZodType<Record<string, unknown>> {
  if (options === undefined) return z.strictObject({});
  if (!(options instanceof z.ZodType)) {
    throw new PluginError(
      `${where(s, kind, id)}: "options" must be a zod schema (use the api's z); got ${typeof options}.`,
    );
  }
  const res = options.safeParse({});
  if (!res.success) {
    const i = res.error.issues[0];
    throw new PluginError(
      `${where(s, kind, id)}: its options schema rejects its own defaults ({}): "${i.path.join(".")}" ${i.message}.`,
    );
  }
  return options as z.ZodType<Record<string, unknown>>;
}

function checkFunction(s: EntrySource, kind: string, id: string, name: string, f: unknown): void {
  if (typeof f !== "function") {
    throw new PluginError(`${where(s, kind, id)}: "${name}" must be a function; got ${typeof f}.`);
  }
}

function isMat(m: unknown): m is Mat {
  const x = m as Mat;
  return (
    typeof x === "object" &&
    x !== null &&
    Number.isInteger(x.rows) &&
    Number.isInteger(x.cols) &&
    x.data instanceof Float64Array &&
    x.data.length === x.rows * x.cols
  );
}

/** A plug-in estimator as a registry entry: its outputs are checked, B orthonormalised. */
export function adaptEstimator(s: EntrySource, raw: EstimatorPlugin, index: number): RepresentationEstimator {
  const d = checkDisplay(s, "estimator", raw, index);
  checkFunction(s, "estimator", d.id, "fit", raw.fit);
  const options = checkOptions(s, "estimator", d.id, raw.options);
  const fail = (what: string) => {
    throw new PluginError(`${where(s, "estimator", d.id)} returned ${what}.`);
  };
  return {
    id: d.id,
    name: d.name ?? d.id,
    description: d.description ?? `plug-in estimator from ${s.file}`,
    color: d.color ?? colourOf(d.id),
    order: d.order ?? PLUGIN_ORDER + index,
    family: d.family ?? "plugin",
    needsTruth: false,
    learns: true,
    options,
    fit(data, k, opts, ctx): RepresentationFit {
      let out: ReturnType<EstimatorPlugin["fit"]>;
      try {
        out = raw.fit(data, k, opts as Record<string, unknown>, { key: ctx.key, signal: ctx.signal });
      } catch (e) {
        if (e instanceof MetarepError) throw e;
        throw new PluginError(`${where(s, "estimator", d.id)} threw: ${(e as Error)?.message ?? String(e)}`);
      }
      if (typeof out !== "object" || out === null) fail(`${String(out)}; expected an object { B, … }`);
      if (!isMat(out.B)) fail(`"B" that is not a Mat { rows, cols, data: Float64Array(rows·cols) }`);
      if (out.B.rows !== data.d || out.B.cols !== k) {
        fail(`"B" of ${out.B.rows} × ${out.B.cols}; expected d × k = ${data.d} × ${k}`);
      }
      const status = out.status ?? "ok";
      if (status !== "ok" && status !== "diverged")
        fail(`"status" ${JSON.stringify(status)}; expected "ok" or "diverged"`);
      if (status === "ok" && !out.B.data.every(Number.isFinite)) {
        fail(`a non-finite entry in "B" with status "ok" (report a blow-up as status "diverged")`);
      }
      const iterations = out.iterations ?? 0;
      if (!Number.isInteger(iterations) || iterations < 0)
        fail(`"iterations" ${String(iterations)}; expected an integer ≥ 0`);
      const info: Record<string, number | null> = {};
      for (const [name, v] of Object.entries(out.info ?? {})) {
        if (v !== null && typeof v !== "number")
          fail(`"info.${name}" of type ${typeof v}; expected a number or null`);
        info[name] = v === null || Number.isFinite(v) ? v : null;
      }
      const fit: RepresentationFit = {
        method: d.id,
        B: status === "ok" ? orthonormalize(out.B) : out.B,
        iterations,
        converged: out.converged ?? null,
        status,
        info,
      };
      if (status === "diverged") {
        fit.diverged = out.diverged ?? { iteration: iterations, quantity: "B", value: Number.NaN };
      }
      return fit;
    },
  };
}

/** A plug-in method as a registry entry. */
export function adaptMethod(s: EntrySource, raw: MethodPlugin, index: number): MetaMethod {
  const d = checkDisplay(s, "method", raw, index);
  checkFunction(s, "method", d.id, "taskGradient", raw.taskGradient);
  const gradient = pluginTaskGradient((params, task, alpha, grad) => {
    try {
      raw.taskGradient(params, task, alpha, grad);
    } catch (e) {
      throw new PluginError(`${where(s, "method", d.id)} threw: ${(e as Error)?.message ?? String(e)}`);
    }
  });
  return {
    id: d.id,
    name: d.name ?? d.id,
    adapts: raw.adapts ?? "head",
    firstOrder: raw.firstOrder ?? false,
    description: d.description ?? `plug-in method from ${s.file}`,
    taskGradient: gradient,
    color: d.color ?? colourOf(d.id),
    dashed: raw.dashed ?? raw.firstOrder ?? false,
    order: d.order ?? PLUGIN_ORDER + index,
    family: d.family ?? "plugin",
  };
}
