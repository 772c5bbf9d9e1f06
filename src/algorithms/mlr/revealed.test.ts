import { describe, expect, test } from "vitest";
import { transpose } from "../../linalg/mat.js";
import { orthonormalize } from "../../linalg/qr.js";
import { type MixtureTaskBatch, makeMixture, sampleComponents } from "../../models/mixedLinearRegression.js";
import { type ProjectedTaskBatch, sampleMixtureProjectedTasks } from "../../models/mixtureProjected.js";
import { key } from "../../rng/key.js";
import { stream } from "../../rng/stream.js";
import { projectedTaskResiduals, taskResiduals } from "./classification.js";
import { clusterInitialEstimates } from "./initialEstimates.js";
import { projectParts, projectRevealedParts } from "./projectedDistances.js";

/** A full batch consistent with a revealed one: x = Vp + Qg with g drawn now. */
function materialise(pb: ProjectedTaskBatch): MixtureTaskBatch {
  const { n, t, d, q, V, Q, P } = pb;
  const m = d - q;
  const g = new Float64Array(n * t * m);
  stream(key(99)).fillNormal(g);
  const X = new Float64Array(n * t * d);
  for (let r = 0; r < n * t; r++)
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let a = 0; a < q; a++) s += V.data[i * q + a] * P[r * q + a];
      for (let b = 0; b < m; b++) s += Q.data[i * m + b] * g[r * m + b];
      X[r * d + i] = s;
    }
  return { n, t, d, X, y: pb.y, ids: pb.ids };
}

describe("computations on revealed tasks equal those on any X consistent with them", () => {
  const d = 12;
  const W = sampleComponents(key(1), d, 3, "orthonormal");
  const mix = makeMixture(W, 0.8);
  // An estimated subspace Û (not the true one) to reveal along.
  const G = sampleComponents(key(2), d, 3, "gaussian");
  const U = orthonormalize(transpose(G));
  const pb = sampleMixtureProjectedTasks(mix, 30, 4 * 5, transpose(U), key(3));
  const full = materialise(pb);

  test("Ûᵀβ̂ of every part", () => {
    const a = projectRevealedParts(pb, U, 2, 5);
    const b = projectParts(full, U, 2, 5);
    for (let i = 0; i < a.data.length; i++) expect(a.data[i]).toBeCloseTo(b.data[i], 11);
  });

  test("initial estimates (ŵ ∈ col(Û), p̂ and r̂² from the held-out examples) and the residuals of ŵ", () => {
    const labels = Int32Array.from(pb.ids);
    const proj = projectRevealedParts(pb, U, 2, 5);
    const a = clusterInitialEstimates(proj, U, labels, 3, { batch: pb, from: 10, to: 20 });
    const b = clusterInitialEstimates(projectParts(full, U, 2, 5), U, labels, 3, {
      batch: full,
      from: 10,
      to: 20,
    });
    for (let i = 0; i < a.W.data.length; i++) expect(a.W.data[i]).toBeCloseTo(b.W.data[i], 11);
    for (let g = 0; g < 3; g++) {
      expect(a.s2[g]).toBeCloseTo(b.s2[g], 10);
      expect(a.p[g]).toBe(b.p[g]);
    }
    const ra = projectedTaskResiduals(pb, a.W, 0, 20);
    const rb = taskResiduals(full, a.W, 0, 20);
    for (let i = 0; i < ra.length; i++) expect(ra[i]).toBeCloseTo(rb[i], 9);
  });
});
