import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { formatBytes } from "../sweep/guards.js";
import { runCli } from "./testing.js";

/**
 * One validation at every door (issue 23, item 1): a record edited by hand passes the same
 * parameter, cell and memory guards as `run` (src/sweep/doors.test.ts: a job queued by hand).
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-doors-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("a record edited by hand (`run --record`)", () => {
  test("with the cell id its refusal prints, a huge parameter is refused by the memory guard, before it runs", async () => {
    const out = join(tmp, "rec");
    const made = await runCli(
      "run",
      "sweep-probe",
      "--seeds",
      "1",
      "--set",
      "work=10",
      "--out",
      out,
      "--quiet",
    );
    expect(made.code).toBe(0);
    const file = join(out, "sweep-probe", "record.json");
    const rec = JSON.parse(readFileSync(file, "utf8"));
    rec.params.work = 1e12;
    writeFileSync(file, JSON.stringify(rec));
    const first = await runCli("run", "--record", file, "--quiet");
    // The record's own check names the id it expects; a forger would copy it.
    const id = /"cellId" must match .*\((\S+)\); got/.exec(first.err)?.[1];
    expect(id).toBeDefined();
    rec.cellId = id;
    writeFileSync(file, JSON.stringify(rec));
    const second = await runCli("run", "--record", file, "--quiet");
    expect(second.code).toBe(2);
    expect(second.err).toMatch(
      /^metarep: run --record \S+: estimated memory 7\.3 TB \(160 MB for the process; 7\.3 TB working memory per seed × 1 at once; 128 B of results per seed × 1\) exceeds the limit of 4\.0 GB; pass --max-memory 8192G to run it anyway\.\n$/,
    );
  });

  test("the edited record of the issue (collins-convergence at d = 100000, with the id its refusal prints) is refused by the memory guard, before it runs", async () => {
    const out = join(tmp, "rec-d");
    const made = await runCli(
      "run",
      "collins-convergence",
      "--size",
      "smoke",
      "--seeds",
      "1",
      "--workers",
      "1",
      "--out",
      out,
      "--quiet",
    );
    expect(made.code).toBe(0);
    const file = join(out, "collins-convergence", "record.json");
    const rec = JSON.parse(readFileSync(file, "utf8"));
    rec.params.d = 100000;
    writeFileSync(file, JSON.stringify(rec));
    const first = await runCli("run", "--record", file, "--quiet");
    rec.cellId = /"cellId" must match .*\((\S+)\); got/.exec(first.err)?.[1];
    expect(rec.cellId).toBeDefined();
    writeFileSync(file, JSON.stringify(rec));
    const second = await runCli("run", "--record", file, "--quiet");
    expect(second.code).toBe(2);
    expect(second.err).toMatch(
      new RegExp(
        `^metarep: run --record ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: estimated memory [\\d.]+ (GB|TB)( \\([^)]*\\))? exceeds the limit of 4\\.0 GB; pass --max-memory \\d+G to run it anyway\\.\n$`,
      ),
    );
  });

  test("a record of more seed indices than --max-cells is refused", async () => {
    const out = join(tmp, "rec2");
    expect((await runCli("run", "sweep-probe", "--seeds", "3", "--out", out, "--quiet")).code).toBe(0);
    const file = join(out, "sweep-probe", "record.json");
    const r = await runCli("run", "--record", file, "--max-cells", "2", "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `metarep: run --record ${file}: 3 cells exceed the limit of 2; pass --max-cells 3 to run them anyway.\n`,
    );
  });
});

describe("sizes in sensible units", () => {
  test.each([
    [1, "1 B"],
    [512, "512 B"],
    [1023, "1023 B"],
    [1024, "1.0 kB"],
    [98 * 1024, "98 kB"],
    [1536, "1.5 kB"],
    [512 * 2 ** 20, "512 MB"],
    [4 * 2 ** 30, "4.0 GB"],
    [8e12, "7.3 TB"],
    [2 ** 70, "1.0e+6 PB"],
  ])("%d bytes → %s", (b, text) => {
    expect(formatBytes(b)).toBe(text);
  });

  test("a 1-byte --max-memory is printed as 1 B", async () => {
    const r = await runCli("run", "sweep-probe", "--max-memory", "1", "--out", join(tmp, "never"), "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /estimated memory 168 MB \(160 MB for the process; 8\.0 MB working memory per seed × 1 at once; 128 B of results per seed × 1\) exceeds the limit of 1 B; pass --max-memory 256M to run it anyway\./,
    );
  });
});

describe("store integrity: every file the sweep writes checked before the first cell; foreign records refused", () => {
  const specFile = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  test("a read-only records.jsonl or a file named figures: one line, before any cell runs", async () => {
    const s = specFile("ro.yaml", "experiment: sweep-probe\nseeds: 3\n");
    const other = join(tmp, "ro3");
    expect((await runCli("sweep", s, "--out", other, "--workers", "0", "--no-report")).code).toBe(0);
    // Two of the three cells stored: a re-run would run the third, if the store's files were not
    // checked first.
    const recs = join(other, "records.jsonl");
    writeFileSync(recs, `${readFileSync(recs, "utf8").split("\n").slice(0, 2).join("\n")}\n`);
    const before = readFileSync(recs, "utf8");
    if (process.getuid?.() !== 0) {
      chmodSync(recs, 0o444);
      const r = await runCli("sweep", s, "--out", other, "--workers", "0", "--no-report");
      expect(r.code).toBe(2);
      expect(r.err).toBe(
        `metarep: --out ${other}: cannot append to records.jsonl (EACCES); make it writable, or choose another directory.\n`,
      );
      expect(readFileSync(recs, "utf8")).toBe(before);
      chmodSync(recs, 0o644);
    }
    // Root may write a read-only file: an unwritable failures.jsonl (a directory) for everyone.
    rmSync(join(other, "failures.jsonl"));
    mkdirSync(join(other, "failures.jsonl"));
    const r = await runCli("sweep", s, "--out", other, "--workers", "0", "--no-report");
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `metarep: --out ${other}: cannot append to failures.jsonl (EISDIR); make it writable, or choose another directory.\n`,
    );
    expect(readFileSync(recs, "utf8")).toBe(before);
    const fig = join(tmp, "fig");
    mkdirSync(fig);
    writeFileSync(join(fig, "figures"), "not a directory");
    const f = await runCli("sweep", s, "--out", fig, "--workers", "0");
    expect(f.code).toBe(2);
    expect(f.err).toBe(
      `metarep: --out ${fig}: "figures" is a file, and the report writes its figures in a directory of that name; move it, or choose another directory.\n`,
    );
    expect(existsSync(join(fig, "records.jsonl")) && readFileSync(join(fig, "records.jsonl"), "utf8")).toBe(
      "",
    );
  });

  test("a record appended from another store (another spec) is refused in one line", async () => {
    const a = specFile("fa.yaml", "experiment: sweep-probe\nseeds: 2\nparams: { label: a }\n");
    const b = specFile("fb.yaml", "experiment: sweep-probe\nseeds: 2\nparams: { label: b }\n");
    const [da, db] = [join(tmp, "fa"), join(tmp, "fb")];
    expect((await runCli("sweep", a, "--out", da, "--workers", "0", "--no-report")).code).toBe(0);
    expect((await runCli("sweep", b, "--out", db, "--workers", "0", "--no-report")).code).toBe(0);
    const foreign = readFileSync(join(db, "records.jsonl"), "utf8").split("\n")[0];
    appendFileSync(join(da, "records.jsonl"), `${foreign}\n`);
    const r = await runCli("sweep", a, "--out", da, "--workers", "0", "--no-report");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(
        `^metarep: --out ${da}: records\\.jsonl holds 1 record that is not a cell of this store's spec \\(hash \\w+\\), e\\.g\\. ${JSON.parse(foreign).cellId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: appended from another store; remove it, or choose another directory\\.\n$`,
      ),
    );
  });
});
