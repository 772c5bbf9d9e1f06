import { describe, expect, test } from "vitest";
import { gemm } from "../../linalg/gemm.js";
import { zeros } from "../../linalg/mat.js";
import { orthonormalityError } from "../../linalg/testing.js";
import { subspaceDistance } from "../../metrics/subspace.js";
import { sampleSourceTasks } from "../../models/fewShotTasks.js";
import { key } from "../../rng/key.js";
import { getEstimator, listEstimators } from "./estimators.js";
import { ESTIMATOR_IDS } from "./types.js";

const src = sampleSourceTasks(
  { d: 8, k: 2, sigma: 0.3, heads: { kind: "gaussian", scale: 1 } },
  60,
  20,
  key(6),
);

describe("the estimator registry", () => {
  test("lists every id once, in the canonical order", () => {
    expect(listEstimators().map((e) => e.id)).toEqual([...ESTIMATOR_IDS]);
  });

  test("unknown ids list the known ones", () => {
    expect(() => getEstimator("pca")).toThrow(
      /unknown estimator "pca"; known: mom, altmin, altmin-gd, bm, bm-mom, anil/,
    );
  });

  test.each(ESTIMATOR_IDS.filter((id) => id !== "ols"))("%s returns an orthonormal d × k basis", (id) => {
    const fit = getEstimator(id).fit(src.data, 2, { epochs: 30 }, { key: key(1), Bstar: src.Bstar });
    expect(fit.method).toBe(id);
    expect(fit.B.rows).toBe(8);
    expect(fit.B.cols).toBe(2);
    expect(orthonormalityError(fit.B)).toBeLessThan(1e-12);
    expect(subspaceDistance(fit.B, src.Bstar)).toBeLessThan(id === "oracle" ? 1e-12 : 0.5);
  });

  test("ols is no representation: B̂ = I_d", () => {
    const fit = getEstimator("ols").fit(src.data, 2, {}, { key: key(1) });
    const I = gemm(true, false, 1, fit.B, fit.B, 0, zeros(8, 8));
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++) expect(fit.B.data[i * 8 + j]).toBe(i === j ? 1 : 0);
    expect(I.rows).toBe(8);
  });

  test("bad k and a missing ground truth are one-line errors", () => {
    expect(() => getEstimator("altmin").fit(src.data, 8, {}, { key: key(0) })).toThrow(
      /altmin: "k" must be an integer with 1 ≤ k < d = 8; got 8\./,
    );
    expect(() => getEstimator("oracle").fit(src.data, 2, {}, { key: key(0) })).toThrow(
      /oracle: "Bstar" is needed/,
    );
  });
});
