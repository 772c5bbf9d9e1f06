import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/testing.js";
import { launchChromium } from "./browser.js";

/**
 * The HTML report in a real browser: it opens with the banner naming the size, the verdict table
 * and a table of contents, and every link of both lands on its experiment's section; the footer
 * names metarep's version and the date; every figure has a caption.
 */

const out = mkdtempSync(join(tmpdir(), "metarep-report-page-"));
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

beforeAll(async () => {
  const r = await runCli(
    "reproduce",
    "collins-convergence",
    "kong-scaling",
    "--size",
    "smoke",
    "--out",
    out,
    "--workers",
    "1",
  );
  expect(r.code).toBe(0);
  chromium = await launchChromium();
  page = await chromium.browser.newPage({ viewport: { width: 1000, height: 700 } });
  await page.goto(pathToFileURL(join(out, "report.html")).href);
}, 300_000);

afterAll(async () => {
  await chromium?.close();
});

describe("the report's top: banner, verdicts, contents", () => {
  it("says the size, and that smoke-size verdicts are only indicative", async () => {
    const banner = await page.locator(".banner").textContent();
    expect(banner).toContain("smoke");
    expect(banner).toContain("indicative");
  });

  it("has a verdict row per claim of each experiment, and the same verdicts as verdicts.json", async () => {
    const json = JSON.parse(readFileSync(join(out, "verdicts.json"), "utf8")) as {
      experiment: string;
      claim: string;
      verdict: string;
    }[];
    const rows = await page
      .locator("body > table.verdicts tbody tr, body > table.verdicts + h3 + table.verdicts tbody tr")
      .count();
    expect(json.length).toBeGreaterThan(3);
    expect(rows).toBeGreaterThanOrEqual(json.length);
    const text = await page.locator("body").textContent();
    for (const v of json) expect(text).toContain(`${v.experiment}/${v.claim}`);
  });

  it("every verdict and contents link lands on its experiment's section", async () => {
    const links = page.locator('table.verdicts a[href^="#"], ol.toc a[href^="#"]');
    const n = await links.count();
    expect(n).toBeGreaterThan(4);
    for (let i = 0; i < n; i++) {
      const href = (await links.nth(i).getAttribute("href"))!;
      await page.evaluate(() => window.scrollTo(0, 0));
      await links.nth(i).click();
      await page.waitForFunction((h) => location.hash === h, href);
      const target = page.locator(`section${href}`);
      expect(await target.count(), href).toBe(1);
      // Landed: the section's heading is at the top of the viewport (or the page ends before it can be).
      const top = await target.evaluate((el) => el.getBoundingClientRect().top);
      const atEnd = await page.evaluate(
        () => window.scrollY + window.innerHeight >= document.body.scrollHeight - 2,
      );
      expect(Math.abs(top) < 2 || atEnd, `${href} at ${top}`).toBe(true);
    }
  }, 120_000);

  it("every figure has a caption, and the footer names the version and the date", async () => {
    const figures = await page.locator("figure").count();
    const captions = await page.locator("figure figcaption").count();
    expect(figures).toBeGreaterThan(0);
    expect(captions).toBe(figures);
    expect(await page.locator("figcaption").first().textContent()).toMatch(
      /Collins et al\. \(ICML 2022\), Figure 1/,
    );
    const footer = await page.locator("footer").textContent();
    expect(footer).toMatch(/metarep \d+\.\d+\.\d+/);
    expect(footer).toMatch(/generated \d{4}-\d{2}-\d{2}/);
  });
});
