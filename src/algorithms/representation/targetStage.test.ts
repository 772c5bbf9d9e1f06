import { describe, expect, test } from "vitest";
import { identity } from "../../linalg/mat.js";
import { excessRisk, meanAndStandardError } from "../../metrics/excessRisk.js";
import {
  allocTargetTask,
  fewShotKeys,
  sampleSourceTasks,
  sampleTargetTask,
} from "../../models/fewShotTasks.js";
import { key } from "../../rng/key.js";
import { olsLevel, oracleLevel } from "../../theory/duBound.js";
import { fitHead } from "./heads.js";
import { targetExcessRisks } from "./targetStage.js";

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
});
