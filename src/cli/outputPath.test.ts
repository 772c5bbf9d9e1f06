import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { getExperiment } from "../experiments/registry.js";
import { cli as spawnCli } from "../sweep/testing.js";
import { runCli } from "./testing.js";

/**
 * Every file-system problem a user can cause is one line on stderr, exit code 2, found before
 * the work starts, and leaves no file behind (issue 14, item 2).
 */

const tmp = mkdtempSync(join(tmpdir(), "metarep-paths-"));
afterAll(() => {
  chmodSync(join(tmp, "ro"), 0o755);
  rmSync(tmp, { recursive: true, force: true });
});

/** Every path under `dir`, relative, sorted (hidden files included). */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

const SPEC = "experiment: sweep-probe\nseeds: 2\n";
const CSV = `task,y,a,b,c\n${["t1", "t1", "t2", "t2"].map((t, i) => `${t},${i},${i + 1},${i * 2},1`).join("\n")}\n`;

beforeAll(() => {
  writeFileSync(join(tmp, "afile"), "not a directory\n");
  writeFileSync(join(tmp, "spec.yaml"), SPEC);
  writeFileSync(join(tmp, "train.csv"), CSV);
  mkdirSync(join(tmp, "adir"));
  mkdirSync(join(tmp, "ro"));
  chmodSync(tmp, 0o755); // so that an unprivileged user can reach ro/
  chmodSync(join(tmp, "ro"), 0o555);
});

describe("output paths are checked before any work: one line, exit 2, nothing left behind", () => {
  const probe = getExperiment("sweep-probe");
  const runSpy = vi.spyOn(probe, "runCondition");
  afterEach(() => runSpy.mockClear());

  const cases: [string, () => string[], RegExp][] = [
    [
      "run --out <an existing file>",
      () => ["run", "sweep-probe", "--out", join(tmp, "afile")],
      /"--out" .*afile is a file, not a directory; choose a directory\./,
    ],
    [
      "run --out <a path under a file>",
      () => ["run", "sweep-probe", "--out", join(tmp, "afile", "sub")],
      /"--out" .*afile\/sub: .*afile is a file, not a directory\./,
    ],
    [
      "fit --out <a directory>",
      () => ["fit", "--data", join(tmp, "train.csv"), "--k", "1", "--out", join(tmp, "adir")],
      /"--out" .*adir is a directory; give a file path\./,
    ],
    [
      "fit --out <a path under a file>",
      () => ["fit", "--data", join(tmp, "train.csv"), "--k", "1", "--out", join(tmp, "afile", "m.json")],
      /"--out" .*afile\/m\.json: .*afile is a file, not a directory\./,
    ],
    [
      "adapt --out <a directory>",
      () => [
        "adapt",
        "--model",
        join(tmp, "m.json"),
        "--data",
        join(tmp, "train.csv"),
        "--out",
        join(tmp, "adir"),
      ],
      /"--out" .*adir is a directory; give a file path\./,
    ],
    [
      "sweep --out <an existing file>",
      () => ["sweep", join(tmp, "spec.yaml"), "--out", join(tmp, "afile"), "--workers", "0"],
      /"--out" .*afile is a file, not a directory/,
    ],
    [
      "sweep with a spec that is a directory",
      () => ["sweep", join(tmp, "adir"), "--out", join(tmp, "new-store"), "--workers", "0"],
      /sweep spec: cannot read .*adir: is a directory\./,
    ],
    [
      "sweep with a missing spec",
      () => ["sweep", join(tmp, "nope.yaml"), "--out", join(tmp, "new-store"), "--workers", "0"],
      /sweep spec: cannot read .*nope\.yaml: no such file or directory\./,
    ],
    [
      "report --out <an existing file>",
      () => ["report", join(tmp, "store"), "--out", join(tmp, "afile")],
      /"--out" .*afile is a file, not a directory/,
    ],
    [
      "export --out <an existing file>",
      () => ["export", join(tmp, "store"), "--parquet", "--out", join(tmp, "afile")],
      /"--out" .*afile is a file, not a directory/,
    ],
  ];

  beforeAll(async () => {
    expect(
      (
        await runCli(
          "sweep",
          join(tmp, "spec.yaml"),
          "--out",
          join(tmp, "store"),
          "--workers",
          "0",
          "--no-report",
        )
      ).code,
    ).toBe(0);
    expect(
      (await runCli("fit", "--data", join(tmp, "train.csv"), "--k", "1", "--out", join(tmp, "m.json"))).code,
    ).toBe(0);
    runSpy.mockClear();
  });

  test.each(cases)("%s", async (_name, args, message) => {
    const before = tree(tmp);
    const r = await runCli(...args());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
    expect(tree(tmp)).toEqual(before); // no partial file, no temporary file, no new directory
    expect(runSpy).not.toHaveBeenCalled(); // no computation started
  });

  test("a run whose output directory does not exist yet creates it and writes there", async () => {
    const out = join(tmp, "fresh", "deeper");
    const r = await runCli("run", "sweep-probe", "--out", out, "--quiet");
    expect(r.code).toBe(0);
    expect(tree(join(tmp, "fresh"))).toEqual([
      "deeper",
      "deeper/sweep-probe",
      "deeper/sweep-probe/record.json",
    ]);
    expect(runSpy).toHaveBeenCalledTimes(1);
  });
});

describe("an unwritable --out (as an unprivileged user: root may write anywhere)", () => {
  const asUser = (args: string[]) =>
    process.getuid?.() === 0
      ? ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, ...args]
      : null;

  /** Spawn the built CLI, as `nobody` through setpriv when the tests run as root. */
  function run(args: string[]) {
    const wrapped = asUser(args);
    if (wrapped === null) return spawnCli(args).done;
    return new Promise<{ code: number | null; out: string; err: string }>((res) => {
      import("node:child_process").then(({ spawn }) => {
        const p = spawn(
          "/usr/bin/setpriv",
          [...wrapped.slice(0, 3), wrapped[3], join(process.cwd(), "dist", "src", "cli", "bin.js"), ...args],
          {
            stdio: ["ignore", "pipe", "pipe"],
            cwd: tmp,
          },
        );
        let out = "";
        let err = "";
        p.stdout.on("data", (d) => {
          out += d;
        });
        p.stderr.on("data", (d) => {
          err += d;
        });
        p.on("exit", (code) => res({ code, out, err }));
      });
    });
  }

  // The paths are given absolute, so the messages name them absolute (as given).
  const at = (...p: string[]) => join(tmp, ...p).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const denied = (target: string[]) =>
    new RegExp(`"--out" ${at(...target)}: cannot write in ${at("ro")} \\(permission denied\\)\\.`);
  const cases: [string, string[], RegExp][] = [
    ["run", ["run", "sweep-probe", "--out", join(tmp, "ro", "out")], denied(["ro", "out"])],
    [
      "sweep",
      ["sweep", join(tmp, "spec.yaml"), "--out", join(tmp, "ro", "store"), "--workers", "0"],
      denied(["ro", "store"]),
    ],
    [
      "fit",
      ["fit", "--data", join(tmp, "train.csv"), "--k", "1", "--out", join(tmp, "ro", "m.json")],
      denied(["ro", "m.json"]),
    ],
    ["reproduce", ["reproduce", "sweep-probe", "--out", join(tmp, "ro")], denied(["ro"])],
  ];

  test.each(cases)("%s: exit 2, one line, nothing written", async (_name, args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(readdirSync(join(tmp, "ro"))).toEqual([]);
  });
});
