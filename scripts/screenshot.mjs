#!/usr/bin/env node
// docs/playground.png from the real page: build the page (`npm run build:web`), serve dist/web
// with `vite preview` (the COOP/COEP headers of vite.config.ts), run the playground's default
// experiment in headless Chromium (playwright-core, Debian's /usr/bin/chromium, never a
// downloaded browser) and take the screenshot once the run is done and its figure drawn.
//
//   npm run docs:screenshot                     # build, then write docs/playground.png
//   node scripts/screenshot.mjs --no-build      # reuse dist/web
//   node scripts/screenshot.mjs --out FILE --width 1366 --height 850

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { preview } from "vite";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values: opts } = parseArgs({
  options: {
    out: { type: "string", default: join(root, "docs", "playground.png") },
    width: { type: "string", default: "1366" },
    height: { type: "string", default: "850" },
    "no-build": { type: "boolean", default: false },
  },
});

function size(name) {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < 320 || v > 4000) {
    console.error(`screenshot: --${name} must be an integer from 320 to 4000; got ${opts[name]}`);
    process.exit(2);
  }
  return v;
}
const viewport = { width: size("width"), height: size("height") };

if (!opts["no-build"]) execFileSync("npm", ["run", "--silent", "build:web"], { cwd: root, stdio: "inherit" });
if (!existsSync(join(root, "dist", "web", "index.html"))) {
  console.error("screenshot: no dist/web/index.html; run without --no-build (or `npm run build:web`) first");
  process.exit(1);
}

const server = await preview({
  root: join(root, "src", "web", "app"),
  configFile: join(root, "vite.config.ts"),
  preview: { host: "127.0.0.1", port: 0, open: false },
  logLevel: "warn",
});
const browser = await chromium.launch({
  executablePath: process.env.METAREP_CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(server.resolvedUrls.local[0]);
  await page.waitForSelector("#app header");
  if (!(await page.evaluate(() => crossOriginIsolated)))
    throw new Error("the page is not cross-origin isolated");
  await page.click("#run");
  await page.waitForSelector('#status[data-phase="done"]', { timeout: 300_000 });
  // The finished figure drawn: a figure is aria-busy from a change of its spec until it is drawn.
  await page.waitForSelector('figure[data-figure="collins-convergence-dist"]:not([aria-busy]) svg', {
    timeout: 60_000,
  });
  await page.evaluate(() => window.scrollTo(0, 0));
  // Leave no focus ring on Run in the picture.
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  await page.screenshot({ path: opts.out });
  if (errors.length > 0) throw new Error(`the page logged errors: ${errors.join("; ")}`);
  console.log(`wrote ${opts.out} (${viewport.width}×${viewport.height})`);
} finally {
  await browser.close();
  await server.close();
}
