import { describe, expect, test } from "vitest";
import { listExperiments } from "../experiments/registry.js";
import { figureKinds } from "./experimentFigures.js";

describe("every registered experiment's figures", () => {
  test.each(listExperiments({ internal: true }).map((e) => [e.id, e] as const))(
    "%s declares only known figure kinds",
    (_id, e) => {
      for (const f of e.figures) expect(figureKinds()).toContain(f);
    },
  );
});
