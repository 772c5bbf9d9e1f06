import type { RunRecord } from "../experiments/types.js";
import type { SummaryRow } from "./summaryTable.js";

export interface ReportSection {
  id: string;
  title: string;
  paper: string;
  record: RunRecord;
  rows: SummaryRow[];
  /** Figure image paths relative to the report. */
  images: string[];
  /** Theory comparisons, e.g. "rate at µ=0.5: measured 0.9377, theory 0.9375". */
  notes: string[];
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function cell(v: unknown): string {
  if (v === null || v === undefined) return "never";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toExponential(3);
  return String(v);
}

/** One self-describing HTML page: per experiment the figures, the summary and the command. */
export function reportHtml(sections: ReportSection[], generatedAt: string): string {
  const body = sections
    .map((s) => {
      const cols = s.rows.length ? Object.keys(s.rows[0]) : [];
      const table = `<table><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead><tbody>${s.rows
        .map(
          (r) =>
            `<tr>${cols.map((c) => `<td>${esc(cell((r as unknown as Record<string, unknown>)[c]))}</td>`).join("")}</tr>`,
        )
        .join("")}</tbody></table>`;
      return `<section id="${esc(s.id)}">
<h2>${esc(s.title)}</h2>
<p class="paper">In the setting of: ${esc(s.paper)}. Experiment <code>${esc(s.id)}</code>, ${s.record.seedIndices.length} seeds, ${s.record.seconds.toFixed(1)} s.</p>
${s.images.map((src) => `<img src="${esc(src)}" alt="${esc(s.title)}">`).join("\n")}
${s.notes.length ? `<ul>${s.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
${table}
<p>Reproduce: <code>${esc(s.record.command)}</code> (record: <a href="${esc(s.id)}/record.json">${esc(s.id)}/record.json</a>)</p>
</section>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>metarep report</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}table{border-collapse:collapse;font-size:.9em}
td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}th{background:#f5f5f5}code{background:#f5f5f5;padding:0 .2em}
.paper{color:#555}</style></head><body>
<h1>metarep report</h1><p>Generated ${esc(generatedAt)}. Numbers are medians over seeds; "never" means the median seed never reached the threshold.</p>
${body}
</body></html>
`;
}
