import { describe, expect, test } from "vitest";
import { experimentFamily } from "./family.js";
import { listExperiments } from "./registry.js";

describe("experiment families", () => {
  test("every experiment belongs to one of the four papers' families, probes to internal", () => {
    for (const e of listExperiments({ internal: true })) {
      expect(["collins", "du", "kong", "li", "internal"]).toContain(experimentFamily(e));
      expect(experimentFamily(e) === "internal").toBe(e.internal === true);
    }
    expect(experimentFamily({ id: "tripuraneni-mom" })).toBe("du");
  });

  test("a declared family wins over the id", () => {
    expect(experimentFamily({ id: "kong-sine", family: "mine" })).toBe("mine");
  });
});
