import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { RunRecord } from "../record/types.js";
import { acquireStoreLock, LOCK_FILE, StoreLockedError, storeLockHolder } from "./lock.js";
import { cli, REPO, waitFor } from "./testing.js";

const tmp = mkdtempSync(join(tmpdir(), "metarep-lock-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(tmp, `s${n++}`);

const SPEC = "experiment: sweep-probe\nseeds: 24\nparams: { work: 400000 }\n";

function cellIds(dir: string): string[] {
  return readFileSync(join(dir, "records.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as RunRecord).cellId);
}

/** A lock file as another process would have written it. */
function writeLock(dir: string, fields: Partial<{ pid: number; host: string; procStart: string | null }>) {
  mkdirSync(dir, { recursive: true });
  const info = {
    pid: 1,
    host: hostname(),
    procStart: null,
    since: "2026-01-01T00:00:00.000Z",
    command: "metarep sweep other.yaml",
    nonce: "other",
    ...fields,
  };
  writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify(info)}\n`);
}

describe("one writer per store", () => {
  test("two concurrent sweeps on one store: one runs, the other exits 2 at once naming the store and the holder", async () => {
    const spec = join(tmp, "spec.yaml");
    writeFileSync(spec, SPEC);
    const dir = newDir();
    const first = cli(["sweep", spec, "--out", dir, "--workers", "1", "--no-report"]);
    await waitFor(() => existsSync(join(dir, LOCK_FILE)), "the first sweep's lock");
    // Freeze the first sweep while it holds the lock, so the second certainly meets it.
    first.proc.kill("SIGSTOP");
    const second = await cli(["sweep", spec, "--out", dir, "--workers", "1", "--no-report"]).done;
    first.proc.kill("SIGCONT");
    expect(second.code).toBe(2);
    const line = second.err.trim();
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toContain(`store ${dir} is in use by another process`);
    expect(line).toContain(`pid ${first.proc.pid} on host ${hostname()}`);
    expect(second.out).toBe("");
    const res = await first.done;
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/24\/24 cells stored/);
    const ids = cellIds(dir);
    expect(ids).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  test("a lock left by a SIGKILLed sweep is taken over: the re-run completes with every cell exactly once", async () => {
    const spec = join(tmp, "spec-kill.yaml");
    writeFileSync(spec, SPEC);
    const dir = newDir();
    const first = cli(["sweep", spec, "--out", dir, "--workers", "1", "--no-report"]);
    const recs = join(dir, "records.jsonl");
    await waitFor(
      () => existsSync(recs) && readFileSync(recs, "utf8").split("\n").length > 3,
      "a few records",
    );
    first.proc.kill("SIGKILL");
    await first.done;
    // The killed sweep's lock is still there, naming a process that no longer runs.
    expect(storeLockHolder(dir)?.pid).toBe(first.proc.pid);
    const before = cellIds(dir).length;
    expect(before).toBeLessThan(24);
    const second = await cli(["sweep", spec, "--out", dir, "--workers", "1", "--no-report"]).done;
    expect(second.code).toBe(0);
    expect(second.out).toMatch(new RegExp(`24/24 cells stored .*\\(${before} already there`));
    const ids = cellIds(dir);
    expect(ids).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  test.each(["SIGINT", "SIGTERM"] as const)(
    "%s mid-sweep releases the lock and leaves a resumable store: the re-run stores every cell exactly once",
    async (signal) => {
      const spec = join(tmp, `spec-${signal}.yaml`);
      writeFileSync(spec, SPEC);
      const dir = newDir();
      const first = cli(["sweep", spec, "--out", dir, "--workers", "1", "--no-report"]);
      const recs = join(dir, "records.jsonl");
      await waitFor(
        () => existsSync(recs) && readFileSync(recs, "utf8").split("\n").length > 3,
        "a few records",
      );
      first.proc.kill(signal);
      const res = await first.done;
      expect(res.code).toBeNull(); // ended by the signal, after removing its lock
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      const before = cellIds(dir).length;
      expect(before).toBeLessThan(24);
      const second = await cli(["sweep", spec, "--out", dir, "--workers", "1", "--no-report"]).done;
      expect(second.code).toBe(0);
      expect(second.out).toMatch(new RegExp(`24/24 cells stored .*\\(${before} already there`));
      const ids = cellIds(dir);
      expect(ids).toHaveLength(24);
      expect(new Set(ids).size).toBe(24);
    },
  );

  test("reproduce on a directory in use exits 2 naming the holder, and writes nothing", async () => {
    const out = newDir();
    writeLock(join(out, "collins-convergence"), { pid: process.pid, procStart: null });
    const r = await cli(["reproduce", "collins-convergence", "--size", "smoke", "--seeds", "1", "--out", out])
      .done;
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(
      new RegExp(`store .*collins-convergence is in use by another process \\(pid ${process.pid} on host`),
    );
    expect(existsSync(join(out, "collins-convergence", "records.jsonl"))).toBe(false);
    expect(existsSync(join(out, "report.html"))).toBe(false);
  });

  test("a lock from another host is refused with the file to delete; a live holder is refused; a dead one is taken over", () => {
    const a = newDir();
    writeLock(a, { pid: 1234, host: "elsewhere.example" });
    expect(() => acquireStoreLock(a, "test")).toThrow(StoreLockedError);
    expect(() => acquireStoreLock(a, "test")).toThrow(
      new RegExp(`pid 1234 on host elsewhere\\.example.*delete ${join(a, LOCK_FILE).replaceAll(".", "\\.")}`),
    );
    const b = newDir();
    // pid 1 (init) runs, and its start time is what /proc says: a live holder.
    writeLock(b, { pid: 1 });
    expect(() => acquireStoreLock(b, "test")).toThrow(/pid 1 on host/);
    // The same pid with another start time is a recycled pid: the holder is gone.
    writeLock(b, { pid: 1, procStart: "1" });
    const lock = acquireStoreLock(b, "test");
    expect(storeLockHolder(b)?.pid).toBe(process.pid);
    // Re-entrant in one process (reproduce locks, then each sweep); the file goes with the last release.
    const again = acquireStoreLock(b, "test");
    again.release();
    expect(existsSync(join(b, LOCK_FILE))).toBe(true);
    lock.release();
    expect(existsSync(join(b, LOCK_FILE))).toBe(false);
  });

  test("an empty lock file (its writer killed while creating it) is taken over once it is old", () => {
    const dir = newDir();
    mkdirSync(dir);
    writeFileSync(join(dir, LOCK_FILE), "");
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    const lock = acquireStoreLock(dir, "test");
    expect(storeLockHolder(dir)?.pid).toBe(process.pid);
    lock.release();
  });

  test("eight processes racing for one stale lock: exactly one gets it", async () => {
    const dir = newDir();
    writeLock(dir, { pid: 2 ** 22 + 7 }); // above the default pid_max: not running
    const go = join(tmp, `go-${n}`);
    const release = join(tmp, `release-${n}`);
    const lockJs = join(REPO, "dist", "src", "sweep", "lock.js");
    const script = `
      const { existsSync } = await import("node:fs");
      const { acquireStoreLock } = await import(${JSON.stringify(lockJs)});
      const wait = async (p) => { while (!existsSync(p)) await new Promise((r) => setTimeout(r, 5)); };
      console.log("ready");
      await wait(${JSON.stringify(go)});
      let lock;
      try { lock = acquireStoreLock(${JSON.stringify(dir)}, "race"); } catch (e) { console.log("refused " + e.name); process.exit(0); }
      console.log("got");
      await wait(${JSON.stringify(release)});
      lock.release();
    `;
    const procs = Array.from({ length: 8 }, () => {
      const p = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      p.stdout.on("data", (d) => {
        out += d;
      });
      const done = new Promise<void>((r) => p.on("exit", () => r()));
      return { out: () => out, done };
    });
    await waitFor(() => procs.every((p) => p.out().includes("ready")), "all racers ready");
    writeFileSync(go, "");
    await waitFor(() => procs.every((p) => /got|refused/.test(p.out())), "every racer to get or be refused");
    const outcomes = procs.map((p) => p.out().trim().split("\n").at(-1));
    expect(outcomes.filter((o) => o === "got")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "refused StoreLockedError")).toHaveLength(7);
    writeFileSync(release, "");
    await Promise.all(procs.map((p) => p.done));
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
