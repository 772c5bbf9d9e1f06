import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "./testing.js";

/**
 * No stack trace for any input (issue 23, item 7), at the `sweep` door where each case was found:
 * a YAML alias bomb, and a grid point of 125,000 seeds (once a stack overflow). The plug-in figure
 * spec without `select.yName` is refused at load in src/plugins/plugins.test.ts; the extreme-value
 * `fit`/`adapt` cases are in src/cli/fitEdges.test.ts.
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-nostack-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One line on stderr, prefixed, with no stack frame in it. */
function oneLine(err: string): void {
  expect(err).toMatch(/^metarep: /);
  expect(err.trim().split("\n")).toHaveLength(1);
  expect(err).not.toMatch(/\n\s+at /);
}

describe("sweep: inputs that once reached the user as stack traces", () => {
  test("a YAML alias bomb: exit 2, one line, no store", async () => {
    const rows = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [i, c] of [..."bcdefg"].entries())
      rows.push(`${c}: &${c} [${Array(9).fill(`*${"abcdefg"[i]}`).join(", ")}]`);
    const spec = join(tmp, "bomb.yaml");
    writeFileSync(spec, `${rows.join("\n")}\nexperiment: du-excess-risk\nsize: smoke\nseeds: 1\n`);
    const store = join(tmp, "bomb-store");
    const r = await runCli("sweep", spec, "--out", store);
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/bomb\.yaml: YAML aliases expand too far/);
    expect(existsSync(store)).toBe(false);
  });

  test("a grid point of 625,000 seeds (625,000 cells: one per seed): counted, not built; each guard's refusal is one line", async () => {
    const spec = join(tmp, "seeds.yaml");
    writeFileSync(spec, "experiment: du-excess-risk\nsize: smoke\nseeds: 625000\n");
    const store = join(tmp, "seeds-store");
    const cells = await runCli("sweep", spec, "--out", store, "--max-cells", "125000");
    expect(cells.code).toBe(2);
    oneLine(cells.err);
    expect(cells.err).toMatch(/625,000 cells exceed the limit of 125,000; pass --max-cells 625000/);
    // Past the cell guard (the refusal's own advice), the memory guard still answers in one line.
    const memory = await runCli("sweep", spec, "--out", store, "--max-cells", "625000", "--max-memory", "1");
    expect(memory.code).toBe(2);
    oneLine(memory.err);
    expect(memory.err).toMatch(/exceeds the limit of 1 B;/);
    expect(existsSync(store)).toBe(false);
  });
});
