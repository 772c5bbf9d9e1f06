import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Resvg, type ResvgRenderOptions } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { vegaTextWidth } from "./textWidth.js";
import { FONT_FAMILY } from "./theme.js";

/**
 * Rendering of Vega-Lite specs to SVG (vega, headless, no canvas) and PNG (resvg, no native
 * build step). Node-only.
 */

export interface RenderOptions {
  /** Receives compiler and runtime warnings (library code never prints). */
  warn?: (message: string) => void;
}

/** A vega logger that forwards warnings and errors to `warn` instead of the console. */
function collectingLogger(warn: (message: string) => void): vega.LoggerInterface {
  let level = 2;
  const logger: vega.LoggerInterface = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: unknown[]) {
      warn(args.map(String).join(" "));
      return logger;
    },
    warn(...args: unknown[]) {
      if (level >= 2) warn(args.map(String).join(" "));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

interface VegaTextMetrics {
  width: (item: object, text: unknown) => number;
  estimateWidth: (item: object, text: unknown) => number;
}

/**
 * Without a canvas, vega estimates text as 0.8 em per character, far too wide for DejaVu Sans;
 * swap in DejaVu Sans metrics (vega's documented hook, as vl-convert does). Process-wide, but
 * only replaces the estimate: a canvas-based measure (browser, node-canvas) is left alone.
 */
function useDejaVuTextMetrics(): void {
  const metrics = (vega as unknown as { textMetrics?: VegaTextMetrics }).textMetrics;
  if (metrics !== undefined && metrics.width === metrics.estimateWidth) metrics.width = vegaTextWidth;
}

/**
 * Vega-Lite spec → SVG string: `compile` → vega `parse` → headless `View` (renderer "none") →
 * `toSVG()`. Text is laid out with DejaVu Sans metrics (see `useDejaVuTextMetrics`).
 */
export async function renderSvg(spec: TopLevelSpec, options: RenderOptions = {}): Promise<string> {
  useDejaVuTextMetrics();
  const logger = collectingLogger(options.warn ?? (() => {}));
  const vgSpec = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: "none", logger });
  try {
    // Clip and gradient ids count up per process: restart them, so a figure's SVG is the same bytes
    // whatever was drawn before it on this thread (figures render on several threads, in any order).
    vega.resetSVGDefIds();
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Package shipping the DejaVu TTFs (preferred: the same glyphs on every machine). */
const FONT_PACKAGE = "dejavu-fonts-ttf";
const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"];

let cachedFontFiles: string[] | null | undefined;

/**
 * Paths of the DejaVu Sans TTFs from the `dejavu-fonts-ttf` npm package, or null when that
 * package is not installed (then the system fonts are used).
 */
export function bundledFontFiles(): string[] | null {
  if (cachedFontFiles !== undefined) return cachedFontFiles;
  try {
    const require = createRequire(import.meta.url);
    const files = FONT_FILES.map((f) => require.resolve(`${FONT_PACKAGE}/ttf/${f}`));
    cachedFontFiles = files.every((f) => existsSync(f)) ? files : null;
  } catch {
    cachedFontFiles = null;
  }
  return cachedFontFiles;
}

/**
 * resvg font options: the bundled DejaVu files alone when available (same bytes on every
 * machine, and faster than scanning system fonts); otherwise the system fonts, with DejaVu Sans
 * as the default family (installed on most Linux machines; resvg falls back to another sans
 * font where it is not).
 */
export function fontOptions(): NonNullable<ResvgRenderOptions["font"]> {
  const files = bundledFontFiles();
  const families = { defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY };
  return files
    ? { loadSystemFonts: false, fontFiles: files, ...families }
    : { loadSystemFonts: true, ...families };
}

export interface PngOptions {
  /** Pixels per SVG unit; default 2 (crisp on high-density screens and in print). */
  scale?: number;
}

/** SVG string → PNG bytes with resvg, on a white background. */
export function renderPng(svg: string, options: PngOptions = {}): Buffer {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && Number.isFinite(scale))) {
    throw new RangeError(`renderPng: "scale" must be a finite number > 0; got ${scale}.`);
  }
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: scale },
    font: fontOptions(),
  });
  return resvg.render().asPng();
}

let tmpCounter = 0;

/** Writes `data` to `path` atomically: a temporary file in the same directory, then rename. */
async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export interface WrittenFigure {
  svg: string;
  png: string;
  json: string;
}

/**
 * Renders `spec` and writes `<basename>.vl.json` (the spec itself, with its data), `.svg` and
 * `.png` into `dir` (created if missing), each atomically. Returns the three paths.
 */
export async function writeFigure(
  spec: TopLevelSpec,
  dir: string,
  basename: string,
  options: RenderOptions & PngOptions = {},
): Promise<WrittenFigure> {
  if (basename.length === 0 || /[/\\]/.test(basename)) {
    throw new RangeError(
      `writeFigure: "basename" must be a non-empty file name; got ${JSON.stringify(basename)}.`,
    );
  }
  const svg = await renderSvg(spec, options);
  const png = renderPng(svg, options);
  await mkdir(dir, { recursive: true });
  const paths: WrittenFigure = {
    json: join(dir, `${basename}.vl.json`),
    svg: join(dir, `${basename}.svg`),
    png: join(dir, `${basename}.png`),
  };
  await writeAtomic(paths.json, `${JSON.stringify(spec, null, 2)}\n`);
  await writeAtomic(paths.svg, svg);
  await writeAtomic(paths.png, png);
  return paths;
}
