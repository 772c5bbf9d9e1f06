import { describe, expect, test } from "vitest";
import { getExperiment, listExperiments } from "./registry.js";
import { resolveParams } from "./resolve.js";

describe("the experiment registry", () => {
  test.each(listExperiments({ internal: true }).map((e) => [e.id, e] as const))(
    "%s resolves both sizes and declares a family",
    (_id, e) => {
      for (const size of ["smoke", "paper"] as const) {
        expect(() => resolveParams(e, size)).not.toThrow();
        expect(e.seeds[size]).toBeGreaterThanOrEqual(1);
      }
      expect(["collins", "du", "kong", "li", "finn", "internal"]).toContain(e.family);
      expect(e.family === "internal").toBe(e.internal === true);
      expect(getExperiment(e.id)).toBe(e);
    },
  );

  test("ids are unique", () => {
    const ids = listExperiments().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
