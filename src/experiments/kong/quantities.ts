/**
 * Names of the quantities the Kong et al. experiments record (curve y and x names), in a file of
 * their own so that the experiments, their figure specs (`kong/figures.ts`) and their theory rows
 * can all import them without an import cycle.
 *
 * (Until the merge, the experiment files still define the same strings themselves; the figure
 * tests of every experiment fail if the two ever differ.)
 */

export const SUBSPACE_Y = "subspace error";
export const X_PER_TASK = "examples per task";
export const X_TASKS = "tasks";
export const CLUSTERING_Y = "clustering accuracy";
export const CLASSIFICATION_Y = "classification accuracy";
export const MSE_Y = "test MSE";
export const CAPTURED_Y = "captured variance Tr(ÛᵀΣÛ)";
export const CORRUPTED_Y = "remaining corrupted points";
export const THRESHOLD_Y = "threshold";
export const X_TAU = "examples of the new task τ";
export const X_LIGHT = "examples per light task t₃";
export const TASK_POINTS = "heavy task";
export const COMPONENT_POINTS = "component";
export const PROJECTION_X = "axis 1 of Ûᵀβ̂";
export const PROJECTION_Y = "axis 2 of Ûᵀβ̂";
export const X_PART = "examples per part t₂ (heavy task: 2L·t₂)";
export const REMOVED_Y = "removed clean points";
export const X_ALPHA = "corruption fraction α";
