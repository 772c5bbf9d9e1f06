/**
 * A metarep task-family plug-in: non-isotropic covariates x ~ N(0, Σ), the setting of Du et al.'s
 * covariance-dominance assumption (ICLR 2021), in the multi-task linear representation model
 * y = ⟨B* w*_t, x⟩ + σz. Source and target tasks share Σ (so Du et al.'s factor c is 1).
 *
 * Σ = R diag(v) Rᵀ with v a geometric spectrum from 1 down to 1/ratio, rescaled to tr Σ = d (the
 * same total signal as I_d), and R a fixed random rotation (QR of a Gaussian d × d matrix drawn from
 * key(rotation_seed)), or R = I with `rotate: false`. Rows are x = R diag(√v) z with z ~ N(0, I_d),
 * d normals per row; Σ is returned exactly for the excess risk ‖Σ^{1/2}(B̂ŵ − B*w*)‖².
 * With `ratio: 1, rotate: false` every row is z itself: the bytes of the isotropic family.
 *
 * Use: `metarep run du-excess-risk --plugin examples/plugins/anisotropic-covariates.mjs \
 *   --set family=anisotropic-covariates --set family_options='{"ratio": 10}'`.
 *
 * Format: plain ESM JavaScript that imports nothing. The default export receives metarep's public
 * API (everything the package exports, plus `z` from zod) and returns what it registers. Only
 * deterministic arithmetic is used here (+, ×, Math.sqrt, the API's linear algebra and streams),
 * so the same seed gives the same bytes in Node and in browsers.
 */
export default function anisotropicCovariates(api) {
  const { z, geometricSpectrum, key, stream, zeros, orthonormalize } = api;

  const options = z.strictObject({
    ratio: z
      .number()
      .min(1)
      .default(10)
      .describe("condition number of Σ: variances geometric from 1 down to 1/ratio, tr Σ = d"),
    rotate: z.boolean().default(true).describe("rotate Σ's eigenbasis by a fixed random rotation R"),
    rotation_seed: z.number().int().min(0).default(0).describe("seed of the rotation R"),
  });

  /** @type {import("metarep").TaskFamily<{ ratio: number; rotate: boolean; rotation_seed: number }>} */
  const family = {
    id: "anisotropic-covariates",
    name: "Anisotropic Gaussian covariates",
    description: "x ~ N(0, Σ), Σ = R diag(v) Rᵀ with a geometric spectrum (condition number ratio), tr Σ = d",
    family: "plugin",
    order: 10,
    options,
    covariates(d, o) {
      const v = geometricSpectrum(d, o.ratio);
      const sd = new Float64Array(d);
      for (let a = 0; a < d; a++) sd[a] = Math.sqrt(v[a]);
      // L = R diag(√v), so x = L z has E[xxᵀ] = L Lᵀ = R diag(v) Rᵀ.
      let L = null;
      let R = null;
      if (o.rotate) {
        const G = zeros(d, d);
        stream(key(o.rotation_seed)).fillNormal(G.data);
        R = orthonormalize(G);
        L = new Float64Array(d * d);
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) L[a * d + b] = R.data[a * d + b] * sd[b];
      }
      // Σ_ab = Σ_c R_ac v_c R_bc, symmetric by construction (each pair computed once).
      const covariance = zeros(d, d);
      for (let a = 0; a < d; a++) {
        for (let b = a; b < d; b++) {
          let s = 0;
          if (R === null) s = a === b ? v[a] : 0;
          else for (let c = 0; c < d; c++) s += R.data[a * d + c] * v[c] * R.data[b * d + c];
          covariance.data[a * d + b] = s;
          covariance.data[b * d + a] = s;
        }
      }
      const z0 = new Float64Array(d);
      return {
        d,
        covariance,
        draw(s, rows, X, offset) {
          for (let i = 0; i < rows; i++) {
            const o0 = offset + i * d;
            if (L === null) {
              // Diagonal Σ: d normals straight into the row, scaled.
              s.fillNormal(X, o0, d);
              for (let a = 0; a < d; a++) X[o0 + a] *= sd[a];
              continue;
            }
            s.fillNormal(z0, 0, d);
            for (let a = 0; a < d; a++) {
              let acc = 0;
              for (let b = 0; b < d; b++) acc += L[a * d + b] * z0[b];
              X[o0 + a] = acc;
            }
          }
        },
      };
    },
  };

  return { id: "anisotropic-covariates", taskFamilies: [family] };
}
