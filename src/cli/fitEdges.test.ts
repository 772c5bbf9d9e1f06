import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIT_METHODS } from "../algorithms/representation/modelFile.js";
import { CLI } from "../sweep/testing.js";
import { runCli } from "./testing.js";

/** `fit`/`adapt` at the numeric edges (issue 14, items 4, 5 and 9). */

const tmp = mkdtempSync(join(tmpdir(), "metarep-fitedge-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A small well-posed table: 6 tasks × 8 rows, features x0, x1, x2 (y depends on x0, x1 only). */
function table(scale = 1, extra?: (t: number, i: number) => string): string {
  const rows: string[] = [`task,y,x0,x1,x2${extra ? ",note" : ""}`];
  for (let t = 0; t < 6; t++) {
    for (let i = 0; i < 8; i++) {
      const x0 = ((t * 8 + i) % 7) - 3;
      const x1 = ((t * 5 + i * 3) % 5) - 2;
      const x2 = ((t + i * 2) % 3) - 1;
      const y = (t + 1) * x0 + (2 - t) * x1;
      rows.push(
        `t${t},${y * scale},${x0 * scale},${x1 * scale},${x2 * scale}${extra ? `,${extra(t, i)}` : ""}`,
      );
    }
  }
  return `${rows.join("\n")}\n`;
}

const write = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

/** Files in a directory (hidden and temporary ones included). */
const files = (dir: string) => readdirSync(dir).sort();

describe("non-finite values anywhere in the data: exit 2 with file, row and column, nothing written", () => {
  const good = table();
  const cases: [string, () => string, RegExp][] = [
    [
      "1e999 in a feature (CSV)",
      () =>
        write("inf.csv", good.replace("\nt1,", "\nt1,").replace(/\nt2,([^,]+),([^,]+),/, "\nt2,$1,1e999,")),
      /inf\.csv: row 17: column "x0" must be a finite number; got "1e999" \(beyond float64's range/,
    ],
    [
      "-1e999 in the target (CSV)",
      () => write("ninf.csv", good.replace(/\nt0,[^,]+,/, "\nt0,-1e999,")),
      /ninf\.csv: row 1: column "y" must be a finite number; got "-1e999"/,
    ],
    [
      "Infinity spelled out (CSV)",
      () => write("infw.csv", good.replace(/\nt3,([^,]+),([^,]+),([^,]+),/, "\nt3,$1,$2,Infinity,")),
      /infw\.csv: row 25: column "x1" must be a finite number; got "Infinity"/,
    ],
    [
      "1e999 in JSONL",
      () =>
        write(
          "inf.jsonl",
          '{"task":"a","y":1,"x0":1,"x1":2}\n{"task":"a","y":2,"x0":1e999,"x1":2}\n{"task":"b","y":1,"x0":1,"x1":0}\n',
        ),
      /inf\.jsonl: row 2: column "x0" must be a finite number; got 1e999 \(beyond float64's range/,
    ],
  ];
  test.each(cases)("%s", async (_name, file, message) => {
    const dir = join(tmp, `out-${_name.replace(/\W+/g, "-")}`);
    mkdirSync(dir);
    const r = await runCli("fit", "--data", file(), "--k", "1", "--out", join(dir, "model.json"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(files(dir)).toEqual([]);
  });
});

/** The binary exponent e with 2^(e−1) ≤ m < 2^e, computed independently of the code under test. */
const exponent = (m: number) => Math.floor(Math.log2(m)) + 1;

/** Rows of `table()` as numbers: [task, y, x0, x1, x2]. */
const parse = (text: string) =>
  text
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(","));

describe("data far from 1 (issue 23): fitted exactly as the same data scaled by powers of two", () => {
  for (const factor of [1e200, 1e-300]) {
    describe(`values of ${factor}`, () => {
      let far: string;
      let near1: string;
      let eX = 0;
      let eY = 0;
      beforeAll(() => {
        const text = table(factor);
        far = write(`far-${factor}.csv`, text);
        const rows = parse(text);
        const largest = (cols: number[]) =>
          Math.max(...rows.flatMap((r) => cols.map((c) => Math.abs(Number(r[c])))));
        eX = exponent(largest([2, 3, 4]));
        eY = exponent(largest([1]));
        // X·2^−eX and y·2^−eY: exact (powers of two), values in [1/2, 1).
        const s = (v: string, e: number) => String(Number(v) * 2 ** -e);
        near1 = write(
          `near1-${factor}.csv`,
          `task,y,x0,x1,x2\n${rows.map((r) => [r[0], s(r[1], eY), s(r[2], eX), s(r[3], eX), s(r[4], eX)].join(",")).join("\n")}\n`,
        );
      });
      test.each(FIT_METHODS.map((m) => [m]))(
        "%s: the same B̂ bits as on the data scaled to 1, heads × 2^(eY−eX) exactly, training MSE null (beyond float64), status ok",
        async (method) => {
          const [a, b] = [
            join(tmp, `far-${factor}-${method}.json`),
            join(tmp, `near1-${factor}-${method}.json`),
          ];
          for (const [data, out] of [
            [far, a],
            [near1, b],
          ]) {
            const r = await runCli("fit", "--data", data, "--k", "1", "--method", method, "--out", out);
            expect(r.err).toBe("");
            expect(r.code).toBe(0);
          }
          const [ma, mb] = [a, b].map((f) => JSON.parse(readFileSync(f, "utf8")));
          expect(ma.diagnostics.status).toBe("ok");
          expect(ma.B).toEqual(mb.B);
          for (const [t, h] of ma.heads.entries())
            expect(h.w).toEqual(mb.heads[t].w.map((w: number) => w * 2 ** (eY - eX)));
          // The scaled fit's MSE is of order 1; × 2^(2eY) is 1e400 or 1e-600: not a float64.
          expect(mb.diagnostics.trainingMse).toBeGreaterThan(1e-3);
          expect(ma.diagnostics.trainingMse).toBeNull();
          expect(ma.diagnostics.headSolveCondition).toBe(mb.diagnostics.headSolveCondition);
        },
      );
    });
  }

  test("the human summary says the training MSE is beyond float64's range (not a number, not ∞ or 0)", async () => {
    const r = await runCli(
      "fit",
      "--data",
      write("far-text.csv", table(1e200)),
      "--k",
      "1",
      "--out",
      join(tmp, "far-text.json"),
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/training MSE n\/a \(beyond float64's range\); head solves: worst conditioning \d/);
  });
});

describe("an estimator that diverges: fit exits 1, says so, writes no model; adapt refuses a diverged model", () => {
  test.each([["anil"], ["fo-anil"]])("%s with steps α = β = 1000", async (method) => {
    const dir = join(tmp, `div-${method}`);
    mkdirSync(dir);
    const r = await runCli(
      "fit",
      "--data",
      write(`steps-${method}.csv`, table(1)),
      "--k",
      "1",
      "--method",
      method,
      "--set",
      "alpha=1000",
      "--set",
      "beta=1000",
      "--out",
      join(dir, "model.json"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(
        `^metarep: fit ${method} diverged: .*; no model written \\(the data's largest \\|value\\| is `,
      ),
    );
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.out).toBe("");
    expect(files(dir)).toEqual([]);
  });

  test.each(FIT_METHODS.map((m) => [m]))("%s fits data at scale 0.1", async (method) => {
    const out = join(tmp, `ok-${method}.json`);
    const r = await runCli(
      "fit",
      "--data",
      write("small.csv", table(0.1)),
      "--k",
      "1",
      "--method",
      method,
      "--out",
      out,
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/status ok/);
    expect(JSON.parse(readFileSync(out, "utf8")).diagnostics.status).toBe("ok");
  });

  test("adapt refuses a model marked diverged (as an older metarep wrote them)", async () => {
    const model = JSON.parse(readFileSync(join(tmp, "ok-anil.json"), "utf8"));
    model.diagnostics.status = "diverged";
    const path = write("diverged.json", JSON.stringify(model));
    const out = join(tmp, "adapt-out", "pred.csv");
    const r = await runCli("adapt", "--model", path, "--data", join(tmp, "small.csv"), "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /diverged\.json: "diagnostics\.status" is "diverged": the fit that wrote this model blew up/,
    );
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(tmp, "adapt-out"))).toBe(false);
  });
});

describe("--features selects and orders a subset of the columns", () => {
  test("x1,x0 on a file that also has x2 and a text column: the model has those features, in that order", async () => {
    const file = write(
      "extra.csv",
      table(1, (t, i) => `row ${t}-${i}`),
    );
    const out = join(tmp, "sub.json");
    const r = await runCli("fit", "--data", file, "--k", "1", "--features", "x1,x0", "--out", out);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const model = JSON.parse(readFileSync(out, "utf8"));
    expect(model.features).toEqual(["x1", "x0"]);
    expect(model.d).toBe(2);
    expect(model.B).toHaveLength(2);
    // adapt on a file of the same layout reads the same columns.
    const pred = join(tmp, "sub-pred.csv");
    const newTask = "task,y,x0,x1,x2,note\nq,1,1,0,5,a\nq,,2,1,7,b\n";
    const a = await runCli("adapt", "--model", out, "--data", write("new.csv", newTask), "--out", pred);
    expect(a.err).toBe("");
    expect(a.code).toBe(0);
    expect(readFileSync(pred, "utf8").trim().split("\n")).toHaveLength(2);
  });

  test("the subset gives the same model as a file holding only those columns", async () => {
    const only = table()
      .trim()
      .split("\n")
      .map((l) => l.split(",").slice(0, 4).join(","))
      .join("\n");
    const a = await runCli("fit", "--data", write("x01.csv", `${only}\n`), "--k", "1", "--json");
    const b = await runCli(
      "fit",
      "--data",
      write("x012.csv", table()),
      "--k",
      "1",
      "--features",
      "x0,x1",
      "--json",
    );
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ma = JSON.parse(a.out);
    const mb = JSON.parse(b.out);
    expect(mb.B).toEqual(ma.B);
    expect(mb.heads).toEqual(ma.heads);
  });

  test.each([
    ["an absent column", "x0,x9", /missing column "x9" \(a feature\)/],
    ["a repeated column", "x0,x0", /"--features" must be distinct, non-empty column names; got "x0,x0"/],
  ])("%s is one line, exit 2", async (_name, features, message) => {
    const r = await runCli(
      "fit",
      "--data",
      join(tmp, "x012.csv"),
      "--k",
      "1",
      "--features",
      features,
      "--out",
      join(tmp, "never.json"),
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(tmp, "never.json"))).toBe(false);
  });
});

describe("--json writes no file unless --out is given explicitly", () => {
  /** Run the built CLI in `cwd`. */
  function inDir(cwd: string, args: string[]): Promise<{ code: number | null; out: string }> {
    return new Promise((res) => {
      const p = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      p.stdout.on("data", (d) => {
        out += d;
      });
      p.on("exit", (code) => res({ code, out }));
    });
  }

  test("fit --json and adapt --json print JSON and leave the working directory as it was", async () => {
    const cwd = join(tmp, "cwd");
    mkdirSync(cwd);
    const data = write("json.csv", table());
    const fit = await inDir(cwd, ["fit", "--data", data, "--k", "1", "--json"]);
    expect(fit.code).toBe(0);
    expect(JSON.parse(fit.out).format).toBe("metarep-fewshot-model");
    expect(files(cwd)).toEqual([]);
    const model = write("json-model.json", fit.out);
    const adapt = await inDir(cwd, [
      "adapt",
      "--model",
      model,
      "--data",
      write("q.csv", "task,y,x0,x1,x2\nq,1,1,0,1\nq,,2,1,0\n"),
      "--ridge",
      "0.1",
      "--json",
    ]);
    expect(adapt.code).toBe(0);
    expect(JSON.parse(adapt.out).predictions).toHaveLength(1);
    expect(files(cwd)).toEqual([]);
    // With --out given, the file is written as well.
    const both = await inDir(cwd, ["fit", "--data", data, "--k", "1", "--json", "--out", "m.json"]);
    expect(both.code).toBe(0);
    expect(files(cwd)).toEqual(["m.json"]);
  });
});

describe("adapt at the ends of float64's range (issue 23): exact answers, or one line naming the scale", () => {
  let model: { B: number[][]; [key: string]: unknown };
  let modelPath: string;
  beforeAll(async () => {
    modelPath = join(tmp, "range-model.json");
    const r = await runCli("fit", "--data", write("range.csv", table(1)), "--k", "2", "--out", modelPath);
    expect(r.code).toBe(0);
    model = JSON.parse(readFileSync(modelPath, "utf8"));
  });
  const W = [0.6, -0.5];
  /** a = x·B̂ (the row of A), and x·B̂w. */
  const rowOf = (x: number[], B = model.B) => [0, 1].map((c) => x.reduce((s, v, a) => s + v * B[a][c], 0));
  const dot = (a: number[], w: number[]) => a[0] * w[0] + a[1] * w[1];
  let n = 0;
  /** adapt --json on task q: labelled rows (x, y), then one row to predict; stdout parsed when exit 0. */
  const adapt = async (
    rows: [number[], number][],
    query: number[],
    flags: string[] = [],
    path = modelPath,
  ) => {
    const lines = rows.map(([x, y]) => `q,${y},${x.join(",")}`);
    const data = write(
      `range-data-${n++}.csv`,
      `task,y,x0,x1,x2\n${lines.join("\n")}\nq,,${query.join(",")}\n`,
    );
    const r = await runCli("adapt", "--model", path, "--data", data, "--json", ...flags);
    return { ...r, res: r.code === 0 ? JSON.parse(r.out) : undefined };
  };
  const close = (got: number, want: number, rel = 1e-12) =>
    expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want));

  test("one labelled row at x ≈ 1.7e308 among ordinary rows (labels from w*): ŵ = w*, and the predictions of least squares", async () => {
    const xs = [
      [1.7e308, 0, 0],
      [0.5, 1.5, 0.2],
      [-1.2, 0.7, 1.1],
      [0.3, -0.4, 2],
    ];
    const { code, err, res } = await adapt(
      xs.map((x) => [x, dot(rowOf(x), W)]),
      [1, -2, 3],
    );
    expect(err).toBe("");
    expect(code).toBe(0);
    close(res.heads[0].w[0], W[0], 1e-10);
    close(res.heads[0].w[1], W[1], 1e-10);
    close(res.predictions[0].prediction, dot(rowOf([1, -2, 3]), W), 1e-10);
    expect(res.heads[0].condition).toBeGreaterThanOrEqual(1);
  });

  test("one inconsistent row at x ≈ 1.7e308 (label 1): the limit answer — that row's equation holds, least squares on the rest", async () => {
    const big = [1.7e308, 0.4e308, -1e308];
    const others: [number[], number][] = [
      [[0.5, 1.5, 0.2], 0.7],
      [[-1.2, 0.7, 1.1], -0.3],
      [[0.3, -0.4, 2], 1.6],
      [[1, 1, -1], 0.2],
    ];
    const { code, err, res } = await adapt([[big, 1], ...others], [1, -2, 3]);
    expect(err).toBe("");
    expect(code).toBe(0);
    // Independently: w ⊥ a_big (its equation a_big·w = 1 is 1e-308 from a_big·w = 0), w = t·u.
    const ab = rowOf(big.map((v) => v / 1e308));
    const u = [-ab[1], ab[0]];
    let num = 0;
    let den = 0;
    for (const [x, y] of others) {
      const p = dot(rowOf(x), u);
      num += p * y;
      den += p * p;
    }
    const w = u.map((v) => (v * num) / den);
    close(res.heads[0].w[0], w[0], 1e-10);
    close(res.heads[0].w[1], w[1], 1e-10);
    close(res.predictions[0].prediction, dot(rowOf([1, -2, 3]), w), 1e-10);
  });

  test("data near 1e160 with --ridge 1: w* (the ridge is 1e-320 of AᵀA), not 0", async () => {
    const xs = [
      [1e160, 2e160, -3e159],
      [-4e159, 1.5e160, 7e159],
      [9e159, -2e159, 1e160],
    ];
    const { code, err, res } = await adapt(
      xs.map((x) => [x, dot(rowOf(x), W)]),
      [3e160, 1e160, 2e160],
      ["--ridge", "1"],
    );
    expect(err).toBe("");
    expect(code).toBe(0);
    close(res.heads[0].w[0], W[0], 1e-10);
    close(res.heads[0].w[1], W[1], 1e-10);
    close(res.predictions[0].prediction, dot(rowOf([3e160, 1e160, 2e160]), W), 1e-10);
  });

  test("data at 1e-300 (labels too): ŵ = w*, predictions of order 1e-300 exactly", async () => {
    const xs = [
      [1e-300, 2e-300, 0],
      [3e-300, -1e-300, 5e-301],
      [-2e-300, 4e-300, 1e-300],
    ];
    const { code, err, res } = await adapt(
      xs.map((x) => [x, dot(rowOf(x), W)]),
      [1e-300, -2e-300, 3e-300],
    );
    expect(err).toBe("");
    expect(code).toBe(0);
    close(res.heads[0].w[0], W[0], 1e-10);
    close(res.heads[0].w[1], W[1], 1e-10);
    close(res.predictions[0].prediction, dot(rowOf([1e-300, -2e-300, 3e-300]), W), 1e-10);
  });

  /** The model with B̂[0][0] = 1e308. */
  const hugeModel = () => {
    const B = model.B.map((row, a) => (a === 0 ? [1e308, row[1]] : [...row]));
    return { B, path: write(`huge-${n++}.json`, JSON.stringify({ ...model, B })) };
  };
  const xs = [
    [1, 0.5, 0.2],
    [0.2, -1, 0.4],
    [-0.7, 0.3, 1],
  ];

  test("a model entry of 1e308 with labels of order 100: the answer of the column scaled to 1, solved and scaled back", async () => {
    const { B, path } = hugeModel();
    const ys = [120, -80, 45];
    const { code, err, res } = await adapt(
      xs.map((x, i) => [x, ys[i]]),
      [1, 1, 1],
      [],
      path,
    );
    expect(err).toBe("");
    expect(code).toBe(0);
    // Independently: B' = B̂·diag(1e-308, 1) (entries of order 1), 2×2 normal equations, w = diag(1e-308, 1)w'.
    const Bs = B.map((row) => [row[0] / 1e308, row[1]]);
    const A = xs.map((x) => rowOf(x, Bs));
    const g = [0, 1].map((i) => [0, 1].map((j) => A.reduce((s, a) => s + a[i] * a[j], 0)));
    const h = [0, 1].map((i) => A.reduce((s, a, r) => s + a[i] * ys[r], 0));
    const det = g[0][0] * g[1][1] - g[0][1] * g[1][0];
    const ws = [(h[0] * g[1][1] - g[0][1] * h[1]) / det, (g[0][0] * h[1] - g[1][0] * h[0]) / det];
    close(res.heads[0].w[0], ws[0] * 1e-308, 1e-9);
    close(res.heads[0].w[1], ws[1], 1e-9);
    close(res.predictions[0].prediction, dot(rowOf([1, 1, 1], Bs), ws), 1e-9);
  });

  test("a model entry of 1e308 with labels of order 0.01: one line naming the scale (the head would be subnormal), no stack", async () => {
    const { path } = hugeModel();
    const ys = [0.012, -0.008, 0.0045];
    const { code, err, out } = await adapt(
      xs.map((x, i) => [x, ys[i]]),
      [1, 1, 1],
      [],
      path,
    );
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toMatch(
      /^metarep: adapt: task "q": its head ŵ would have entries of order 1e-3\d\d, below float64's normal range \(labels up to 1\.2e-2\); rescale the feature or target columns\n$/,
    );
  });

  test("a head beyond float64's range (features 1e-300, labels 1e10): one line naming the scale, no stack", async () => {
    const { code, err } = await adapt(
      xs.map((x, i) => [x.map((v) => v * 1e-300), [1e10, 2e10, 3e10][i]]),
      [1, 1, 1],
    );
    expect(code).toBe(2);
    expect(err).toMatch(
      /^metarep: adapt: task "q": its head ŵ would have entries of order 2\^10\d\d \(about 1e3\d\d\), beyond float64's range \(labels up to 3\.0e\+10\); rescale the feature or target columns\n$/,
    );
  });
});

describe("the target or the task column named as a feature is refused in one line (issue 23)", () => {
  test.each([
    ["y", "target"],
    ["task", "task"],
  ])("fit --features x0,%s", async (column, role) => {
    const out = join(tmp, `asfeature-${column}.json`);
    const r = await runCli(
      "fit",
      "--data",
      write("asfeature.csv", table(1)),
      "--k",
      "1",
      "--features",
      `x0,${column}`,
      "--out",
      out,
    );
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `metarep: ${join(tmp, "asfeature.csv")}: column "${column}" is the ${role} column; it cannot also be a feature\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  test("adapt with a model whose features name its target column", async () => {
    const path = join(tmp, "asfeature-model.json");
    expect(
      (await runCli("fit", "--data", write("asfeature2.csv", table(1)), "--k", "1", "--out", path)).code,
    ).toBe(0);
    const m = JSON.parse(readFileSync(path, "utf8"));
    m.features = ["x0", "x1", "y"];
    writeFileSync(path, JSON.stringify(m));
    const r = await runCli("adapt", "--model", path, "--data", join(tmp, "asfeature2.csv"), "--json");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^metarep: .*asfeature2\.csv: column "y" is the target column; it cannot also be a feature\n$/,
    );
  });
});
