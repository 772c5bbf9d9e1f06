import { describe, expect, test } from "vitest";
import { getExperiment, listExperiments } from "../experiments/registry.js";
import { resolveParams, SIZE_NAMES } from "../experiments/resolve.js";
import type { RunResult } from "../experiments/types.js";
import { compareResults, parseRecord, RecordValidationError } from "./file.js";
import { cellId } from "./ids.js";
import { recordOf } from "./testing.js";
import type { RunRecord } from "./types.js";

const exp = getExperiment("collins-convergence");
const stored = recordOf(exp, { iters: 20 }, [2, 5], 7);
/** The record as a file holds it: a fresh parsed-JSON copy per test. */
const json = (): RunRecord => JSON.parse(JSON.stringify(stored));

/** The record with `edit` applied and, if `fixId`, its cell id recomputed to match. */
function edited(edit: (r: RunRecord & Record<string, unknown>) => void, fixId = false): unknown {
  const r = json() as RunRecord & Record<string, unknown>;
  edit(r);
  if (fixId) r.cellId = cellId(r.experiment, r.params, r.seed, r.seedIndices, r.gridPoint ?? "");
  return r;
}

/** A record of `id` (resolved params at `size`, one seed, no curves) that parses. */
function shell(id: string, size: "smoke" | "paper" = "smoke"): RunRecord {
  const e = getExperiment(id);
  const params = JSON.parse(JSON.stringify(resolveParams(e, size))) as Record<string, unknown>;
  return {
    schemaVersion: 1,
    metarepVersion: "0.1.0",
    experiment: id,
    size,
    params,
    seed: 0,
    seedIndices: [0],
    cellId: cellId(id, params, 0, [0]),
    status: "ok",
    result: { seeds: [{ status: "ok", curves: [], scalars: {} }] },
    ...(e.dataset ? { dataset: { kind: e.dataset.kind, path: "data", digest: "sha256:00" } } : {}),
    command: `metarep run ${id}`,
    startedAt: "2025-01-01T00:00:00.000Z",
    seconds: 0,
  };
}

describe("parseRecord", () => {
  test("a record written by a run parses back equal to its JSON", () => {
    const r = json();
    expect(parseRecord(r, "record.json")).toEqual(r);
    expect(parseRecord(JSON.parse(JSON.stringify(parseRecord(r))))).toEqual(r);
  });

  test.each(listExperiments({ internal: true }).flatMap((e) => SIZE_NAMES.map((s) => [e.id, s] as const)))(
    "a record of %s at size %s parses: its resolved params survive JSON unchanged",
    (id, size) => {
      const r = shell(id, size);
      expect(parseRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
    },
  );

  test("sweep cells (grid and grid point, which enter the cell id) parse", () => {
    const r = edited((r) => {
      r.grid = { mu: 0.5 };
      r.gridPoint = '{"mu":0.5}';
    }, true);
    expect(parseRecord(r).gridPoint).toBe('{"mu":0.5}');
  });

  test("a queue worker's record (its worker id) parses; an empty worker id does not", () => {
    const r = edited((r) => {
      r.worker = "node7:4242:9f3a1c";
    });
    expect(parseRecord(r).worker).toBe("node7:4242:9f3a1c");
    expect(() => parseRecord(edited((r) => Object.assign(r, { worker: "" })))).toThrow(/"worker"/);
  });

  const cases: [string, () => unknown, RegExp][] = [
    ["not an object", () => [1, 2], /a record must be a JSON object; got \[1,2\]/],
    [
      "another schema version",
      () => edited((r) => Object.assign(r, { schemaVersion: 2 })),
      /"schemaVersion" must be 1 \(the record layout of metarep [\d.]+\); got 2/,
    ],
    [
      "no schema version",
      () => edited((r) => delete (r as Partial<RunRecord>).schemaVersion),
      /"schemaVersion" must be 1 .*; got nothing/,
    ],
    [
      "an unknown experiment (lists the known ones)",
      () => edited((r) => Object.assign(r, { experiment: "collins-nope" })),
      /"experiment": unknown experiment "collins-nope"; known: collins-convergence, collins-diversity/,
    ],
    [
      "an unknown size",
      () => edited((r) => Object.assign(r, { size: "huge" })),
      /"size" must be "smoke", "paper" or null; got "huge"/,
    ],
    ["a negative seed", () => edited((r) => Object.assign(r, { seed: -1 })), /"seed" must be ≥ 0; got -1/],
    [
      "a fractional seed",
      () => edited((r) => Object.assign(r, { seed: 1.5 })),
      /"seed" must be an integer; got 1.5/,
    ],
    [
      "no seed indices",
      () => edited((r) => Object.assign(r, { seedIndices: [] })),
      /"seedIndices" must have at least 1 entries; got \[\]/,
    ],
    [
      "a negative seed index",
      () => edited((r) => Object.assign(r, { seedIndices: [2, -5] })),
      /"seedIndices\[1\]" must be ≥ 0; got -5/,
    ],
    [
      "a missing field",
      () => edited((r) => delete (r as Partial<RunRecord>).cellId),
      /"cellId" must be a string; got nothing/,
    ],
    [
      "an unknown field (lists the known ones)",
      () => edited((r) => Object.assign(r, { colour: "red" })),
      /unknown field "colour"; known: schemaVersion, metarepVersion, experiment, size, params/,
    ],
    [
      "an unknown field in a curve",
      () => edited((r) => Object.assign(r.result.seeds[0].curves[1], { z: [] })),
      /unknown field "z" in "result.seeds\[0\].curves\[1\]"; known: labels, xName, yName, x, y, metrics, status, diverged/,
    ],
    [
      "a y value that is a string",
      () => edited((r) => Object.assign(r.result.seeds[1].curves[0].y, { 3: "abc" })),
      /"result.seeds\[1\].curves\[0\].y\[3\]" must be a number; got "abc"/,
    ],
    [
      "a y value that is null (a non-finite number through JSON)",
      () => edited((r) => Object.assign(r.result.seeds[0].curves[2].y, { 0: null })),
      /"result.seeds\[0\].curves\[2\].y\[0\]" must be a number; got null/,
    ],
    [
      "an unknown curve status",
      () => edited((r) => Object.assign(r.result.seeds[0].curves[0], { status: "exploded" })),
      /"result.seeds\[0\].curves\[0\].status" must be one of "ok", "diverged"; got "exploded"/,
    ],
    [
      "a label that is an object",
      () => edited((r) => Object.assign(r.result.seeds[0].curves[0].labels, { method: { a: 1 } })),
      /"result.seeds\[0\].curves\[0\].labels.method" must be a string, a number, a boolean or null; got \{"a":1\}/,
    ],
    [
      "a metric that is a string",
      () => edited((r) => Object.assign(r.result.seeds[0].curves[0].metrics, { final: "0.5" })),
      /"result.seeds\[0\].curves\[0\].metrics.final" must be a number; got "0.5"/,
    ],
    [
      "a negative duration",
      () => edited((r) => Object.assign(r, { seconds: -1 })),
      /"seconds" must be ≥ 0; got -1/,
    ],
    [
      "a parameter outside its constraint",
      () => edited((r) => Object.assign(r.params, { alpha: -1 }), true),
      /"params.alpha" must be > 0; got -1/,
    ],
    [
      "a parameter of the wrong type",
      () => edited((r) => Object.assign(r.params, { d: "twenty" }), true),
      /"params.d" must be a number; got "twenty"/,
    ],
    [
      "an unknown parameter",
      () => edited((r) => Object.assign(r.params, { gamma: 1 }), true),
      /"params": unknown parameter "gamma"; known: d, k, k_prime/,
    ],
    [
      "a parameter left to its default (params not resolved)",
      () => edited((r) => delete r.params.w0, true),
      /"params.w0" must be resolved \(defaults filled, .*\): resolving gives 0; got nothing/,
    ],
    [
      "a list parameter given as one value (params not resolved)",
      () => edited((r) => Object.assign(r.params, { methods: "anil" }), true),
      /"params.methods" must be resolved .*: resolving gives \["anil"\]; got "anil"/,
    ],
    [
      "fewer results than seed indices",
      () => edited((r) => r.result.seeds.pop()),
      /"result.seeds" must hold one result per seed index \(2: 2, 5\); got 1/,
    ],
    [
      "a status that does not follow from the seeds'",
      () => edited((r) => Object.assign(r, { status: "diverged" })),
      /"status" must be "ok" \(it follows from the seeds' statuses\); got "diverged"/,
    ],
    [
      "a cell id that does not match the contents (a changed seed)",
      () => edited((r) => Object.assign(r, { seed: 8 })),
      /"cellId" must match the record's experiment, params, seed, seed indices, grid point and condition \(collins-convergence:[0-9a-f]{12}:8:2\.5\); got "collins-convergence:[0-9a-f]{12}:7:2\.5"/,
    ],
    [
      "a grid point without its grid",
      () => edited((r) => Object.assign(r, { gridPoint: "x" })),
      /"grid" and "gridPoint" must be given together .*; got only "gridPoint"/,
    ],
    [
      "a data set on an experiment that generates its own data",
      () => edited((r) => Object.assign(r, { dataset: { kind: "cifar10c", path: "d", digest: "x" } })),
      /"dataset" is not taken by collins-convergence \(it generates its own data\); got \{"kind":"cifar10c"/,
    ],
    [
      "no data set on an experiment that reads one",
      () => {
        const r = shell("li-cifar10c");
        delete r.dataset;
        return r;
      },
      /"dataset" \(\{kind, path, digest\}\) is required for li-cifar10c, which reads a cifar10c data set; got nothing/,
    ],
    [
      "a data set of another kind",
      () => ({ ...shell("li-cifar10c"), dataset: { kind: "mnist", path: "d", digest: "x" } }),
      /"dataset.kind" must be "cifar10c" for li-cifar10c; got "mnist"/,
    ],
    [
      "a data set without its digest",
      () => ({ ...shell("li-cifar10c"), dataset: { kind: "cifar10c", path: "d" } }),
      /"dataset.digest" must be a string; got nothing/,
    ],
    [
      "many bad numbers (the message lists three and counts the rest)",
      () => edited((r) => r.result.seeds[0].curves[0].y.fill("x" as unknown as number)),
      /y\[0\]" must be a number; got "x"; .*y\[1\].*; .*y\[2\].*; and 18 more problems\.$/,
    ],
  ];
  test.each(cases)(
    "%s: one RecordValidationError naming the field, constraint and value",
    (_n, make, msg) => {
      let err: unknown;
      try {
        parseRecord(make(), "rec.json");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RecordValidationError);
      const m = (err as Error).message;
      expect(m).toMatch(msg);
      expect(m).toMatch(/^rec\.json: /);
      expect(m.split("\n")).toHaveLength(1);
    },
  );
});

/** The double next to `v` (its lowest mantissa bit flipped). */
function flipLowBit(v: number): number {
  const f = new Float64Array([v]);
  new BigUint64Array(f.buffer)[0] ^= 1n;
  return f[0];
}

describe("compareResults", () => {
  const a = (): RunResult[] => json().result.seeds;

  test("a deep copy is identical (null)", () => {
    expect(compareResults(stored.result.seeds, structuredClone(stored.result.seeds))).toBeNull();
    expect(compareResults(stored.result.seeds, a())).toBeNull();
  });

  test("one flipped bit in one y value is found: seed, curve labels, index and both values", () => {
    const b = a();
    const old = b[1].curves[2].y[7];
    b[1].curves[2].y[7] = flipLowBit(old);
    expect(b[1].curves[2].y[7]).not.toBe(old);
    expect(compareResults(a(), b, { seedIndices: [2, 5], names: ["record", "re-run"] })).toBe(
      `seed 5, curve 2 {"method":"maml"}: y[7]: ${old} (record) vs ${b[1].curves[2].y[7]} (re-run)`,
    );
    expect(compareResults(a(), b)).toMatch(/^seed 1, curve 2 \{"method":"maml"\}: y\[7\]: /);
  });

  test("a changed label, status, metric, scalar or divergence is found", () => {
    const label = a();
    label[0].curves[1].labels.method = "reptile";
    expect(compareResults(a(), label)).toBe(
      `seed 0, curve 1 {"method":"fo-anil"}: labels.method: "fo-anil" vs "reptile"`,
    );
    const status = a();
    status[0].curves[3].status = "diverged";
    expect(compareResults(a(), status)).toBe(
      `seed 0, curve 3 {"method":"fo-maml"}: status: "ok" vs "diverged"`,
    );
    const seedStatus = a();
    seedStatus[1].status = "diverged";
    expect(compareResults(a(), seedStatus)).toBe(`seed 1: status: "ok" vs "diverged"`);
    const metric = a();
    metric[0].curves[0].metrics["firstBelow1e-3"] = 12;
    expect(compareResults(a(), metric)).toMatch(
      /curve 0 \{"method":"anil"\}: metrics.firstBelow1e-3: null vs 12$/,
    );
    delete metric[0].curves[0].metrics["firstBelow1e-3"];
    expect(compareResults(a(), metric)).toMatch(/metrics.firstBelow1e-3: null vs missing$/);
    const scalar = a();
    scalar[1].scalars.rate = 0.5;
    expect(compareResults(a(), scalar)).toBe("seed 1: scalars.rate: missing vs 0.5");
    const div = a();
    div[0].curves[4].diverged = { iteration: 3, quantity: "B", value: "NaN" };
    expect(compareResults(a(), div)).toBe(
      `seed 0, curve 4 {"method":"avg-gd"}: diverged: "none" vs {"iteration":3,"quantity":"B","value":"NaN"}`,
    );
    const div2 = structuredClone(div);
    div2[0].curves[4].diverged!.iteration = 4;
    expect(compareResults(div, div2)).toMatch(/curve 4 .*: diverged.iteration: 3 vs 4$/);
  });

  test("curves, seeds and values of different counts are differences", () => {
    const shorter = a();
    shorter[0].curves[0].y.pop();
    expect(compareResults(a(), shorter)).toMatch(
      /curve 0 .*: y\[20\]: [\d.]+ vs missing \(21 vs 20 values\)$/,
    );
    const fewer = a();
    fewer[1].curves.pop();
    expect(compareResults(a(), fewer)).toBe("seed 1: number of curves: 5 vs 4");
    expect(compareResults(a(), a().slice(1))).toBe("number of seeds: 2 vs 1");
  });

  test("-0 differs from 0; NaN equals NaN", () => {
    const zero = a();
    const negZero = a();
    zero[0].curves[0].y[0] = 0;
    negZero[0].curves[0].y[0] = -0;
    expect(compareResults(zero, negZero)).toMatch(/y\[0\]: 0 vs -0$/);
    expect(compareResults(negZero, structuredClone(negZero))).toBeNull();
    const nan = a();
    nan[0].curves[0].y[0] = Number.NaN;
    nan[0].scalars.s = Number.NaN;
    expect(compareResults(nan, structuredClone(nan))).toBeNull();
    expect(compareResults(nan, zero)).toMatch(/y\[0\]: NaN vs 0$/);
  });
});
