import { costText, type ExperimentInfo, experimentInfo } from "../experiments/describe.js";
import type { Experiment } from "../experiments/types.js";

/**
 * `metarep describe <id>` (also `metarep run <id> --help` and `metarep list <id>`): one experiment
 * as a researcher reads it before running it — title, paper, what to look for, its claims, every
 * parameter with its constraint, defaults per size and description, the sizes, conditions,
 * figures and an estimated cost. Everything comes from the experiment's declaration
 * (`experiments/describe.ts`), so it cannot drift from what runs.
 */

/** `text` wrapped to `width` columns, every line after the first indented by `indent`. */
export function wrap(text: string, width: number, indent: string, first = indent): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const w of words) {
    if (!empty && line.length + 1 + w.length > width) {
      lines.push(line);
      line = indent + w;
    } else {
      line += (empty ? "" : " ") + w;
    }
    empty = false;
  }
  lines.push(line);
  return lines.join("\n");
}

/** The terminal's width when printing to one (at least 60), else 100. */
export function terminalWidth(): number {
  const c = process.stdout.isTTY ? process.stdout.columns : undefined;
  return Math.max(60, c ?? 100);
}

/** The describe text of an experiment's info, `width` columns wide. */
export function describeText(info: ExperimentInfo, width = terminalWidth()): string {
  const out: string[] = [];
  const para = (title: string, text: string) => {
    out.push("", `${title}:`, wrap(text, width, "  "));
  };
  out.push(wrap(`${info.id}: ${info.title}`, width, "  ", ""), wrap(info.paper, width, "  ", "  "));
  para("Shows", info.description);
  if (info.lookFor) para("What to look for", info.lookFor);
  if (info.claims.length) {
    out.push("", "Claims:");
    for (const c of info.claims) out.push(wrap(c, width, "    ", "  - "));
  }
  if (info.dataset) para("Data (--data PATH, required)", `${info.dataset.kind}: ${info.dataset.description}`);
  out.push("", "Parameters (--set name=value; lists as a,b,c; inf for ∞):");
  const nameWidth = Math.min(18, Math.max(...info.params.map((p) => p.name.length)));
  for (const p of info.params) {
    const vals =
      p.values.smoke === p.values.paper
        ? `default ${p.values.paper}`
        : `paper ${p.values.paper}, smoke ${p.values.smoke}`;
    out.push(
      wrap(`${p.constraint}; ${vals}`, width, " ".repeat(nameWidth + 4), `  ${p.name.padEnd(nameWidth)}  `),
    );
    if (p.description) out.push(wrap(p.description, width, " ".repeat(nameWidth + 6)));
  }
  out.push("", "Sizes (--size; default paper):");
  for (const s of info.sizes) {
    const over = s.overrides.length ? s.overrides.join(" ") : "the defaults";
    out.push(wrap(`${s.size}: ${over}; ${costText(s)}`, width, "    ", "  "));
    if (s.conditions.length > 1 || s.conditions[0] !== "")
      out.push(wrap(`conditions: ${s.conditions.join("; ")}`, width, "      ", "    "));
  }
  out.push("", "Figures (written to <out>/<id>/figures/<name>.{svg,png,vl.json}):");
  for (const f of info.figures) out.push(wrap(f.shows, width, "      ", `  ${f.name}: `));
  out.push(
    "",
    "Run it:",
    `  metarep run ${info.id} --size smoke${info.dataset ? " --data PATH" : ""}     (a first look, seconds)`,
    `  metarep run ${info.id}${info.dataset ? " --data PATH" : ""}                  (the paper's setting)`,
  );
  return `${out.join("\n")}\n`;
}

/** The describe text of an experiment. */
export function describeExperiment(exp: Experiment, width?: number): string {
  return describeText(experimentInfo(exp), width);
}
