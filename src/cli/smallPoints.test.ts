import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { readRecords } from "../sweep/store.js";
import { runCli } from "./testing.js";

/** Issue 14, items 6 and 9: grids without duplicates, and the smaller points. */

const tmp = mkdtempSync(join(tmpdir(), "metarep-small-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spec = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe("sweep specs: one grid point per cell; the printed cell count is the store's", () => {
  test.each([
    [
      "a value listed twice on an axis",
      "experiment: sweep-probe\nseeds: 1\ngrid: { label: [a, b, a] }\n",
      /sweep spec \(sweep-probe\): "grid\.label" lists "a" more than once; each value must appear once \(got \["a","b","a"\]\)\./,
    ],
    [
      "the same number written twice (0.25 and 0.250)",
      "experiment: collins-convergence\nseeds: 1\ngrid: { alpha: [0.25, 0.250] }\n",
      /"grid\.alpha" lists 0\.25 more than once/,
    ],
    [
      "a parameter both in params and in grid",
      "experiment: collins-convergence\nseeds: 1\nparams: { alpha: 0.1 }\ngrid: { alpha: [0.25, 0.5] }\n",
      /"alpha" is both in "params" \(0\.1\) and in "grid"; keep it in one of them\./,
    ],
  ])("%s is one line, exit 2, nothing written", async (_name, text, message) => {
    const out = join(tmp, `never-${_name.length}`);
    const r = await runCli("sweep", spec(`s${_name.length}.yaml`, text), "--out", out, "--workers", "0");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  test("an integer range whose steps round to the same value: the count printed, twice, is the store's", async () => {
    const s = spec(
      "round.yaml",
      "experiment: sweep-probe\nseeds: 2\ngrid: { work: { range: [1, 2], steps: 5, integer: true } }\n",
    );
    const out = join(tmp, "round");
    const first = await runCli("sweep", s, "--out", out, "--workers", "0", "--no-report");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^4\/4 cells stored .*\(0 already there/m);
    expect(readRecords(out)).toHaveLength(4);
    const again = await runCli("sweep", s, "--out", out, "--workers", "0", "--no-report");
    expect(again.out).toMatch(/^4\/4 cells stored .*\(4 already there/m);
    expect(readFileSync(join(out, "records.jsonl"), "utf8").trim().split("\n")).toHaveLength(4);
  });
});

describe("smaller points", () => {
  test("run nosuch lists the known experiments but not the internal sweep-probe", async () => {
    const r = await runCli("run", "nosuch");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown experiment "nosuch"; known: collins-convergence/);
    expect(r.err).not.toContain("sweep-probe");
  });

  test("a --set given twice is an error naming the parameter", async () => {
    const r = await runCli("run", "collins-convergence", "--set", "alpha=0.1", "--set", "alpha=0.2");
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(
      'metarep: "--set" gives "alpha" more than once ("alpha=0.1", then "alpha=0.2"); give it once.',
    );
  });

  test("medians of iteration counts print as integers or halves, real-valued metrics with their digits", async () => {
    const r = await runCli(
      "run",
      "collins-convergence",
      "--size",
      "smoke",
      "--seeds",
      "2",
      "--out",
      join(tmp, "run"),
      "--quiet",
    );
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    const head = lines.findIndex((l) => l.startsWith("method"));
    const cols = lines[head].split(/\s{2,}/);
    const rows = lines.slice(head + 2, head + 7).map((l) => l.split(/\s{2,}/));
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      // Integers or halves, in one format per column: "36.0" beside "36.5".
      for (const c of ["median iters to dist < 1e-3", "median iters to dist < 1e-6"])
        expect(row[cols.indexOf(c)]).toMatch(/^(\d+(\.[05])?|never)$/);
      // Converged methods sit at float64 noise (~1e-16), printed as 0 (one format per column).
      expect(row[cols.indexOf("final dist")]).toMatch(/^(\d\.\d{4}|0)$|e[-+]\d+$/);
    }
    // Two seeds with different iteration counts: some median is a half.
    expect(rows.some((row) => /\.5$/.test(row[cols.indexOf("median iters to dist < 1e-3")]))).toBe(true);
  });

  test("report accepts a run's output directory (and a directory of them)", async () => {
    const out = join(tmp, "run");
    const one = await runCli("report", join(out, "collins-convergence"), "--out", join(tmp, "rep1"));
    expect(one.err).toBe("");
    expect(one.code).toBe(0);
    const html = readFileSync(join(tmp, "rep1", "report.html"), "utf8");
    expect(html).toContain("collins-convergence");
    expect(html).toContain("metarep run collins-convergence --size smoke --seeds 2");
    const all = await runCli("report", out);
    expect(all.code).toBe(0);
    expect(existsSync(join(out, "report.html"))).toBe(true);
    const none = await runCli("report", join(tmp, "rep1"));
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      /is not a sweep store \(no manifest\.json\) nor a run's output \(no record\.json\)/,
    );
  });
});
