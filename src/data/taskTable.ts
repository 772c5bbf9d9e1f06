import { MetarepError } from "../errors.js";
import type { MultiTaskData } from "../models/multiTaskData.js";

/**
 * Users' multi-task regression files in long format — one row per example: a task column, a target
 * column and numeric feature columns — as the estimators see them: rows grouped by task (tasks in
 * first-seen order, file order within a task). The file is read and validated by the CLI (through
 * DuckDB, `src/cli/readTable.ts`); this layer holds only the shapes, so it stays free of I/O:
 * `TaskRows` streams the validated rows in chunks, `TaskTable` holds them (`holdTaskRows`).
 */

/** A problem with a data file: one line naming the file, the row, the column and the value. */
export class DataError extends MetarepError {
  override name = "DataError";
}

/**
 * A block of consecutive rows of the task-ordered stream (it may span several tasks). Its arrays
 * may be longer than `rows` and are reused by the next block: read or copy them before asking for
 * the next one.
 */
export interface RowChunk {
  rows: number;
  /** Task index (into `TaskRows.taskIds`) of each row; non-decreasing along the stream. */
  task: Int32Array;
  /** 1-based data row of each row in the file (the header is not a row). */
  row: Float64Array;
  /** Targets; NaN marks a row without one (`adapt`'s rows to predict). */
  y: Float64Array;
  /** rows × d, row-major. */
  X: Float64Array;
}

/**
 * A validated data file, streamed: every value is already checked (finite features, finite or
 * absent targets, non-empty tasks), so a pass over `chunks()` cannot fail on the data.
 */
export interface TaskRows {
  /** The file, for messages. */
  readonly source: string;
  readonly features: readonly string[];
  /** Distinct task ids in first-seen order. */
  readonly taskIds: readonly string[];
  /** Rows of each task (taskIds order). */
  readonly counts: Int32Array;
  /** Rows with a target, of each task. */
  readonly labelled: Int32Array;
  /** Total rows N. */
  readonly rows: number;
  /** One pass over the rows, grouped by task, in chunks; each call is a new pass over the file. */
  chunks(): AsyncIterable<RowChunk>;
  /** The first `limit` 1-based rows of task t (labelled ones only if asked), for messages. */
  rowsOf(t: number, labelledOnly: boolean, limit: number): Promise<number[]>;
}

/** Rows grouped by task, held: exactly the estimators' `MultiTaskData` plus ids and row numbers. */
export interface TaskTable {
  features: string[];
  taskIds: string[];
  /** All rows (labelled and not), grouped by task; y is NaN on rows without a target. */
  data: MultiTaskData;
  /** 1-based file row of each grouped row. */
  row: Float64Array;
}

/**
 * Hold every row of a stream in one N × d `Float64Array` (and y, row): what an estimator that
 * iterates over all of X needs, and nothing more (no copy of the file's text).
 */
export async function holdTaskRows(rows: TaskRows): Promise<TaskTable> {
  const d = rows.features.length;
  const N = rows.rows;
  const T = rows.taskIds.length;
  const start = new Int32Array(T + 1);
  for (let t = 0; t < T; t++) start[t + 1] = start[t] + rows.counts[t];
  const X = new Float64Array(N * d);
  const y = new Float64Array(N);
  const row = new Float64Array(N);
  let at = 0;
  for await (const c of rows.chunks()) {
    if (at + c.rows > N) throw new Error(`holdTaskRows: the stream gave more rows than the ${N} counted`);
    X.set(c.X.subarray(0, c.rows * d), at * d);
    y.set(c.y.subarray(0, c.rows), at);
    row.set(c.row.subarray(0, c.rows), at);
    at += c.rows;
  }
  if (at !== N) throw new Error(`holdTaskRows: the stream gave ${at} rows; the profile counted ${N}`);
  return {
    features: [...rows.features],
    taskIds: [...rows.taskIds],
    data: { d, tasks: T, start, X, y },
    row,
  };
}

/** One task's rows, held while it is processed (`forEachTask`). */
export interface TaskBlock {
  task: number;
  rows: number;
  X: Float64Array;
  y: Float64Array;
  row: Float64Array;
}

/**
 * Visit the tasks of a stream one at a time, each with all its rows: memory is the largest task,
 * not the file. The block's arrays are reused between tasks (copy what must outlive the call).
 */
export async function forEachTask(
  rows: TaskRows,
  visit: (block: TaskBlock) => void | Promise<void>,
): Promise<void> {
  const d = rows.features.length;
  let most = 0;
  for (const n of rows.counts) most = Math.max(most, n);
  const X = new Float64Array(most * d);
  const y = new Float64Array(most);
  const row = new Float64Array(most);
  let task = 0;
  let n = 0;
  const flush = async () => {
    // Tasks are visited in order; a task with no rows cannot occur (ids come from the rows).
    await visit({
      task,
      rows: n,
      X: X.subarray(0, n * d),
      y: y.subarray(0, n),
      row: row.subarray(0, n),
    });
    task++;
    n = 0;
  };
  for await (const c of rows.chunks()) {
    for (let i = 0; i < c.rows; i++) {
      while (c.task[i] !== task) await flush();
      X.set(c.X.subarray(i * d, (i + 1) * d), n * d);
      y[n] = c.y[i];
      row[n] = c.row[i];
      n++;
    }
  }
  if (n > 0) await flush();
  if (task !== rows.taskIds.length)
    throw new Error(`forEachTask: the stream gave ${task} tasks; the profile counted ${rows.taskIds.length}`);
}

/**
 * A `TaskRows` over rows already in memory (tests, and library users with their own arrays):
 * `task[i]` indexes `taskIds`; the rows are grouped by task here, as a file's would be. y may hold
 * NaN for rows without a target. The 1-based row of input row i is i + 1.
 */
export function taskRowsFromArrays(input: {
  features: string[];
  taskIds: string[];
  task: ArrayLike<number>;
  X: Float64Array;
  y: Float64Array;
  source?: string;
  chunkRows?: number;
}): TaskRows {
  const d = input.features.length;
  const T = input.taskIds.length;
  const N = input.y.length;
  const counts = new Int32Array(T);
  const labelled = new Int32Array(T);
  for (let i = 0; i < N; i++) {
    counts[input.task[i]]++;
    if (!Number.isNaN(input.y[i])) labelled[input.task[i]]++;
  }
  const order: number[] = [];
  for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) if (input.task[i] === t) order.push(i);
  const chunkRows = input.chunkRows ?? 2048;
  return {
    source: input.source ?? "data",
    features: input.features,
    taskIds: input.taskIds,
    counts,
    labelled,
    rows: N,
    async *chunks() {
      for (let r0 = 0; r0 < N; r0 += chunkRows) {
        const rows = Math.min(chunkRows, N - r0);
        const c: RowChunk = {
          rows,
          task: new Int32Array(rows),
          row: new Float64Array(rows),
          y: new Float64Array(rows),
          X: new Float64Array(rows * d),
        };
        for (let j = 0; j < rows; j++) {
          const i = order[r0 + j];
          c.task[j] = input.task[i];
          c.row[j] = i + 1;
          c.y[j] = input.y[i];
          c.X.set(input.X.subarray(i * d, (i + 1) * d), j * d);
        }
        yield c;
      }
    },
    async rowsOf(t, labelledOnly, limit) {
      const out: number[] = [];
      for (let i = 0; i < N && out.length < limit; i++) {
        if (input.task[i] === t && (!labelledOnly || !Number.isNaN(input.y[i]))) out.push(i + 1);
      }
      return out;
    },
  };
}
