import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    expect(second.err).toBe(
      `metarep: run --record ${file}: estimated memory ${formatBytes(8e12 + 1e5 + 128)} exceeds the limit of 4.0 GB; pass --max-memory 8192G to run it anyway.\n`,
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
    [1, "1 byte"],
    [512, "512 bytes"],
    [1536, "1.5 kB"],
    [512 * 2 ** 20, "512 MB"],
    [4 * 2 ** 30, "4.0 GB"],
    [8e12, "7.3 TB"],
    [2 ** 70, "1.0e+6 PB"],
  ])("%d bytes → %s", (b, text) => {
    expect(formatBytes(b)).toBe(text);
  });

  test("a 1-byte --max-memory is printed as 1 byte", async () => {
    const r = await runCli("run", "sweep-probe", "--max-memory", "1", "--out", join(tmp, "never"), "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /estimated memory 98 kB exceeds the limit of 1 byte; pass --max-memory 128K to run it anyway\./,
    );
  });
});
