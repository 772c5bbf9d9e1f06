import type { TopLevelSpec } from "vega-lite";
import { dejavuTextWidth } from "../../report/textWidth.js";

/**
 * How the page adapts the CLI's Vega-Lite specs to a screen: text no smaller than `MIN_FONT_PX`
 * (the CLI's sizes suit a PNG viewed at full size, not a browser page next to 15 px body text),
 * and a layout that fits the width the figure is given (fewer panels per row, the legend below
 * the plot, narrower panels) instead of overflowing it. Pure: specs in, specs out.
 */

/** Smallest text drawn in a figure on the page, in CSS pixels. */
export const MIN_FONT_PX = 11;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Font sizes the page sets where a spec leaves them to Vega's defaults (10 px axis labels, legend
 * labels and subtitles), each at least `MIN_FONT_PX`.
 */
const PAGE_FONTS: Record<string, Json> = {
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 15, subtitleFontSize: 12 },
  text: { fontSize: 11 },
  mark: { fontSize: 11 },
};

/** Every numeric `fontSize` / `…FontSize` below the floor raised to it, anywhere in `v` (a copy). */
function raiseFonts(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(raiseFonts);
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    const isSize = k === "fontSize" || k.endsWith("FontSize");
    // Inline data (`values`) is copied as it is: its fields are numbers of the run, not styles.
    out[k] = isSize && typeof x === "number" ? Math.max(x, MIN_FONT_PX) : k === "values" ? x : raiseFonts(x);
  }
  return out;
}

/** A spec whose every text is at least `MIN_FONT_PX` pixels (when drawn at scale 1). */
export function readableSpec(spec: TopLevelSpec): TopLevelSpec {
  const s = raiseFonts(spec) as Json;
  const config: Json = isObject(s.config) ? { ...s.config } : {};
  for (const [part, sizes] of Object.entries(PAGE_FONTS)) {
    const own = isObject(config[part]) ? (config[part] as Json) : {};
    const merged: Json = { ...own };
    for (const [k, min] of Object.entries(sizes)) {
      const v = own[k];
      merged[k] = typeof v === "number" ? Math.max(v, min as number) : min;
    }
    config[part] = merged;
  }
  s.config = config;
  return s as unknown as TopLevelSpec;
}

/**
 * A layout adjustment, from none to the most compact: panels per row (facets and concatenations
 * with `columns`), the legends below the plot instead of beside it, and panels narrower by a
 * factor (never below `MIN_PANEL_PX`).
 */
export interface Fit {
  /** Title and subtitle lines wrapped to this many pixels. */
  wrap?: number;
  columns?: number;
  legendBelow?: boolean;
  widthScale?: number;
}

/** Narrowest panel the page draws when shrinking a figure to fit. */
export const MIN_PANEL_PX = 200;

/** Panels per row of a spec (1 for a single view). */
export function columnsOf(spec: TopLevelSpec): number {
  const s = spec as unknown as Json;
  if (typeof s.columns === "number") {
    const n = Array.isArray(s.concat) ? s.concat.length : Number.POSITIVE_INFINITY;
    return Math.max(1, Math.min(s.columns, n));
  }
  return 1;
}

function scaleWidth(v: unknown, f: number): unknown {
  if (!isObject(v)) return v;
  const out: Json = { ...v };
  if (typeof out.width === "number") out.width = Math.max(MIN_PANEL_PX, Math.round(out.width * f));
  if (isObject(out.spec)) out.spec = scaleWidth(out.spec, f);
  if (Array.isArray(out.concat)) out.concat = out.concat.map((c) => scaleWidth(c, f));
  return out;
}

/**
 * `text` broken at spaces into lines of at most `maxPx` pixels at `fontSize` (a word longer than
 * that keeps a line of its own). Continuation lines are indented, so a wrapped line reads as one.
 */
export function wrapLine(text: string, fontSize: number, maxPx: number, bold = false): string[] {
  // DejaVu Sans metrics, with a margin for the browser's fallback fonts and kerning.
  const width = (t: string) => 1.05 * dejavuTextWidth(t, fontSize, bold);
  if (width(text) <= maxPx) return [text];
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (line !== "" && width(next) > maxPx) {
      lines.push(line);
      line = `  ${word}`;
    } else line = next;
  }
  if (line !== "") lines.push(line);
  return lines;
}

function wrapTitle(s: Json, maxPx: number): Json {
  const config = isObject(s.config) ? s.config : {};
  const theme = isObject(config.title) ? config.title : {};
  const title = typeof s.title === "string" ? { text: s.title } : s.title;
  if (!isObject(title)) return s;
  const size = (v: unknown, d: number) => (typeof v === "number" ? v : d);
  const lines = (v: unknown, px: number, bold: boolean) =>
    (Array.isArray(v) ? v : typeof v === "string" ? [v] : []).flatMap((l) =>
      wrapLine(String(l), px, maxPx, bold),
    );
  const out: Json = { ...title };
  if (title.text !== undefined)
    out.text = lines(title.text, size(title.fontSize ?? theme.fontSize, 13), theme.fontWeight !== "normal");
  if (title.subtitle !== undefined)
    out.subtitle = lines(title.subtitle, size(title.subtitleFontSize ?? theme.subtitleFontSize, 10), false);
  return { ...s, title: out };
}

/** The spec laid out with an adjustment. */
export function fitSpec(spec: TopLevelSpec, fit: Fit): TopLevelSpec {
  let s = { ...(spec as unknown as Json) };
  if (fit.wrap !== undefined) s = wrapTitle(s, fit.wrap);
  if (fit.columns !== undefined && typeof s.columns === "number") s.columns = fit.columns;
  if (fit.legendBelow) {
    const config = isObject(s.config) ? s.config : {};
    const legend = isObject(config.legend) ? config.legend : {};
    s.config = { ...config, legend: { ...legend, orient: "bottom", direction: "vertical" } };
  }
  if (fit.widthScale !== undefined && fit.widthScale < 1) s = scaleWidth(s, fit.widthScale) as Json;
  return s as unknown as TopLevelSpec;
}

/**
 * The next adjustment after a figure drawn with `fit` came out `drawn` pixels wide for `room`
 * pixels, or null when it fits or nothing more can be done (the figure's box then scrolls).
 * Order: fewer panels per row (estimated from the overflow), the legends below, narrower panels.
 */
export function nextFit(spec: TopLevelSpec, fit: Fit, drawn: number, room: number): Fit | null {
  if (drawn <= room) return null;
  const columns = fit.columns ?? columnsOf(spec);
  if (columns > 1) {
    const estimate = Math.floor((columns * room) / drawn);
    return { ...fit, columns: Math.max(1, Math.min(columns - 1, estimate)) };
  }
  if (!fit.legendBelow) return { ...fit, legendBelow: true };
  const scale = fit.widthScale ?? 1;
  // Panel widths are most of a one-column figure's width; axes and padding stay.
  const next = scale * Math.max(0.5, (room - 80) / Math.max(1, drawn - 80));
  if (next >= scale - 0.01 || scale <= 0.3) return null;
  return { ...fit, widthScale: next };
}
