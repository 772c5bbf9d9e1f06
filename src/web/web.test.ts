import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/testing.js";
import type { RunRecord } from "../record/types.js";
import { projectRoot } from "../sweep/compiled.js";
import { launchChromium } from "./browser.js";
import { coveredControls, figuresSettled, figureTextSizes, horizontalOverflow } from "./pageChecks.js";
import { serveStatic, WEB_DIST } from "./staticServer.js";

/**
 * End-to-end tests of the built page (`npm run build:web`, run by `npm test` before vitest) in
 * Debian's Chromium through playwright-core. Screenshots go to test-output/web/.
 */

const SHOTS = join(projectRoot(import.meta.url), "test-output", "web");
let site: Awaited<ReturnType<typeof serveStatic>>;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let browser: Browser;
let tmp: string;

beforeAll(async () => {
  site = await serveStatic(WEB_DIST);
  chromium = await launchChromium();
  browser = chromium.browser;
  tmp = mkdtempSync(join(tmpdir(), "metarep-web-"));
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await chromium?.close();
  await site?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A page with a laptop-sized window, collecting console errors and uncaught exceptions. */
async function open(hash = ""): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 850 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${site.url}${hash}`);
  await page.waitForSelector("#app header");
  return { page, errors, close: () => context.close() };
}

async function exportRecord(page: Page, file: string): Promise<RunRecord> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  await download.saveAs(file);
  return JSON.parse(readFileSync(file, "utf8")) as RunRecord;
}

describe("the web page", () => {
  it("runs the default playground experiment bit-identically to `metarep run`, and the exported record re-runs identically from the CLI", async () => {
    const { page, errors, close } = await open();
    try {
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await page.inputValue("#experiment")).toBe("collins-convergence");
      const command = await page.textContent("#command");
      expect(command).toBe("metarep run collins-convergence --size paper --seeds 10 --seed 0");
      await page.click("#run");
      await page.waitForSelector('#status[data-phase="done"]', { timeout: 120_000 });
      await page.waitForSelector('figure[data-figure="collins-convergence-dist"] svg');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS, "playground.png") });

      const file = join(tmp, "web.record.json");
      const web = await exportRecord(page, file);
      expect(web.command).toBe(command);

      const out = join(tmp, "cli");
      const cli = await runCli(...command!.replace(/^metarep /, "").split(" "), "--out", out, "--quiet");
      expect(cli.code).toBe(0);
      const ref = JSON.parse(
        readFileSync(join(out, "collins-convergence", "record.json"), "utf8"),
      ) as RunRecord;
      expect(web.cellId).toBe(ref.cellId);
      expect(web.params).toEqual(ref.params);
      expect(web.result.seeds.length).toBe(10);
      let compared = 0;
      web.result.seeds.forEach((s, i) => {
        s.curves.forEach((c, j) => {
          const r = ref.result.seeds[i].curves[j];
          expect(c.labels).toEqual(r.labels);
          expect(c.y.length).toBe(r.y.length);
          c.y.forEach((v, t) => {
            if (!Object.is(v, r.y[t]))
              throw new Error(`seed ${i} ${c.labels.method} t=${t}: ${v} vs ${r.y[t]}`);
            compared++;
          });
        });
      });
      expect(compared).toBe(10 * 5 * 401);

      const rerun = await runCli("run", "--record", file, "--quiet");
      expect(rerun.err).toBe("");
      expect(rerun.code).toBe(0);
      expect(rerun.out).toMatch(/results identical/);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it("shows an invalid value's message next to its field and starts nothing", async () => {
    const { page, errors, close } = await open();
    try {
      await page.fill("#param-d", "0");
      await page.fill("#param-alpha", "fast");
      expect(await page.textContent("#param-d-error")).toBe('"d" must be ≥ 1; got 0');
      expect(await page.textContent("#param-alpha-error")).toBe('"alpha" must be a number; got "fast"');
      expect(await page.getAttribute("#param-d", "aria-invalid")).toBe("true");
      await page.click("#run");
      expect(await page.textContent("#run-message")).toMatch(/Nothing was started/);
      expect(await page.getAttribute("#status", "data-phase")).toBe("idle");
      expect(page.workers()).toEqual([]);
      // Fixing the values clears the messages.
      await page.fill("#param-d", "20");
      await page.fill("#param-alpha", "0.5");
      expect(await page.locator("#param-d-error").count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it("pauses, resumes and stops a run from the keyboard while it streams with every core busy; stop terminates the worker", async () => {
    // Concurrent CPU load generated here: one spinning process per core, as on a shared machine.
    const load = Array.from({ length: availableParallelism() }, () =>
      spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }),
    );
    const { page, errors, close } = await open();
    try {
      // A long run: 20 000 iterations per seed, streaming its live curve.
      await page.fill("#param-iters", "20000");
      const started = page.waitForEvent("worker");
      await page.press("#param-iters", "Enter");
      const worker = await started;
      const closed = new Promise<void>((ok) => worker.on("close", () => ok()));
      await page.waitForSelector('#status[data-phase="running"]');
      // The live figure appears while the run goes on.
      await page.waitForSelector('figure[data-figure="collins-convergence-dist"] svg');
      expect(await page.getAttribute("#status", "data-phase")).toBe("running");

      await page.focus("#pause");
      await page.keyboard.press("Enter");
      await page.waitForSelector('#status[data-phase="paused"]');
      const at = await page.getAttribute("#progress", "value");
      // While paused, nothing advances: the page renders 30 more frames on the same progress.
      await page.evaluate(
        () =>
          new Promise<void>((done) => {
            let n = 0;
            const tick = () => (++n >= 30 ? done() : requestAnimationFrame(tick));
            requestAnimationFrame(tick);
          }),
      );
      expect(await page.getAttribute("#progress", "value")).toBe(at);
      expect(await page.getAttribute("#status", "data-phase")).toBe("paused");
      await page.keyboard.press("Enter"); // the same button now says Resume
      await page.waitForSelector('#status[data-phase="running"]');
      await page.click("#stop");
      await closed;
      expect(await page.getAttribute("#status", "data-phase")).toBe("stopped");
      expect(page.workers()).toEqual([]);
      expect(await page.isDisabled("#export")).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      for (const p of load) p.kill("SIGKILL");
      await close();
    }
  });

  // Every experiment runs in the browser, then re-runs in Node: minutes on a loaded machine.
  it("draws every registered experiment in the gallery at smoke size, each bit-identical to the CLI", async () => {
    const { page, errors, close } = await open("#gallery");
    try {
      const total = Number(await page.getAttribute("#gallery-status", "data-total"));
      expect(total).toBeGreaterThanOrEqual(16);
      await page.waitForFunction(
        (n) => document.querySelector("#gallery-status")?.getAttribute("data-done") === String(n),
        total,
        { timeout: 280_000, polling: 250 },
      );
      expect(await page.locator('article[data-phase="error"]').count()).toBe(0);
      // Each run experiment has each of its figures drawn.
      const cards = await page.locator('article[data-phase="done"]').count();
      expect(cards).toBe(total);
      const empty = await page
        .locator('article[data-phase="done"]')
        .evaluateAll((els) =>
          els.filter((e) => e.querySelectorAll("figure svg").length === 0).map((e) => e.id),
        );
      expect(empty).toEqual([]);
      // Every figure fits the window, with text large enough to read, from 800 to 1920 px.
      for (const width of [800, 1400, 1920]) {
        await page.setViewportSize({ width, height: 850 });
        await figuresSettled(page);
        expect(`${width} px: ${await horizontalOverflow(page)}`).toBe(`${width} px: 0`);
        expect((await figureTextSizes(page)).filter((t) => t.px < 11)).toEqual([]);
        if (width === 800) expect(await coveredControls(page)).toEqual([]);
      }
      await page.setViewportSize({ width: 1366, height: 850 });
      await figuresSettled(page);
      await page.locator("#gallery-kong-projection").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, "gallery.png") });
      await page.screenshot({ path: join(SHOTS, "gallery-full.png"), fullPage: true });

      // Same seed, same bytes in every engine: each experiment's browser record re-runs in Node
      // with identical numbers (a Math.exp or Math.sin anywhere in the library would break this).
      const ids = await page.locator('article[data-phase="done"]').evaluateAll((els) => els.map((e) => e.id));
      for (const id of ids) {
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.locator(`#${id} button`, { hasText: "Export record" }).click(),
        ]);
        const file = join(tmp, `${id}.json`);
        await download.saveAs(file);
        const rerun = await runCli("run", "--record", file, "--quiet");
        expect(`${id}: ${rerun.code} ${rerun.out}${rerun.err}`).toMatch(/: 0 re-ran .*results identical/);
      }
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  }, 400_000);

  it("imports a record written by the CLI and draws it; a broken record gets a message naming the field", async () => {
    const out = join(tmp, "import");
    expect(
      (await runCli("run", "collins-diversity", "--size", "smoke", "--seeds", "2", "--out", out, "--quiet"))
        .code,
    ).toBe(0);
    const file = join(out, "collins-diversity", "record.json");
    const { page, errors, close } = await open("#records");
    try {
      await page.setInputFiles("#import", file);
      await page.waitForSelector("#imported figure svg");
      expect(await page.locator("#imported figure").count()).toBe(2);
      expect(await page.textContent("#imported")).toContain("metarep run --record record.json");
      await page.screenshot({ path: join(SHOTS, "records.png") });

      const bad = JSON.parse(readFileSync(file, "utf8")) as RunRecord;
      bad.params.alpha = -1;
      await page.setInputFiles("#import", {
        name: "bad.json",
        mimeType: "application/json",
        buffer: Buffer.from(JSON.stringify(bad)),
      });
      expect(await page.textContent("#import-error")).toMatch(/"params\.alpha" must be > 0; got -1/);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
