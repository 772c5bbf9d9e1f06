// An experiment plug-in for metarep: how the learned representation degrades with label noise.
//
// For each label noise σ (one declared condition each, so σ's spread over threads and workers),
// T source tasks of n1 rows are drawn with common random numbers (the same x, heads and noise
// directions at every σ: only the noise's scale changes), each estimator fits B̂, and the figure
// shows dist(B̂, B*) = ‖(I − B*B*ᵀ)B̂‖₂ against σ beside two shapes: the method of moments'
// C·√((1 + σ²)·dk/(n1·T)) (Tripuraneni et al. 2021: its error has a noise-free part from the heads'
// fourth moments) and the least-squares ERM's C·σ·√(dk/(n1·T)) (AltMin is consistent: its error
// vanishes with the noise), each constant C fitted to its estimator.
//
//   metarep run noise-sweep --plugin examples/plugins/noise-sweep.mjs
//   metarep run noise-sweep --plugin examples/plugins/noise-sweep.mjs \
//     --plugin examples/plugins/grassmann-refine.mjs --set methods=mom,altmin,grassmann

/** @param {import("metarep").PluginApi} metarep */
export default function plugin(metarep) {
  const {
    z,
    sampleSourceTasks,
    getEstimator,
    subspaceDistance,
    foldInString,
    estimators,
    registeredId,
    loglogSlopeOf,
  } = metarep;

  const params = z.strictObject({
    d: z.number().int().min(2).default(20).describe("ambient dimension d"),
    k: z.number().int().min(1).default(3).describe("representation dimension k (< d)"),
    T: z.number().int().min(1).default(2000).describe("source tasks T"),
    n1: z.number().int().min(1).default(10).describe("rows per source task n1"),
    sigmas: z
      .array(z.number().min(0))
      .min(1)
      .default([0.05, 0.1, 0.2, 0.5, 1, 2])
      .describe("label noise levels σ"),
    methods: z
      .array(registeredId(estimators))
      .min(1)
      .default(["mom", "altmin"])
      .describe("estimators of B̂ (built-in or a plug-in's)"),
  });

  return {
    id: "noise-sweep",
    experiments: [
      {
        id: "noise-sweep",
        title: "Label noise: MoM's error grows like √(1 + σ²), least squares' like σ",
        paper: "plug-in example (after Tripuraneni et al. 2021)",
        family: "plugin",
        description:
          "dist(B̂, B*) of each estimator against the label noise σ, common random numbers across σ",
        params,
        sizes: { smoke: { d: 12, T: 300, sigmas: [0.1, 0.5, 2] }, paper: {} },
        seeds: { smoke: 2, paper: 5 },
        commonRandomNumbers: true,
        conditions: (p) => p.sigmas.map((sigma) => ({ sigma })),
        runCondition(p, condition, key) {
          const sigma = condition.sigma;
          const model = { d: p.d, k: p.k, sigma, heads: { kind: "gaussian", scale: 1 } };
          const src = sampleSourceTasks(model, p.T, p.n1, key);
          const curves = p.methods.map((m) => {
            const fit = getEstimator(m).fit(src.data, p.k, {}, { key: foldInString(key, `estimator:${m}`) });
            const dist = subspaceDistance(fit.B, src.Bstar);
            return {
              labels: { method: m },
              xName: "sigma",
              yName: "dist",
              x: [sigma],
              y: [dist],
              metrics: { final: dist },
              status: fit.status,
              ...(fit.diverged ? { diverged: fit.diverged } : {}),
            };
          });
          return {
            status: curves.some((c) => c.status === "diverged") ? "diverged" : "ok",
            curves,
            scalars: {},
          };
        },
        // One seed's σ points, joined into one curve per method along σ.
        combine(_p, parts) {
          const byMethod = new Map();
          for (const part of parts)
            for (const c of part.result.curves) {
              const m = c.labels.method;
              const into = byMethod.get(m) ?? { ...c, labels: { method: m }, x: [], y: [] };
              into.x.push(c.x[0]);
              into.y.push(c.y[0]);
              into.metrics = { final: c.y[0] };
              if (c.status === "diverged" && into.status !== "diverged") {
                into.status = "diverged";
                into.diverged = c.diverged;
              }
              byMethod.set(m, into);
            }
          const curves = [...byMethod.values()];
          return {
            status: curves.some((c) => c.status === "diverged") ? "diverged" : "ok",
            curves,
            scalars: {},
          };
        },
        // The claims this experiment tests, judged over seeds by metarep's claims engine: they
        // appear in `run`'s verdict table, the report and `metarep claims noise-sweep`.
        claims: [
          {
            id: "least-squares-error-proportional-to-noise",
            statement:
              "The least-squares ERM (AltMin) is consistent: its subspace error grows in proportion to σ.",
            source: {
              paper: "Tripuraneni et al., ICML 2021",
              where: "ERM guarantee (error ∝ σ)",
              verified: false,
            },
            test: {
              kind: "slope",
              measure: loglogSlopeOf(
                { yName: "dist", labels: { method: "altmin" } },
                { describe: "log-log slope of AltMin's dist(B̂, B*) against σ" },
              ),
              interval: [0.75, 1.25],
            },
          },
          {
            id: "moments-have-a-noise-free-floor",
            statement:
              "The method of moments has a noise-free error floor: at the smallest σ, AltMin is below MoM.",
            source: {
              paper: "Tripuraneni et al., ICML 2021",
              where: "method-of-moments guarantee",
              verified: false,
            },
            test: {
              kind: "paired order",
              below: {
                describe: "AltMin's dist at the smallest σ",
                of: (seed) => seed.curves.find((c) => c.labels.method === "altmin")?.y[0] ?? null,
              },
              above: {
                describe: "MoM's dist at the smallest σ",
                of: (seed) => seed.curves.find((c) => c.labels.method === "mom")?.y[0] ?? null,
              },
            },
          },
        ],
        figures: [
          {
            name: "dist-vs-noise",
            select: { yName: "dist" },
            stat: { kind: "band", points: true },
            x: { title: "label noise σ", log: true },
            y: { title: "dist(B̂, B*)", log: true },
            colour: { title: "estimator of B̂", registry: "estimators", names: true },
            overlays: [
              {
                kind: "fitted",
                label: "C·√((1 + σ²)dk/(n1T)), C fitted to {method}",
                f: ({ params: q, x }) => Math.sqrt(((1 + x * x) * q.d * q.k) / (q.n1 * q.T)),
                fitTo: ["mom"],
              },
              {
                kind: "fitted",
                label: "C·σ√(dk/(n1T)), C fitted to {method}",
                f: ({ params: q, x }) => x * Math.sqrt((q.d * q.k) / (q.n1 * q.T)),
                fitTo: ["altmin"],
              },
            ],
            subtitle: { params: ["d", "k", "T", "n1"] },
          },
        ],
      },
    ],
  };
}
