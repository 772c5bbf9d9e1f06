import { describe, expect, test } from "vitest";
import { getMethod } from "../algorithms/methods.js";
import { metricAxisFigures } from "./sweepFigures.js";
import { testCurve, testRecord } from "./testing.js";

/** Two grid points (mu = 0.5, 1) of two methods, each at two step sizes (label `w0`). */
function records() {
  return [0.5, 1].map((mu) => ({
    ...testRecord(
      "collins-head-init",
      [
        ["anil", "maml"].flatMap((method) =>
          [0, 1].map((w0) => testCurve({ method, w0 }, "dist", [0, 1], [1, mu / 2], { final: mu / 2 + w0 })),
        ),
      ],
      { mu },
    ),
    grid: { mu },
    gridPoint: `mu=${mu}`,
  }));
}

describe("the sweep report's grid figures", () => {
  test("colour each method as the experiment's figures do (registry name and colour), other labels dashed", () => {
    const figs = metricAxisFigures(records(), ["mu"], { title: "method", registry: "methods", names: true });
    expect(figs.map((f) => f.name)).toEqual(["final-dist-vs-mu"]);
    const spec = figs[0].spec as unknown as {
      title: { text: string };
      layer: {
        encoding: Record<string, { field?: string; scale?: { domain: unknown[]; range: unknown[] } }>;
      }[];
    };
    const line = spec.layer[1].encoding;
    expect(line.color.scale?.domain).toEqual(["ANIL", "MAML"]);
    expect(line.color.scale?.range).toEqual([getMethod("anil").color, getMethod("maml").color]);
    expect(line.strokeDash.field).toBe("rest");
    expect(line.strokeDash.scale?.domain).toEqual(["w0=0", "w0=1"]);
    expect(spec.title.text).toBe("final dist vs µ");
    // No raw `method=anil` label anywhere a reader sees.
    const texts = JSON.stringify({ title: spec.title, layer: spec.layer });
    expect(texts).not.toContain("method=");
  });
});
