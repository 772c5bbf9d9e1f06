import { execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { METAREP_VERSION } from "../version.js";

/**
 * The git commit of metarep's own source when it runs from a checkout (null from an installed
 * package or without git): the report's footer names it so a figure can be traced to its code.
 */
export function sourceCommit(): string | null {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    const out = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], {
      cwd: here,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    }).trim();
    if (!/^[0-9a-f]{7,40}$/.test(out)) return null;
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd: here,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    }).trim();
    return dirty ? `${out} (with uncommitted changes)` : out;
  } catch {
    return null;
  }
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The report's footer: metarep's version, the commit when there is one, and the date. */
export function reportFooter(generatedAt: string): string {
  const commit = sourceCommit();
  return `<footer><p>metarep ${esc(METAREP_VERSION)}${commit ? `, commit <code>${esc(commit)}</code>` : ""}; generated ${esc(generatedAt)}.</p></footer>`;
}
