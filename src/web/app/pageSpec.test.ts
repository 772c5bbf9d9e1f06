import type { TopLevelSpec } from "vega-lite";
import { describe, expect, test } from "vitest";
import { getExperiment } from "../../experiments/registry.js";
import { buildFigure } from "../../report/buildFigure.js";
import { figureSpecsOf } from "../../report/experimentFigures.js";
import { testCurve, testRecord } from "../../report/testing.js";
import { dejavuTextWidth } from "../../report/textWidth.js";
import {
  columnsOf,
  fitSpec,
  MIN_FONT_PX,
  MIN_PANEL_PX,
  nextFit,
  readableSpec,
  wrapLine,
} from "./pageSpec.js";

type Json = Record<string, unknown>;

/** Every numeric font size in a spec, with its path. */
function fontSizes(v: unknown, path = ""): [string, number][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => fontSizes(x, `${path}[${i}]`));
  if (typeof v !== "object" || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) =>
    (k === "fontSize" || k.endsWith("FontSize")) && typeof x === "number"
      ? [[`${path}.${k}`, x] as [string, number]]
      : fontSizes(x, `${path}.${k}`),
  );
}

const exp = getExperiment("collins-diversity");
const params = { d: 20, k: 3, n: 20, alpha: 0.5, beta: 0.5 };
const seed = [1, 0.5, 0.25].flatMap((mu) =>
  ["anil", "maml"].map((method) =>
    testCurve({ method, mu }, "dist", [0, 1, 2, 3], [1, 0.5, 0.25, 0.125], { rate: 0.5 }, "iteration"),
  ),
);
const record = testRecord(exp.id, [seed, seed], params);
const built = buildFigure(figureSpecsOf(exp).find((s) => s.name === "dist")!, record, { title: exp.title });

const faceted = built;
const raw = built as unknown as Json & { data: Json; config: Json };

describe("figures on the page", () => {
  test("every font size set in a spec is raised to 11 px, and the defaults Vega would use below it are set", () => {
    const spec = {
      ...faceted,
      config: { ...raw.config, axis: { labelFontSize: 8 } },
      layer: [{ mark: { type: "text", fontSize: 6 }, encoding: { text: { value: "x" } } }],
    } as unknown as TopLevelSpec;
    expect(fontSizes(spec).some(([, s]) => s < MIN_FONT_PX)).toBe(true);
    const readable = readableSpec(spec) as unknown as Json;
    const sizes = fontSizes(readable);
    expect(sizes.filter(([, s]) => s < MIN_FONT_PX)).toEqual([]);
    // Sizes above the floor are kept (the title's 15 px), the text mark is raised.
    expect(sizes).toContainEqual([".config.title.fontSize", 15]);
    expect(sizes).toContainEqual([".layer[0].mark.fontSize", MIN_FONT_PX]);
    // Vega's 10 px defaults are not left implicit.
    const config = readable.config as Record<string, Json>;
    for (const [part, key] of [
      ["axis", "labelFontSize"],
      ["legend", "labelFontSize"],
      ["title", "subtitleFontSize"],
      ["header", "labelFontSize"],
      ["text", "fontSize"],
    ])
      expect(config[part][key] as number).toBeGreaterThanOrEqual(MIN_FONT_PX);
    // The data are left alone, and the input spec is not changed.
    expect((readable.data as Json).values).toBe(raw.data.values);
    expect(((spec as unknown as Json).config as Record<string, Json>).axis.labelFontSize).toBe(8);
  });

  test("a figure too wide for its room gets fewer panels per row, then its legends below, then narrower panels, then stays", () => {
    expect(columnsOf(faceted)).toBe(3);
    expect(nextFit(faceted, {}, 900, 1000)).toBeNull();
    // 3 panels in 1200 px for 700: two per row would still not fit by proportion, so one.
    expect(nextFit(faceted, {}, 1200, 700)).toEqual({ columns: 1 });
    expect(nextFit(faceted, {}, 1200, 1000)).toEqual({ columns: 2 });
    const one = nextFit(faceted, { columns: 1 }, 800, 700);
    expect(one).toEqual({ columns: 1, legendBelow: true });
    const narrower = nextFit(faceted, one!, 800, 700)!;
    expect(narrower.widthScale).toBeCloseTo((700 - 80) / (800 - 80), 12);
    // Panels never shrink without bound: at the smallest scale, the figure is left to scroll.
    expect(nextFit(faceted, { columns: 1, legendBelow: true, widthScale: 0.3 }, 800, 300)).toBeNull();

    const laid = fitSpec(faceted, { columns: 1, legendBelow: true, widthScale: 0.5 }) as unknown as Json;
    expect(laid.columns).toBe(1);
    expect((laid.config as Record<string, Json>).legend.orient).toBe("bottom");
    expect((laid.spec as Json).width).toBe(Math.max(MIN_PANEL_PX, Math.round(260 * 0.5)));
    // The input is unchanged.
    expect((faceted as unknown as Json).columns).toBe(3);
  });

  test("titles and subtitles wrap at spaces to the room given, each line within it", () => {
    const long =
      "fitted log-log slopes of the medians vs T: MoM -0.82, AltMin -0.27, FO-ANIL -0.55, oracle 0.00";
    const lines = wrapLine(long, 12, 300);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(1.05 * dejavuTextWidth(l, 12)).toBeLessThanOrEqual(300);
    expect(lines.map((l) => l.trim()).join(" ")).toBe(long);
    expect(wrapLine("short", 12, 300)).toEqual(["short"]);
    // A word longer than the room keeps a line of its own.
    expect(wrapLine("a ".concat("x".repeat(80)), 12, 100)).toEqual(["a", `  ${"x".repeat(80)}`]);

    const wrapped = fitSpec(readableSpec(faceted), { wrap: 250 }) as unknown as { title: Json };
    const subtitle = wrapped.title.subtitle as string[];
    expect(subtitle.length).toBeGreaterThan(
      ((faceted as unknown as { title: Json }).title.subtitle as string[]).length,
    );
    for (const l of subtitle) expect(1.05 * dejavuTextWidth(l, 12)).toBeLessThanOrEqual(250);
    for (const l of wrapped.title.text as string[])
      expect(1.05 * dejavuTextWidth(l, 15, true)).toBeLessThanOrEqual(250);
  });
});
