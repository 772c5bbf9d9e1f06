/**
 * Mathematics as a reader writes it in text (STYLE.md §17): Unicode superscripts, not TeX. Below
 * `report/` so that claims' measure descriptions and the figures' axes share one way of writing.
 */
const SUPERSCRIPT: Readonly<Record<string, string>> = {
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
  "-": "⁻",
};

/** `10⁻⁶` for an integer power. */
export function powerOfTen(p: number): string {
  return `10${[...String(p)].map((c) => SUPERSCRIPT[c] ?? c).join("")}`;
}
