import { createHash } from "node:crypto";
import { MetarepError } from "../errors.js";
import type { PluginRef } from "../record/types.js";

/*
 * Job routing by plug-in digests (issue 15, item 5): a cell that uses plug-ins is queued on
 * `${base}@${key}`, where `key` hashes the sorted `id:sha256` pairs of exactly the plug-ins it
 * uses; a cell without plug-ins stays on `base`. A worker listens on `base` and on the queue of
 * every non-empty subset of the plug-ins it holds, so it never receives a job naming a plug-in it
 * lacks or holds with other bytes (a changed file has another digest, hence other queue names).
 * Subsets, not just the full set: a sweep using plug-in A must reach a worker that holds A and B.
 * 2ⁿ − 1 queues for n plug-ins, hence the cap below.
 */

/** The most plug-ins one worker may hold (it listens on 2ⁿ − 1 routed queues plus the base). */
export const MAX_WORKER_PLUGINS = 6;

/** The routing key of a set of plug-ins: 16 hex digits of sha256 over sorted `id:sha256` lines. */
export function pluginKey(refs: readonly Pick<PluginRef, "id" | "sha256">[]): string {
  const lines = refs.map((r) => `${r.id}:${r.sha256}`).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16);
}

/** The queue a cell using `refs` goes to: the base queue when it uses none. */
export function queueFor(
  base: string,
  refs: readonly Pick<PluginRef, "id" | "sha256">[] | undefined,
): string {
  return refs && refs.length > 0 ? `${base}@${pluginKey(refs)}` : base;
}

/** A routed queue and the plug-ins a worker must hold to listen on it (none for the base queue). */
export interface QueueRoute {
  queue: string;
  plugins: PluginRef[];
}

/**
 * The queues a worker holding `refs` listens on: the base queue first, then one per non-empty
 * subset of its plug-ins. A worker refuses more than `MAX_WORKER_PLUGINS` plug-ins.
 */
export function listeningRoutes(base: string, refs: readonly PluginRef[]): QueueRoute[] {
  if (refs.length > MAX_WORKER_PLUGINS) {
    throw new MetarepError(
      `"--plugin": a worker holds at most ${MAX_WORKER_PLUGINS} plug-ins (it listens on a queue per subset of them); got ${refs.length}.`,
    );
  }
  const routes: QueueRoute[] = [{ queue: base, plugins: [] }];
  for (let mask = 1; mask < 1 << refs.length; mask++) {
    const plugins = refs.filter((_, i) => mask & (1 << i));
    routes.push({ queue: queueFor(base, plugins), plugins });
  }
  return routes;
}
