import type { FigureSpec, SeriesFigureSpec } from "../figureSpec.js";

/**
 * Figures of the network experiments (Finn et al.'s sinusoids; Collins et al.'s model with a ReLU
 * feature map). Methods are coloured from the method registry: the network methods share the
 * linear methods' ids, so MAML is the same red everywhere.
 */
const COLOUR = { title: "method", registry: "methods" } as const;

/** Finn et al., Figure 2 (right): post-adaptation MSE against the number of test-time steps. */
const mseSteps: SeriesFigureSpec = {
  name: "mse-steps",
  select: { yName: "mse" },
  stat: { kind: "band", points: true },
  x: { title: "gradient steps at test time (step α)" },
  y: { title: "MSE on the query points (mean over test tasks)", log: true, floor: "drop" },
  panel: { by: "condition", except: ["quantity"] },
  colour: COLOUR,
  subtitle: {
    params: ["alpha", "beta", "meta_batch", "iters"],
    note: "Avg-GD = a network pretrained on all tasks, then fine-tuned; ANIL adapts the last layer only",
  },
};

/** The meta-training loss (the mean outer loss of each batch) along training. */
const metaLoss: SeriesFigureSpec = {
  name: "meta-loss",
  title: "Meta-training: the outer loss after the inner steps, per outer iteration",
  select: { yName: "meta-loss" },
  x: { title: "outer iteration" },
  y: { title: "meta-training loss (outer MSE after the inner steps)", log: true, floor: "drop" },
  panel: { by: "condition", except: ["quantity"] },
  colour: COLOUR,
  divergence: true,
  subtitle: { params: ["alpha", "beta", "meta_batch", "inner_steps"] },
};

/** dist(col W₁, col B*) per iteration (SPEC §1.1, unsquared), one panel per µ. */
const distTrace: SeriesFigureSpec = {
  name: "dist",
  select: { yName: "dist" },
  x: { title: "iteration" },
  y: { title: "dist(col W₁, col B*) = sin θₘₐₓ (unsquared)", log: true, floor: "clamp" },
  panel: { by: "condition" },
  // Each µ has its own horizon (nonlinear-representation: ⌈iters_at_1/µ²⌉, capped at iters).
  independent: ["x"],
  colour: COLOUR,
  divergence: true,
  subtitle: { params: ["d", "k", "k_prime", "n", "alpha", "beta", "m_in", "m_out"] },
};

/** The fitted rate of representation learning against µ (no theory line: none is derived for ReLU). */
const rateVsMu: SeriesFigureSpec = {
  name: "rate",
  title: "The rate of representation learning against the head diversity µ",
  // Avg-GD's dist never enters the fit window, so it has no rate to draw.
  select: { yName: "dist", exceptMethods: ["avg-gd"] },
  stat: {
    kind: "metric",
    metric: "rate",
    what: "fitted rate dist(t+1)/dist(t)",
    x: "mu",
    shift: true,
    line: true,
  },
  x: { title: "µ (task diversity)" },
  y: { title: "fitted rate dist(t+1) / dist(t)" },
  panel: { by: "condition", except: ["mu"] },
  colour: COLOUR,
  subtitle: {
    params: ["d", "k", "n", "alpha", "beta"],
    note: "the linear model's rate is 1 − αβµ² (SPEC §1.2)",
  },
  width: 320,
  height: 220,
};

export const finnFigures: Record<string, readonly FigureSpec[]> = {
  "finn-sinusoid": [mseSteps, metaLoss],
  "nonlinear-representation": [rateVsMu, distTrace],
};
