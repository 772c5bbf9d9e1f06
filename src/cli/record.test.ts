import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { writeNpy } from "../data/npy.js";
import { fakeCifar10c } from "../data/testing.js";
import { cellId } from "../record/ids.js";
import type { RunRecord } from "../record/types.js";
import { runCli } from "./testing.js";

const tmp = mkdtempSync(join(tmpdir(), "metarep-record-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const original = join(tmp, "orig", "collins-convergence", "record.json");
const read = (file: string): RunRecord => JSON.parse(readFileSync(file, "utf8"));

/** Write a changed copy of the original record; returns its path. */
function variant(name: string, edit: (r: RunRecord) => void): string {
  const r = read(original);
  edit(r);
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(r)}\n`);
  return file;
}

/** The double next to `v` (its lowest mantissa bit flipped). */
function flipLowBit(v: number): number {
  const f = new Float64Array([v]);
  new BigUint64Array(f.buffer)[0] ^= 1n;
  return f[0];
}

beforeAll(async () => {
  const r = await runCli(
    "run",
    "collins-convergence",
    "--size",
    "smoke",
    "--seeds",
    "2",
    "--seed",
    "5",
    "--set",
    "iters=30",
    "--out",
    join(tmp, "orig"),
  );
  expect(r.code).toBe(0);
});

describe("metarep run --record FILE", () => {
  test("re-running a stored record reports identical results, exit 0, and writes nothing without --out", async () => {
    const mtime = statSync(original).mtimeMs;
    const hadResults = existsSync("results");
    const r = await runCli("run", "--record", original, "--quiet");
    expect(r.code).toBe(0);
    expect(r.out).toBe(`re-ran collins-convergence (2 seeds, seed 5): results identical to ${original}\n`);
    expect(r.err).toBe("");
    expect(statSync(original).mtimeMs).toBe(mtime);
    expect(existsSync("results")).toBe(hadResults);
  });

  test("with --out it writes the new record and the figures as a run does", async () => {
    const out = join(tmp, "rerun");
    const r = await runCli("run", "--record", original, "--out", out, "--quiet");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /results identical to .*\nrecord: .*rerun\/collins-convergence\/record\.json\nfigures: /,
    );
    const dir = join(out, "collins-convergence");
    for (const f of ["record.json", "figures/dist.svg", "figures/dist.png", "figures/dist.vl.json"])
      expect(existsSync(join(dir, f))).toBe(true);
    const [a, b] = [read(original), read(join(dir, "record.json"))];
    expect(b.result).toEqual(a.result);
    for (const k of ["cellId", "command", "params", "seed", "seedIndices", "size", "status"] as const)
      expect(b[k]).toEqual(a[k]);
    expect(b.command).toBe("metarep run collins-convergence --size smoke --seeds 2 --seed 5 --set iters=30");
  });

  test("a record whose y value was tampered with (one bit) reports the difference, exit 1", async () => {
    let old = 0;
    let now = 0;
    const file = variant("tampered", (r) => {
      old = r.result.seeds[1].curves[2].y[7];
      now = flipLowBit(old);
      r.result.seeds[1].curves[2].y[7] = now;
    });
    const r = await runCli("run", "--record", file, "--quiet");
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toBe(
      `metarep: re-ran collins-convergence (2 seeds, seed 5): results differ from ${file}: seed 1, curve 2 {"method":"maml"}: y[7]: ${now} (record) vs ${old} (re-run).\n`,
    );
  });

  test("a record with other (valid) params and a matching cell id re-runs and differs, exit 1", async () => {
    const file = variant("other-params", (r) => {
      r.params.alpha = 0.25;
      r.cellId = cellId(r.experiment, r.params, r.seed, r.seedIndices);
    });
    const r = await runCli("run", "--record", file, "--quiet");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /results differ from .*: seed 0, curve 0 \{"method":"anil"\}: y\[\d+\]: [\d.]+ \(record\) vs [\d.]+ \(re-run\)\.$/m,
    );
  });

  const bad: [string, () => string[], RegExp][] = [
    [
      "params changed to invalid values (names the param)",
      () => [variant("bad-params", (r) => Object.assign(r.params, { alpha: -1 }))],
      /bad-params\.json: "params\.alpha" must be > 0; got -1\.$/m,
    ],
    [
      "an unknown parameter",
      () => [variant("unknown-param", (r) => Object.assign(r.params, { gamma: 2 }))],
      /"params": unknown parameter "gamma"; known: d, k, k_prime/,
    ],
    [
      "a changed seed (the cell id no longer matches)",
      () => [variant("bad-id", (r) => Object.assign(r, { seed: 6 }))],
      /"cellId" must match .*; got "collins-convergence:[0-9a-f]{12}:5:0-1"/,
    ],
    [
      "a missing file (names the path)",
      () => [join(tmp, "nowhere.json")],
      /"--record": cannot read .*nowhere\.json \(ENOENT/,
    ],
    [
      "a file that is not JSON (names the path)",
      () => {
        const f = join(tmp, "garbage.json");
        writeFileSync(f, "{ not json");
        return [f];
      },
      /"--record": .*garbage\.json is not valid JSON \(/,
    ],
    [
      "--set with --record",
      () => [original, "--set", "iters=5"],
      /"--record" cannot be combined with --set \(the record fixes .*\); got --set\.$/m,
    ],
    [
      "--size, --seeds, --seed, --data and --json with --record (names each)",
      () => [original, "--size", "smoke", "--seeds", "3", "--seed", "0", "--data", "d", "--json"],
      /"--record" cannot be combined with --size, --seeds, --seed, --data, --json /,
    ],
    [
      "an experiment id with --record",
      () => ["collins-convergence", "--record", original],
      /"--record" takes no experiment id \(the record names its experiment\); got "collins-convergence"/,
    ],
    [
      "--out that would overwrite the record being checked",
      () => [original, "--out", join(tmp, "orig")],
      /"--out" .*orig would overwrite the record being checked/,
    ],
  ];
  test.each(bad)("%s: one line, exit 2, nothing run or written", async (_name, args, message) => {
    const a = args();
    const withRecord = a[0] === "collins-convergence" ? a : ["--record", ...a];
    const out = join(tmp, `never-${_name.length}`);
    const extra = withRecord.includes("--out") ? [] : ["--out", out];
    const mtime = statSync(original).mtimeMs;
    const r = await runCli("run", ...withRecord, ...extra, "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/^metarep: /);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.out).toBe("");
    expect(existsSync(out)).toBe(false);
    expect(statSync(original).mtimeMs).toBe(mtime);
  });

  test("neither an id nor --record is a usage error, exit 2", async () => {
    const r = await runCli("run");
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'metarep: "run" needs an experiment id (see `metarep list`) or "--record FILE"; got neither.\n',
    );
  });

  test("run --help describes --record", async () => {
    const r = await runCli("run", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--record <file>/);
    expect(r.out).toMatch(/metarep run --record results\/collins-convergence\/record\.json/);
  });
});

describe("metarep run --record for an experiment that reads a data set", () => {
  const data = join(tmp, "cifar");
  const out = join(tmp, "li");
  const file = join(out, "li-cifar10c", "record.json");
  beforeAll(async () => {
    mkdirSync(data);
    const fake = fakeCifar10c(["fog", "snow"], 200);
    writeFileSync(
      join(data, "labels.npy"),
      writeNpy({ descr: "|u1", shape: [fake.labels.length], data: Uint8Array.from(fake.labels) }),
    );
    for (const c of fake.corruptions)
      writeFileSync(
        join(data, `${c.name}.npy`),
        writeNpy({ descr: "|u1", shape: [c.count, 8, 8, 3], data: c.images }),
      );
    const sets = ["patch_size=4", "n=8", "n_test=16", "iters=4", "record_every=2", "m=10"];
    const r = await runCli(
      "run",
      "li-cifar10c",
      "--data",
      data,
      "--size",
      "smoke",
      "--seeds",
      "1",
      ...sets.flatMap((s) => ["--set", s]),
      "--out",
      out,
      "--quiet",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });

  test("the data set is read again from the record's path and its digest checked: identical, exit 0", async () => {
    expect(read(file).dataset).toMatchObject({ kind: "cifar10c", path: data });
    const r = await runCli("run", "--record", file, "--quiet");
    expect(r.code).toBe(0);
    expect(r.out).toBe(`re-ran li-cifar10c (1 seed, seed 0): results identical to ${file}\n`);
  });

  test("changed data (another digest) is an error naming both digests, exit 2, nothing run", async () => {
    const digest = read(file).dataset?.digest ?? "";
    const fog = join(data, "fog.npy");
    const bytes = readFileSync(fog);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(fog, bytes);
    const rerun = join(tmp, "li-rerun");
    const r = await runCli("run", "--record", file, "--out", rerun, "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(
        `^metarep: "dataset\\.digest": the data set at .*cifar has digest sha256:[0-9a-f]{64}; the record was made from digest ${digest}\\.\\n$`,
      ),
    );
    expect(r.err).not.toContain(`has digest ${digest}`);
    expect(existsSync(rerun)).toBe(false);
  });
});
