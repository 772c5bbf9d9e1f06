import { MetarepError } from "../../errors.js";
import type { Mat } from "../../linalg/mat.js";
import { f64, kernels, pin, unpin } from "../../linalg/wasm/kernels.js";
import { excessRisk, excessRiskCovariance } from "../../metrics/excessRisk.js";
import { checkSpectrum } from "../../models/covariance.js";
import { allocTargetTask, type FewShotModel, sampleTargetTask } from "../../models/fewShotTasks.js";
import type { Key } from "../../rng/key.js";
import { headScratch, solveHeadPrefixes, transposeBasis } from "./heads.js";

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
  return nestedTargetExcessRisks(model, Bstar, reps, targetsKey, targets, [n2], ridge)[0];
}

/**
 * `targetExcessRisks` at several target sample sizes n2 at once: `out[i]` is
 * `targetExcessRisks(…, n2s[i], …)`, bit for bit. Target j's rows are one stream, drawn row by
 * row, so its first n rows are the same for every n2 ≥ n (`sampleTargetTask`): each target is
 * drawn and projected once at the largest n2, and the heads of every n2 are read off one
 * accumulation of the normal equations (`solveHeadPrefixes`). A representation that is exactly
 * the identity (plain OLS, B̂ = I_d) is not projected: XI = X bit for bit (each entry is one
 * product by 1 plus exact zeros), and that projection, d × d per row, was the stage's largest.
 */
export function nestedTargetExcessRisks(
  model: FewShotModel,
  Bstar: Mat,
  reps: readonly Mat[],
  targetsKey: Key,
  targets: number,
  n2s: readonly number[],
  ridge = 0,
): Float64Array[][] {
  const { d } = model;
  if (model.covTgt !== undefined) checkSpectrum("few-shot model", "cov_tgt", model.covTgt, d);
  const cov = model.covariates?.covariance ?? null;
  if (model.covariates && cov === null) {
    throw new MetarepError(
      `few-shot target stage: task family "${model.family ?? "?"}" gives no population covariance Σ = E[xxᵀ], so the excess risk ‖Σ^{1/2}(B̂ŵ − B*w*)‖² cannot be computed; give "covariance" in its covariates.`,
    );
  }
  const ns = [...new Set(n2s)].sort((a, b) => a - b);
  const nMax = ns[ns.length - 1];
  const delta = new Float64Array(d);
  const task = allocTargetTask(model, nMax);
  const scratch = new Float64Array(nMax * (d + 1));
  const Bts = reps.map((B) => (isIdentity(B) ? null : transposeBasis(B)));
  const heads = reps.map((B) => ns.map(() => new Float64Array(B.cols)));
  const work = reps.map((B, r) => headScratch(Bts[r] === null ? 0 : nMax, B.cols));
  const copies = reps.map((B) => headScratch(0, B.cols));
  const outs = ns.map(() => reps.map(() => new Float64Array(targets)));
  const covTgt = model.covTgt ?? null;
  // The projections X B̂ run in the kernel module (`projectRows` of kernels.as: the JS loop's
  // order, so the same bits): one pinned block holds the target's rows, every Bᵀ and every XB̂.
  const K = kernels().exports;
  const at: number[] = [];
  let size = nMax * d;
  for (let r = 0; r < reps.length; r++) {
    at.push(size);
    if (Bts[r] !== null) size += reps[r].cols * (d + nMax);
  }
  const block = pin(8 * size);
  try {
    for (let r = 0; r < reps.length; r++) {
      const Bt = Bts[r];
      if (Bt !== null) f64().set(Bt, block / 8 + at[r]);
    }
    for (let j = 0; j < targets; j++) {
      sampleTargetTask(model, Bstar, targetsKey, j, task, scratch);
      f64().set(task.X, block / 8);
      for (let r = 0; r < reps.length; r++) {
        const kr = reps[r].cols;
        if (Bts[r] === null) continue;
        const bt = block + 8 * at[r];
        const out = bt + 8 * kr * d;
        K.projectRows(block, nMax, d, bt, kr, out);
        work[r].A.set(f64().subarray(out / 8, out / 8 + nMax * kr));
      }
      for (let r = 0; r < reps.length; r++) {
        const kr = reps[r].cols;
        const A = Bts[r] === null ? task.X : work[r].A;
        solveHeadPrefixes(A, task.y, 0, ns, kr, ridge, work[r], heads[r], copies[r]);
        for (let q = 0; q < ns.length; q++) {
          outs[q][r][j] =
            cov === null
              ? excessRisk(reps[r], heads[r][q], Bstar, task.wStar, covTgt)
              : excessRiskCovariance(reps[r], heads[r][q], Bstar, task.wStar, cov, delta);
        }
      }
    }
  } finally {
    unpin(block);
  }
  return n2s.map((n) => outs[ns.indexOf(n)]);
}

/** Whether B is exactly the square identity. */
function isIdentity(B: Mat): boolean {
  if (B.rows !== B.cols) return false;
  const n = B.rows;
  for (let a = 0; a < n; a++)
    for (let c = 0; c < n; c++) if (B.data[a * n + c] !== (a === c ? 1 : 0)) return false;
  return true;
}
