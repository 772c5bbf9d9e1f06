import { join, relative } from "node:path";
import type { Verdict } from "../experiments/claims.js";
import { getExperiment } from "../experiments/registry.js";
import { mergeByGridPoint } from "../record/merge.js";
import type { RunRecord } from "../record/types.js";
import { verdictsOf } from "../record/verdicts.js";
import { type AggregateRow, aggregateRecords, type SlopeRow } from "../sweep/aggregate.js";
import { writeFileAtomic } from "../sweep/atomic.js";
import { type FailureLine, type Manifest, readFailures, readManifest, readRecords } from "../sweep/store.js";
import { experimentFigures } from "./experimentFigures.js";
import { type FigureWriter, writeFigureHere } from "./figurePool.js";
import { plural } from "./figureText.js";
import { reportFooter } from "./provenance.js";
import { type SummaryRow, summaryRows, summaryTables, type Table, tableCells } from "./summaryTable.js";
import { claimAxisFigures, metricAxisFigures, readableLabels, sortByGrid } from "./sweepFigures.js";
import { type ExperimentVerdict, verdictSummary, verdictTableHtml } from "./verdicts.js";

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
  verdicts: Verdict[];
  images: { src: string; caption: string }[];
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

const slug = (s: string) => s.replace(/[^A-Za-z0-9_.=-]+/g, "_").slice(0, 80);

/**
 * Read a store, render its figures (SVG, PNG) into `<dir>/figures/`, and summarise it. Every figure
 * is handed to `write` at once (a `FigurePool` renders them on several threads); the section lists
 * them in the experiment's order whatever order they finish in.
 */
export async function buildStoreSection(
  dir: string,
  reportDir: string,
  write: FigureWriter = writeFigureHere,
): Promise<StoreSection> {
  const manifest = readManifest(dir);
  const exp = getExperiment(manifest.experiment);
  const records = readRecords(dir);
  const axes = gridAxesOf(manifest);
  const merged = sortByGrid(mergeByGridPoint(records), axes);
  const figuresDir = join(dir, "figures");
  const points = await Promise.all(
    merged.map(async (rec, i): Promise<PointSection> => {
      const figures = i < MAX_FIGURE_POINTS ? experimentFigures(exp, rec) : [];
      const images = await Promise.all(
        figures.map(async (fig) => {
          // A grid point's figures are prefixed by its coordinates; without a grid (reproduce), the
          // figure's own name, as `run` writes it.
          const basename = rec.gridPoint ? `${slug(rec.gridPoint)}-${fig.name}` : fig.name;
          const out = await write({ spec: fig.spec, dir: figuresDir, basename });
          return { src: relative(reportDir, out.png), caption: fig.caption };
        }),
      );
      return {
        gridPoint: rec.gridPoint ?? "",
        record: rec,
        rows: summaryRows(rec),
        tables: summaryTables(rec, exp.tables),
        verdicts: verdictsOf(rec),
        images,
      };
    }),
  );
  // The grid figures colour methods as the experiment's own figures do.
  const colour = exp.figures.find((f) => f.kind !== "custom" && "colour" in f)?.colour;
  const axisImages = await Promise.all(
    [...metricAxisFigures(merged, axes, colour), ...claimAxisFigures(merged, axes)].map(async (fig) => {
      const out = await write({ spec: fig.spec, dir: figuresDir, basename: `grid-${fig.name}` });
      return relative(reportDir, out.png);
    }),
  );
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

/** The anchor of an experiment's section in the report (the verdict table links to it). */
export const sectionAnchor = (experiment: string) => `exp-${experiment.replace(/[^A-Za-z0-9_-]+/g, "-")}`;

/** Every verdict of a report's sections, with its experiment and its claim's statement. */
export function reportVerdicts(sections: readonly StoreSection[]): ExperimentVerdict[] {
  return sections.flatMap((s) => {
    const exp = getExperiment(s.manifest.experiment);
    return s.points.flatMap((p) =>
      p.verdicts.map((v) => ({
        ...v,
        experiment: s.manifest.experiment,
        statement: exp.claims?.find((c) => c.id === v.claim)?.statement,
        ...(p.gridPoint ? { gridPoint: p.gridPoint } : {}),
      })),
    );
  });
}

/** The one-sentence reason of a known disagreement, from its claim's declaration. */
function disagreementReason(v: ExperimentVerdict): string | undefined {
  const c = getExperiment(v.experiment).claims?.find((x) => x.id === v.claim);
  return c?.knownDisagreement ? `Why: ${c.knownDisagreement}` : undefined;
}

function sectionHtml(s: StoreSection, reportDir: string): string {
  const seeds = (r: RunRecord) =>
    `seed ${r.seed}, seed indices ${r.seedIndices[0]}–${r.seedIndices[r.seedIndices.length - 1]}`;
  const exp = getExperiment(s.manifest.experiment);
  const pts = s.points
    .map((p) => {
      const verdicts = p.verdicts.map((v) => ({
        ...v,
        experiment: s.manifest.experiment,
        statement: exp.claims?.find((c) => c.id === v.claim)?.statement,
      }));
      const claims = verdicts.length
        ? `<h4>Claims tested here</h4>${verdictTableHtml(verdicts, (e) => `#${sectionAnchor(e)}`, disagreementReason)}`
        : "";
      return `<div class="point"><h3>${p.gridPoint ? `Grid point ${esc(readableLabels(p.record.grid ?? {}))}` : "Results"}</h3>
${p.images.map((im) => `<figure><img src="${esc(im.src)}" alt="${esc(s.title)} ${esc(p.gridPoint)}"><figcaption>${esc(im.caption)}</figcaption></figure>`).join("\n")}
${claims}
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
    ? `<h3>Against the grid axes</h3>\n${s.axisImages.map((src) => `<img src="${esc(src)}" alt="${esc(s.title)}: a metric or a claim against a grid axis">`).join("\n")}`
    : "";
  const missing = s.withoutFigures
    ? `<p class="note">The last ${s.withoutFigures} of ${s.points.length} grid points have tables but no figures of their own (over ${MAX_FIGURE_POINTS}); the figures against the grid axes show every point.</p>`
    : "";
  return `<section id="${sectionAnchor(s.manifest.experiment)}"><h2>${esc(s.title)}</h2>
<p class="paper">In the setting of: ${esc(s.paper)}. Experiment <code>${esc(s.manifest.experiment)}</code>: ${plural(s.cells, "cell")} (${plural(s.points.length, "grid point")}, in numeric order); sweep command <code>${esc(s.manifest.command)}</code>.</p>
${axis}${missing}${pts}${slopes}${failures}</section>`;
}

/** The sizes a report's records ran at, e.g. "paper" or "smoke, custom". */
function sizesOf(sections: readonly StoreSection[]): string[] {
  return [...new Set(sections.flatMap((s) => s.points.map((p) => p.record.size ?? "custom")))];
}

function bannerHtml(sizes: readonly string[]): string {
  if (sizes.length === 1 && sizes[0] === "paper")
    return `<p class="banner paper">Size: <b>paper</b>. Verdicts count: each is judged over the run's seeds at the size its claim declares.</p>`;
  return `<p class="banner indicative">Size: <b>${esc(sizes.join(", "))}</b>. These numbers are only indicative: claims are judged at paper size, so every verdict here is marked indicative. Run <code>metarep reproduce --size paper</code> for verdicts that count.</p>`;
}

/** Write one self-contained HTML report over several stores; returns its path. */
export async function writeReport(
  dirs: string[],
  reportDir: string,
  generatedAt = new Date().toISOString(),
  write: FigureWriter = writeFigureHere,
): Promise<{ path: string; sections: StoreSection[] }> {
  const sections = await Promise.all(dirs.map((d) => buildStoreSection(d, reportDir, write)));
  return { path: writeReportHtml(sections, reportDir, generatedAt), sections };
}

/**
 * The report page of sections already built (`buildStoreSection`, in the order given): banner,
 * verdicts, contents, a section per store, footer. Returns its path, `<reportDir>/report.html`.
 */
export function writeReportHtml(
  sections: readonly StoreSection[],
  reportDir: string,
  generatedAt = new Date().toISOString(),
): string {
  const verdicts = reportVerdicts(sections);
  const toc = sections
    .map((s) => {
      const mine = verdicts.filter((v) => v.experiment === s.manifest.experiment);
      return `<li><a href="#${sectionAnchor(s.manifest.experiment)}">${esc(s.title)}</a> <code>${esc(s.manifest.experiment)}</code>${mine.length ? ` <span class="note">— ${esc(verdictSummary(mine))}</span>` : ""}</li>`;
    })
    .join("");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>metarep report</title>
<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}figure{margin:1em 0}figcaption{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0;display:block;overflow-x:auto;max-width:100%}
td,th{border:1px solid #ddd;padding:.2em .45em;text-align:right}th{background:#f5f5f5}code{background:#f5f5f5;padding:0 .2em}
table.verdicts td,table.verdicts th{text-align:left;vertical-align:top}table.verdicts td.verdict{white-space:nowrap;font-weight:600}
.v-reproduced .verdict{color:#1a7f37}.v-not-reproduced .verdict{color:#b00}.v-inconclusive .verdict{color:#9a6700}.v-not-run .verdict{color:#777}
.statement{color:#333}.reason{color:#b00}.expected,.note{color:#555}
.banner{padding:.6em .8em;border-radius:4px}.banner.indicative{background:#fff8c5;border:1px solid #d4a72c}.banner.paper{background:#dafbe1;border:1px solid #4ac26b}
.paper,.note,.cmd{color:#555}.fail{color:#b00}section{border-top:2px solid #ddd;margin-top:2em}footer{margin-top:3em;border-top:1px solid #ddd;color:#555;font-size:.9em}</style></head><body>
<h1>metarep report</h1>
${bannerHtml(sizesOf(sections))}
<h2 id="verdicts">Verdicts: ${esc(verdictSummary(verdicts))}</h2>
<p>Each claim of the papers that an experiment tests, judged over the run's seeds: the median with its 95 % bootstrap interval against the expected value or relation; paired comparisons by a one-sided sign test over seeds. Each claim links to its experiment's section.</p>
${verdictTableHtml(verdicts, (e) => `#${sectionAnchor(e)}`, disagreementReason)}
<h2 id="contents">Contents</h2>
<ol class="toc">${toc}</ol>
<p>Numbers are medians over seeds (10–90% bands in the figures); "never" means the median seed never reached the threshold. Results are "in the setting of" each paper with our defaults, not the papers' own numbers.</p>
${sections.map((s) => sectionHtml(s, reportDir)).join("\n")}
${reportFooter(generatedAt)}
</body></html>
`;
  const path = join(reportDir, "report.html");
  // Test hook (src/sweep/integrity.test.ts): stop here, the figures written and report.html not
  // yet, so a test can look at the store in that state (its lock must still be held).
  if (process.env.METAREP_TEST_STOP_BEFORE_REPORT === "1") process.kill(process.pid, "SIGSTOP");
  writeFileAtomic(path, html);
  return path;
}
