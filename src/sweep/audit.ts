import { formatValue } from "../errors.js";
import { canonicalJson, hash64 } from "../experiments/keys.js";
import { compareResults, parseRecord } from "../record/file.js";
import type { RunRecord } from "../record/types.js";
import type { Cell } from "./spec.js";

/**
 * The audit of queue workers' results (issue 23, item 6). Every cell is bit-reproducible, so the
 * submitter can check any worker: it recomputes a sample of the returned cells here and compares
 * the records' bytes (timings, command and worker id apart).
 *
 * The sample is a draw per cell keyed by the sweep's root seed and the cell id (`auditDraw`), so the
 * same sweep audits the same cells. A worker's records are held, not stored, until an audit of a
 * record it returned at or after them passes; when nothing is left at the workers, the newest
 * record of each worker not yet covered is audited too — so at least one cell is recomputed
 * whenever any came back, and no stored record was returned by a worker before it failed an audit.
 * A worker's held records are bounded (`holdLimit`): reaching it audits the newest.
 *
 * On a mismatch the worker is refused: its held records and everything it returns afterwards in
 * this sweep are handed back to be re-queued, and one line names it, the cell and the first
 * difference. A record that is not one a worker could have made for its cell (its shape, its id,
 * its grid, size or plug-ins) refuses its worker the same way, audit or not.
 */

/** The default share of returned cells recomputed by the submitter (`sweep --audit`). */
export const DEFAULT_AUDIT = 0.02;

/**
 * A cell's audit draw, uniform in [0, 1): a hash of the root seed and the cell id. FNV-1a's high
 * bits barely move with the last characters (cell ids differ at the end), so its value goes
 * through MurmurHash3's 64-bit finaliser before its top 52 bits are taken.
 */
export function auditDraw(seed: number, cellId: string): number {
  let x = BigInt(`0x${hash64(`audit|${seed}|${cellId}`)}`);
  x = BigInt.asUintN(64, (x ^ (x >> 33n)) * 0xff51afd7ed558ccdn);
  x = BigInt.asUintN(64, (x ^ (x >> 33n)) * 0xc4ceb9fe1a85ec53n);
  x ^= x >> 33n;
  return Number(x >> 12n) / 2 ** 52;
}

/** Whether the sample at `fraction` recomputes this cell (fraction 1: every cell). */
export function inAuditSample(fraction: number, cell: Pick<Cell, "seed" | "cellId">): boolean {
  return fraction > 0 && auditDraw(cell.seed, cell.cellId) < fraction;
}

/** How a record's worker is named: its id, or "an unnamed worker" for one that gave none. */
export function workerName(record: { worker?: unknown }): string {
  return typeof record.worker === "string" && record.worker !== "" ? record.worker : "an unnamed worker";
}

/** The record's bytes that must agree between a worker and a recomputation. */
function comparable(r: RunRecord): string {
  const { startedAt: _s, seconds: _t, command: _c, worker: _w, ...rest } = r;
  return JSON.stringify(rest);
}

/** Null when the two records agree byte for byte (timings apart), else the first difference. */
export function recordDifference(theirs: RunRecord, ours: RunRecord): string | null {
  if (comparable(theirs) === comparable(ours)) return null;
  const results = compareResults(theirs.result.seeds, ours.result.seeds, {
    seedIndices: ours.seedIndices,
    names: ["worker", "here"],
  });
  if (results) return results;
  const a = JSON.parse(comparable(theirs)) as Record<string, unknown>;
  const b = JSON.parse(comparable(ours)) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k]))
      return `${k}: ${a[k] === undefined ? "missing" : formatValue(a[k])} (worker) vs ${b[k] === undefined ? "missing" : formatValue(b[k])} (here)`;
  }
  return "the field order differs";
}

/** Why a returned record cannot be the one its cell makes (null when it can). */
export function recordMismatch(cell: Cell, record: unknown): string | null {
  let r: RunRecord;
  try {
    r = parseRecord(record, "its record");
  } catch (e) {
    return (e as Error).message.replace(/\.$/, "");
  }
  if (r.cellId !== cell.cellId) return `it returned the record of ${r.cellId} for ${cell.cellId}`;
  const fields: [string, unknown, unknown][] = [
    ["size", r.size, cell.size],
    ["grid", r.grid, cell.grid],
    [
      "plugins",
      (r.plugins ?? []).map(({ id, sha256 }) => ({ id, sha256 })),
      (cell.plugins ?? []).map(({ id, sha256 }) => ({ id, sha256 })),
    ],
  ];
  for (const [name, got, want] of fields)
    if (canonicalJson(got ?? null) !== canonicalJson(want ?? null))
      return `its record's "${name}" is ${canonicalJson(got ?? null)}, the cell's ${canonicalJson(want ?? null)}`;
  return null;
}

export interface AuditOptions {
  /** The share of returned cells recomputed here, in [0, 1]; 0 turns the audit off. */
  fraction: number;
  /** Recompute a cell here (on a thread of this machine): its record. */
  recompute(cell: Cell): Promise<RunRecord>;
  /** Told each refused worker, in one line, when it is refused. */
  onRefusal?(line: string): void;
  /** Records held per worker before its newest is audited (default: 3/fraction, within 16…1000). */
  holdLimit?: number;
}

/** What the audit did in one sweep. */
export interface AuditSummary {
  fraction: number;
  /** Cells recomputed here. */
  recomputed: number;
  /** Records returned by workers (refused ones included). */
  returned: number;
  /** Each refused worker: its name and why (one line). */
  refused: { worker: string; reason: string }[];
}

interface Held {
  cell: Cell;
  record: RunRecord;
  seq: number;
}

interface WorkerState {
  held: Held[];
  /** Audits started, oldest first (their sequence numbers increase), and whether each passed. */
  audits: { seq: number; passed: boolean }[];
  /** Held records newer than the newest audit started: no audit covers them yet. */
  uncovered: number;
  refusedBecause: string | null;
}

/**
 * Holds, audits, accepts and refuses the records workers return (see the file's comment).
 * `accept` stores a record; `refuse` hands its cell back to be queued again.
 */
export class Auditor {
  private readonly workers = new Map<string, WorkerState>();
  private seq = 0;
  private heldCount = 0;
  private readonly holdLimit: number;
  readonly summary: AuditSummary;

  constructor(
    private readonly o: AuditOptions,
    private readonly accept: (cell: Cell, record: RunRecord) => void,
    private readonly refuse: (cell: Cell, reason: string) => void,
  ) {
    this.holdLimit =
      o.holdLimit ?? (o.fraction > 0 ? Math.min(1000, Math.max(16, Math.ceil(3 / o.fraction))) : 0);
    this.summary = { fraction: o.fraction, recomputed: 0, returned: 0, refused: [] };
  }

  /** Records held (returned, not yet accepted or refused). */
  get holding(): number {
    return this.heldCount;
  }

  /** A record a worker returned for `cell`. */
  receive(cell: Cell, record: RunRecord): void {
    this.summary.returned++;
    const name = workerName(record);
    const w = this.state(name);
    if (w.refusedBecause !== null) {
      this.refuse(cell, `worker ${name} is refused: ${w.refusedBecause}`);
      return;
    }
    const bad = recordMismatch(cell, record);
    if (bad !== null) {
      this.refuseWorker(name, w, `its record of ${cell.cellId} is not one a worker could make: ${bad}`);
      this.refuse(cell, `worker ${name} is refused: ${w.refusedBecause}`);
      return;
    }
    if (this.o.fraction === 0) {
      this.accept(cell, record);
      return;
    }
    const entry = { cell, record, seq: ++this.seq };
    w.held.push(entry);
    w.uncovered++;
    this.heldCount++;
    if (inAuditSample(this.o.fraction, cell) || w.uncovered >= this.holdLimit) this.audit(name, w, entry);
  }

  /**
   * No cell is left at the workers: audit each worker's newest record that no audit covers, so
   * every held record is settled.
   */
  flush(): void {
    for (const [name, w] of this.workers)
      if (w.refusedBecause === null && w.uncovered > 0) this.audit(name, w, w.held[w.held.length - 1]);
  }

  /** Whether some held record waits for no audit (then `flush` has work). */
  get uncovered(): boolean {
    for (const w of this.workers.values()) if (w.refusedBecause === null && w.uncovered > 0) return true;
    return false;
  }

  private state(name: string): WorkerState {
    let w = this.workers.get(name);
    if (!w) {
      w = { held: [], audits: [], uncovered: 0, refusedBecause: null };
      this.workers.set(name, w);
    }
    return w;
  }

  private audit(name: string, w: WorkerState, entry: Held): void {
    const slot = { seq: entry.seq, passed: false };
    w.audits.push(slot);
    w.uncovered = 0;
    this.summary.recomputed++;
    this.o.recompute(entry.cell).then(
      (ours) => this.settle(name, w, entry, slot, recordDifference(entry.record, ours)),
      (e: unknown) =>
        this.settle(name, w, entry, slot, `recomputing it here failed: ${(e as Error).message ?? String(e)}`),
    );
  }

  private settle(
    name: string,
    w: WorkerState,
    entry: Held,
    slot: { seq: number; passed: boolean },
    difference: string | null,
  ): void {
    if (w.refusedBecause !== null) return; // refused meanwhile: its records are handed back already
    if (difference !== null) {
      this.refuseWorker(
        name,
        w,
        `its record of ${entry.cell.cellId} differs from this machine's recomputation (${difference})`,
      );
      return;
    }
    slot.passed = true;
    // Release what every audit up to the newest passed one covers, in order: a record is stored
    // only once an audit at or after it passed and none before it is pending.
    let bound = 0;
    while (w.audits.length > 0 && w.audits[0].passed) bound = w.audits.shift()!.seq;
    if (bound === 0) return;
    const keep: Held[] = [];
    const release: Held[] = [];
    for (const h of w.held) (h.seq <= bound ? release : keep).push(h);
    w.held = keep;
    this.heldCount -= release.length;
    for (const h of release) this.accept(h.cell, h.record);
  }

  private refuseWorker(name: string, w: WorkerState, reason: string): void {
    w.refusedBecause = reason;
    const held = w.held;
    w.held = [];
    w.audits = [];
    w.uncovered = 0;
    this.heldCount -= held.length;
    this.summary.refused.push({ worker: name, reason });
    this.o.onRefusal?.(
      `audit: worker ${name} refused: ${reason}; its ${held.length} held result${held.length === 1 ? "" : "s"} ${held.length === 1 ? "is" : "are"} re-queued, and whatever it returns in this sweep is refused.`,
    );
    for (const h of held) this.refuse(h.cell, `worker ${name} is refused: ${reason}`);
  }
}

/** The sweep's one line about its audit. */
export function auditLine(s: AuditSummary): string {
  if (s.fraction === 0) return "Audit: off (--audit 0): results from workers stored unchecked.";
  const base = `Audit (--audit ${s.fraction}): ${s.recomputed} of ${s.returned} returned cell${s.returned === 1 ? "" : "s"} recomputed here`;
  if (s.refused.length === 0) return `${base}, all identical.`;
  return `${base}; refused worker${s.refused.length === 1 ? "" : "s"} ${s.refused.map((r) => r.worker).join(", ")} (results altered; re-queued).`;
}
