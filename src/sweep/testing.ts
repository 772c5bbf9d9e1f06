import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";

/** Test support (excluded from the build): a throwaway redis-server and the built CLI. */

/** The package root (from src/sweep or dist/src/sweep alike). */
export const REPO = (() => {
  let d = import.meta.dirname;
  while (!existsSync(join(d, "package.json")) && resolve(d, "..") !== d) d = resolve(d, "..");
  return d;
})();
export const CLI = join(REPO, "dist", "src", "cli", "bin.js");

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** Start redis-server (Debian's, installed by .ci/run) on 127.0.0.1 at a free port. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => existsSync(p));
  if (!bin) throw new Error("redis-server is not installed (apt-get install redis-server; .ci/run does it)");
  const port = await freePort();
  const proc = spawn(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on("error", () => {});
    try {
      await r.connect();
      await r.ping();
      r.disconnect();
      break;
    } catch {
      r.disconnect();
      await new Promise((w) => setTimeout(w, 50));
    }
  }
  return {
    url,
    stop: () =>
      new Promise<void>((res) => {
        proc.once("exit", () => res());
        proc.kill("SIGKILL");
      }),
  };
}

/** Spawn the built CLI; collects output; resolves with the exit code. */
export function cli(args: string[]): {
  proc: ChildProcess;
  done: Promise<{ code: number | null; out: string; err: string }>;
} {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    err += d;
  });
  const done = new Promise<{ code: number | null; out: string; err: string }>((res) =>
    proc.on("exit", (code) => res({ code, out, err })),
  );
  return { proc, done };
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
