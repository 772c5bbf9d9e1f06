import { MetarepError, UnknownNameError } from "./errors.js";

/** An id that is already taken in a registry (a plug-in colliding with a built-in or another). */
export class RegistryCollisionError extends MetarepError {
  override name = "RegistryCollisionError";
}

/** What a registry holds: anything with an id; `order` (if any) sorts `list()`. */
export interface RegistryEntry {
  id: string;
  order?: number;
}

/**
 * One open registry mechanism (DESIGN.md "Registries"): experiments, meta-learning methods,
 * estimators, task families, figure kinds and dataset loaders each live in one, with `list()`,
 * `get(id)` and `register(entry)`. Built-ins register exactly as a plug-in does, so the
 * extension path is the one every test exercises. Entries own their metadata (names, colours,
 * order); nothing is copied into a second list.
 */
export class Registry<T extends RegistryEntry> {
  private readonly entries = new Map<string, { entry: T; source: string }>();

  /** `kind` names the registry in messages, e.g. "experiment" or "estimator". */
  constructor(readonly kind: string) {}

  /** Add an entry; an id already present is an error naming both sources. */
  register(entry: T, source = "built-in"): T {
    if (typeof entry?.id !== "string" || entry.id === "") {
      throw new MetarepError(
        `${source}: a ${this.kind} needs a non-empty string "id"; got ${JSON.stringify(entry?.id)}.`,
      );
    }
    const had = this.entries.get(entry.id);
    if (had) {
      throw new RegistryCollisionError(
        `${source}: ${this.kind} id "${entry.id}" is already registered (by ${had.source}).`,
      );
    }
    this.entries.set(entry.id, { entry, source });
    return entry;
  }

  /** Remove an entry (plug-ins unloaded in tests); returns whether it was there. */
  unregister(id: string): boolean {
    return this.entries.delete(id);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The entry with this id; unknown ids list the known ones. */
  get(id: string): T {
    const e = this.entries.get(id);
    if (!e) throw new UnknownNameError(this.kind, id, this.ids());
    return e.entry;
  }

  /** Who registered `id` ("built-in" or a plug-in's file). */
  sourceOf(id: string): string | undefined {
    return this.entries.get(id)?.source;
  }

  /** Entries by `order` (entries without one keep registration order, after those with one). */
  list(): readonly T[] {
    const all = [...this.entries.values()].map((e, i) => ({ e: e.entry, i }));
    all.sort(
      (a, b) =>
        (a.e.order ?? Number.POSITIVE_INFINITY) - (b.e.order ?? Number.POSITIVE_INFINITY) || a.i - b.i,
    );
    return all.map((x) => x.e);
  }

  ids(): string[] {
    return this.list().map((e) => e.id);
  }
}
