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
  return groupedTargetExcessRisks(model, Bstar, [{ reps, n2s }], targetsKey, targets, ridge)[0];
}

/** Representations evaluated at their own target sizes (e.g. one source stage's fits). */
export interface TargetGroup {
  reps: readonly Mat[];
  n2s: readonly number[];
}

/**
 * `nestedTargetExcessRisks` of several groups on the same targets: `out[g]` is
 * `nestedTargetExcessRisks(model, Bstar, groups[g].reps, targetsKey, targets, groups[g].n2s, ridge)`,
 * bit for bit. Each target is drawn once, at the largest n2 of all groups, and a representation
 * that occurs more than once (the same B bit for bit: B* as the oracle's, the identity as plain
 * OLS's, in every source stage of a seed) is evaluated once, at the union of its groups' n2s
 * (`solveHeadPrefixes`: every prefix is its own least squares, bit for bit), projected on the rows
 * its largest n2 needs. So the reference representations and the targets, which no source stage
 * changes, cost one stage's work however many stages share them (issue 22: du-excess-risk's ten
 * stages of a seed drew every target ten times and fitted OLS's d × d heads ten times).
 * Duplicates get copies, never shared arrays.
 */
export function groupedTargetExcessRisks(
  model: FewShotModel,
  Bstar: Mat,
  groups: readonly TargetGroup[],
  targetsKey: Key,
  targets: number,
  ridge = 0,
): Float64Array[][][] {
  const { d } = model;
  if (model.covTgt !== undefined) checkSpectrum("few-shot model", "cov_tgt", model.covTgt, d);
  const cov = model.covariates?.covariance ?? null;
  if (model.covariates && cov === null) {
    throw new MetarepError(
      `few-shot target stage: task family "${model.family ?? "?"}" gives no population covariance Σ = E[xxᵀ], so the excess risk ‖Σ^{1/2}(B̂ŵ − B*w*)‖² cannot be computed; give "covariance" in its covariates.`,
    );
  }
  // The distinct representations ("units") and the sizes each is read at.
  const units: { B: Mat; sizes: Set<number> }[] = [];
  const unitOf = groups.map((g) =>
    g.reps.map((B) => {
      let u = units.findIndex((v) => sameMat(v.B, B));
      if (u < 0) u = units.push({ B, sizes: new Set() }) - 1;
      for (const n of g.n2s) units[u].sizes.add(n);
      return u;
    }),
  );
  const nsOf = units.map((v) => [...v.sizes].sort((a, b) => a - b));
  const reps = units.map((v) => v.B);
  let nMax = 1;
  for (const ns of nsOf) nMax = Math.max(nMax, ns[ns.length - 1]);
  const delta = new Float64Array(d);
  const task = allocTargetTask(model, nMax);
  const scratch = new Float64Array(nMax * (d + 1));
  const Bts = reps.map((B) => (isIdentity(B) ? null : transposeBasis(B)));
  const heads = reps.map((B, u) => nsOf[u].map(() => new Float64Array(B.cols)));
  const work = reps.map((B, u) => headScratch(Bts[u] === null ? 0 : nsOf[u][nsOf[u].length - 1], B.cols));
  const copies = reps.map((B) => headScratch(0, B.cols));
  const outs = reps.map((_, u) => nsOf[u].map(() => new Float64Array(targets)));
  const covTgt = model.covTgt ?? null;
  // The projections X B̂ run in the kernel module (`projectRows` of kernels.as: the JS loop's
  // order, so the same bits): one pinned block holds the target's rows, every Bᵀ and every XB̂.
  const K = kernels().exports;
  const at: number[] = [];
  let size = nMax * d;
  for (let u = 0; u < reps.length; u++) {
    at.push(size);
    if (Bts[u] !== null) size += reps[u].cols * (d + nsOf[u][nsOf[u].length - 1]);
  }
  const block = pin(8 * size);
  try {
    for (let u = 0; u < reps.length; u++) {
      const Bt = Bts[u];
      if (Bt !== null) f64().set(Bt, block / 8 + at[u]);
    }
    for (let j = 0; j < targets; j++) {
      sampleTargetTask(model, Bstar, targetsKey, j, task, scratch);
      f64().set(task.X, block / 8);
      for (let u = 0; u < reps.length; u++) {
        const kr = reps[u].cols;
        if (Bts[u] === null) continue;
        const n = nsOf[u][nsOf[u].length - 1];
        const bt = block + 8 * at[u];
        const out = bt + 8 * kr * d;
        K.projectRows(block, n, d, bt, kr, out);
        work[u].A.set(f64().subarray(out / 8, out / 8 + n * kr));
      }
      for (let u = 0; u < reps.length; u++) {
        const kr = reps[u].cols;
        const A = Bts[u] === null ? task.X : work[u].A;
        solveHeadPrefixes(A, task.y, 0, nsOf[u], kr, ridge, work[u], heads[u], copies[u]);
        for (let q = 0; q < nsOf[u].length; q++) {
          outs[u][q][j] =
            cov === null
              ? excessRisk(reps[u], heads[u][q], Bstar, task.wStar, covTgt)
              : excessRiskCovariance(reps[u], heads[u][q], Bstar, task.wStar, cov, delta);
        }
      }
    }
  } finally {
    unpin(block);
  }
  const given = new Set<Float64Array>();
  const handOut = (a: Float64Array): Float64Array => {
    if (given.has(a)) return a.slice();
    given.add(a);
    return a;
  };
  return groups.map((g, gi) => g.n2s.map((n) => unitOf[gi].map((u) => handOut(outs[u][nsOf[u].indexOf(n)]))));
}

/** Whether A and B are the same matrix, entry for entry (bits: ±0 differ, NaN equals NaN). */
function sameMat(A: Mat, B: Mat): boolean {
  if (A === B) return true;
  if (A.rows !== B.rows || A.cols !== B.cols) return false;
  for (let i = 0; i < A.data.length; i++) if (!Object.is(A.data[i], B.data[i])) return false;
  return true;
}

/** Whether B is exactly the square identity. */
function isIdentity(B: Mat): boolean {
  if (B.rows !== B.cols) return false;
  const n = B.rows;
  for (let a = 0; a < n; a++)
    for (let c = 0; c < n; c++) if (B.data[a * n + c] !== (a === c ? 1 : 0)) return false;
  return true;
}
