import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "./testing.js";

const tmp = mkdtempSync(join(tmpdir(), "metarep-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = runCli;

describe("metarep run: bad input is one line naming parameter, constraint and value; exit 2; nothing written", () => {
  const cases: [string, string[], RegExp][] = [
    [
      "an unknown experiment id (lists the known ones)",
      ["run", "collins-nope"],
      /unknown experiment "collins-nope"; known: collins-convergence, collins-diversity/,
    ],
    ["k > d", ["run", "collins-convergence", "--set", "k=30"], /"k" must be ≤ d \(= 20\); got 30/],
    ["α ≤ 0", ["run", "collins-convergence", "--set", "alpha=0"], /"alpha" must be > 0; got 0/],
    ["a negative α", ["run", "collins-convergence", "--set", "alpha=-1"], /"alpha" must be > 0; got -1/],
    [
      "a non-numeric --set",
      ["run", "collins-convergence", "--set", "d=abc"],
      /"d" must be a number; got "abc"/,
    ],
    [
      "an unknown parameter name",
      ["run", "collins-convergence", "--set", "gamma=1"],
      /unknown parameter "gamma"; known: d, k, k_prime/,
    ],
    [
      "a malformed --set",
      ["run", "collins-convergence", "--set", "alpha"],
      /"--set" must be name=value; got "alpha"/,
    ],
    [
      "a non-integer dimension",
      ["run", "collins-convergence", "--set", "d=2.5"],
      /"d" must be an integer; got 2.5/,
    ],
    [
      "an unknown method",
      ["run", "collins-convergence", "--set", "methods=reptile"],
      /"methods\[0\]" must be a registered method \(anil, fo-anil, maml, fo-maml, avg-gd\); got "reptile"/,
    ],
    [
      "an unknown size",
      ["run", "collins-convergence", "--size", "huge"],
      /"size" must be one of smoke, paper; got "huge"/,
    ],
    [
      "zero seeds",
      ["run", "collins-convergence", "--seeds", "0"],
      /"--seeds" must be an integer ≥ 1; got "0"/,
    ],
    [
      "a negative seed",
      ["run", "collins-convergence", "--seed", "-3"],
      /"--seed" must be an integer ≥ 0; got "-3"/,
    ],
    ["an empty list", ["run", "collins-diversity", "--set", "mus=[]"], /"mus" must have at least 1 entries/],
  ];
  test.each(cases)("%s", async (_name, args, message) => {
    const out = join(tmp, `bad-${Math.abs(hash(args.join(" ")))}`);
    const r = await cli(...args, "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/^metarep: /);
    expect(r.out).toBe("");
    expect(existsSync(out)).toBe(false);
  });

  test("an unknown option is a usage error with exit code 2", async () => {
    const r = await cli("run", "collins-convergence", "--bogus");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option '--bogus'/);
  });
});

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h;
}

describe("metarep run and list", () => {
  test("list names every experiment", async () => {
    const r = await cli("list");
    expect(r.code).toBe(0);
    for (const id of [
      "collins-convergence",
      "collins-diversity",
      "collins-finite-samples",
      "collins-head-init",
    ]) {
      expect(r.out).toContain(id);
    }
  });

  test("run prints the summary table and writes the record and the figures", async () => {
    const out = join(tmp, "run");
    const r = await cli(
      "run",
      "collins-convergence",
      "--size",
      "smoke",
      "--seeds",
      "2",
      "--set",
      "iters=80",
      "--out",
      out,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /method\s+median iters to dist < 1e-3\s+median iters to dist < 1e-6\s+final dist\s+status/,
    );
    expect(r.out).toMatch(/avg-gd\s+never\s+never/);
    const dir = join(out, "collins-convergence");
    for (const f of ["record.json", "figures/dist.svg", "figures/dist.png", "figures/dist.vl.json"])
      expect(existsSync(join(dir, f))).toBe(true);
    const rec = JSON.parse(readFileSync(join(dir, "record.json"), "utf8"));
    expect(rec.command).toBe(
      "metarep run collins-convergence --size smoke --seeds 2 --seed 0 --set iters=80",
    );
  });

  test("run --json prints the record: per method and seed the dist series, thresholds, final dist and status", async () => {
    const out = join(tmp, "json");
    const r = await cli(
      "run",
      "collins-head-init",
      "--size",
      "smoke",
      "--seeds",
      "2",
      "--set",
      "w0s=1",
      "--json",
      "--out",
      out,
    );
    expect(r.code).toBe(0);
    const rec = JSON.parse(r.out);
    expect(rec.schemaVersion).toBe(1);
    expect(rec.experiment).toBe("collins-head-init");
    expect(rec.params.w0s).toEqual([1]);
    expect(rec.seedIndices).toEqual([0, 1]);
    expect(rec.result.seeds).toHaveLength(2);
    for (const seed of rec.result.seeds) {
      const methods = seed.curves.map((c: { labels: { method: string } }) => c.labels.method);
      expect(methods).toEqual(["anil", "fo-anil", "maml", "fo-maml", "avg-gd"]);
      for (const c of seed.curves) {
        expect(c.y.length).toBeGreaterThan(0);
        expect(c.metrics).toHaveProperty("firstBelow1e-3");
        expect(c.metrics).toHaveProperty("firstBelow1e-6");
        expect(c.metrics.final).toBe(c.y[c.y.length - 1]);
        expect(["ok", "diverged"]).toContain(c.status);
      }
      const fomaml = seed.curves.find((c: { labels: { method: string } }) => c.labels.method === "fo-maml");
      expect(fomaml.status).toBe("diverged");
      expect(fomaml.diverged.iteration).toBeGreaterThan(0);
    }
  });
});

describe("metarep run with several seeds on worker threads", () => {
  test("--workers 2 gives the record of the inline run (--workers 1): same results, cell id and command", async () => {
    const args = [
      "run",
      "collins-convergence",
      "--size",
      "smoke",
      "--seeds",
      "3",
      "--set",
      "iters=60",
      "--json",
    ];
    const one = await cli(...args, "--workers", "1", "--out", join(tmp, "w1"));
    const two = await cli(...args, "--workers", "2", "--out", join(tmp, "w2"));
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    const a = JSON.parse(one.out);
    const b = JSON.parse(two.out);
    expect(b.seedIndices).toEqual([0, 1, 2]);
    expect(b.result).toEqual(a.result);
    expect(b.cellId).toBe(a.cellId);
    expect(b.command).toBe(a.command);
  });

  test("a bad --workers is one line naming the flag, the constraint and the value", async () => {
    const r = await cli(
      "run",
      "collins-convergence",
      "--seeds",
      "2",
      "--workers",
      "0",
      "--out",
      join(tmp, "w0"),
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"--workers" must be an integer ≥ 1; got "0"/);
  });
});
