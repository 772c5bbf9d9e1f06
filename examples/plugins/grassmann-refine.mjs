// An estimator plug-in for metarep: the method of moments, refined by Riemannian gradient descent
// on the Grassmannian (the manifold of k-dimensional subspaces of R^d).
//
// Objective (Du et al.'s ERM with the heads profiled out): f(B) = (1/2N) Σ_t ‖y_t − X_t B ŵ_t(B)‖²,
// ŵ_t(B) the least-squares head of task t on X_t B. By the envelope theorem its Euclidean gradient
// is G = −(1/N) Σ_t X_tᵀ r_t ŵ_tᵀ (r_t the residuals); the Riemannian gradient on the Grassmannian
// is (I − BBᵀ)G, and a step retracts by QR: B ← qr(B − η (I − BBᵀ)G). Armijo backtracking halves η
// until f decreases, so the refinement never makes the fit worse than MoM's.
//
// Run it beside the baselines on the same data:
//   metarep run du-excess-risk --plugin examples/plugins/grassmann-refine.mjs \
//     --set methods=mom,altmin,grassmann,oracle,ols

/** @param {import("metarep").PluginApi} metarep */
export default function plugin(metarep) {
  const { z, getEstimator, taskHeads, orthonormalize } = metarep;

  /** f(B) and the task heads on B. */
  function objective(data, B) {
    const W = taskHeads(data, B);
    const { d, tasks, start, X, y } = data;
    const k = B.cols;
    const theta = new Float64Array(d);
    let loss = 0;
    for (let t = 0; t < tasks; t++) {
      for (let a = 0; a < d; a++) {
        let acc = 0;
        for (let c = 0; c < k; c++) acc += B.data[a * k + c] * W.data[t * k + c];
        theta[a] = acc;
      }
      for (let i = start[t]; i < start[t + 1]; i++) {
        let pred = 0;
        for (let a = 0; a < d; a++) pred += X[i * d + a] * theta[a];
        const r = y[i] - pred;
        loss += r * r;
      }
    }
    return { value: loss / (2 * start[tasks]), W };
  }

  /** The Riemannian gradient (I − BBᵀ)G at B, with G = −(1/N) Σ_t X_tᵀ r_t ŵ_tᵀ. */
  function riemannianGradient(data, B, W) {
    const { d, tasks, start, X, y } = data;
    const k = B.cols;
    const N = start[tasks];
    const G = new Float64Array(d * k);
    const theta = new Float64Array(d);
    const u = new Float64Array(d);
    for (let t = 0; t < tasks; t++) {
      for (let a = 0; a < d; a++) {
        let acc = 0;
        for (let c = 0; c < k; c++) acc += B.data[a * k + c] * W.data[t * k + c];
        theta[a] = acc;
      }
      u.fill(0);
      for (let i = start[t]; i < start[t + 1]; i++) {
        let pred = 0;
        for (let a = 0; a < d; a++) pred += X[i * d + a] * theta[a];
        const r = y[i] - pred;
        for (let a = 0; a < d; a++) u[a] += X[i * d + a] * r;
      }
      for (let a = 0; a < d; a++) for (let c = 0; c < k; c++) G[a * k + c] -= (u[a] * W.data[t * k + c]) / N;
    }
    // Project onto the tangent space: G − B (Bᵀ G).
    const BtG = new Float64Array(k * k);
    for (let c = 0; c < k; c++)
      for (let e = 0; e < k; e++) {
        let acc = 0;
        for (let a = 0; a < d; a++) acc += B.data[a * k + c] * G[a * k + e];
        BtG[c * k + e] = acc;
      }
    for (let a = 0; a < d; a++)
      for (let e = 0; e < k; e++) {
        let acc = 0;
        for (let c = 0; c < k; c++) acc += B.data[a * k + c] * BtG[c * k + e];
        G[a * k + e] -= acc;
      }
    return G;
  }

  return {
    id: "grassmann-refine",
    estimators: [
      {
        id: "grassmann",
        name: "MoM + Grassmann RGD",
        description: "method of moments, then Riemannian gradient steps on the Grassmannian (Armijo)",
        color: "#8c564b",
        options: z.strictObject({
          steps: z.number().int().min(0).default(10).describe("Riemannian gradient steps"),
          eta: z.number().gt(0).default(1).describe("initial step size of the Armijo search"),
        }),
        fit(data, k, options, ctx) {
          let B = getEstimator("mom").fit(data, k, {}, { key: ctx.key }).B;
          let { value, W } = objective(data, B);
          const start = value;
          let steps = 0;
          for (; steps < options.steps; steps++) {
            const G = riemannianGradient(data, B, W);
            let g2 = 0;
            for (const g of G) g2 += g * g;
            if (g2 === 0) break;
            let eta = options.eta;
            let accepted = false;
            for (let tries = 0; tries < 30; tries++, eta /= 2) {
              const step = new Float64Array(B.data.length);
              for (let i = 0; i < step.length; i++) step[i] = B.data[i] - eta * G[i];
              const cand = orthonormalize({ rows: B.rows, cols: k, data: step });
              const next = objective(data, cand);
              // Armijo: sufficient decrease along the Riemannian gradient.
              if (next.value <= value - 1e-4 * eta * g2) {
                B = cand;
                ({ value, W } = next);
                accepted = true;
                break;
              }
            }
            if (!accepted) break;
          }
          return { B, iterations: steps, info: { "initial objective": start, "final objective": value } };
        },
      },
    ],
  };
}
