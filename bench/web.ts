/**
 * Bench suite "web": `collins-convergence` at paper size (10 seeds × 400 iterations × 5 methods)
 * run from the web page in Chromium's worker, against the Node CLI (`metarep run`) on the same
 * machine, interleaved, best of `repeat`. Both sides report the record's `seconds` (the
 * `runRecord` call alone: no process start-up, page load or figure drawing), and the two records
 * must hold the same numbers. Goal: browser ≤ 1.5 × Node.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunRecord } from "../src/experiments/types.js";
import { compiledSibling } from "../src/sweep/compiled.js";
import { launchChromium } from "../src/web/browser.js";
import { serveStatic, WEB_DIST } from "../src/web/staticServer.js";
import type { BenchOptions } from "./common.js";

const COMMAND = [
  "run",
  "collins-convergence",
  "--size",
  "paper",
  "--seeds",
  "10",
  "--seed",
  "0",
  "--workers",
  "1",
];

export async function benchWeb({ only, repeat }: BenchOptions): Promise<void> {
  if (only.length > 0 && !only.some((o) => "web browser collins".includes(o))) return;
  const tmp = mkdtempSync(join(tmpdir(), "metarep-bench-web-"));
  const site = await serveStatic(WEB_DIST);
  const chromium = await launchChromium();
  const bin = compiledSibling(import.meta.url, "../src/cli/bin.js");
  try {
    const context = await chromium.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(site.url);
    await page.waitForSelector("#run");
    let node = Number.POSITIVE_INFINITY;
    let browser = Number.POSITIVE_INFINITY;
    let same = true;
    for (let r = 0; r < repeat; r++) {
      const out = join(tmp, `cli-${r}`);
      execFileSync(process.execPath, [bin, ...COMMAND, "--out", out, "--quiet"], { stdio: "ignore" });
      const cli = JSON.parse(
        readFileSync(join(out, "collins-convergence", "record.json"), "utf8"),
      ) as RunRecord;
      node = Math.min(node, cli.seconds);

      await page.click("#run");
      await page.waitForSelector('#status[data-phase="done"]', { timeout: 600_000 });
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
      const file = join(tmp, `web-${r}.json`);
      await download.saveAs(file);
      const web = JSON.parse(readFileSync(file, "utf8")) as RunRecord;
      browser = Math.min(browser, web.seconds);
      same &&= JSON.stringify(web.result) === JSON.stringify(cli.result);
    }
    console.log("case | Node CLI s | browser worker s | browser/Node | goal | same numbers");
    console.log(
      `collins-convergence paper (10 seeds) | ${node.toFixed(3)} | ${browser.toFixed(3)} | ` +
        `${(browser / node).toFixed(2)}× | ≤ 1.5× | ${same ? "yes" : "NO"}`,
    );
  } finally {
    await chromium.close();
    await site.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
