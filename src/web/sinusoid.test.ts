import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adaptDemo, DEMO_DEFAULTS, trainDemo } from "./app/sinusoidDemo.js";
import { launchChromium } from "./browser.js";
import { serveStatic, WEB_DIST } from "./staticServer.js";

/*
 * The sinusoid demo in the built page (`npm run build:web` first) in Chromium: it meta-trains in
 * its worker, adapts both networks to a new sine, and its numbers are the bytes Node computes
 * with the same library code (the autodiff, the WebAssembly products and libm in both engines).
 */
let site: Awaited<ReturnType<typeof serveStatic>>;
let chromium: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  site = await serveStatic(WEB_DIST);
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await site?.close();
});

describe("the sinusoid demo page", () => {
  it("meta-trains in the browser, MAML adapts to a new sine far better than the pretrained network, with Node's bytes", async () => {
    const page = await chromium.browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${site.url}#sinusoid`);
    await page.getByRole("button", { name: /Meta-train/ }).click();
    await page.getByRole("button", { name: "A new sine" }).waitFor({ timeout: 240_000 });
    const mse = JSON.parse((await page.locator(".sinusoid-demo svg").getAttribute("data-mse")) ?? "null") as {
      maml: number[];
      pretrained: number[];
    };
    const trained = trainDemo(DEMO_DEFAULTS);
    expect(mse.maml).toEqual(adaptDemo(trained, "maml", 0, 10).mse);
    expect(mse.pretrained).toEqual(adaptDemo(trained, "pretrained", 0, 10).mse);
    expect(mse.maml[10]).toBeLessThan(0.5 * mse.pretrained[10]);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
