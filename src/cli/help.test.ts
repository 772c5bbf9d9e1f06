import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { experimentInfo } from "../experiments/describe.js";
import { getExperiment, listExperiments } from "../experiments/registry.js";
import { closestNames, didYouMean, editDistance } from "../suggest.js";
import { CLI } from "../sweep/testing.js";
import { describeExperiment } from "./describe.js";
import { runCli } from "./testing.js";

/**
 * Issue 21, CLI: per-experiment help (`describe`, `run <id> --help`, `list <id>`), "did you mean"
 * for ids, parameters, flags and commands, one error prefix, a closed pipe that ends the process
 * quietly, paths printed as given, and one output layout for `run` and `reproduce`.
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-help-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Spawn the built CLI in `cwd`; `closeStdout`: close our end of its stdout before it writes. */
function spawnCli(args: string[], opts: { cwd?: string; closeStdout?: boolean } = {}) {
  const p = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: opts.cwd ?? tmp,
  });
  let out = "";
  let err = "";
  if (opts.closeStdout) p.stdout.destroy();
  else p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (err += d));
  return new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((res) =>
    p.on("close", (code, signal) => res({ code, signal, out, err })),
  );
}

describe("suggestions", () => {
  test("edit distance counts a swap of neighbours as one edit", () => {
    expect(editDistance("seed", "seed")).toBe(0);
    expect(editDistance("sede", "seed")).toBe(1);
    expect(editDistance("sed", "seed")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    // Symmetric, and a metric on these samples (triangle inequality).
    const w = ["anil", "fo-anil", "maml", "fo-maml", "avg-gd", "nail"];
    for (const a of w)
      for (const b of w) {
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        for (const c of w)
          expect(editDistance(a, c)).toBeLessThanOrEqual(editDistance(a, b) + editDistance(b, c));
      }
  });

  test("the closest names, a family for a fragment, nothing when nothing is close", () => {
    const ids = listExperiments().map((e) => e.id);
    expect(closestNames("colins-convergence", ids)).toEqual(["collins-convergence"]);
    expect(closestNames("kong-subspcae", ids)).toEqual(["kong-subspace"]);
    expect(closestNames("kong", ids).length).toBeGreaterThan(3);
    expect(closestNames("kong", ids).every((i) => i.startsWith("kong-"))).toBe(true);
    expect(closestNames("zzzzzz", ids)).toEqual([]);
    expect(didYouMean("mu", ["mus", "nu", "iters"])).toBe(' Did you mean "mus" or "nu"?');
    expect(didYouMean("xyz", ["mus"])).toBe("");
  });
});

describe("metarep describe <id>, run <id> --help, list <id>", () => {
  test("describe prints title, paper, parameters with defaults and descriptions, sizes, conditions, figures, cost", async () => {
    const r = await runCli("describe", "collins-diversity");
    expect(r.code, r.err).toBe(0);
    const exp = getExperiment("collins-diversity");
    expect(r.out.startsWith(`collins-diversity: ${exp.title}\n`)).toBe(true);
    expect(r.out).toContain("Collins, Mokhtari, Oh, Shakkottai");
    // Every parameter of the schema, with its constraint and its default.
    for (const name of Object.keys((exp.params as unknown as { shape: object }).shape))
      expect(r.out).toMatch(new RegExp(`\\n  ${name} +`));
    expect(r.out).toMatch(/\n {2}alpha +number > 0; default 0\.5\n +inner step size α/);
    expect(r.out).toMatch(/\n {2}iters +integer ≥ 1; paper 4000, smoke 400\n/);
    expect(r.out).toMatch(/\n {2}heads +one of collins, isotropic; default collins/);
    // Sizes with their cells (conditions × seeds) and memory estimate, and the conditions.
    expect(r.out).toMatch(/paper: iters=4000; 40 cells \(4 conditions × 10 seeds\), about \d+ MB of memory/);
    expect(r.out).toMatch(/conditions: mu=1; mu=0\.5; mu=0\.2; mu=0\.1/);
    expect(r.out).toMatch(
      /Figures \(written to <out>\/<id>\/figures\/<name>\.\{svg,png,vl\.json\}\):\n {2}rate: /,
    );
  });

  test("every experiment describes itself, and its cost matches its sizes", () => {
    for (const e of listExperiments()) {
      const info = experimentInfo(e);
      expect(info.params.length).toBeGreaterThan(0);
      for (const s of info.sizes) expect(s.cells).toBe(s.conditions.length * e.seeds[s.size]);
      const text = describeExperiment(e, 100);
      expect(text.replace(/\s+/g, " ")).toContain(`${e.id}: ${e.title}`);
      for (const l of text.split("\n")) expect(l.length, `${e.id}: ${l}`).toBeLessThanOrEqual(100);
    }
  });

  test("run <id> --help and list <id> print the description, then the command's own help", async () => {
    const help = await runCli("run", "du-excess-risk", "--help");
    expect(help.code, help.err).toBe(0);
    expect(help.out.startsWith(describeExperiment(getExperiment("du-excess-risk")))).toBe(true);
    expect(help.out).toMatch(/Usage: metarep run \[options\] \[id\]/);
    expect(help.out).toMatch(/Examples:/);
    const list = await runCli("list", "du-excess-risk");
    expect(list.out).toBe(describeExperiment(getExperiment("du-excess-risk")));
    // Without an id, the generic help only.
    const plain = await runCli("run", "--help");
    expect(plain.out.startsWith("Usage: metarep run")).toBe(true);
  });

  test("an unknown id in describe or run --help: one line, exit 2, with a suggestion", async () => {
    for (const args of [
      ["describe", "colins-diversity"],
      ["run", "colins-diversity", "--help"],
    ]) {
      const r = await runCli(...args);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(
        /^metarep: unknown experiment "colins-diversity"; known: .*\. Did you mean "collins-diversity"\?\n$/,
      );
    }
  });
});

describe("did you mean, and one error prefix", () => {
  test.each([
    [
      "an experiment id",
      ["run", "kong-subspcae", "--size", "smoke"],
      /unknown experiment "kong-subspcae".* Did you mean "kong-subspace"\?/,
    ],
    [
      "a --set name",
      ["run", "collins-diversity", "--size", "smoke", "--set", "mu=0.5"],
      /unknown parameter "mu" \(did you mean "mus"\?\); known: /,
    ],
    [
      "a flag",
      ["run", "collins-diversity", "--sede", "3"],
      /unknown option '--sede' \(did you mean --seed\?\)/,
    ],
    ["a command", ["describ", "collins-diversity"], /unknown command 'describ' \(did you mean describe\?\)/],
    [
      "an estimator in --set methods",
      ["run", "du-excess-risk", "--size", "smoke", "--set", "methods=altmni"],
      /"altmin"/,
    ],
  ])("%s: one line with the prefix metarep:, exit 2", async (_what, args, message) => {
    const r = await runCli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/^metarep: /);
    expect(r.err).not.toMatch(/^error:/m);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });

  test("a missing argument and a missing value also carry the prefix", async () => {
    const a = await runCli("describe");
    expect(a.code).toBe(2);
    expect(a.err).toBe("metarep: missing required argument 'id'\n");
    const b = await runCli("run", "collins-diversity", "--seed");
    expect(b.err).toMatch(/^metarep: option '--seed <S>' argument missing\n$/);
  });
});

describe("a closed pipe ends the process quietly", () => {
  test.each([
    ["help run", ["help", "run"]],
    ["run <id> --help", ["run", "collins-convergence", "--help"]],
    ["describe", ["describe", "du-excess-risk"]],
    ["list --json (100 kB)", ["list", "--json"]],
  ])("%s with its reader gone: exit 0, nothing on stderr", async (_what, args) => {
    const r = await spawnCli(args, { closeStdout: true });
    expect(r.err).toBe("");
    expect(r.signal).toBe(null);
    expect(r.code).toBe(0);
  });
});

describe("paths are printed as the user gave them; one layout for run and reproduce", () => {
  test("run --out ABSOLUTE prints absolute paths; run --out RELATIVE prints them relative", async () => {
    const abs = join(tmp, "abs");
    const a = await spawnCli([
      "run",
      "collins-convergence",
      "--size",
      "smoke",
      "--seeds",
      "1",
      "--quiet",
      "--out",
      abs,
    ]);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toContain(`record: ${join(abs, "collins-convergence", "record.json")}\n`);
    expect(a.out).toMatch(new RegExp(`figures: ${join(abs, "collins-convergence", "figures")}/\\S+\\.png`));
    const r = await spawnCli(
      ["run", "collins-convergence", "--size", "smoke", "--seeds", "1", "--quiet", "--out", "rel"],
      {
        cwd: tmp,
      },
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("record: rel/collins-convergence/record.json\n");
    expect(r.out).toMatch(/figures: rel\/collins-convergence\/figures\/\S+\.png/);
  });

  test("reproduce --out ABSOLUTE: absolute report path; the same record.json and figures/<name> as run", async () => {
    const out = join(tmp, "repro");
    const r = await spawnCli([
      "reproduce",
      "collins-convergence",
      "--size",
      "smoke",
      "--seeds",
      "2",
      "--workers",
      "1",
      "--out",
      out,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`Report: ${join(out, "report.html")} `);
    const run = join(tmp, "run");
    const s = await spawnCli([
      "run",
      "collins-convergence",
      "--size",
      "smoke",
      "--seeds",
      "2",
      "--quiet",
      "--out",
      run,
    ]);
    expect(s.code, s.err).toBe(0);
    const figs = (d: string) =>
      readdirSync(join(d, "collins-convergence", "figures"))
        .filter((f) => f.endsWith(".png"))
        .sort();
    // The same figure files (no "all-" prefix), and a record of every seed in both.
    expect(figs(out)).toEqual(figs(run));
    expect(figs(run).length).toBe(getExperiment("collins-convergence").figures.length);
    const rec = (d: string) =>
      JSON.parse(readFileSync(join(d, "collins-convergence", "record.json"), "utf8"));
    expect(rec(out).seedIndices).toEqual([0, 1]);
    expect(rec(out).result).toEqual(rec(run).result);
    expect(existsSync(join(out, "collins-convergence", "records.jsonl"))).toBe(true);
    // reproduce's record re-runs with run --record, identical.
    const again = await spawnCli([
      "run",
      "--record",
      join(out, "collins-convergence", "record.json"),
      "--quiet",
    ]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/results identical to /);
  });
});

describe("sweep --help: what a user running a spec from elsewhere must know (issue 23, items 6 and 8)", () => {
  test("says that a spec's plug-ins run before it is checked, and states the trust model and the audit", async () => {
    const r = await runCli("sweep", "--help");
    expect(r.code).toBe(0);
    const text = r.out.replace(/\s+/g, " ");
    expect(text).toContain(
      `A spec's "plugins: [files]" are code: they are imported, and their top-level code runs, before the rest of the spec is checked, even if the spec is then refused.`,
    );
    expect(text).toContain("workers are trusted machines");
    expect(text).toContain("Give Redis a password, and use rediss:// (TLS) across networks.");
    expect(text).toMatch(/--audit <fraction> .*0 = off; default 0\.02/);
  });
});
