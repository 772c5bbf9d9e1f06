/**
 * Multi-task regression data, as every representation estimator sees it (SPEC §1.3): T tasks, task
 * t owning rows `start[t] .. start[t+1] − 1` of one row-major design matrix X (rows × d) and one
 * label vector y. Tasks may have different numbers of rows (users' files); generated source tasks
 * have n1 each. One flat `Float64Array` with offsets, not an array of per-task objects (DESIGN).
 */
export interface MultiTaskData {
  /** Feature dimension d. */
  readonly d: number;
  /** Number of tasks T. */
  readonly tasks: number;
  /** Row offsets, length T + 1, non-decreasing, `start[0] = 0`, `start[T]` = total rows. */
  readonly start: Int32Array;
  /** Rows × d, row-major. */
  readonly X: Float64Array;
  /** Labels, one per row. */
  readonly y: Float64Array;
}

/** Total number of rows N = Σ_t n_t. */
export function totalRows(data: MultiTaskData): number {
  return data.start[data.tasks];
}

/** Rows of task t. */
export function taskRows(data: MultiTaskData, t: number): number {
  return data.start[t + 1] - data.start[t];
}

/** Smallest number of rows of any task (0 for no tasks). */
export function minTaskRows(data: MultiTaskData): number {
  let m = Number.POSITIVE_INFINITY;
  for (let t = 0; t < data.tasks; t++) m = Math.min(m, taskRows(data, t));
  return data.tasks === 0 ? 0 : m;
}

/** Offsets for T tasks of n rows each: [0, n, 2n, …, Tn]. */
export function equalOffsets(tasks: number, n: number): Int32Array {
  const start = new Int32Array(tasks + 1);
  for (let t = 0; t <= tasks; t++) start[t] = t * n;
  return start;
}

/**
 * A view of the first `tasks` tasks (no copy): with nested generators (`sampleSourceTasks`) the data
 * of T tasks is a prefix of the data of T' > T tasks, so one draw serves a whole sweep over T.
 */
export function firstTasks(data: MultiTaskData, tasks: number): MultiTaskData {
  if (!Number.isInteger(tasks) || tasks < 0 || tasks > data.tasks) {
    throw new RangeError(`firstTasks: "tasks" must be an integer in [0, ${data.tasks}]; got ${tasks}`);
  }
  const rows = data.start[tasks];
  return {
    d: data.d,
    tasks,
    start: data.start.subarray(0, tasks + 1),
    X: data.X.subarray(0, rows * data.d),
    y: data.y.subarray(0, rows),
  };
}
