import type { Verdict } from "../experiments/claims.js";
import type { Condition, RunResult, SizeName, Status } from "../experiments/types.js";

/**
 * A plug-in a record used (DESIGN.md `RunRecord.plugins`): its id, its file's base name and the
 * sha256 of the file's bytes. A re-run (`run --record`) and a queued job need the same digest.
 */
export interface PluginRef {
  id: string;
  file: string;
  sha256: string;
  /**
   * The display name and colour of the plug-in's entries the run used (estimators, methods), so
   * a figure drawn without the plug-in loaded still names and colours them as the plug-in did.
   */
  entries?: RecordedEntry[];
}

/** A registry entry as a record keeps it: its kind and id, display name and colour. */
export interface RecordedEntry {
  kind: string;
  id: string;
  name: string;
  color: string;
}

/** What is stored: enough to reproduce the run from the command line (DESIGN.md `RunRecord`). */
export interface RunRecord {
  schemaVersion: 1;
  metarepVersion: string;
  experiment: string;
  size: SizeName | null;
  /** Resolved parameters, defaults filled. */
  params: Record<string, unknown>;
  /** Root seed. */
  seed: number;
  /** Seed indices covered by this record; `result.seeds[i]` belongs to `seedIndices[i]`. */
  seedIndices: number[];
  cellId: string;
  /** Sweep cells: the grid coordinates and their canonical text (which enters the key). */
  grid?: Record<string, unknown>;
  gridPoint?: string;
  /** A cell of one condition (sweeps, `reproduce`): the condition and its canonical text. */
  condition?: Condition;
  conditionPoint?: string;
  status: Status;
  /**
   * A run stopped before all its seeds finished (the web page's Stop, then Export): the record
   * holds the seeds finished before the stop, complete and re-runnable, and `command` asks for
   * just those. Absent for a run that finished.
   */
  stopped?: true;
  result: { seeds: RunResult[] };
  /** The real data set the run read, if any: loader kind, path and digest of the bytes read. */
  dataset?: { kind: string; path: string; digest: string };
  /** The plug-ins the run used (by id in its experiment or parameters); absent when none. */
  plugins?: PluginRef[];
  /**
   * A `run` record's verdicts: each claim of its experiment judged over the record's seeds
   * (src/experiments/claims.ts). Recomputable from the record; stored so a reader needs no code.
   */
  verdicts?: Verdict[];
  /** The command line that reproduces this record. */
  command: string;
  startedAt: string;
  seconds: number;
  /**
   * The queue worker that computed the record (`metarep worker`: host:pid:random), so an audit
   * that finds its results altered can name it. Absent when computed where it is stored.
   */
  worker?: string;
}
