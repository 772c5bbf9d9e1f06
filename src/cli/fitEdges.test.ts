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

describe("non-finite values anywhere in the data: exit 2 with file:line and column, nothing written", () => {
  const good = table();
  const cases: [string, () => string, RegExp][] = [
    [
      "1e999 in a feature (CSV)",
      () =>
        write("inf.csv", good.replace("\nt1,", "\nt1,").replace(/\nt2,([^,]+),([^,]+),/, "\nt2,$1,1e999,")),
      /inf\.csv:18: column "x0" must be a finite number; got "1e999" \(beyond float64's range/,
    ],
    [
      "-1e999 in the target (CSV)",
      () => write("ninf.csv", good.replace(/\nt0,[^,]+,/, "\nt0,-1e999,")),
      /ninf\.csv:2: column "y" must be a finite number; got "-1e999"/,
    ],
    [
      "Infinity spelled out (CSV)",
      () => write("infw.csv", good.replace(/\nt3,([^,]+),([^,]+),([^,]+),/, "\nt3,$1,$2,Infinity,")),
      /infw\.csv:26: column "x1" must be a finite number; got "Infinity"/,
    ],
    [
      "1e999 in JSONL",
      () =>
        write(
          "inf.jsonl",
          '{"task":"a","y":1,"x0":1,"x1":2}\n{"task":"a","y":2,"x0":1e999,"x1":2}\n{"task":"b","y":1,"x0":1,"x1":0}\n',
        ),
      /inf\.jsonl:2: column "x0" must be a finite number; got a number beyond float64's range/,
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

describe("data far from 1 is fitted exactly as the same data scaled by powers of two; adapt refuses a diverged model", () => {
  let big: string;
  let scaled: string;
  let eX = 0;
  let eY = 0;
  beforeAll(() => {
    const text = table(1e200);
    big = write("big.csv", text);
    // The same file with X·2^−eX and y·2^−eY (exact): what fit hands its estimator for `big`.
    const rows = text
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(","));
    const maxOf = (cols: number[]) =>
      Math.max(...rows.flatMap((r) => cols.map((c) => Math.abs(Number(r[c])))));
    eX = Math.ceil(Math.log2(maxOf([2, 3, 4])));
    eY = Math.ceil(Math.log2(maxOf([1])));
    const s = (v: string, e: number) => String(Number(v) * 2 ** -e);
    scaled = write(
      "scaled.csv",
      `task,y,x0,x1,x2\n${rows.map((r) => [r[0], s(r[1], eY), s(r[2], eX), s(r[3], eX), s(r[4], eX)].join(",")).join("\n")}\n`,
    );
  });
  test.each(FIT_METHODS.map((m) => [m]))(
    "%s on values of 1e200: the same B̂ bits as on the data scaled to 1, heads × 2^(eY−eX) exactly",
    async (method) => {
      const [a, b] = [join(tmp, `big-${method}.json`), join(tmp, `scaled-${method}.json`)];
      for (const [data, out] of [
        [big, a],
        [scaled, b],
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
    },
  );

  test.each(FIT_METHODS.map((m) => [m]))(
    "%s fits the same data at scale 0.1 (so the divergence above is the data's scale)",
    async (method) => {
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
    },
  );

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

describe("adapt at the ends of float64's range (issue 23): exact answers or one line naming the scale", () => {
  let model: { B: number[][]; [k: string]: unknown };
  let modelPath: string;
  beforeAll(async () => {
    modelPath = join(tmp, "range-model.json");
    const r = await runCli("fit", "--data", write("range.csv", table(1)), "--k", "1", "--out", modelPath);
    expect(r.code).toBe(0);
    model = JSON.parse(readFileSync(modelPath, "utf8"));
  });
  let adapted = 0;
  /** ŷ = x·B̂w exactly (k = 1), for rows labelled by the model itself with head w. */
  const label = (x: number[], w: number) => x.reduce((s, v, a) => s + v * model.B[a][0] * w, 0);
  const adapt = async (rows: number[][], w: number, query: number[], ...flags: string[]) => {
    const lines = rows.map((x) => `q,${label(x, w)},${x.join(",")}`);
    const data = write(
      `range-${rows.length}-${flags.join("")}.csv`,
      `task,y,x0,x1,x2\n${lines.join("\n")}\nq,,${query.join(",")}\n`,
    );
    const out = join(tmp, `range-pred-${++adapted}.csv`);
    const r = await runCli("adapt", "--model", modelPath, "--data", data, "--out", out, "--json", ...flags);
    return r;
  };

  test("one labelled row at x ≈ 1.7e308: the head and the prediction of least squares (not 1e-309)", async () => {
    const r = await adapt(
      [
        [1.7e308, 0, 0],
        [1, 2, -1],
        [-2, 1, 0.5],
      ],
      0.75,
      [1, -2, 3],
    );
    expect(r.err).toBe("");
    const res = JSON.parse(r.out);
    expect(res.heads[0].w[0]).toBeCloseTo(0.75, 12);
    const want = label([1, -2, 3], 0.75);
    expect(Math.abs(res.predictions[0].prediction - want)).toBeLessThan(1e-12 * Math.abs(want));
  });

  test("data near 1e160 with --ridge 1: the least-squares answer (the ridge is 1e-320 of the data), not 0", async () => {
    const r = await adapt(
      [
        [1e160, 2e160, -3e159],
        [-4e159, 1.5e160, 7e159],
      ],
      -1.25,
      [3e160, 1e160, 2e160],
      "--ridge",
      "1",
    );
    expect(r.err).toBe("");
    const res = JSON.parse(r.out);
    const want = label([3e160, 1e160, 2e160], -1.25);
    expect(Math.abs(res.predictions[0].prediction - want)).toBeLessThan(1e-12 * Math.abs(want));
  });

  test("a model entry of 1e308: one line naming the scale, no stack", async () => {
    const huge = { ...model, B: model.B.map((row, a) => (a === 0 ? [1e308] : row)) };
    const path = write("huge-model.json", JSON.stringify(huge));
    const data = write("huge-data.csv", "task,y,x0,x1,x2\nq,0.01,1,0,0\nq,0.02,2,0,0\nq,,1,1,1\n");
    const r = await runCli("adapt", "--model", path, "--data", data, "--json");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^metarep: adapt: task "q": its head ŵ would have entries of order 1e-310, below float64's normal range \(labels up to 2\.0e-2\); rescale the feature or target columns\n$/,
    );
  });
});
