import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import type { RunRecord } from "../record/types.js";
import { cli, REPO } from "../sweep/testing.js";
import { loadPlugin, pluginsUsed, unloadPlugins } from "./load.js";

/*
 * Plug-ins through the real CLI (the built binary, a process per command): the example estimator
 * beside the baselines on identical data, provenance and `run --record`, every bad-plug-in case,
 * and the library's programmatic registration from the built package.
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-plugins-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => unloadPlugins());

const EXAMPLES = join(REPO, "examples", "plugins");
const GRASSMANN = join(EXAMPLES, "grassmann-refine.mjs");
const NOISE = join(EXAMPLES, "noise-sweep.mjs");
const ANISOTROPIC = join(EXAMPLES, "anisotropic-covariates.mjs");
const BUILT_IN = ["mom", "altmin", "oracle", "ols"];

const readRecord = (dir: string, id: string): RunRecord =>
  JSON.parse(readFileSync(join(dir, id, "record.json"), "utf8")) as RunRecord;

/** A record's curves of one method, as JSON text (bytes). */
const curvesOf = (r: RunRecord, method: string) =>
  JSON.stringify(r.result.seeds.map((s) => s.curves.filter((c) => c.labels.method === method)));

async function run(...args: string[]) {
  return cli(args).done;
}

/** `metarep run <id> --size smoke --seeds N --quiet …`. */
function runSmoke(id: string, seeds: number, ...args: string[]) {
  return run("run", id, "--size", "smoke", "--seeds", String(seeds), "--quiet", ...args);
}

describe("the example estimator beside the baselines (du-excess-risk)", () => {
  test("the baselines' numbers are the same bytes with and without the plug-in, and it adds its own curves", async () => {
    const without = join(tmp, "without");
    const withIt = join(tmp, "with");
    const common = ["run", "du-excess-risk", "--size", "smoke", "--seeds", "2", "--quiet"];
    const a = await run(...common, "--set", `methods=${BUILT_IN.join(",")}`, "--out", without);
    const b = await run(
      ...common,
      "--set",
      `methods=${[...BUILT_IN.slice(0, 2), "grassmann", ...BUILT_IN.slice(2)].join(",")}`,
      "--plugin",
      GRASSMANN,
      "--out",
      withIt,
    );
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const ra = readRecord(without, "du-excess-risk");
    const rb = readRecord(withIt, "du-excess-risk");
    for (const m of BUILT_IN) {
      expect(curvesOf(rb, m).length).toBeGreaterThan(10);
      expect(curvesOf(rb, m)).toBe(curvesOf(ra, m));
    }
    // The paired "excess over oracle" is paired for the plug-in too (same targets as the oracle).
    const mine = rb.result.seeds[0].curves.filter((c) => c.labels.method === "grassmann");
    expect(new Set(mine.map((c) => c.labels.quantity))).toEqual(
      new Set([
        "excess risk",
        "excess over oracle",
        "se of excess over oracle",
        "dist",
        "cond(Ŵ)",
        "mean ‖ŵ‖",
      ]),
    );
    // It refines MoM: never worse than its start, on every seed and setting.
    for (const s of rb.result.seeds) {
      const dist = (m: string, sweep: string) =>
        s.curves.find(
          (c) => c.labels.method === m && c.labels.quantity === "dist" && c.labels.sweep === sweep,
        )!.y;
      for (const sweep of ["T", "n1"]) {
        const g = dist("grassmann", sweep);
        const mom = dist("mom", sweep);
        for (const [i, v] of g.entries()) expect(v).toBeLessThanOrEqual(mom[i] + 1e-12);
      }
    }
    // Provenance: id, file name and the sha256 of the file's bytes; none without the plug-in.
    // With the name and colour of the entry it used, for figures drawn without the plug-in.
    const entry = { kind: "estimator", id: "grassmann", name: "MoM + Grassmann RGD", color: "#8c564b" };
    expect(rb.plugins).toEqual([
      {
        id: "grassmann-refine",
        file: "grassmann-refine.mjs",
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        entries: [entry],
      },
    ]);
    expect(ra.plugins).toBeUndefined();
    // Its figure names it with its own name.
    const svg = readFileSync(join(withIt, "du-excess-risk", "figures", "excess-over-oracle.svg"), "utf8");
    expect(svg).toContain("MoM + Grassmann RGD");
    // `report` without the plug-in draws it from the record, and says so once.
    const redrawn = join(tmp, "redrawn");
    const r = await run("report", withIt, "--out", redrawn);
    expect(r.code, r.err).toBe(0);
    expect(r.err.match(/is not loaded/g)).toHaveLength(1);
    expect(r.err).toContain('plug-in "grassmann-refine" is not loaded: drawing MoM + Grassmann RGD');
    const again = readFileSync(
      join(withIt, "du-excess-risk", "figures", "excess-over-oracle.vl.json"),
      "utf8",
    );
    expect(again).toContain('"MoM + Grassmann RGD');
    expect(again).toContain(entry.color);
    expect(again).toContain("name and colour from the record (its plug-in is not loaded)");
  });

  test("run --record: identical with the same file; a one-line refusal naming both digests after it changes", async () => {
    const out = join(tmp, "record-src");
    const made = await runSmoke(
      "du-excess-risk",
      1,
      "--set",
      "methods=mom,grassmann,oracle",
      "--plugin",
      GRASSMANN,
      "--out",
      out,
    );
    expect(made.code, made.err).toBe(0);
    const file = join(out, "du-excess-risk", "record.json");
    const same = await run("run", "--record", file, "--plugin", GRASSMANN, "--quiet");
    expect(same.code, same.err).toBe(0);
    expect(same.out).toMatch(/results identical to/);

    const missing = await run("run", "--record", file, "--quiet");
    expect(missing.code).toBe(2);
    expect(missing.err.trim().split("\n")).toHaveLength(1);
    expect(missing.err).toMatch(
      /uses plug-in "grassmann-refine" \(grassmann-refine\.mjs, sha256 [0-9a-f]{64}\); load it with --plugin/,
    );

    const changedDir = join(tmp, "changed");
    mkdirSync(changedDir);
    const changed = join(changedDir, "grassmann-refine.mjs");
    copyFileSync(GRASSMANN, changed);
    writeFileSync(changed, `${readFileSync(changed, "utf8")}\n// a comment changes the bytes\n`);
    const refused = await run("run", "--record", file, "--plugin", changed, "--quiet");
    expect(refused.code).toBe(2);
    const line = refused.err.trim();
    expect(line.split("\n")).toHaveLength(1);
    const recorded = readRecord(out, "du-excess-risk").plugins![0].sha256;
    expect(line).toContain('plug-in "grassmann-refine"');
    expect(line).toContain(recorded);
    expect(line).toMatch(/grassmann-refine\.mjs has sha256 [0-9a-f]{64}/);
    expect(line).not.toContain(`has sha256 ${recorded}`);
  });
});

describe("the example task family (anisotropic covariates) through the CLI", () => {
  test("du-excess-risk and collins-finite-samples (direct sampler) run on it, with its provenance; isotropic-equivalent options give the isotropic bytes", async () => {
    const family = ["--plugin", ANISOTROPIC, "--set", "family=anisotropic-covariates"];
    const du = join(tmp, "family-du");
    const a = await runSmoke(
      "du-excess-risk",
      1,
      ...family,
      "--set",
      'family_options={"ratio":4}',
      "--out",
      du,
    );
    expect(a.code, a.err).toBe(0);
    const rd = readRecord(du, "du-excess-risk");
    expect(rd.status).toBe("ok");
    expect(rd.plugins?.map((p) => p.id)).toEqual(["anisotropic-covariates"]);
    const collins = join(tmp, "family-collins");
    const direct = ["--set", "sampler=direct", "--set", "splits=false"];
    const b = await runSmoke(
      "collins-finite-samples",
      1,
      ...family,
      ...direct,
      "--set",
      'family_options={"ratio":4}',
      "--out",
      collins,
    );
    expect(b.code, b.err).toBe(0);
    expect(readRecord(collins, "collins-finite-samples").plugins?.map((p) => p.id)).toEqual([
      "anisotropic-covariates",
    ]);
    // Σ = I (ratio 1, no rotation): the same numbers as the built-in isotropic sampler.
    const iso = join(tmp, "family-iso");
    const plain = join(tmp, "family-plain");
    const c = await runSmoke(
      "collins-finite-samples",
      1,
      ...family,
      ...direct,
      "--set",
      'family_options={"ratio":1,"rotate":false}',
      "--out",
      iso,
    );
    const d = await runSmoke("collins-finite-samples", 1, ...direct, "--out", plain);
    expect(c.code, c.err).toBe(0);
    expect(d.code, d.err).toBe(0);
    expect(JSON.stringify(readRecord(iso, "collins-finite-samples").result)).toBe(
      JSON.stringify(readRecord(plain, "collins-finite-samples").result),
    );
  });
});

describe("the example experiment (noise-sweep)", () => {
  test("runs from the CLI with its figure, lists under `list`, and its fitted shapes match (AltMin's error ∝ σ)", async () => {
    const listed = await run("list", "--plugin", NOISE);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toContain("noise-sweep");
    const out = join(tmp, "noise");
    const r = await run("run", "noise-sweep", "--size", "smoke", "--quiet", "--plugin", NOISE, "--out", out);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(out, "noise-sweep", "figures", "dist-vs-noise.png"))).toBe(true);
    const rec = readRecord(out, "noise-sweep");
    expect(rec.plugins?.map((p) => p.id)).toEqual(["noise-sweep"]);
    // Least squares is consistent: with common random numbers its error scales with σ while the
    // noise is small (σ 0.1 → 0.5: ×5); MoM's has a noise-free part (√(1 + σ²): ×1.1).
    for (const s of rec.result.seeds) {
      const y = (m: string) => s.curves.find((c) => c.labels.method === m)!.y;
      expect(s.curves.find((c) => c.labels.method === "altmin")!.x).toEqual([0.1, 0.5, 2]);
      expect(y("altmin")[1] / y("altmin")[0]).toBeGreaterThan(4);
      expect(y("altmin")[1] / y("altmin")[0]).toBeLessThan(6);
      expect(y("mom")[1] / y("mom")[0]).toBeLessThan(2);
    }
  });
});

describe("reproduce and report with a plug-in's experiment", () => {
  test("reproduce runs it on threads into a store; report names the plug-in it needs, then draws it", async () => {
    const out = join(tmp, "reproduce");
    const r = await run(
      "reproduce",
      "noise-sweep",
      "--size",
      "smoke",
      "--seeds",
      "2",
      "--plugin",
      NOISE,
      "--out",
      out,
    );
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(out, "report.html"))).toBe(true);
    const again = join(tmp, "report-again");
    const without = await run("report", out, "--out", again);
    expect(without.code).toBe(2);
    expect(without.err).toMatch(
      /uses plug-in "noise-sweep" \(noise-sweep\.mjs, sha256 [0-9a-f]{64}\); load it with --plugin/,
    );
    expect(existsSync(again)).toBe(false);
    const withIt = await run("report", out, "--out", again, "--plugin", NOISE);
    expect(withIt.code, withIt.err).toBe(0);
    expect(readFileSync(join(again, "report.html"), "utf8")).toContain("Label noise");
  });
});

describe("bad plug-ins: exit 2, one line naming the file and the problem, nothing written", () => {
  const bad = (name: string, text: string) => {
    const p = join(tmp, "bad", name);
    mkdirSync(join(tmp, "bad"), { recursive: true });
    writeFileSync(p, text);
    return p;
  };
  const estimator = (id: string, extra = "") =>
    `export default ({ z }) => ({ estimators: [{ id: "${id}", ${extra} fit(data, k) { return { B: { rows: data.d, cols: k, data: new Float64Array(data.d * k) } }; } }] });\n`;
  const cases: [string, () => string[], RegExp][] = [
    [
      "a missing file",
      () => [join(tmp, "nope.mjs")],
      /cannot read plug-in file .*nope\.mjs \(no such file\)/,
    ],
    [
      "a syntax error",
      () => [bad("syntax.mjs", "export default { estimators: [ }\n")],
      /plug-in file syntax\.mjs cannot be imported: SyntaxError/,
    ],
    [
      "a module that exports nothing registrable",
      () => [bad("empty.mjs", "export const answer = 42;\n")],
      /plug-in empty \(empty\.mjs\): exports nothing registrable/,
    ],
    [
      "an id colliding with a built-in",
      () => [bad("clash.mjs", estimator("mom"))],
      /plug-in clash \(clash\.mjs\): estimator id "mom" collides with a built-in/,
    ],
    [
      "an id colliding with another plug-in",
      () => [bad("one.mjs", estimator("twin")), bad("two.mjs", estimator("twin"))],
      /plug-in two \(two\.mjs\): estimator id "twin" collides with plug-in one \(one\.mjs\)/,
    ],
    [
      "an options schema that rejects its defaults",
      () => [bad("options.mjs", estimator("strict", "options: z.strictObject({ steps: z.number() }),"))],
      /plug-in options \(options\.mjs\): estimator "strict": its options schema rejects its own defaults \(\{\}\): "steps"/,
    ],
    [
      "an experiment's figure without select.yName (refused at load, before any cell runs)",
      () => [
        bad(
          "no-yname.mjs",
          readFileSync(join(REPO, "examples", "plugins", "noise-sweep.mjs"), "utf8").replace(
            'select: { yName: "dist" }',
            "select: {}",
          ),
        ),
      ],
      /plug-in noise-sweep \(no-yname\.mjs\): experiment "noise-sweep": figure "dist-vs-noise" \(figures\.0\): "select\.yName" must name the curves' y quantity \(a string, or a list of them\)\./,
    ],
  ];
  test.each(cases)("%s", async (_what, files, message) => {
    const out = join(tmp, `bad-out-${_what.replaceAll(" ", "-")}`);
    const args = files().flatMap((f) => ["--plugin", f]);
    const r = await run("run", "du-excess-risk", "--size", "smoke", "--seeds", "1", "--out", out, ...args);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});

describe("a plug-in that fails while running", () => {
  test("throwing, a wrong shape and non-finite numbers fail the run with the plug-in named; nothing is written", async () => {
    const file = join(tmp, "broken.mjs");
    writeFileSync(
      file,
      `export default () => ({ estimators: [
        { id: "throws", fit() { throw new Error("boom"); } },
        { id: "shape", fit(data) { return { B: { rows: data.d, cols: 1, data: new Float64Array(data.d) } }; } },
        { id: "nan", fit(data, k) { return { B: { rows: data.d, cols: k, data: new Float64Array(data.d * k).fill(NaN) } }; } },
      ] });\n`,
    );
    const expected: [string, RegExp][] = [
      ["throws", /plug-in broken \(broken\.mjs\): estimator "throws" threw: boom/],
      [
        "shape",
        /plug-in broken \(broken\.mjs\): estimator "shape" returned "B" of \d+ × 1; expected d × k = \d+ × 3/,
      ],
      ["nan", /plug-in broken \(broken\.mjs\): estimator "nan" returned a non-finite entry in "B"/],
    ];
    for (const [id, message] of expected) {
      const out = join(tmp, `broken-${id}`);
      const r = await runSmoke(
        "du-excess-risk",
        1,
        "--set",
        `methods=mom,${id}`,
        "--plugin",
        file,
        "--out",
        out,
      );
      expect(r.code, r.err).not.toBe(0);
      expect(r.err).toMatch(message);
      expect(existsSync(join(out, "du-excess-risk", "record.json"))).toBe(false);
    }
  });
});

describe("a plug-in method beside ANIL and MAML (collins-convergence)", () => {
  test("FO-ANIL written against the plug-in contract matches the built-in FO-ANIL to 1e-9", async () => {
    const file = join(tmp, "my-fo-anil.mjs");
    // w' = w − αBᵀg_in(Bw); r' = g_out(Bw'); G_B += r'w'ᵀ; G_w += Bᵀr' (SPEC §1.2, first order).
    writeFileSync(
      file,
      `export default () => ({ methods: [{ id: "my-fo-anil", name: "FO-ANIL (plug-in)", firstOrder: true,
        taskGradient({ B, w }, task, alpha, grad) {
          const d = B.rows, k = B.cols, b = B.data;
          const mul = (v) => { const o = new Float64Array(d); for (let i = 0; i < d; i++) { let a = 0; for (let c = 0; c < k; c++) a += b[i * k + c] * v[c]; o[i] = a; } return o; };
          const tmul = (v) => { const o = new Float64Array(k); for (let c = 0; c < k; c++) { let a = 0; for (let i = 0; i < d; i++) a += b[i * k + c] * v[i]; o[c] = a; } return o; };
          const r = new Float64Array(d); task.inner.residual(task.theta, mul(w), r);
          const btr = tmul(r); const wp = new Float64Array(k); for (let c = 0; c < k; c++) wp[c] = w[c] - alpha * btr[c];
          const rp = new Float64Array(d); task.outer.residual(task.theta, mul(wp), rp);
          for (let i = 0; i < d; i++) for (let c = 0; c < k; c++) grad.GB.data[i * k + c] += rp[i] * wp[c];
          const h = tmul(rp); for (let c = 0; c < k; c++) grad.Gw[c] += h[c];
        } }] });\n`,
    );
    const out = join(tmp, "method");
    const r = await runSmoke(
      "collins-convergence",
      2,
      "--set",
      "methods=fo-anil,my-fo-anil,anil",
      "--plugin",
      file,
      "--out",
      out,
    );
    expect(r.code, r.err).toBe(0);
    const rec = readRecord(out, "collins-convergence");
    expect(rec.plugins?.map((p) => p.id)).toEqual(["my-fo-anil"]);
    for (const s of rec.result.seeds) {
      const dist = (m: string) => s.curves.find((c) => c.labels.method === m && c.yName === "dist")!.y;
      const ours = dist("my-fo-anil");
      const theirs = dist("fo-anil");
      expect(ours).toHaveLength(theirs.length);
      expect(theirs[theirs.length - 1]).toBeLessThan(theirs[0] * 1e-3); // it converged: a real comparison
      // Same iterates up to rounding (summation order differs): within 1e-9 of the problem's scale.
      for (const [i, v] of ours.entries())
        expect(Math.abs(v - theirs[i])).toBeLessThanOrEqual(1e-9 * theirs[0]);
    }
  });
});

describe("a plug-in failing in some cells of a sweep", () => {
  test("those cells are recorded failures naming the plug-in; every other cell is stored", async () => {
    const file = join(tmp, "flaky.mjs");
    writeFileSync(
      file,
      `export default ({ getEstimator }) => ({ estimators: [{ id: "flaky",
        fit(data, k, o, ctx) { if (data.d === 13) throw new Error("no good at d = 13"); return getEstimator("mom").fit(data, k, {}, ctx); } }] });\n`,
    );
    const spec = join(tmp, "flaky.yaml");
    writeFileSync(
      spec,
      `experiment: du-excess-risk\nsize: smoke\nseeds: 1\nplugins: [flaky.mjs]\nparams: { methods: [mom, flaky], targets: 50 }\ngrid:\n  d: [12, 13]\n`,
    );
    const store = join(tmp, "flaky-store");
    const r = await run("sweep", spec, "--out", store, "--workers", "2", "--no-report");
    expect(r.code).toBe(1);
    const records = readFileSync(join(store, "records.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RunRecord);
    const failures = readFileSync(join(store, "failures.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { error: string; grid: { d: number } });
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((x) => x.params.d === 12 && x.plugins?.[0]?.id === "flaky")).toBe(true);
    expect(failures.length).toBeGreaterThan(0);
    expect(
      failures.every(
        (f) =>
          f.grid.d === 13 &&
          /plug-in flaky \(flaky\.mjs\): estimator "flaky" threw: no good at d = 13/.test(f.error),
      ),
    ).toBe(true);
    // Resuming the store with a changed plug-in file would mix two versions: refused, nothing run.
    writeFileSync(file, `${readFileSync(file, "utf8")}// changed\n`);
    const again = await run("sweep", spec, "--out", store, "--workers", "2", "--no-report");
    expect(again.code).toBe(2);
    expect(again.err).toMatch(
      /holds cells made with plug-in "flaky" sha256 [0-9a-f]{64}; the loaded flaky\.mjs has sha256 [0-9a-f]{64}/,
    );
    expect(readFileSync(join(store, "records.jsonl"), "utf8").trim().split("\n")).toHaveLength(
      records.length,
    );
  });
});

describe("provenance in-process", () => {
  test("pluginsUsed names a plug-in only when the experiment or its parameters use one of its ids", async () => {
    const p = await loadPlugin(GRASSMANN);
    expect(p.provides).toEqual([{ kind: "estimator", id: "grassmann" }]);
    expect(pluginsUsed("du-excess-risk", { methods: ["mom", "altmin"] })).toEqual([]);
    expect(pluginsUsed("du-excess-risk", { methods: ["mom", "grassmann"] })).toEqual([
      {
        id: "grassmann-refine",
        file: "grassmann-refine.mjs",
        sha256: p.sha256,
        entries: [{ kind: "estimator", id: "grassmann", name: "MoM + Grassmann RGD", color: "#8c564b" }],
      },
    ]);
    expect(pluginsUsed("du-excess-risk", { estimator_options: { grassmann: { steps: 2 } } })).toHaveLength(1);
    // Loading the same bytes again is a no-op.
    expect(await loadPlugin(GRASSMANN)).toBe(p);
  });
});

describe("the library registers the same plug-ins programmatically", () => {
  test("a script importing the built package registers the example estimator and runs it beside MoM", async () => {
    // Inside the package (test-output/ is git-ignored), so "metarep" resolves to the built package
    // through its own "exports", as it does for a user who installed it.
    const dir = join(REPO, "test-output", "plugins");
    mkdirSync(dir, { recursive: true });
    const script = join(dir, "programmatic.mjs");
    writeFileSync(
      script,
      `import * as metarep from "metarep";
import { z } from "zod";
import examplePlugin from ${JSON.stringify(GRASSMANN)};
const provided = metarep.registerPlugin(examplePlugin({ ...metarep, z }));
const exp = metarep.getExperiment("du-excess-risk");
const params = metarep.resolveParams(exp, "smoke", { methods: ["mom", "grassmann"] });
const rec = metarep.runRecord({ experiment: exp, params, size: "smoke", seed: 0, seedIndices: [0], command: "script", ctx: { progress() {}, warn() {} } });
const dist = (m) => rec.result.seeds[0].curves.find((c) => c.labels.method === m && c.labels.quantity === "dist" && c.labels.sweep === "T").y;
console.log(JSON.stringify({ provided, mom: dist("mom"), grassmann: dist("grassmann") }));
`,
    );
    const { spawn } = await import("node:child_process");
    const proc = spawn(process.execPath, [script], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d) => {
      out += d;
    });
    proc.stderr.on("data", (d) => {
      err += d;
    });
    const code = await new Promise((res) => proc.on("exit", res));
    expect(code, err).toBe(0);
    const res = JSON.parse(out) as { provided: unknown; mom: number[]; grassmann: number[] };
    expect(res.provided).toEqual([{ kind: "estimator", id: "grassmann" }]);
    expect(res.grassmann).toHaveLength(res.mom.length);
    for (const [i, g] of res.grassmann.entries()) expect(g).toBeLessThanOrEqual(res.mom[i] + 1e-12);
  });
});
