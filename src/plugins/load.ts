import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { methods } from "../algorithms/methods.js";
import { estimators } from "../algorithms/representation/estimators.js";
import type { PluginRef, RecordedEntry } from "../record/types.js";
import { PluginError } from "./adapt.js";
import type { PluginApi, PluginDefinition } from "./contract.js";
import { DEFINITION_KEYS, type Provided, registerDefinition, unregisterProvided } from "./register.js";

/** A plug-in file this process has loaded: its provenance, its path and what it registered. */
export interface LoadedPlugin extends PluginRef {
  /** Absolute path it was loaded from (never sent to another process: jobs carry id and digest). */
  path: string;
  provides: Provided[];
}

const loaded = new Map<string, LoadedPlugin>();

/** The sha256 of a file's bytes, hex. */
export function sha256Of(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.split("\n")[0];
}

let api: PluginApi | undefined;
async function pluginApi(): Promise<PluginApi> {
  api ??= Object.freeze({ ...(await import("../index.js")), z }) as PluginApi;
  return api;
}

/**
 * Load one plug-in file: read its bytes (their sha256 is its digest), import it, call its default
 * export with the library (or take its definition object, or its named exports) and register every
 * entry. Every problem is one `PluginError` line naming the file — a missing file, a syntax error,
 * nothing registrable, an id colliding with a built-in or another plug-in, an options schema that
 * rejects its defaults — and nothing is registered. Loading the same bytes again is a no-op.
 */
export async function loadPlugin(path: string, flag = "--plugin"): Promise<LoadedPlugin> {
  const abs = resolve(path);
  let bytes: Buffer;
  try {
    if (!statSync(abs).isFile()) throw new Error("not a file");
    bytes = readFileSync(abs);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new PluginError(`"${flag}": cannot read plug-in file ${path} (${why}).`);
  }
  const sha256 = sha256Of(bytes);
  const file = basename(abs);
  const had = loaded.get(abs);
  if (had) {
    if (had.sha256 === sha256) return had;
    throw new PluginError(
      `plug-in file ${file} changed since it was loaded (sha256 ${had.sha256.slice(0, 12)}… then, ${sha256.slice(0, 12)}… now); restart to load the new version.`,
    );
  }
  let mod: Record<string, unknown>;
  try {
    // The digest in the URL makes a changed file a new module (Node caches modules by URL).
    mod = (await import(`${pathToFileURL(abs).href}?sha256=${sha256}`)) as Record<string, unknown>;
  } catch (e) {
    throw new PluginError(`plug-in file ${file} cannot be imported: ${firstLine(e)}`);
  }
  const fallbackId = basename(abs, extname(abs));
  let def: PluginDefinition;
  try {
    const d = mod.default;
    if (typeof d === "function") def = await (d as (a: PluginApi) => PluginDefinition)(await pluginApi());
    else if (d !== undefined) def = d as PluginDefinition;
    else def = Object.fromEntries(DEFINITION_KEYS.filter((k) => k in mod).map((k) => [k, mod[k]]));
  } catch (e) {
    throw new PluginError(`plug-in file ${file}: its default export threw: ${firstLine(e)}`);
  }
  const id = def?.id ?? fallbackId;
  if (typeof id !== "string" || !/^[a-z0-9][a-z0-9._-]*$/.test(id)) {
    throw new PluginError(
      `plug-in file ${file}: "id" must be lowercase letters, digits, '.', '_' or '-'; got ${JSON.stringify(id)}.`,
    );
  }
  const clash = [...loaded.values()].find((p) => p.id === id);
  if (clash) {
    throw new PluginError(`plug-in file ${file}: plug-in id "${id}" is already taken by ${clash.file}.`);
  }
  const provides = registerDefinition(def, { plugin: id, file });
  const entry: LoadedPlugin = { id, file, sha256, path: abs, provides };
  loaded.set(abs, entry);
  return entry;
}

/** Load plug-in files in order (`--plugin A --plugin B`); the first bad one stops with its error. */
export async function loadPlugins(paths: readonly string[], flag = "--plugin"): Promise<LoadedPlugin[]> {
  const out: LoadedPlugin[] = [];
  for (const p of paths) out.push(await loadPlugin(p, flag));
  return out;
}

/** The plug-ins loaded in this process, in load order. */
export function loadedPlugins(): readonly LoadedPlugin[] {
  return [...loaded.values()];
}

/** Forget every loaded plug-in and unregister its entries (tests). */
export function unloadPlugins(): void {
  for (const p of loaded.values()) unregisterProvided(p.provides);
  loaded.clear();
}

/**
 * Check that this process holds every plug-in of `refs` with the same digest; a one-line error
 * names the plug-in and both digests (or says it is not loaded). `where` names the asker
 * (`"record"`, `"job"`).
 */
export function requirePlugins(refs: readonly PluginRef[] | undefined, where: string): void {
  for (const ref of refs ?? []) {
    const have = loadedPlugins().find((p) => p.id === ref.id);
    if (!have) {
      throw new PluginError(
        `the ${where} uses plug-in "${ref.id}" (${ref.file}, sha256 ${ref.sha256}); load it with --plugin ${ref.file}.`,
      );
    }
    if (have.sha256 !== ref.sha256) {
      throw new PluginError(
        `plug-in "${ref.id}" differs from the one the ${where} was made with: ${have.file} has sha256 ${have.sha256}; the ${where} needs sha256 ${ref.sha256}.`,
      );
    }
  }
}

/**
 * The loaded plug-ins a run uses: those that registered the experiment, or an id that appears in
 * its parameters (a method, an estimator, a task family, an options key). Provenance only: a run
 * that uses none records none, so its bytes match a run without plug-ins loaded.
 */
export function pluginsUsed(experiment: string, params: Record<string, unknown>): PluginRef[] {
  const words = new Set<string>([experiment]);
  const visit = (v: unknown): void => {
    if (typeof v === "string") words.add(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === "object" && v !== null)
      for (const [k, x] of Object.entries(v)) {
        words.add(k);
        visit(x);
      }
  };
  visit(params);
  return loadedPlugins()
    .filter((p) => p.provides.some((e) => words.has(e.id)))
    .map(({ id, file, sha256, provides }) => {
      const entries = provides.filter((e) => words.has(e.id)).flatMap((e) => recordedEntry(e.kind, e.id));
      return { id, file, sha256, ...(entries.length ? { entries } : {}) };
    });
}

/**
 * The display name and colour of a plug-in's estimator or meta-learning method, as a record keeps
 * them (other kinds have neither).
 */
function recordedEntry(kind: string, id: string): RecordedEntry[] {
  if (kind === "estimator" && estimators.has(id)) {
    const e = estimators.get(id);
    return [{ kind, id, name: e.name, color: e.color }];
  }
  if (kind === "method" && methods.has(id)) {
    const m = methods.get(id);
    return [{ kind, id, name: m.name, color: m.color }];
  }
  return [];
}
