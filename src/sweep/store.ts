import {
  accessSync,
  appendFileSync,
  closeSync,
  constants,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { MetarepError } from "../errors.js";
import type { RunRecord } from "../record/types.js";
import { METAREP_VERSION } from "../version.js";
import { writeFileAtomic } from "./atomic.js";
import type { ExpandedSweep } from "./spec.js";

export const STORE_FILES = {
  manifest: "manifest.json",
  records: "records.jsonl",
  failures: "failures.jsonl",
};

export interface Manifest {
  schemaVersion: 1;
  metarepVersion: string;
  specHash: string;
  spec: unknown;
  experiment: string;
  cells: number;
  command: string;
  createdAt: string;
}

export interface FailureLine {
  cellId: string;
  grid: Record<string, unknown>;
  seedIndex: number;
  error: string;
  at: string;
}

/**
 * A sweep's results directory: `manifest.json` (the spec and its hash), `records.jsonl`
 * (append-only, one complete RunRecord per line, keyed by cell id) and `failures.jsonl`.
 * One writer (the process that runs the sweep) appends each record with a single write of a
 * whole line; a line cut short by a crash is dropped on the next open, so a re-run resumes
 * without losing or duplicating a finished cell.
 */
export class SweepStore {
  private readonly done = new Set<string>();
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
  ) {}

  static open(dir: string, sweep: ExpandedSweep, command: string): SweepStore {
    mkdirSync(dir, { recursive: true });
    const mpath = join(dir, STORE_FILES.manifest);
    let manifest: Manifest;
    if (existsSync(mpath)) {
      manifest = readManifest(dir);
      if (manifest.specHash !== sweep.specHash) {
        throw new MetarepError(
          `--out ${dir} holds a sweep of another spec (hash ${manifest.specHash}, experiment ${manifest.experiment}); choose another directory.`,
        );
      }
    } else {
      manifest = {
        schemaVersion: 1,
        metarepVersion: METAREP_VERSION,
        specHash: sweep.specHash,
        spec: sweep.spec,
        experiment: sweep.experiment.id,
        cells: sweep.cellCount,
        command,
        createdAt: new Date().toISOString(),
      };
      writeFileAtomic(mpath, `${JSON.stringify(manifest, null, 2)}\n`);
    }
    checkWritable(dir);
    const store = new SweepStore(dir, manifest);
    // A store holds one version of each plug-in: resuming with a changed file would mix results.
    const now = new Map(sweep.plugins.map((p) => [p.id, p.sha256]));
    for (const r of readRecords(dir, { repair: true })) {
      for (const p of r.plugins ?? []) {
        const sha = now.get(p.id);
        if (sha !== undefined && sha !== p.sha256) {
          throw new MetarepError(
            `--out ${dir} holds cells made with plug-in "${p.id}" sha256 ${p.sha256}; the loaded ${p.file} has sha256 ${sha}: load the same file, or choose another directory.`,
          );
        }
      }
      if (r.experiment !== manifest.experiment) {
        throw new MetarepError(
          `--out ${dir}: records.jsonl holds a record of experiment "${r.experiment}" (cell ${r.cellId}) in a store of ${manifest.experiment}: it comes from another store; remove that line, or choose another directory.`,
        );
      }
      store.done.add(r.cellId);
    }
    // Every stored record must be a cell of this spec: one appended from another store (another
    // spec, grid or seed) would show as an extra grid point. One pass over the cells, lazily.
    if (store.done.size > 0) {
      const foreign = new Set(store.done);
      for (const c of sweep.cells()) {
        foreign.delete(c.cellId);
        if (foreign.size === 0) break;
      }
      const first = foreign.values().next();
      if (!first.done) {
        throw new MetarepError(
          `--out ${dir}: records.jsonl holds ${foreign.size} record${foreign.size === 1 ? "" : "s"} that ${foreign.size === 1 ? "is" : "are"} not a cell of this store's spec (hash ${manifest.specHash}), e.g. ${first.value}: appended from another store; remove ${foreign.size === 1 ? "it" : "them"}, or choose another directory.`,
        );
      }
    }
    return store;
  }

  has(cellId: string): boolean {
    return this.done.has(cellId);
  }

  get completed(): number {
    return this.done.size;
  }

  /** Append a finished cell's record (ignored if the cell is already stored: exactly once). */
  append(record: RunRecord): boolean {
    if (this.done.has(record.cellId)) return false;
    appendFileSync(join(this.dir, STORE_FILES.records), `${JSON.stringify(record)}\n`);
    this.done.add(record.cellId);
    return true;
  }

  appendFailure(f: FailureLine): void {
    appendFileSync(join(this.dir, STORE_FILES.failures), `${JSON.stringify(f)}\n`);
  }
}

/**
 * Everything a sweep will write in its store, checked before the first cell runs: the record
 * and failure logs appendable (a read-only records.jsonl would otherwise be found after every
 * cell had run), and `figures` a directory and `report.html` a writable file where they exist.
 */
export function checkWritable(dir: string): void {
  for (const name of [STORE_FILES.records, STORE_FILES.failures]) {
    const path = join(dir, name);
    try {
      closeSync(openSync(path, "a"));
    } catch (e) {
      throw new MetarepError(
        `--out ${dir}: cannot append to ${name} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); make it writable, or choose another directory.`,
      );
    }
  }
  const figures = join(dir, "figures");
  if (existsSync(figures) && !statSync(figures).isDirectory()) {
    throw new MetarepError(
      `--out ${dir}: "figures" is a file, and the report writes its figures in a directory of that name; move it, or choose another directory.`,
    );
  }
  const report = join(dir, "report.html");
  if (existsSync(report)) {
    try {
      accessSync(report, constants.W_OK);
      accessSync(dir, constants.W_OK);
    } catch (e) {
      throw new MetarepError(
        `--out ${dir}: cannot rewrite report.html (${(e as NodeJS.ErrnoException).code}); make it writable, or choose another directory.`,
      );
    }
  }
}

/** A `metarep run` output (`DIR/<id>/record.json`) read as a store of one record, for `report`. */
export const RUN_RECORD_FILE = "record.json";

function readRunRecord(dir: string): RunRecord {
  const path = join(dir, RUN_RECORD_FILE);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as RunRecord;
  } catch (e) {
    throw new MetarepError(`${path}: not valid JSON (${(e as Error).message}).`);
  }
}

export function readManifest(dir: string): Manifest {
  const mpath = join(dir, STORE_FILES.manifest);
  if (!existsSync(mpath) && existsSync(join(dir, RUN_RECORD_FILE))) {
    // A `run` output directory: its one record (all its seeds) stands for the store.
    const r = readRunRecord(dir);
    return {
      schemaVersion: 1,
      metarepVersion: r.metarepVersion,
      specHash: "",
      spec: null,
      experiment: r.experiment,
      cells: r.seedIndices.length,
      command: r.command,
      createdAt: r.startedAt,
    };
  }
  if (!existsSync(mpath))
    throw new MetarepError(
      `${dir} is not a sweep store (no ${STORE_FILES.manifest}) nor a run's output (no ${RUN_RECORD_FILE}).`,
    );
  try {
    return JSON.parse(readFileSync(mpath, "utf8")) as Manifest;
  } catch (e) {
    throw new MetarepError(`${mpath}: not valid JSON (${(e as Error).message}).`);
  }
}

/**
 * The store's records, first occurrence per cell id. With `repair`, a trailing partial line (a
 * crash mid-append) is truncated away; otherwise it is ignored.
 */
export function readRecords(dir: string, options: { repair?: boolean } = {}): RunRecord[] {
  const path = join(dir, STORE_FILES.records);
  if (!existsSync(path)) {
    const manifest = join(dir, STORE_FILES.manifest);
    if (!options.repair && !existsSync(manifest) && existsSync(join(dir, RUN_RECORD_FILE)))
      return [readRunRecord(dir)];
    return [];
  }
  const text = readFileSync(path, "utf8");
  const out: RunRecord[] = [];
  const seen = new Set<string>();
  let offset = 0;
  let good = 0;
  while (offset < text.length) {
    const nl = text.indexOf("\n", offset);
    if (nl < 0) break; // partial last line
    const line = text.slice(offset, nl);
    offset = nl + 1;
    if (line.trim() === "") {
      good = offset;
      continue;
    }
    let rec: RunRecord;
    try {
      rec = JSON.parse(line) as RunRecord;
    } catch {
      throw new MetarepError(`${path}: line ${out.length + 1} is not valid JSON; the store is damaged.`);
    }
    good = offset;
    if (seen.has(rec.cellId)) continue;
    seen.add(rec.cellId);
    out.push(rec);
  }
  const goodBytes = Buffer.byteLength(text.slice(0, good));
  if (options.repair && goodBytes < Buffer.byteLength(text)) {
    const fd = openSync(path, "r+");
    try {
      ftruncateSync(fd, goodBytes);
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

export function readFailures(dir: string): FailureLine[] {
  const path = join(dir, STORE_FILES.failures);
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as FailureLine];
      } catch {
        return [];
      }
    });
}
