import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite";
import { afterAll, describe, expect, it } from "vitest";
import { traceFigure as TRACE } from "../experiments/collins/figures.js";
import type { Curve } from "../experiments/types.js";
import type { RunRecord } from "../record/types.js";
import { buildFigure } from "./buildFigure.js";
import { fontOptions, renderPng, renderSvg, writeFigure } from "./render.js";

function record(curves: Curve[]): RunRecord {
  return {
    schemaVersion: 1,
    metarepVersion: "0.0.0",
    experiment: "collins-convergence",
    size: "smoke",
    params: { d: 20, k: 3, n: 20, alpha: 0.5, beta: 0.5 },
    seed: 0,
    seedIndices: [0],
    cellId: "collins-convergence/0",
    status: "ok",
    result: { seeds: [{ status: "ok", curves, scalars: {} }] },
    command: "metarep reproduce collins-convergence",
    startedAt: "2025-01-01T00:00:00.000Z",
    seconds: 0,
  };
}

const y = Array.from({ length: 41 }, (_, t) => 0.8 ** t);
const withData = buildFigure(
  TRACE,
  record([
    {
      labels: { method: "anil" },
      xName: "iteration",
      yName: "dist",
      x: y.map((_, i) => i),
      y,
      metrics: {},
      status: "ok",
    },
  ]),
  { title: "Convergence test figure" },
);
const empty = buildFigure(TRACE, record([]), { title: "Convergence test figure" });

/** Width and height from the IHDR chunk, which follows the 8-byte signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(12, 16).toString("ascii")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Pixels within `tol` of an RGB colour, from resvg's RGBA buffer. */
function countPixels(svg: string, rgb: [number, number, number], tol = 40): number {
  const pixels = new Resvg(svg, { background: "white", font: fontOptions() }).render().pixels;
  let n = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    const d =
      Math.abs(pixels[i] - rgb[0]) + Math.abs(pixels[i + 1] - rgb[1]) + Math.abs(pixels[i + 2] - rgb[2]);
    if (d <= tol) n++;
  }
  return n;
}

describe("renderSvg", () => {
  it("renders a spec to an SVG string containing the title, in DejaVu Sans", async () => {
    const warnings: string[] = [];
    const svg = await renderSvg(withData, { warn: (m) => warnings.push(m) });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Convergence test figure");
    expect(svg).toContain('font-family="DejaVu Sans, Verdana, sans-serif"');
    expect(warnings).toEqual([]);
  });
});

describe("renderPng", () => {
  it("produces a PNG with the signature and the SVG size times the scale", async () => {
    const svg = await renderSvg(withData);
    const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
    const height = Number(/height="(\d+)"/.exec(svg)?.[1]);
    expect(width).toBeGreaterThan(300);
    expect(height).toBeGreaterThan(200);
    const png = renderPng(svg, { scale: 2 });
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(pngSize(png)).toEqual({ width: 2 * width, height: 2 * height });
    expect(pngSize(renderPng(svg, { scale: 1 }))).toEqual({ width, height });
  });

  it("draws the data: the method's line colour appears, and not without data", async () => {
    const anilBlue: [number, number, number] = [0x1f, 0x77, 0xb4];
    const svgWith = await renderSvg(withData);
    const svgEmpty = await renderSvg(empty);
    expect(countPixels(svgWith, anilBlue)).toBeGreaterThan(200);
    expect(countPixels(svgEmpty, anilBlue)).toBe(0);
    expect(renderPng(svgWith).length).not.toBe(renderPng(svgEmpty).length);
  });

  it("draws text: the title of a figure without data gets dark pixels, so a font was found", async () => {
    const image = new Resvg(await renderSvg(empty), { background: "white", font: fontOptions() }).render();
    const pixels = image.pixels; // a getter that copies: read it once
    let dark = 0;
    // The title is in the top 25 px; nothing else is drawn there.
    for (let i = 0; i < image.width * 25 * 4; i += 4) {
      if (pixels[i] + pixels[i + 1] + pixels[i + 2] < 200) dark++;
    }
    expect(dark).toBeGreaterThan(100);
  });

  it("rejects a non-positive scale with a message naming it", () => {
    expect(() => renderPng("<svg/>", { scale: 0 })).toThrow(
      'renderPng: "scale" must be a finite number > 0; got 0.',
    );
  });
});

describe("writeFigure", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("writes <basename>.vl.json, .svg and .png and leaves no temporary files", async () => {
    const root = await mkdtemp(join(tmpdir(), "metarep-report-"));
    dirs.push(root);
    const dir = join(root, "figures");
    const paths = await writeFigure(withData, dir, "convergence", { scale: 1 });
    expect(paths).toEqual({
      json: join(dir, "convergence.vl.json"),
      svg: join(dir, "convergence.svg"),
      png: join(dir, "convergence.png"),
    });
    expect((await readdir(dir)).sort()).toEqual([
      "convergence.png",
      "convergence.svg",
      "convergence.vl.json",
    ]);
    const spec = JSON.parse(await readFile(paths.json, "utf8")) as TopLevelSpec;
    expect(spec).toEqual(JSON.parse(JSON.stringify(withData)));
    expect(await readFile(paths.svg, "utf8")).toContain("<svg");
    expect((await readFile(paths.png)).subarray(1, 4).toString("ascii")).toBe("PNG");
  });

  it("rejects a basename with a path separator", async () => {
    await expect(writeFigure(withData, tmpdir(), "a/b")).rejects.toThrow(
      /"basename" must be a non-empty file name/,
    );
  });
});
