import type { Page } from "playwright-core";

/**
 * Checks of the built page in a browser, for the browser tests: layout (overflow, covered
 * controls), figure text sizes, and a wait for every figure to be drawn at its current width.
 */

/** Every figure drawn for the width its container has now (figures re-lay themselves out on resize). */
export async function figuresSettled(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      Array.from(document.querySelectorAll<HTMLElement>("figure.chart")).every((f) => {
        const parent = f.parentElement!;
        const cs = getComputedStyle(parent);
        const room = Math.floor(
          parent.clientWidth - Number.parseFloat(cs.paddingLeft) - Number.parseFloat(cs.paddingRight),
        );
        return (
          !f.hasAttribute("aria-busy") && f.dataset.room === String(room) && f.querySelector("svg") !== null
        );
      }),
    null,
    { polling: 100, timeout: 60_000 },
  );
}

/** The document's horizontal overflow in px (0: no horizontal scroll bar). */
export const horizontalOverflow = (page: Page): Promise<number> =>
  page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth);

/**
 * Controls that something else covers: each is scrolled into view (centre, and for form fields
 * also the top and bottom edges, where sticky bars sit) and `elementFromPoint` at its centre must
 * be the control or inside it. Returns a description of each covered one.
 */
export function coveredControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const covered: string[] = [];
    const name = (e: Element) =>
      `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""} "${(e.textContent ?? "").trim().slice(0, 30)}"`;
    const visible = (e: Element) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
    };
    const check = (e: Element, block: ScrollLogicalPosition) => {
      e.scrollIntoView({ block, inline: "nearest" });
      const r = e.getBoundingClientRect();
      const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (!at || !(at === e || e.contains(at))) {
        covered.push(`${name(e)} (${block}) under ${at ? name(at) : "nothing"}`);
      }
    };
    for (const e of Array.from(document.querySelectorAll("button, summary, nav a")))
      if (visible(e)) check(e, "center");
    for (const e of Array.from(document.querySelectorAll("form input, form select"))) {
      if (!visible(e)) continue;
      for (const block of ["start", "center", "end"] as const) check(e, block);
    }
    window.scrollTo(0, 0);
    return covered;
  });
}

/** Font sizes of every text of every drawn figure, in CSS px as drawn (SVG scale included). */
export function figureTextSizes(page: Page): Promise<{ px: number; text: string }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("figure.chart svg")).flatMap((svg) => {
      const s = svg as SVGSVGElement;
      const scale = s.getBoundingClientRect().width / s.width.baseVal.value;
      return Array.from(svg.querySelectorAll("text"))
        .filter((t) => (t.textContent ?? "").trim() !== "")
        .map((t) => ({
          px: Number.parseFloat(getComputedStyle(t).fontSize) * scale,
          text: (t.textContent ?? "").slice(0, 40),
        }));
    }),
  );
}
