/*
 * Classification errors of a real-valued predictor f against labels y ∈ {±1}: an example is
 * misclassified when y·f ≤ 0 (a tie, f = 0, counts as an error).
 */

/** Fraction of examples with y_i f_i ≤ 0 (NaN for none). */
export function errorRate(out: Float64Array, y: Float64Array): number {
  if (out.length !== y.length)
    throw new RangeError(`errorRate: ${out.length} outputs for ${y.length} labels`);
  if (y.length === 0) return Number.NaN;
  let wrong = 0;
  for (let i = 0; i < y.length; i++) if (!(y[i] * out[i] > 0)) wrong++;
  return wrong / y.length;
}

/** Error rate of each task t ∈ [0, tasks) over its examples (NaN for a task without any). */
export function errorRatePerTask(
  out: Float64Array,
  y: Float64Array,
  task: Int32Array,
  tasks: number,
): Float64Array {
  if (out.length !== y.length || task.length !== y.length) {
    throw new RangeError(
      `errorRatePerTask: ${out.length} outputs, ${y.length} labels, ${task.length} task ids`,
    );
  }
  const wrong = new Float64Array(tasks);
  const count = new Float64Array(tasks);
  for (let i = 0; i < y.length; i++) {
    count[task[i]]++;
    if (!(y[i] * out[i] > 0)) wrong[task[i]]++;
  }
  for (let t = 0; t < tasks; t++) wrong[t] = count[t] === 0 ? Number.NaN : wrong[t] / count[t];
  return wrong;
}
