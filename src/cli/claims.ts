import type { Command } from "commander";
import { MetarepError } from "../errors.js";
import { claimListing, expectedText, measureText } from "../experiments/claims.js";
import { getExperiment, listExperiments } from "../experiments/registry.js";
import { resolveParams } from "../experiments/resolve.js";
import { terminalWidth } from "./tables.js";

/** `reproduce --check` found a claim not reproduced where it counts: exit code 1, like failed cells. */
export class ClaimsCheckError extends MetarepError {
  override name = "ClaimsCheckError";
  readonly exitCode = 1;
}

/**
 * `metarep claims [ids…] [--json]`: every claim of the given experiments (default: all listed),
 * with its statement, source, what it measures, its test and the size at which it counts. The
 * expected values are those of the paper-size parameters.
 */
export function claimsCommand(program: Command): void {
  program
    .command("claims")
    .description(
      "list the papers' claims each experiment tests, where they stand in the paper, and how they are checked",
    )
    .argument("[ids...]", "experiment ids (default: every listed experiment)")
    .option("--json", "print a JSON array of {experiment, id, statement, source, measure, test, size}")
    .action((ids: string[], opts: { json?: boolean }) => {
      const exps = ids.length ? ids.map((id) => getExperiment(id)) : listExperiments();
      const listings = exps.flatMap((e) => {
        const params = resolveParams(e, "paper", {}) as Record<string, unknown>;
        return (e.claims ?? []).map((c) => claimListing(e.id, c, params));
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(listings, null, 1)}\n`);
        return;
      }
      const width = terminalWidth();
      const lines: string[] = [];
      for (const e of exps) {
        const params = resolveParams(e, "paper", {}) as Record<string, unknown>;
        lines.push(`${e.id} — ${e.title}`);
        if (!e.claims?.length) lines.push("  (declares no claims)");
        for (const c of e.claims ?? []) {
          const src = `${c.source.paper}, ${c.source.where}${c.source.verified ? "" : " [unverified]"}`;
          for (const [label, text] of [
            [`  ${c.id}`, c.statement],
            ["    source", src],
            ["    measures", measureText(c.test)],
            [`    test (${c.test.kind})`, expectedText(c.test, params)],
            ["    counts at", `${c.size ?? "paper"} size`],
            ...(c.knownDisagreement ? [["    known disagreement", c.knownDisagreement] as const] : []),
          ] as const)
            lines.push(...wrapLabelled(label, text, width));
        }
        lines.push("");
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}

function wrapLabelled(label: string, text: string, width: number): string[] {
  const indent = label.length + 2;
  const out: string[] = [];
  let line = `${label}: `;
  for (const word of text.split(" ")) {
    if (line.length + word.length > width && line.trim().length > label.trim().length + 1) {
      out.push(line.trimEnd());
      line = " ".repeat(indent);
    }
    line += `${word} `;
  }
  out.push(line.trimEnd());
  return out;
}
