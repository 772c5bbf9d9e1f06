import { closeSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { MetarepError } from "../errors.js";

/**
 * Output paths are checked — and directories created — before any work starts, so a path the
 * user cannot write is a one-line error (exit 2) at once instead of a crash after the
 * computation. Whatever the check created is removed again if the command then fails before
 * writing into it, so a failed command leaves no empty directory and no temporary file behind.
 */

/** An output or input path that cannot be used: one line, exit code 2. */
export class PathError extends MetarepError {
  override name = "PathError";
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is a file, not a directory",
  EISDIR: "is a directory",
  EEXIST: "already exists",
  ENAMETOOLONG: "name too long",
  ELOOP: "too many symbolic links",
  EMFILE: "too many open files",
  EBUSY: "resource busy",
};

/** The file-system error codes a user can cause (bad paths, permissions, a full disk). */
export function isUserFsError(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return e instanceof Error && typeof code === "string" && code in REASONS;
}

/**
 * A path as the user gave its root: absolute when the flag's value (`given`) was absolute,
 * relative to the working directory otherwise (`results/x/record.json`, `.` for the directory itself).
 */
export function shownPath(p: string, given: string): string {
  if (isAbsolute(given)) return resolve(p);
  return relative(process.cwd(), resolve(p)) || ".";
}

const show = (p: string) => {
  const r = relative(process.cwd(), p);
  return r === "" ? "." : r.startsWith("..") ? p : r;
};

/** A file-system error as one line: `cannot <verb> PATH: reason`. */
export function fsErrorLine(e: NodeJS.ErrnoException, verb = "write", file?: string): string {
  const reason = REASONS[e.code ?? ""] ?? e.code ?? e.message;
  const path = file ?? e.path ?? (e as { dest?: string }).dest;
  return path === undefined ? `${verb} failed: ${reason}.` : `cannot ${verb} ${show(path)}: ${reason}.`;
}

/** The first existing ancestor of `p` (itself if it exists) and whether it is a directory. */
function firstExisting(p: string): { path: string; dir: boolean } {
  let cur = p;
  for (;;) {
    try {
      return { path: cur, dir: statSync(cur).isDirectory() };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
    }
    const up = dirname(cur);
    if (up === cur) return { path: cur, dir: true };
    cur = up;
  }
}

/** Probe that `dir` (an existing directory) accepts new files: create and remove one. */
function probeWritable(dir: string, flag: string, target: string, given: string): void {
  const probe = join(dir, `.metarep-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, "wx"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return;
    throw new PathError(
      `"${flag}" ${shownPath(target, given)}: cannot write in ${shownPath(dir, given)} (${REASONS[(e as NodeJS.ErrnoException).code ?? ""] ?? (e as Error).message}).`,
    );
  }
  unlinkSync(probe);
}

export interface PreparedOutput {
  /** Absolute path. */
  readonly path: string;
  /** Remove the directories this preparation created, if they are still empty. */
  cleanup(): void;
}

/**
 * Check that `dir` is, or can be created as, a writable directory, and create it. Throws a
 * `PathError` naming the flag, the path and why (a file in the way, permission, read-only).
 */
export function prepareOutputDir(dir: string, flag = "--out", sub?: string): PreparedOutput {
  const top = resolve(dir);
  return prepareDir(sub === undefined ? top : join(top, sub), top, flag, dir);
}

/** Create directory `abs` for the path `top` the user gave as `given` (named in messages as given). */
function prepareDir(abs: string, top: string, flag: string, given: string): PreparedOutput {
  const show = (p: string) => shownPath(p, given);
  const found = firstExisting(abs);
  if (!found.dir) {
    throw new PathError(
      found.path === top
        ? `"${flag}" ${show(top)} is a file, not a directory; choose a directory.`
        : `"${flag}" ${show(top)}: ${show(found.path)} is a file, not a directory.`,
    );
  }
  probeWritable(found.path, flag, top, given);
  let created: string | undefined;
  try {
    created = mkdirSync(abs, { recursive: true });
  } catch (e) {
    throw new PathError(`"${flag}" ${show(top)}: ${fsErrorLine(e as NodeJS.ErrnoException, "create")}`);
  }
  return {
    path: abs,
    cleanup() {
      if (created === undefined) return;
      // Remove from the deepest directory up to the first one created, while empty.
      let cur = abs;
      for (;;) {
        try {
          rmdirSync(cur);
        } catch {
          return;
        }
        if (cur === created) return;
        cur = dirname(cur);
      }
    },
  };
}

/**
 * Check that `file` can be written (atomically, by write-then-rename in its directory): not a
 * directory, its directory creatable and writable, and create that directory.
 */
export function prepareOutputFile(file: string, flag = "--out"): PreparedOutput {
  const abs = resolve(file);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {}
  if (isDir) throw new PathError(`"${flag}" ${shownPath(abs, file)} is a directory; give a file path.`);
  const parent = prepareDir(dirname(abs), abs, flag, file);
  return { path: abs, cleanup: parent.cleanup };
}

/** Run `work` with a prepared output; on failure, remove what the preparation created. */
export async function withOutput<T>(out: PreparedOutput, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (e) {
    out.cleanup();
    throw e;
  }
}
