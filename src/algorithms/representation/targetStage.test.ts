import { describe, expect, test } from "vitest";
import { identity } from "../../linalg/mat.js";
import { excessRisk, meanAndStandardError } from "../../metrics/excessRisk.js";
import {
  allocTargetTask,
  type FewShotModel,
  fewShotKeys,
  sampleSourceTasks,
  sampleTargetTask,
} from "../../models/fewShotTasks.js";
import { key } from "../../rng/key.js";
import { olsLevel, oracleLevel } from "../../theory/duBound.js";
import { fitHead } from "./heads.js";
import { groupedTargetExcessRisks, nestedTargetExcessRisks, targetExcessRisks } from "./targetStage.js";

describe("the target stage", () => {
  const model = { d: 10, k: 3, sigma: 1, heads: { kind: "gaussian" as const, scale: 1 } };
  const src = sampleSourceTasks(model, 2, 2, key(1));

  test("oracle and plain OLS match their derived levels σ²k/(n2−k−1) and σ²d/(n2−d−1) (4 se)", () => {
    const [oracle, ols] = targetExcessRisks(
      model,
      src.Bstar,
      [src.Bstar, identity(10)],
      fewShotKeys(key(1)).targets,
      4000,
      20,
    );
    const o = meanAndStandardError(oracle);
    const p = meanAndStandardError(ols);
    expect(Math.abs(o.mean - oracleLevel(1, 3, 20)!)).toBeLessThan(4 * o.se!);
    expect(Math.abs(p.mean - olsLevel(1, 10, 20)!)).toBeLessThan(4 * p.se!);
  });

  test("every representation sees the same targets (paired): equal inputs give equal risks", () => {
    const [a, b] = targetExcessRisks(
      model,
      src.Bstar,
      [src.Bstar, src.Bstar],
      fewShotKeys(key(2)).targets,
      50,
      8,
    );
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  test("with Σ_tgt the excess risk is ‖Σ_tgt^{1/2}(B̂ŵ − B*w*)‖², and the oracle level σ²k/(n2−k−1) still holds (4 se)", () => {
    const covTgt = [4, 2, 1, 1, 0.5, 0.5, 0.25, 0.25, 3, 0.1];
    const m = { ...model, covTgt };
    const kt = fewShotKeys(key(1)).targets;
    const [oracle] = targetExcessRisks(m, src.Bstar, [src.Bstar], kt, 4000, 20);
    const { mean, se } = meanAndStandardError(oracle);
    expect(Math.abs(mean - oracleLevel(1, 3, 20)!)).toBeLessThan(4 * se!);
    // One target by hand.
    const t = sampleTargetTask(m, src.Bstar, kt, 0, allocTargetTask(m, 20));
    const w = fitHead(t.X, t.y, 20, src.Bstar);
    expect(oracle[0]).toBe(excessRisk(src.Bstar, w, src.Bstar, t.wStar, covTgt));
    expect(oracle[0]).not.toBe(excessRisk(src.Bstar, w, src.Bstar, t.wStar));
  });

  test("nested n2: every n2 (rank-deficient OLS, one row, ridge, Σ_tgt) is bit for bit its own target stage, and fitHead's (to 1e-12 with fewer rows than k)", () => {
    const kt = fewShotKeys(key(3)).targets;
    // B*, a rotated basis, and the identity (OLS, d × d: not projected).
    const rot = sampleSourceTasks(model, 2, 2, key(4)).Bstar;
    const reps = [src.Bstar, rot, identity(10)];
    const n2s = [30, 1, 8, 12, 3, 30];
    const models: FewShotModel[] = [model, { ...model, covTgt: [4, 2, 1, 1, 0.5, 0.5, 0.25, 0.25, 3, 0.1] }];
    for (const m of models) {
      for (const ridge of [0, 0.3]) {
        const nested = nestedTargetExcessRisks(m, src.Bstar, reps, kt, 40, n2s, ridge);
        n2s.forEach((n2, i) => {
          const alone = targetExcessRisks(m, src.Bstar, reps, kt, 40, n2, ridge);
          for (let r = 0; r < reps.length; r++)
            expect(Array.from(nested[i][r])).toEqual(Array.from(alone[r]));
          // By hand, through the projection the stage skips for the identity (fitHead projects).
          for (const j of [0, 5, 39]) {
            const t = sampleTargetTask(m, src.Bstar, kt, j, allocTargetTask(m, n2));
            reps.forEach((B, r) => {
              const w = fitHead(t.X, t.y, n2, B, ridge);
              const ref = excessRisk(B, w, src.Bstar, t.wStar, m.covTgt ?? null);
              // Fewer rows than k without ridge: the stage's minimum-norm head is the dual form's
              // (solveHeadPrefixes), fitHead's lstsq's to ~1e-15·cond².
              if (ridge > 0 || n2 >= B.cols) expect(nested[i][r][j]).toBe(ref);
              else expect(Math.abs(nested[i][r][j] - ref)).toBeLessThanOrEqual(1e-12 * ref);
            });
          }
        });
      }
    }
  });

  test("grouped: each group is bit for bit its own nested stage, shared representations evaluated once, no shared arrays", () => {
    const kt = fewShotKeys(key(6)).targets;
    const rotA = sampleSourceTasks(model, 2, 2, key(7)).Bstar;
    const rotB = sampleSourceTasks(model, 2, 2, key(8)).Bstar;
    // B* and the identity in every group (the oracle's and OLS's), B* twice in the first; copies
    // (not the same object) count as the same representation.
    const groups = [
      {
        reps: [src.Bstar, rotA, identity(10), { ...src.Bstar, data: src.Bstar.data.slice() }],
        n2s: [12, 3, 12],
      },
      { reps: [src.Bstar, rotB, identity(10)], n2s: [5] },
      { reps: [rotA, src.Bstar], n2s: [30, 1] },
    ];
    const m = { ...model, covTgt: [4, 2, 1, 1, 0.5, 0.5, 0.25, 0.25, 3, 0.1] };
    for (const ridge of [0, 0.3]) {
      const grouped = groupedTargetExcessRisks(m, src.Bstar, groups, kt, 30, ridge);
      const seen = new Set<Float64Array>();
      groups.forEach((g, gi) => {
        const alone = nestedTargetExcessRisks(m, src.Bstar, g.reps, kt, 30, g.n2s, ridge);
        expect(grouped[gi].length).toBe(g.n2s.length);
        g.n2s.forEach((_, i) => {
          g.reps.forEach((_, r) => {
            expect(Array.from(grouped[gi][i][r])).toEqual(Array.from(alone[i][r]));
            expect(seen.has(grouped[gi][i][r])).toBe(false);
            seen.add(grouped[gi][i][r]);
          });
        });
      });
      // The duplicate B* of group 0 is the same numbers as B*, at every n2.
      expect(Array.from(grouped[0][1][3])).toEqual(Array.from(grouped[0][1][0]));
    }
  });

  test("a target's first n rows are the same whatever n2 it is drawn with (the nesting the stage relies on)", () => {
    const kt = fewShotKeys(key(5)).targets;
    const d = model.d;
    for (const j of [0, 7]) {
      const big = sampleTargetTask(model, src.Bstar, kt, j, allocTargetTask(model, 40));
      for (const n of [1, 2, 3, 13]) {
        const small = sampleTargetTask(model, src.Bstar, kt, j, allocTargetTask(model, n));
        expect(Array.from(small.wStar)).toEqual(Array.from(big.wStar));
        expect(Array.from(small.X)).toEqual(Array.from(big.X.subarray(0, n * d)));
        expect(Array.from(small.y)).toEqual(Array.from(big.y.subarray(0, n)));
      }
    }
  });
});
