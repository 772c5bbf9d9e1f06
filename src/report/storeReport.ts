import { join, relative } from "node:path";
import { getExperiment } from "../experiments/registry.js";
import type { TheoryRow } from "../experiments/types.js";
import { mergeByGridPoint } from "../record/merge.js";
import { theoryRowsOf } from "../record/theory.js";
import type { RunRecord } from "../record/types.js";
import { type AggregateRow, aggregateRecords, type SlopeRow } from "../sweep/aggregate.js";
import { writeFileAtomic } from "../sweep/atomic.js";
import { type FailureLine, type Manifest, readFailures, readManifest, readRecords } from "../sweep/store.js";
import { experimentFigures } from "./experimentFigures.js";
import { plural } from "./figureText.js";
import { writeFigure } from "./render.js";
import { type SummaryRow, summaryRows, summaryTables, type Table, tableCells } from "./summaryTable.js";
import { metricAxisFigures, readableLabels, sortByGrid, theoryAxisFigures } from "./sweepFigures.js";

/**
 * Per-grid-point figures are drawn for at most this many points (a larger grid's points all keep
 * their tables, and the report says which have no figures); the figures against the grid axes
 * show every point.
 */
const MAX_FIGURE_POINTS = 200;

export interface PointSection {
  gridPoint: string;
  record: RunRecord;
  rows: SummaryRow[];
  /** The summary as tables: split where rows share no column, plus the experiment's own. */
  tables: Table[];
  theory: TheoryRow[];
  images: string[];
}

export interface StoreSection {
  dir: string;
  manifest: Manifest;
  title: string;
  paper: string;
  points: PointSection[];
  aggregate: AggregateRow[];
  slopes: SlopeRow[];
  /** Each metric (and the theory, where the experiment has one) against each numeric grid axis. */
  axisImages: string[];
  /** Grid points without figures of their own (beyond MAX_FIGURE_POINTS). */
  withoutFigures: number;
  failures: FailureLine[];
  cells: number;
}

/** The grid axes of a store's spec, in the spec's order. */
function gridAxesOf(manifest: Manifest): string[] {
  const spec = manifest.spec as { grid?: Record<string, unknown> } | null;
  return Object.keys(spec?.grid ?? {});
}

const slug = (s: string) => (s === "" ? "all" : s.replace(/[^A-Za-z0-9_.=-]+/g, "_").slice(0, 80));

/** Read a store, render its figures (SVG, PNG) into `<dir>/figures/`, and summarise it. */
export async function buildStoreSection(dir: string, reportDir: string): Promise<StoreSection> {
  const manifest = readManifest(dir);
  const exp = getExperiment(manifest.experiment);
  const records = readRecords(dir);
  const axes = gridAxesOf(manifest);
  const merged = sortByGrid(mergeByGridPoint(records), axes);
  const points: PointSection[] = [];
  for (const [i, rec] of merged.entries()) {
    const images: string[] = [];
    if (i < MAX_FIGURE_POINTS) {
      for (const fig of experimentFigures(exp, rec)) {
        const base = `${slug(rec.gridPoint ?? "")}-${fig.name}`;
        const out = await writeFigure(fig.spec, join(dir, "figures"), base);
        images.push(relative(reportDir, out.png));
      }
    }
    points.push({
      gridPoint: rec.gridPoint ?? "",
      record: rec,
      rows: summaryRows(rec),
      tables: summaryTables(rec, exp.tables),
      theory: theoryRowsOf(rec),
      images,
    });
  }
  const axisImages: string[] = [];
  // The grid figures colour methods as the experiment's own figures do.
  const colour = exp.figures.find((f) => f.kind !== "custom" && "colour" in f)?.colour;
  for (const fig of [
    ...metricAxisFigures(merged, axes, colour),
    ...theoryAxisFigures(merged, axes, theoryRowsOf),
  ]) {
    const out = await writeFigure(fig.spec, join(dir, "figures"), `grid-${fig.name}`);
    axisImages.push(relative(reportDir, out.png));
  }
  const { rows, slopes } = await aggregateRecords(records);
  const failed = new Set(records.map((r) => r.cellId));
  const failures = readFailures(dir).filter((f) => !failed.has(f.cellId));
  return {
    dir,
    manifest,
    title: exp.title,
    paper: exp.paper,
    points,
    aggregate: rows,
    slopes,
    axisImages,
    withoutFigures: Math.max(0, merged.length - MAX_FIGURE_POINTS),
    failures,
    cells: manifest.cells,
  };
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** An HTML table, each column in one number format (`tableCells`, as the CLI prints it). */
function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return "";
  const { columns, cells } = tableCells(rows);
  const head = columns.map((c) => `<th>${esc(c)}</th>`).join("");
  const body = cells.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function sectionHtml(s: StoreSection, reportDir: string): string {
  const seeds = (r: RunRecord) =>
    `seed ${r.seed}, seed indices ${r.seedIndices[0]}–${r.seedIndices[r.seedIndices.length - 1]}`;
  const pts = s.points
    .map((p) => {
      const theory = p.theory.length
        ? `<h4>Measured vs theory</h4>${table(
            p.theory.map((t) => ({
              quantity: t.quantity,
              measured: t.measured,
              theory: t.theory,
              "relative gap":
                t.measured === null
                  ? null
                  : Math.abs(t.measured - t.theory) / Math.max(1e-300, Math.abs(t.theory)),
              how: t.note,
            })),
          )}<p class="note">relative gap = |measured − theory| / |theory|.</p>`
        : "";
      return `<div class="point"><h3>${p.gridPoint ? `Grid point ${esc(readableLabels(p.record.grid ?? {}))}` : "Results"}</h3>
${p.images.map((src) => `<img src="${esc(src)}" alt="${esc(s.title)} ${esc(p.gridPoint)}">`).join("\n")}
${theory}
<h4>Summary (medians over seeds)</h4>${p.tables.map((t) => (t.title ? `<p class="note">${esc(t.title)}</p>` : "") + table(t.rows)).join("\n")}
<p class="cmd">Every number above: <code>${esc(p.record.command)}</code> — ${esc(seeds(p.record))}; records in <code>${esc(relative(reportDir, join(s.dir, "records.jsonl")))}</code> (cell ids <code>${esc(p.record.cellId.split(":").slice(0, 3).join(":"))}:…</code>).</p></div>`;
    })
    .join("\n");
  const slopes = s.slopes.length
    ? `<h4>Fitted log-log slopes along grid axes (medians over seeds)</h4>${table(
        s.slopes.map((r) => ({
          axis: r.axis,
          "other coordinates": readableLabels(JSON.parse(r.rest) as Record<string, unknown>),
          curve: readableLabels(JSON.parse(r.labels) as Record<string, unknown>),
          metric: r.metric,
          slope: r.slope,
          points: r.points,
        })),
      )}`
    : "";
  const failures = s.failures.length
    ? `<h4 class="fail">${s.failures.length} failed cells</h4>${table(s.failures.map((f) => ({ cell: f.cellId, grid: JSON.stringify(f.grid), seed: f.seedIndex, error: f.error })))}`
    : "";
  const axis = s.axisImages.length
    ? `<h3>Against the grid axes</h3>\n${s.axisImages.map((src) => `<img src="${esc(src)}" alt="${esc(s.title)}: a metric against a grid axis">`).join("\n")}`
    : "";
  const missing = s.withoutFigures
    ? `<p class="note">The last ${s.withoutFigures} of ${s.points.length} grid points have tables but no figures of their own (over ${MAX_FIGURE_POINTS}); the figures against the grid axes show every point.</p>`
    : "";
  return `<section><h2>${esc(s.title)}</h2>
<p class="paper">In the setting of: ${esc(s.paper)}. Experiment <code>${esc(s.manifest.experiment)}</code>: ${plural(s.cells, "cell")} (${plural(s.points.length, "grid point")}, in numeric order); sweep command <code>${esc(s.manifest.command)}</code>.</p>
${axis}${missing}${pts}${slopes}${failures}</section>`;
}

/** Write one self-contained HTML report over several stores; returns its path. */
export async function writeReport(
  dirs: string[],
  reportDir: string,
  generatedAt = new Date().toISOString(),
): Promise<{ path: string; sections: StoreSection[] }> {
  const sections: StoreSection[] = [];
  for (const d of dirs) sections.push(await buildStoreSection(d, reportDir));
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>metarep report</title>
<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}table{border-collapse:collapse;font-size:.85em;margin:.4em 0}
td,th{border:1px solid #ddd;padding:.2em .45em;text-align:right}th{background:#f5f5f5}code{background:#f5f5f5;padding:0 .2em}
.paper,.note,.cmd{color:#555}.fail{color:#b00}section{border-top:2px solid #ddd;margin-top:2em}</style></head><body>
<h1>metarep report</h1>
<p>Generated ${esc(generatedAt)}. Numbers are medians over seeds (10–90% bands in the figures); "never" means the median seed never reached the threshold. Results are "in the setting of" each paper with our defaults, not the papers' own numbers.</p>
${sections.map((s) => sectionHtml(s, reportDir)).join("\n")}
</body></html>
`;
  const path = join(reportDir, "report.html");
  writeFileAtomic(path, html);
  return { path, sections };
}
