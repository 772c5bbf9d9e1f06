import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mergeByGridPoint } from "../record/merge.js";
import type { RunRecord } from "../record/types.js";
import { Auditor, auditDraw, inAuditSample } from "./audit.js";
import { runCell } from "./cell.js";
import { InlineExecutor } from "./executors/inline.js";
import { runSweep } from "./runSweep.js";
import { type Cell, expandSweep, parseSweepSpec } from "./spec.js";
import { readFailures, readRecords } from "./store.js";
import { cli, startRedis, waitFor } from "./testing.js";

/*
 * Issue 23, item 6: results from workers are audited. The submitter recomputes a deterministic
 * sample of the returned cells and compares bytes; a worker whose results differ is refused, named,
 * and its cells re-queued, and the store never holds one of its records.
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-audit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SPEC = "experiment: sweep-probe\nseeds: 6\nparams: { work: 100 }\n";
const cellsOf = (spec: string) => [...expandSweep(parseSweepSpec(spec)).cells()];

describe("the audit sample", () => {
  test("is a function of the root seed and the cell id: the same cells each time, others under another seed, at about the fraction asked", () => {
    const a = cellsOf("experiment: sweep-probe\nseeds: 20000\n");
    const b = cellsOf("experiment: sweep-probe\nseeds: 20000\nseed: 1\n");
    const pick = (cs: Cell[], f: number) => cs.filter((c) => inAuditSample(f, c)).map((c) => c.cellId);
    expect(pick(a, 0.02)).toEqual(pick(a, 0.02));
    const n = pick(a, 0.02).length;
    // Binomial(20000, 0.02): mean 400, sd 19.8; ±5 sd.
    expect(n).toBeGreaterThan(300);
    expect(n).toBeLessThan(500);
    expect(pick(b, 0.02).length).toBeGreaterThan(300);
    // Seed indices are shared: under seed 1 the sample is another one.
    const idx = (cs: Cell[], f: number) => cs.filter((c) => inAuditSample(f, c)).map((c) => c.seedIndex);
    expect(idx(b, 0.02)).not.toEqual(idx(a, 0.02));
    expect(pick(a, 0)).toEqual([]);
    expect(pick(a, 1)).toHaveLength(20000);
    // Uniform: each tenth of [0, 1) holds about a tenth of the draws (2000 ± 5 sd of 42).
    const tenths = Array(10).fill(0);
    for (const c of a) tenths[Math.floor(auditDraw(c.seed, c.cellId) * 10)]++;
    for (const t of tenths) expect(Math.abs(t - 2000)).toBeLessThan(212);
  });
});

/** A record with its first y value changed by one part in 2⁴⁰: what a tampered worker returns. */
function altered(r: RunRecord, worker: string): RunRecord {
  const copy = structuredClone(r);
  copy.result.seeds[0].curves[0].y[0] *= 1 + 2 ** -40;
  return { ...copy, worker };
}

describe("the auditor's order", () => {
  test("a worker's records are stored only once an audit at or after them passed and none before failed; a later pass does not release records an earlier pending audit covers", async () => {
    const cells = cellsOf(SPEC);
    // Recomputations that finish when the test says (real runCell; only their order is chosen).
    const waiting: { cell: Cell; done: (r: RunRecord) => void }[] = [];
    const stored: string[] = [];
    const refused: string[] = [];
    const lines: string[] = [];
    const auditor = new Auditor(
      {
        // A fraction that samples none of these cells: the hold limit alone starts the audits.
        fraction: 1e-12,
        holdLimit: 2,
        recompute: (cell) => new Promise((done) => waiting.push({ cell, done })),
        onRefusal: (l) => lines.push(l),
      },
      (c) => stored.push(c.cellId),
      (c) => refused.push(c.cellId),
    );
    const honest = (c: Cell) => ({ ...runCell(c), worker: "good:1:aaaaaa" });
    // Worker "bad" returns 4 records: the 2nd reaches the hold limit (audit 1), the 4th too
    // (audit 2). Its first record is honest, the others altered.
    auditor.receive(cells[0], { ...runCell(cells[0]), worker: "bad:2:bbbbbb" });
    auditor.receive(cells[1], altered(runCell(cells[1]), "bad:2:bbbbbb"));
    auditor.receive(cells[2], altered(runCell(cells[2]), "bad:2:bbbbbb"));
    auditor.receive(cells[3], { ...runCell(cells[3]), worker: "bad:2:bbbbbb" });
    // Worker "good" returns 2 honest records (one audit, at the hold limit).
    auditor.receive(cells[4], honest(cells[4]));
    auditor.receive(cells[5], honest(cells[5]));
    expect(waiting.map((w) => w.cell.cellId)).toEqual([cells[1], cells[3], cells[5]].map((c) => c.cellId));
    expect(auditor.holding).toBe(6);
    // The bad worker's second audit (an honest record) passes first: nothing of it is stored, its
    // first audit still pending.
    waiting[1].done(runCell(waiting[1].cell));
    await new Promise((r) => setImmediate(r));
    expect(stored).toEqual([]);
    // The first audit (an altered record) fails: all four are refused, the worker named.
    waiting[0].done(runCell(waiting[0].cell));
    await new Promise((r) => setImmediate(r));
    expect(stored).toEqual([]);
    expect(refused).toEqual(cells.slice(0, 4).map((c) => c.cellId));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^audit: worker bad:2:bbbbbb refused: its record of ${cells[1].cellId.replaceAll(".", "\\.")} differs from this machine's recomputation \\(seed 1, curve 0 \\{"method":"probe","label":"probe"\\}: y\\[0\\]: \\S+ \\(worker\\) vs \\S+ \\(here\\)\\); its 4 held results are re-queued, and whatever it returns in this sweep is refused\\.$`,
      ),
    );
    // Whatever it returns afterwards is refused at once, honest or not.
    auditor.receive(cells[0], { ...runCell(cells[0]), worker: "bad:2:bbbbbb" });
    expect(refused).toHaveLength(5);
    // The good worker's audit passes: its two records are stored.
    waiting[2].done(runCell(waiting[2].cell));
    await new Promise((r) => setImmediate(r));
    expect(stored).toEqual([cells[4].cellId, cells[5].cellId]);
    expect(auditor.holding).toBe(0);
    expect(auditor.summary).toMatchObject({ recomputed: 3, returned: 7 });
  });

  test("a record that is not its cell's (another id, an edited grid) refuses its worker without a recomputation", () => {
    const cells = cellsOf(SPEC);
    const refused: string[] = [];
    const lines: string[] = [];
    const auditor = new Auditor(
      {
        fraction: 0,
        recompute: () => Promise.reject(new Error("not called")),
        onRefusal: (l) => lines.push(l),
      },
      () => {},
      (c, why) => refused.push(`${c.cellId}: ${why}`),
    );
    auditor.receive(cells[0], { ...runCell(cells[1]), worker: "w:1:000000" });
    auditor.receive(cells[2], { ...runCell(cells[2]), grid: { work: 1 }, worker: "v:1:000000" });
    expect(lines[0]).toContain(
      `audit: worker w:1:000000 refused: its record of ${cells[0].cellId} is not one a worker could make: it returned the record of ${cells[1].cellId} for ${cells[0].cellId}`,
    );
    expect(lines[1]).toContain(`its record's "grid" is {"work":1}, the cell's {}`);
    expect(refused).toHaveLength(2);
    expect(auditor.summary.recomputed).toBe(0);
  });
});

/** A plug-in whose top-level code tampers with the worker: every record its threads serialise has
 * its first y value changed by one part in 2⁴⁰ (a faulty or hostile worker, not a mock). */
const TAMPER = `const stringify = JSON.stringify;
JSON.stringify = function (value, ...rest) {
  if (value && typeof value === "object" && typeof value.cellId === "string" && value.result) {
    const copy = structuredClone(value);
    for (const s of copy.result.seeds) for (const c of s.curves) if (c.y.length) c.y[0] *= 1 + 2 ** -40;
    return stringify.call(JSON, copy, ...rest);
  }
  return stringify.call(JSON, value, ...rest);
};
export default function (api) {
  return {
    id: "tamper",
    estimators: [{ id: "tamper-axes", name: "axes", fit(data, k) { return { B: api.zeros(data.d, k) }; } }],
  };
}
`;

describe("sweep --redis --audit against real workers", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const tamper = join(tmp, "tamper.mjs");
  const specPath = join(tmp, "probe.yaml");
  beforeAll(async () => {
    writeFileSync(tamper, TAMPER);
    writeFileSync(specPath, SPEC);
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  function worker(queue: string, plugins: string[]) {
    const w = cli([
      "worker",
      "--redis",
      redis.url,
      "--concurrency",
      "1",
      "--queue",
      queue,
      ...plugins.flatMap((p) => ["--plugin", p]),
    ]);
    const log = { text: "" };
    w.proc.stderr?.on("data", (d) => {
      log.text += d;
    });
    return { ...w, log, id: () => /worker id (\S+)/.exec(log.text)?.[1] ?? "" };
  }

  const normalized = (dir: string) =>
    new Map(
      readRecords(dir).map((r) => [
        r.cellId,
        JSON.stringify({ ...r, startedAt: "", seconds: 0, command: "", worker: undefined }),
      ]),
    );

  test("a tampered worker is named and refused, none of its results stored; a clean worker then fills the store, audited, with the bytes of an inline run", async () => {
    const q = "q-audit";
    const dir = join(tmp, "store");
    const bad = worker(q, [tamper]);
    let res: Awaited<ReturnType<typeof cli>["done"]>;
    try {
      await waitFor(() => /worker ready/.test(bad.log.text), "the tampered worker to be ready");
      // Default --audit (0.02).
      res = await cli(["sweep", specPath, "--out", dir, "--redis", redis.url, "--queue", q, "--no-report"])
        .done;
    } finally {
      bad.proc.kill("SIGTERM");
      await bad.done;
    }
    const badId = bad.id();
    expect(badId).toMatch(/^[^:]+:\d+:[0-9a-f]{6}$/);
    expect(res.code).toBe(1);
    const refusal = res.err.split("\n").filter((l) => l.startsWith("audit: "));
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatch(
      new RegExp(
        `^audit: worker ${badId} refused: its record of sweep-probe:\\S+ differs from this machine's recomputation \\(seed \\d, curve 0 \\{"method":"probe","label":"probe"\\}: y\\[0\\]: \\S+ \\(worker\\) vs \\S+ \\(here\\)\\); its \\d held results? (is|are) re-queued, and whatever it returns in this sweep is refused\\.$`,
      ),
    );
    expect(res.out).toMatch(
      new RegExp(
        `Audit \\(--audit 0\\.02\\): \\d+ of \\d+ returned cells recomputed here; refused worker ${badId} `,
      ),
    );
    expect(res.out).toContain("0/6 cells stored");
    // Nothing of the tampered worker entered the store; each cell failed after 3 refusals.
    expect(readFileSync(join(dir, "records.jsonl"), "utf8")).toBe("");
    const failures = readFailures(dir);
    expect(failures).toHaveLength(6);
    for (const f of failures)
      expect(f.error).toMatch(
        new RegExp(`^results refused by the audit 3 times; the last: worker ${badId} is refused: `),
      );

    // A clean worker: the same command resumes, every record audited and stored.
    const good = worker(q, []);
    let again: Awaited<ReturnType<typeof cli>["done"]>;
    try {
      await waitFor(() => /worker ready/.test(good.log.text), "the clean worker to be ready");
      again = await cli(["sweep", specPath, "--out", dir, "--redis", redis.url, "--queue", q, "--no-report"])
        .done;
    } finally {
      good.proc.kill("SIGTERM");
      await good.done;
    }
    expect(again.code).toBe(0);
    expect(again.err).not.toMatch(/^audit: /m);
    expect(again.out).toContain("6/6 cells stored");
    const counted =
      /Audit \(--audit 0\.02\): (\d+) of 6 returned cells recomputed here, all identical\./.exec(again.out);
    expect(Number(counted?.[1])).toBeGreaterThanOrEqual(1);
    const records = readRecords(dir);
    expect(records.map((r) => r.worker)).toEqual(Array(6).fill(good.id()));
    // A grid point's merged record (figures, tables) joins cells of any workers: it names none.
    expect(mergeByGridPoint(records).map((r) => r.worker)).toEqual([undefined]);
    const inline = join(tmp, "inline");
    await runSweep({
      sweep: expandSweep(parseSweepSpec(SPEC)),
      dir: inline,
      executor: new InlineExecutor(),
      command: "t",
    });
    expect(normalized(dir)).toEqual(normalized(inline));
  });

  test("--audit: a number in [0, 1], with --redis; one line otherwise", async () => {
    for (const bad of ["1.5", "x"]) {
      const r = await cli([
        "sweep",
        specPath,
        "--out",
        join(tmp, "never"),
        "--redis",
        redis.url,
        "--audit",
        bad,
      ]).done;
      expect(r.code).toBe(2);
      expect(r.err).toBe(`metarep: "--audit" must be a number in [0, 1]; got "${bad}".\n`);
    }
    const r = await cli(["sweep", specPath, "--out", join(tmp, "never"), "--audit", "0.1"]).done;
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `metarep: "--audit" checks results from queue workers: it needs --redis; got --audit 0.1 without it.\n`,
    );
  });

  test("--audit 0: results stored unchecked, and the sweep says so", async () => {
    const q = "q-audit-off";
    const w = worker(q, []);
    let res: Awaited<ReturnType<typeof cli>["done"]>;
    try {
      await waitFor(() => /worker ready/.test(w.log.text), "the worker to be ready");
      res = await cli([
        "sweep",
        specPath,
        "--out",
        join(tmp, "off"),
        "--redis",
        redis.url,
        "--queue",
        q,
        "--audit",
        "0",
        "--no-report",
      ]).done;
    } finally {
      w.proc.kill("SIGTERM");
      await w.done;
    }
    expect(res.code).toBe(0);
    expect(res.out).toContain("Audit: off (--audit 0): results from workers stored unchecked.");
    expect(readRecords(join(tmp, "off"))).toHaveLength(6);
  });
});
