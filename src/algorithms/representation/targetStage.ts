import { MetarepError } from "../../errors.js";
import type { Mat } from "../../linalg/mat.js";
import { excessRisk, excessRiskCovariance } from "../../metrics/excessRisk.js";
import { checkSpectrum } from "../../models/covariance.js";
import { allocTargetTask, type FewShotModel, sampleTargetTask } from "../../models/fewShotTasks.js";
import type { Key } from "../../rng/key.js";
import { headScratch, projectRows, solveHead, transposeBasis } from "./heads.js";

/**
 * The target stage of Du et al.'s two-stage pipeline (SPEC §1.3 steps 2–3) on many target tasks:
 * for each target j (drawn by `sampleTargetTask` from `targetsKey`, n2 rows) and each learned
 * representation B̂_r, the head `ŵ = argmin_w ‖y − X B̂_r w‖² + ridge·‖w‖²` and its excess risk
 * `‖B̂_r ŵ − B*w*‖²` (`‖Σ_tgt^{1/2}(B̂_r ŵ − B*w*)‖²` when `model.covTgt` is set). With a task
 * family (`model.covariates`) the targets' x come from the family, like the source tasks', and the
 * excess risk is `‖Σ^{1/2}(B̂_r ŵ − B*w*)‖²` with the family's population `Σ = E[xxᵀ]`; a family
 * that gives no Σ is refused (the identity formula would be wrong for it). Every representation
 * sees the same targets, so differences between them are paired (common random numbers):
 * `out[r][j]` is representation r on target j.
 */
export function targetExcessRisks(
  model: FewShotModel,
  Bstar: Mat,
  reps: readonly Mat[],
  targetsKey: Key,
  targets: number,
  n2: number,
  ridge = 0,
): Float64Array[] {
  const { d } = model;
  if (model.covTgt !== undefined) checkSpectrum("few-shot model", "cov_tgt", model.covTgt, d);
  const cov = model.covariates?.covariance ?? null;
  if (model.covariates && cov === null) {
    throw new MetarepError(
      `few-shot target stage: task family "${model.family ?? "?"}" gives no population covariance Σ = E[xxᵀ], so the excess risk ‖Σ^{1/2}(B̂ŵ − B*w*)‖² cannot be computed; give "covariance" in its covariates.`,
    );
  }
  const delta = new Float64Array(d);
  const task = allocTargetTask(model, n2);
  const scratch = new Float64Array(n2 * (d + 1));
  const Bts = reps.map(transposeBasis);
  const heads = reps.map((B) => new Float64Array(B.cols));
  const work = reps.map((B) => headScratch(n2, B.cols));
  const out = reps.map(() => new Float64Array(targets));
  for (let j = 0; j < targets; j++) {
    sampleTargetTask(model, Bstar, targetsKey, j, task, scratch);
    for (let r = 0; r < reps.length; r++) {
      const kr = reps[r].cols;
      projectRows(task.X, 0, n2, d, Bts[r], kr, work[r].A);
      solveHead(task.y, 0, n2, kr, ridge, work[r], heads[r], 0);
      out[r][j] =
        cov === null
          ? excessRisk(reps[r], heads[r], Bstar, task.wStar, model.covTgt ?? null)
          : excessRiskCovariance(reps[r], heads[r], Bstar, task.wStar, cov, delta);
    }
  }
  return out;
}
