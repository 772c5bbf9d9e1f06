import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { MetarepError } from "../errors.js";

/**
 * One writer per store (DESIGN.md "Reliability rules"): a sweep or reproduce holds `DIR/.lock`
 * while it writes the store. The lock file is created with O_EXCL and holds the holder's pid, host,
 * process start time (Linux: /proc/PID/stat field 22, so a recycled pid is not mistaken for the
 * holder), start date and command, plus a nonce (pid and a high-resolution time) by which the
 * holder recognises its own file.
 *
 * A lock whose holder is gone (same host, pid not running, or running but started at another
 * time: a killed sweep) is stale and taken over. Takeovers are serialised by a second O_EXCL file,
 * `DIR/.lock.takeover`, and the stale lock is removed only after re-reading it under that guard and
 * finding the same nonce, so two processes that both found the same stale lock cannot both take
 * the store. A lock held from another host cannot be checked from here: it is refused, naming the
 * host and pid, and the message says which file to delete once that process is known to be gone.
 */

export const LOCK_FILE = ".lock";
const TAKEOVER_FILE = ".lock.takeover";

export interface LockInfo {
  pid: number;
  host: string;
  /** Process start time in clock ticks since boot (Linux), or null where unknown. */
  procStart: string | null;
  since: string;
  command: string;
  nonce: string;
}

/** The store is in use by another process: exit code 2, before anything is computed or written. */
export class StoreLockedError extends MetarepError {
  override name = "StoreLockedError";
}

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[22 - 3] ?? null;
  } catch {
    return null;
  }
}

/** Is the process that wrote `info` still running (on this host)? */
function holderAlive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (info.procStart === null) return true;
  const now = procStart(info.pid);
  return now === null || now === info.procStart;
}

function readLock(path: string): LockInfo | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  try {
    const v = JSON.parse(text) as LockInfo;
    if (typeof v.pid === "number" && typeof v.host === "string") return v;
  } catch {}
  // Empty or torn: a holder killed between creating the file and writing it (a few µs).
  return { pid: -1, host: hostname(), procStart: null, since: "?", command: "?", nonce: `torn:${text}` };
}

/** A lock file that is still empty or torn after a second: its writer died while creating it. */
function tornForLong(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > 1000;
  } catch {
    return false;
  }
}

/** Create `path` exclusively with `text`; false if it exists. */
function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

function describe(dir: string, h: LockInfo): string {
  return `store ${dir} is in use by another process (pid ${h.pid} on host ${h.host}, since ${h.since}: ${h.command})`;
}

/** Locks this process holds, by store directory (re-entrant: reproduce locks, then runSweep). */
const held = new Map<string, { info: LockInfo; count: number }>();
let exitHook = false;

export interface StoreLock {
  readonly dir: string;
  release(): void;
}

/**
 * Take the store's lock, or throw `StoreLockedError` naming the store and the holder. Creates the
 * directory if needed. Re-entrant within one process.
 */
export function acquireStoreLock(dir: string, command: string): StoreLock {
  const mine = held.get(dir);
  if (mine) {
    mine.count++;
    return { dir, release: () => releaseStoreLock(dir) };
  }
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const since = new Date().toISOString();
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    procStart: procStart(process.pid),
    since,
    command,
    nonce: `${process.pid}.${process.hrtime.bigint()}`,
  };
  const text = `${JSON.stringify(info)}\n`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (createExclusive(path, text)) {
      held.set(dir, { info, count: 1 });
      if (!exitHook) {
        exitHook = true;
        process.once("exit", () => {
          for (const d of [...held.keys()]) removeOwn(d);
        });
      }
      watchSignals();
      return { dir, release: () => releaseStoreLock(dir) };
    }
    const holder = readLock(path);
    if (holder === null) continue; // released meanwhile: try again
    if (holder.pid === -1 && !tornForLong(path)) {
      // Another process has just created the file and not yet written it: wait a moment.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      continue;
    }
    if (holder.host !== info.host) {
      throw new StoreLockedError(
        `${describe(dir, holder)}; it cannot be checked from ${info.host}: if that process is gone, delete ${path}.`,
      );
    }
    if (holder.pid === process.pid && holder.procStart === info.procStart) {
      throw new StoreLockedError(`${describe(dir, holder)}: this process already writes it.`);
    }
    if (holder.pid > 0 && holderAlive(holder)) throw new StoreLockedError(`${describe(dir, holder)}.`);
    takeOverStale(dir, holder);
  }
  const holder = readLock(path);
  throw new StoreLockedError(
    holder ? `${describe(dir, holder)}.` : `store ${dir}: could not take its lock ${path}.`,
  );
}

/** Remove a stale lock under the takeover guard, if it is still the same stale lock. */
function takeOverStale(dir: string, stale: LockInfo): void {
  const guard = join(dir, TAKEOVER_FILE);
  const me = `${JSON.stringify({ pid: process.pid, host: hostname(), procStart: procStart(process.pid), since: new Date().toISOString(), command: "takeover", nonce: "" })}\n`;
  if (!createExclusive(guard, me)) {
    const g = readLock(guard);
    // A guard whose writer died mid-takeover is itself stale: remove it and let the caller retry.
    // (An empty guard is one being written right now, unless it has been empty for a second.)
    const dead = g !== null && (g.pid === -1 ? tornForLong(guard) : !holderAlive(g));
    if (g && g.host === hostname() && dead) {
      try {
        unlinkSync(guard);
      } catch {}
    }
    return;
  }
  try {
    const now = readLock(join(dir, LOCK_FILE));
    if (now && now.nonce === stale.nonce && now.pid === stale.pid) {
      try {
        unlinkSync(join(dir, LOCK_FILE));
      } catch {}
    }
  } finally {
    rmSync(guard, { force: true });
  }
}

function removeOwn(dir: string): void {
  const mine = held.get(dir);
  if (!mine) return;
  held.delete(dir);
  const path = join(dir, LOCK_FILE);
  const now = readLockQuiet(path);
  if (now && now.nonce === mine.info.nonce) {
    try {
      unlinkSync(path);
    } catch {}
  }
}

function readLockQuiet(path: string): LockInfo | null {
  try {
    return readLock(path);
  } catch {
    return null;
  }
}

function releaseStoreLock(dir: string): void {
  const mine = held.get(dir);
  if (!mine) return;
  if (--mine.count === 0) removeOwn(dir);
  if (held.size === 0) unwatchSignals();
}

/**
 * Ctrl-C (SIGINT) and SIGTERM while a store is locked: remove this process's locks, then let the
 * signal take its usual course (re-raised once the handler is gone). The store stays resumable —
 * records are whole lines, a cut one is dropped on the next open — and no stale `.lock` is left.
 * Installed only while a lock is held, so a process without one keeps Node's default handling.
 */
const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const onSignal = (signal: NodeJS.Signals) => {
  for (const d of [...held.keys()]) removeOwn(d);
  unwatchSignals();
  // Another listener (e.g. `metarep worker`'s) handles the signal itself; else, the default.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
};
let watching = false;

function watchSignals(): void {
  if (watching) return;
  watching = true;
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unwatchSignals(): void {
  if (!watching) return;
  watching = false;
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** The current holder of a store's lock, if any (for messages and tests). */
export function storeLockHolder(dir: string): LockInfo | null {
  return readLockQuiet(join(dir, LOCK_FILE));
}
