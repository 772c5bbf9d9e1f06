import type { Verdict, VerdictWord } from "../experiments/claims.js";

/** A verdict with the experiment it belongs to (tables over several experiments). */
export interface ExperimentVerdict extends Verdict {
  experiment: string;
  /** The grid point it was judged at (sweeps). */
  gridPoint?: string;
  /** The claim's statement, for tables a reader meets without the declarations. */
  statement?: string;
}

const MARK: Record<VerdictWord, string> = {
  reproduced: "✓",
  "not reproduced": "✗",
  inconclusive: "?",
  "not run": "–",
};

/** One number format for every verdict number: 3 significant digits, exponent outside [1e-3, 1e5), 0 as 0. */
export function verdictNumber(v: number | null): string {
  if (v === null) return "—";
  if (v === 0 || Math.abs(v) < 1e-300) return "0";
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}

export function measuredText(v: Verdict): string {
  if (v.measured === null) return "—";
  const iv =
    v.interval && v.interval[0] !== v.interval[1]
      ? ` [${verdictNumber(v.interval[0])}, ${verdictNumber(v.interval[1])}]`
      : "";
  return `${verdictNumber(v.measured)}${iv}`;
}

/** Counts per verdict word, in the words' order, e.g. "12 reproduced, 1 not reproduced, 2 inconclusive". */
export function verdictSummary(rows: readonly Verdict[]): string {
  const counts = new Map<VerdictWord, number>();
  for (const r of rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  const words: VerdictWord[] = ["reproduced", "not reproduced", "inconclusive", "not run"];
  const parts = words.filter((w) => counts.has(w)).map((w) => `${counts.get(w)} ${w}`);
  const indicative = rows.filter((r) => r.indicative).length;
  return `${parts.join(", ") || "no claims"}${indicative ? ` (${indicative === rows.length ? "all" : indicative} indicative: not at the claims' size)` : ""}`;
}

/** Known disagreements first (their own heading), then the rest in declared order. */
export function orderVerdicts<T extends Verdict>(rows: readonly T[]): { known: T[]; rest: T[] } {
  return { known: rows.filter((r) => r.knownDisagreement), rest: rows.filter((r) => !r.knownDisagreement) };
}

/** Greedy word wrap of `text` to `width` columns, every line indented by `indent` spaces. */
function wrap(text: string, width: number, indent: number): string[] {
  const pad = " ".repeat(indent);
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ").filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (pad.length + next.length > width && line) {
      out.push(pad + line);
      line = word;
    } else line = next;
  }
  if (line) out.push(pad + line);
  return out;
}

const DETAIL_INDENT = 19;

/**
 * The verdict table as terminal lines, no wider than `width`: per claim a line with its mark,
 * verdict and `experiment/claim`, then, indented, the measured median with its interval against
 * the expected value, and the note. Known disagreements first, under their own heading.
 */
export function verdictLines(rows: readonly ExperimentVerdict[], width = 100): string[] {
  if (rows.length === 0) return [];
  const w = Math.max(60, width);
  const allIndicative = rows.every((r) => r.indicative);
  const lines: string[] = [
    `Claims${allIndicative ? " (indicative: not at the size where the claims count)" : ""}: ${verdictSummary(rows).replace(/ \(.*indicative.*\)$/, "")}`,
  ];
  const { known, rest } = orderVerdicts(rows);
  const one = (r: ExperimentVerdict) => {
    const mark = `${MARK[r.verdict]} ${r.verdict}${r.indicative && !allIndicative ? "*" : ""}`;
    lines.push(`  ${mark.padEnd(DETAIL_INDENT - 3)} ${r.experiment}/${r.claim}`);
    const detail =
      r.verdict === "not run"
        ? (r.note ?? "not in this run")
        : `${measuredText(r)}, expected ${r.expected}${r.note ? `; ${r.note}` : ""}`;
    lines.push(...wrap(detail, w, DETAIL_INDENT));
  };
  if (known.length) {
    lines.push("Known disagreements with the papers:");
    known.forEach(one);
    if (rest.length) lines.push("Other claims:");
  }
  rest.forEach(one);
  if (rows.some((r) => r.indicative) && !allIndicative)
    lines.push("* indicative: not at the size where the claim counts");
  return lines;
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * The verdict table as HTML rows: verdict, claim (linked to `href(experiment)`), measured with its
 * interval, expected, seeds and the note. Known disagreements first, under their own heading.
 */
export function verdictTableHtml(
  rows: readonly ExperimentVerdict[],
  href: (experiment: string) => string,
  reasons: (r: ExperimentVerdict) => string | undefined = () => undefined,
): string {
  if (rows.length === 0) return `<p class="note">No claims were judged in this run.</p>`;
  const allIndicative = rows.every((r) => r.indicative);
  const table = (rs: readonly ExperimentVerdict[]) =>
    `<table class="verdicts"><thead><tr><th>verdict</th><th>claim</th><th>measured [95 % interval]</th><th>expected</th><th>seeds</th><th>note</th></tr></thead><tbody>${rs
      .map(
        (r) =>
          `<tr class="v-${r.verdict.replace(" ", "-")}"><td class="verdict">${MARK[r.verdict]} ${esc(r.verdict)}${r.indicative && !allIndicative ? " <small>(indicative)</small>" : ""}</td><td class="claim"><a href="${esc(href(r.experiment))}">${esc(r.experiment)}/${esc(r.claim)}</a>${r.statement ? `<br><span class="statement">${esc(r.statement)}</span>` : ""}${reasons(r) ? `<br><span class="reason">${esc(reasons(r)!)}</span>` : ""}</td><td>${esc(measuredText(r))}</td><td class="expected">${esc(r.expected)}</td><td>${r.seeds}</td><td class="note">${esc(r.note ?? "")}</td></tr>`,
      )
      .join("")}</tbody></table>`;
  const { known, rest } = orderVerdicts(rows);
  return `${known.length ? `<h3 id="known-disagreements">Known disagreements with the papers</h3>${table(known)}${rest.length ? "<h3>Claims</h3>" : ""}` : ""}${rest.length ? table(rest) : ""}`;
}
