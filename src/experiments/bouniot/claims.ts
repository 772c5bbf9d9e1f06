import { type Claim, type ClaimSource, customMeasure, type Measure } from "../claims.js";
import type { LabelValue } from "../types.js";

/**
 * What of Bouniot, Redko, Audiffren, Habrard (ECCV 2022) `bouniot-regularisation` tests: their
 * regulariser λ1κ(W)² + λ2‖WWᵀ‖_F on the task predictors enforces well-conditioned, normalised
 * heads, and they report that it improves few-shot performance, most where task diversity is poor.
 * Their evidence is on images with deep networks; SPEC §1.3 says why the linear model may differ.
 */
const BOUNIOT =
  "Bouniot et al., Improving Few-Shot Learning through Multi-task Representation Learning Theory, ECCV 2022";
const REGULARISER: ClaimSource = {
  paper: BOUNIOT,
  where: "the proposed regulariser on the predictors (section title unverified)",
  verified: false,
};
const RESULTS: ClaimSource = {
  paper: BOUNIOT,
  where: "experiments: few-shot accuracy with and without the regulariser (unverified)",
  verified: false,
};

function finalOf(yName: string, labels: Record<string, LabelValue>, describe: string): Measure {
  return customMeasure(describe, (seed) => {
    const c = seed.curves.find(
      (x) => x.yName === yName && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
    );
    return c ? (c.metrics.final ?? c.y.at(-1) ?? null) : null;
  });
}

export const bouniotClaims: readonly Claim[] = [
  {
    id: "penalty-conditions-heads",
    statement:
      "The penalty makes the adapted heads better conditioned: κ(W′) ends lower with it (low diversity, µ = 0.1).",
    source: REGULARISER,
    test: {
      kind: "paired order",
      below: finalOf(
        "κ(W′)",
        { part: "collins", mu: 0.1, penalty: "on" },
        "κ(W′) at the end of ANIL, penalty on, µ = 0.1",
      ),
      above: finalOf(
        "κ(W′)",
        { part: "collins", mu: 0.1, penalty: "off" },
        "κ(W′) at the end of ANIL, penalty off, µ = 0.1",
      ),
    },
  },
  {
    id: "penalty-helps-low-diversity",
    statement:
      "Where task diversity is poor (κ(W*) = 16), the penalty lowers ANIL's few-shot excess risk over the oracle.",
    source: RESULTS,
    test: {
      kind: "paired order",
      below: customMeasure("ANIL's excess over the oracle at κ(W*) = 16, penalty on", (seed) =>
        excessAt(seed, "on", 16),
      ),
      above: customMeasure("ANIL's excess over the oracle at κ(W*) = 16, penalty off", (seed) =>
        excessAt(seed, "off", 16),
      ),
    },
  },
];

function excessAt(seed: Parameters<Measure["of"]>[0], penalty: string, kappa: number): number | null {
  const c = seed.curves.find(
    (x) => x.yName === "excess over oracle" && x.labels.method === "anil" && x.labels.penalty === penalty,
  );
  if (!c) return null;
  const i = c.x.indexOf(kappa);
  return i < 0 ? null : c.y[i];
}
