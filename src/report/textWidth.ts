/**
 * Text widths in DejaVu Sans, for laying out figures without a canvas. Headless vega estimates
 * every character as 0.8 em, which is 30–40% too wide for DejaVu Sans: long axis titles then
 * push the plot down and legend labels get truncated. These advance widths (per mille of the
 * em, read from the `hmtx` tables of DejaVuSans.ttf and DejaVuSans-Bold.ttf 2.37) make the
 * layout match what resvg draws. Kerning is ignored (a few per cent at most).
 */

const CHARS =
  " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~" +
  "µμσαβθτλ−–—×·∞²…≤≥’";

// biome-ignore format: a table
const REGULAR = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636,
  636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656,
  557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613,
  635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818,
  592, 592, 525, 636, 337, 636, 838, 636, 636, 634, 659, 638, 612, 602, 592, 838, 500, 1000, 838, 318, 833, 401,
  1000, 838, 838, 318,
];

// biome-ignore format: a table
const BOLD = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696,
  696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775,
  637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675,
  716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924,
  645, 652, 582, 712, 365, 712, 838, 736, 736, 779, 687, 716, 687, 638, 633, 838, 500, 1000, 838, 380, 833, 438,
  1000, 838, 838, 380,
];

/** Width of characters outside the table: a typical lowercase letter. */
const FALLBACK = { regular: 620, bold: 690 };

function table(widths: number[]): Map<string, number> {
  return new Map([...CHARS].map((c, i) => [c, widths[i]]));
}
const REGULAR_WIDTHS = table(REGULAR);
const BOLD_WIDTHS = table(BOLD);

/** Width in pixels of `text` set in DejaVu Sans at `fontSize` pixels. */
export function dejavuTextWidth(text: string, fontSize: number, bold = false): number {
  const widths = bold ? BOLD_WIDTHS : REGULAR_WIDTHS;
  const fallback = bold ? FALLBACK.bold : FALLBACK.regular;
  let total = 0;
  for (const c of text) total += widths.get(c) ?? fallback;
  return (total * fontSize) / 1000;
}

/** Vega font weights ≥ 600 or "bold"/"bolder" use the bold metrics. */
function isBold(weight: unknown): boolean {
  if (typeof weight === "number") return weight >= 600;
  if (typeof weight === "string") return weight === "bold" || weight === "bolder" || Number(weight) >= 600;
  return false;
}

/** The scenegraph text item fields vega passes to `textMetrics.width`. */
interface TextItem {
  fontSize?: number | string | null;
  fontWeight?: number | string | null;
}

/** Drop-in for vega's `textMetrics.width(item, text)`, with DejaVu Sans metrics. */
export function vegaTextWidth(item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  if (size <= 0 || text == null) return 0;
  return dejavuTextWidth(String(text).trim(), size, isBold(item.fontWeight));
}
