/**
 * Names of the quantities the Kong et al. experiments record (curve y and x names), in a file of
 * their own so that the experiments, their figure specs (`figures/kong.ts`) and their theory rows
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
