import type { TopLevelSpec } from "vega-lite";
import { type WrittenFigure, writeFigure } from "./render.js";

/** A figure to render and write: the Vega-Lite spec (with its data), its folder and base name. */
export interface FigureJob {
  spec: TopLevelSpec;
  dir: string;
  basename: string;
}

/**
 * Worker-thread entry (piscina, `FigurePool`): render one figure (Vega-Lite → SVG → PNG with resvg)
 * and write its three files, as `writeFigure` does on the main thread.
 */
export default function renderFigureInThread(job: FigureJob): Promise<WrittenFigure> {
  return writeFigure(job.spec, job.dir, job.basename);
}
