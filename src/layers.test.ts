import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

/*
 * The layers of DESIGN.md: imports only point downwards (or sideways within a layer), tests
 * included. A folder's rank is its layer; `errors.ts` and `version.ts` sit below everything and
 * `index.ts` above.
 */
const RANK: Record<string, number> = {
  linalg: 0,
  math: 0,
  rng: 0,
  models: 1,
  data: 1,
  // Below algorithms/ (networks' meta-gradients), above linalg/ (its products and libm).
  autodiff: 1.5,
  algorithms: 2,
  metrics: 2,
  theory: 2,
  experiments: 3,
  record: 4,
  sweep: 5,
  plugins: 5,
  report: 6,
  cli: 7,
  web: 7,
};

const src = dirname(fileURLToPath(import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.tsx?$/.test(name) ? [p] : [];
  });
}

describe("layers", () => {
  test("no module imports from a higher layer (tests included)", () => {
    const upward: string[] = [];
    for (const f of files(src)) {
      const from = relative(src, f).split("/")[0];
      if (!(from in RANK)) continue;
      for (const m of readFileSync(f, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
        const to = normalize(join(dirname(relative(src, f)), m[1])).split("/")[0];
        if (to in RANK && RANK[to] > RANK[from]) upward.push(`${relative(src, f)} → ${m[1]}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
