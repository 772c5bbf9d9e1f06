import { describe, expect, test } from "vitest";
import { listeningRoutes, MAX_WORKER_PLUGINS, pluginKey, queueFor } from "./routing.js";

const ref = (id: string, c: string) => ({ id, file: `${id}.mjs`, sha256: c.repeat(64) });

describe("job routing by plug-in digests", () => {
  test("a cell without plug-ins stays on the base queue; with plug-ins, on a queue keyed by ids and digests in any order", () => {
    expect(queueFor("q", undefined)).toBe("q");
    expect(queueFor("q", [])).toBe("q");
    const a = ref("a", "1");
    const b = ref("b", "2");
    expect(queueFor("q", [a, b])).toBe(queueFor("q", [b, a]));
    expect(queueFor("q", [a, b])).toMatch(/^q@[0-9a-f]{16}$/);
    // The file name is not part of the key; the bytes (digest) and the id are.
    const renamed = { ...a, file: "renamed.mjs" };
    expect(pluginKey([renamed])).toBe(pluginKey([a]));
    expect(pluginKey([ref("a", "3")])).not.toBe(pluginKey([a]));
    expect(pluginKey([ref("c", "1")])).not.toBe(pluginKey([a]));
  });

  test("a worker listens on the base queue and the queue of every non-empty subset of its plug-ins", () => {
    const [a, b, c] = [ref("a", "1"), ref("b", "2"), ref("c", "3")];
    const queues = listeningRoutes("q", [a, b, c]).map((r) => r.queue);
    expect(queues).toHaveLength(8);
    expect(queues[0]).toBe("q");
    expect(new Set(queues).size).toBe(8);
    for (const used of [[a], [c], [b, a], [a, b, c]]) expect(queues).toContain(queueFor("q", used));
    expect(queues).not.toContain(queueFor("q", [ref("a", "4")]));
    expect(listeningRoutes("q", []).map((r) => r.queue)).toEqual(["q"]);
  });

  test("a worker holding too many plug-ins is refused with the limit and the count", () => {
    const many = Array.from({ length: MAX_WORKER_PLUGINS + 1 }, (_, i) => ref(`p${i}`, "a"));
    expect(() => listeningRoutes("q", many)).toThrow(
      `"--plugin": a worker holds at most ${MAX_WORKER_PLUGINS} plug-ins (it listens on a queue per subset of them); got ${MAX_WORKER_PLUGINS + 1}.`,
    );
  });
});
