import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./browser.js";
import { serveStatic, WEB_DIST } from "./staticServer.js";

/**
 * The page is a door like the CLI (issue 23): parameters entered in it pass through the same
 * parameter schema and resource guards, and a refusal is one line in the page, in the built page
 * (`npm run build:web`) in Debian's Chromium. Every wait is for a state of the page.
 */

let site: Awaited<ReturnType<typeof serveStatic>>;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let browser: Browser;

beforeAll(async () => {
  site = await serveStatic(WEB_DIST);
  chromium = await launchChromium();
  browser = chromium.browser;
});

afterAll(async () => {
  await chromium?.close();
  await site?.close();
});

describe("the page's door", () => {
  it("refuses a schema violation next to its field and an estimate above the memory limit in one line; nothing runs", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    try {
      await page.goto(`${site.url}#playground`);
      await page.waitForSelector("#app header");
      // The schema: iters must be an integer ≥ 1.
      await page.fill("#param-iters", "0");
      await page.waitForFunction(() => /iters/.test(document.querySelector("#run-form")?.textContent ?? ""));
      expect(await page.textContent("#command")).toBe("—");
      // The memory guard: 10⁹ iterations hold terabytes of curves.
      await page.fill("#param-iters", "1000000000");
      const alert = await page.waitForSelector("#run-form p.error[role=alert]");
      const text = (await alert.textContent()) ?? "";
      expect(text).toMatch(
        /^run collins-convergence: estimated memory [\d.]+ TB \(160 MB for the process; .*\) exceeds the page's limit \(the CLI's default --max-memory\) of 4\.0 GB; run it from the command line with --max-memory \d+G\.$/,
      );
      expect(text.split("\n")).toHaveLength(1);
      expect(await page.textContent("#command")).toBe("—");
      await page.click("#run");
      await page.waitForFunction(() => /Nothing was started/.test(document.body.textContent ?? ""));
      expect(await page.getAttribute("#status", "data-phase")).not.toBe("running");
      // Back within the limits, the form is valid again and names the CLI command.
      await page.fill("#param-iters", "50");
      await page.waitForFunction(() =>
        /--set iters=50/.test(document.querySelector("#command")?.textContent ?? ""),
      );
      expect(await page.$("#run-form p.error[role=alert]")).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
