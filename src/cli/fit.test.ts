import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { lstsq } from "../linalg/lstsq.js";
import { matFrom } from "../linalg/mat.js";
import { subspaceDistance } from "../metrics/subspace.js";
import {
  allocTargetTask,
  type FewShotModel,
  fewShotKeys,
  sampleSourceTasks,
  sampleTargetTask,
} from "../models/fewShotTasks.js";
import { key } from "../rng/key.js";
import { cli as spawnCli } from "../sweep/testing.js";
import { runCli } from "./testing.js";

const tmp = mkdtempSync(join(tmpdir(), "metarep-fit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run `fit`/`adapt` through the real CLI entry, in-process. */
const cli = runCli;

const model: FewShotModel = { d: 10, k: 2, sigma: 0.1, heads: { kind: "gaussian", scale: 1 } };
const src = sampleSourceTasks(model, 100, 30, key(21));
const names = Array.from({ length: 10 }, (_, i) => `x${i + 1}`);

function csv(rows: { task: string; y: number | null; x: ArrayLike<number> }[]): string {
  return `task,y,${names.join(",")}\n${rows.map((r) => `${r.task},${r.y ?? ""},${Array.from(r.x).join(",")}`).join("\n")}\n`;
}

const sourceRows = Array.from({ length: 100 * 30 }, (_, i) => ({
  task: `s${Math.floor(i / 30)}`,
  y: src.data.y[i],
  x: src.data.X.subarray(i * 10, (i + 1) * 10),
}));

describe("metarep fit, then adapt, on a file generated from the model (d=10, k=2, 100 tasks × 30 rows, σ=0.1)", () => {
  const train = join(tmp, "train.csv");
  const modelPath = join(tmp, "model.json");
  const newTasks = join(tmp, "new.csv");
  const predPath = join(tmp, "pred.csv");
  // Three new tasks: 4 labelled rows each (fewer than d = 10), 40 rows to predict.
  const targets = [0, 1, 2].map((j) =>
    sampleTargetTask(model, src.Bstar, fewShotKeys(key(21)).targets, j, allocTargetTask(model, 44)),
  );

  beforeAll(() => {
    writeFileSync(train, csv(sourceRows));
    const rows = targets.flatMap((t, j) =>
      Array.from({ length: 44 }, (_, i) => ({
        task: `new${j}`,
        y: i < 4 ? t.y[i] : null,
        x: t.X.subarray(i * 10, (i + 1) * 10),
      })),
    );
    writeFileSync(newTasks, csv(rows));
  });

  test("fit recovers the subspace (dist < 0.1) and writes the model with heads and diagnostics", async () => {
    const r = await cli("fit", "--data", train, "--k", "2", "--out", modelPath);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/fit altmin: d=10, k=2, 100 tasks, 3000 rows/);
    const m = JSON.parse(readFileSync(modelPath, "utf8"));
    expect(m.format).toBe("metarep-fewshot-model");
    expect(m.features).toEqual(names);
    expect(m.heads).toHaveLength(100);
    expect(m.heads[0].task).toBe("s0");
    const B = matFrom(10, 2, Float64Array.from(m.B.flat()));
    expect(subspaceDistance(B, src.Bstar)).toBeLessThan(0.1);
    expect(m.diagnostics.trainingMse).toBeGreaterThan(0.005);
    expect(m.diagnostics.trainingMse).toBeLessThan(0.02); // ≈ σ² = 0.01
    expect(m.diagnostics.headCondition).toBeGreaterThanOrEqual(1);
  });

  test("adapt predicts held-out targets far better than per-task least squares on the same 4 rows", async () => {
    const r = await cli("adapt", "--model", modelPath, "--data", newTasks, "--out", predPath);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /adapt: 3 tasks \(labelled rows: new0 \(4, conditioning \d+\.\d{4}\), new1 \(4, conditioning \d+\.\d{4}\), new2 \(4, conditioning \d+\.\d{4}\)\); 120 predictions/,
    );
    const lines = readFileSync(predPath, "utf8").trim().split("\n");
    expect(lines[0]).toBe("task,row,prediction");
    expect(lines).toHaveLength(121);
    let ours = 0;
    let ols = 0;
    targets.forEach((t, j) => {
      const fit = lstsq(matFrom(4, 10, t.X.slice(0, 40)), t.y.slice(0, 4)).x; // min-norm OLS in R^10
      for (let i = 4; i < 44; i++) {
        const [task, row, pred] = lines[1 + j * 40 + (i - 4)].split(",");
        expect(task).toBe(`new${j}`);
        expect(Number(row)).toBe(1 + j * 44 + i);
        let truth = 0;
        let base = 0;
        for (let a = 0; a < 10; a++) {
          let th = 0;
          for (let c = 0; c < 2; c++) th += src.Bstar.data[a * 2 + c] * t.wStar[c];
          truth += t.X[i * 10 + a] * th;
          base += t.X[i * 10 + a] * fit[a];
        }
        ours += (Number(pred) - truth) ** 2;
        ols += (base - truth) ** 2;
      }
    });
    expect(ours).toBeLessThan(0.2 * ols);
  });

  test("a JSONL file gives the same model as the CSV", async () => {
    const jl = join(tmp, "train.jsonl");
    writeFileSync(
      jl,
      sourceRows
        .map((r) =>
          JSON.stringify({ task: r.task, y: r.y, ...Object.fromEntries(names.map((n, a) => [n, r.x[a]])) }),
        )
        .join("\n"),
    );
    const out = join(tmp, "model2.json");
    expect((await cli("fit", "--data", jl, "--k", "2", "--out", out)).code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).B).toEqual(JSON.parse(readFileSync(modelPath, "utf8")).B);
  });
});

describe("fit with Bouniot et al.'s head penalty (--lambda-cond, --lambda-norm)", () => {
  const train = join(tmp, "train-pen.csv");
  beforeAll(() => writeFileSync(train, csv(sourceRows)));

  test("--lambda-cond 0 writes the same bytes as no flag; > 0 changes the fit and is recorded", async () => {
    const a = join(tmp, "pen-a.json");
    const b = join(tmp, "pen-b.json");
    const c = join(tmp, "pen-c.json");
    const common = ["--data", train, "--k", "2", "--method", "bm", "--iters", "40"];
    expect((await cli("fit", ...common, "--out", a)).code).toBe(0);
    expect((await cli("fit", ...common, "--lambda-cond", "0", "--lambda-norm", "0", "--out", b)).code).toBe(
      0,
    );
    expect(readFileSync(b, "utf8")).toBe(readFileSync(a, "utf8"));
    const r = await cli("fit", ...common, "--lambda-cond", "0.5", "--lambda-norm", "0.01", "--out", c);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(c, "utf8"));
    expect(m.options).toMatchObject({ lambdaCond: 0.5, lambdaNorm: 0.01 });
    expect(m.diagnostics.info.headCondition).toBeGreaterThanOrEqual(1);
    expect(readFileSync(c, "utf8")).not.toBe(readFileSync(a, "utf8"));
  });
});

describe("fit --options / --set: the estimator's own options, checked by its schema; the model's provenance", () => {
  const train = join(tmp, "train-opt.csv");
  beforeAll(() => writeFileSync(train, csv(sourceRows.slice(0, 40 * 30))));
  const common = () => ["--data", train, "--k", "2"];
  const read = (p: string) => JSON.parse(readFileSync(p, "utf8"));

  test("--options and --set reach the estimator (and are recorded); the same options by either path give the same bytes", async () => {
    const [a, b, c, d] = ["o-a.json", "o-b.json", "o-c.json", "o-d.json"].map((f) => join(tmp, f));
    const r1 = await cli(
      "fit",
      ...common(),
      "--method",
      "altmin",
      "--options",
      '{"iters": 3, "init": "random"}',
      "--out",
      a,
    );
    expect(r1.code, r1.err).toBe(0);
    const r2 = await cli(
      "fit",
      ...common(),
      "--method",
      "altmin",
      "--set",
      "iters=3",
      "--set",
      "init=random",
      "--out",
      b,
    );
    expect(r2.code, r2.err).toBe(0);
    expect(readFileSync(b, "utf8")).toBe(readFileSync(a, "utf8"));
    expect(read(a).options).toEqual({ iters: 3, init: "random", seed: 0 });
    expect(read(a).diagnostics.iterations).toBe(3);
    // The options change the fit: a MoM start instead of a random one gives another B̂.
    const r3 = await cli("fit", ...common(), "--method", "altmin", "--options", '{"iters": 3}', "--out", c);
    expect(r3.code, r3.err).toBe(0);
    expect(read(c).B).not.toEqual(read(a).B);
    // --iters is the same option as {"iters": …}.
    const r4 = await cli("fit", ...common(), "--method", "altmin", "--iters", "3", "--out", d);
    expect(r4.code, r4.err).toBe(0);
    expect(readFileSync(d, "utf8")).toBe(readFileSync(c, "utf8"));
    // Provenance: metarep's version, and no plug-in.
    expect(read(a).metarepVersion).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
    expect(read(a).plugins).toBeUndefined();
  });

  test.each([
    [
      "an option the estimator does not have",
      ["--method", "mom", "--options", '{"iters": 3}'],
      /^metarep: fit --method mom options: unknown parameter "iters"; known: eigTol\.\n$/,
    ],
    [
      "a value outside its constraint",
      ["--method", "altmin", "--options", '{"iters": 0}'],
      /^metarep: fit --method altmin options: "iters" must be ≥ 1; got 0\.\n$/,
    ],
    [
      "a wrong enum value, by --set",
      ["--method", "bm", "--set", "init=best"],
      /^metarep: fit --method bm options: "init" must be one of "mom", "random"; got "best"\.\n$/,
    ],
    [
      "a mistyped option name (with a suggestion)",
      ["--method", "altmin", "--set", "itres=3"],
      /unknown parameter "itres" \(did you mean "iters"\?\); known: iters, tol, init/,
    ],
    [
      "JSON that does not parse",
      ["--options", "{iters: 3}"],
      /^metarep: fit: "--options" must be a JSON object \(.*\); got "\{iters: 3\}"\.\n$/,
    ],
    [
      "JSON that is not an object",
      ["--options", "[3]"],
      /^metarep: fit: "--options" must be a JSON object; got "\[3\]"\.\n$/,
    ],
    [
      "an option given twice",
      ["--method", "altmin", "--options", '{"iters": 3}', "--iters", "4"],
      /^metarep: fit: "iters" is given twice \(--options, --set or its own flag\); give it once; got 4\.\n$/,
    ],
  ])("%s: one line, exit 2, no model written", async (_what, args, message) => {
    const out = join(tmp, "bad-opt.json");
    const r = await cli("fit", ...common(), ...args, "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  test("a plug-in estimator: its options through its schema (defaults for the rest), and the model records the plug-in", async () => {
    const out = join(tmp, "o-plugin.json");
    const plugin = join(process.cwd(), "examples", "plugins", "grassmann-refine.mjs");
    const r = await spawnCli([
      "fit",
      ...common(),
      "--method",
      "grassmann",
      "--plugin",
      plugin,
      "--options",
      '{"steps": 2}',
      "--out",
      out,
    ]).done;
    expect(r.code, r.err).toBe(0);
    const m = read(out);
    expect(m.method).toBe("grassmann");
    expect(m.options.steps).toBe(2);
    expect(m.diagnostics.iterations).toBe(2);
    const sha = createHash("sha256").update(readFileSync(plugin)).digest("hex");
    expect(m.plugins).toEqual([
      expect.objectContaining({ id: "grassmann-refine", file: "grassmann-refine.mjs", sha256: sha }),
    ]);
    const bad = await spawnCli([
      "fit",
      ...common(),
      "--method",
      "grassmann",
      "--plugin",
      plugin,
      "--options",
      '{"steps": -1}',
      "--out",
      out,
    ]).done;
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^metarep: fit --method grassmann options: "steps" must be ≥ 0; got -1\.\n$/);
  });
});

describe("bad input: one line naming the file, row, column or parameter; exit 2; nothing written", () => {
  const dir = join(tmp, "bad");
  const write = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  const good = `task,y,a,b,c\n${["t1", "t1", "t2", "t2"].map((t, i) => `${t},${i},${i + 1},${i * 2},1`).join("\n")}\n`;
  const cases: [string, () => string[], RegExp][] = [
    ["an empty file", () => ["fit", "--data", write("e.csv", ""), "--k", "1"], /e.csv: the file is empty/],
    [
      "a missing target column",
      () => ["fit", "--data", write("m.csv", "task,a,b\nt,1,2\n"), "--k", "1"],
      /m.csv: missing column "y" \(the target column\)/,
    ],
    [
      "a non-numeric value (with its row)",
      () => ["fit", "--data", write("n.csv", good.replace("t2,2,3", "t2,2,x")), "--k", "1"],
      /n.csv: row 3: column "a" must be a number; got "x"/,
    ],
    [
      "a NaN (with its row)",
      () => ["fit", "--data", write("nan.csv", good.replace("t1,1,2", "t1,NaN,2")), "--k", "1"],
      /nan.csv: row 2: column "y" must be a finite number; got "NaN"/,
    ],
    [
      "a ragged row",
      () => ["fit", "--data", write("r.csv", `${good}t2,1,2\n`), "--k", "1"],
      /r.csv:6: 3 fields; the header has 5/,
    ],
    [
      "a task with fewer rows than k",
      () => ["fit", "--data", write("f.csv", `${good}t3,1,2,3,4\n`), "--k", "2"],
      /task "t3" has 1 row \(row 5\); fitting needs at least k = 2 per task/,
    ],
    [
      "k ≥ d",
      () => ["fit", "--data", write("g.csv", good), "--k", "3"],
      /fit: "k" must be an integer with 1 ≤ k < d = 3 \(the number of feature columns\); got 3/,
    ],
    [
      "a non-integer --k",
      () => ["fit", "--data", write("g.csv", good), "--k", "two"],
      /fit: "--k" must be an integer ≥ 1; got "two"/,
    ],
    [
      "an unknown method",
      () => ["fit", "--data", write("g.csv", good), "--k", "1", "--method", "pca"],
      /"--method" must be one of mom, altmin/,
    ],
    [
      "a negative --lambda-cond",
      () => ["fit", "--data", write("g.csv", good), "--k", "1", "--method", "bm", "--lambda-cond", "-1"],
      /^metarep: fit: "--lambda-cond" must be a number ≥ 0; got "-1"\.$/m,
    ],
    [
      "a --lambda-norm that is not a number",
      () => ["fit", "--data", write("g.csv", good), "--k", "1", "--method", "bm", "--lambda-norm", "big"],
      /^metarep: fit: "--lambda-norm" must be a number ≥ 0; got "big"\.$/m,
    ],
    [
      "a penalty with an estimator that has no objective",
      () => ["fit", "--data", write("g.csv", good), "--k", "1", "--method", "altmin", "--lambda-norm", "0.5"],
      /fit: "--lambda-norm" > 0 needs --method bm, bm-mom, altmin-gd, anil, fo-anil .*--method altmin\); got "0.5"/,
    ],
    [
      "a missing file",
      () => ["fit", "--data", join(tmp, "nope.csv"), "--k", "1"],
      /cannot read data file ".*nope.csv": no such file/,
    ],
    [
      "an unknown column for adapt",
      () => [
        "adapt",
        "--model",
        join(tmp, "small.json"),
        "--data",
        write("u.csv", "task,y,a,b,c,z\nt,1,1,2,3,4\n"),
      ],
      /u.csv: unknown column "z"; expected "task", "y" and the features a, b, c/,
    ],
    [
      "a new task with too few labelled rows",
      () => [
        "adapt",
        "--model",
        join(tmp, "small.json"),
        "--data",
        write("l.csv", "task,y,a,b,c\nq,,1,2,3\nq,1,1,0,0\n"),
      ],
      /task "q" has 1 labelled row \(row 2\); adapting a head needs at least k = 2 \(or --ridge > 0\)/,
    ],
    [
      "a model file that is not one",
      () => ["adapt", "--model", write("x.json", '{"format": "other"}'), "--data", write("g2.csv", good)],
      /x.json: not a metarep few-shot model: "format" must be "metarep-fewshot-model"/,
    ],
  ];

  beforeAll(async () => {
    // A valid small model for the adapt cases (d = 3, k = 2).
    const ok = await cli(
      "fit",
      "--data",
      write("small.csv", good),
      "--k",
      "2",
      "--out",
      join(tmp, "small.json"),
    );
    expect(ok.code).toBe(0);
  });

  test.each(cases)("%s", async (_, args, re) => {
    const out = join(dir, "out.file");
    const r = await cli(...args(), "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});
