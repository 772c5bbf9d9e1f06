import { type Claim, type ClaimSource, metricOf } from "../claims.js";
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

const paired = (labels: Record<string, LabelValue>, yName: string, metric: string, what: string) => ({
  below: metricOf(
    { yName, labels: { ...labels, penalty: "on" } },
    metric,
    `${what}, penalty on (λ chosen on validation tasks)`,
  ),
  above: metricOf({ yName, labels: { ...labels, penalty: "off" } }, metric, `${what}, penalty off`),
});

export const bouniotClaims: readonly Claim[] = [
  {
    id: "penalty-conditions-heads",
    statement:
      "The penalty makes the adapted heads better conditioned: κ(W′) ends lower with it where diversity is poor (µ = 0.1).",
    source: REGULARISER,
    test: {
      kind: "paired order",
      ...paired({ part: "collins", mu: 0.1 }, "κ(W′)", "final", "κ(W′) at the end of ANIL, µ = 0.1"),
    },
  },
  {
    id: "penalty-helps-low-diversity",
    statement:
      "Where task diversity is poor (κ(W*) = 16), the penalty on the learned heads lowers the few-shot excess risk over the oracle (two-stage, Burer–Monteiro).",
    source: RESULTS,
    test: {
      kind: "paired order",
      ...paired(
        { part: "du", kappa: 16, method: "bm" },
        "excess over oracle",
        "excess",
        "Burer–Monteiro's few-shot excess over the oracle at κ(W*) = 16",
      ),
    },
  },
  {
    id: "penalty-helps-anil-low-diversity",
    statement:
      "Where task diversity is poor (µ = 0.1), the penalty on the adapted heads lowers ANIL's few-shot excess risk on new tasks.",
    source: RESULTS,
    test: {
      kind: "paired order",
      ...paired(
        { part: "collins", mu: 0.1 },
        "dist",
        "excess",
        "ANIL's few-shot excess on new tasks, µ = 0.1",
      ),
    },
  },
];

const NETWORK_RESULTS: ClaimSource = {
  paper: BOUNIOT,
  where:
    "experiments: the regulariser on deep networks' predictors improves few-shot performance (unverified); tested here on a two-layer ReLU network",
  verified: false,
};

const pairedNetwork = (metric: string, what: string) => ({
  below: metricOf(
    { yName: "dist", labels: { mu: 0.1, penalty: "on" } },
    metric,
    `${what}, penalty on (λ chosen on validation tasks)`,
  ),
  above: metricOf({ yName: "dist", labels: { mu: 0.1, penalty: "off" } }, metric, `${what}, penalty off`),
});

/** `bouniot-network`: the penalty where Bouniot et al. apply it, on a network's adapted heads. */
export const bouniotNetworkClaims: readonly Claim[] = [
  {
    id: "network-penalty-conditions-heads",
    statement:
      "On a two-layer ReLU network, the penalty makes the adapted heads of new tasks better conditioned where diversity is poor (µ = 0.1).",
    source: { ...REGULARISER, where: `${REGULARISER.where}; on a network's adapted heads` },
    test: { kind: "paired order", ...pairedNetwork("kappa", "κ of new tasks' adapted heads, µ = 0.1") },
  },
  {
    id: "network-penalty-recovers-representation",
    statement:
      "On a two-layer ReLU network, where task diversity is poor (µ = 0.1), the penalty brings the first layer closer to the ground-truth features (a lower final dist(col W₁, col B*)): Du et al.'s diversity assumption, enforced, helps learn the representation.",
    source: NETWORK_RESULTS,
    test: { kind: "paired order", ...pairedNetwork("final", "final dist(col W₁, col B*), µ = 0.1") },
  },
  {
    id: "network-penalty-helps-low-diversity",
    statement:
      "On a two-layer ReLU network, where task diversity is poor (µ = 0.1), the penalty on the adapted heads lowers the few-shot MSE on new tasks after adaptation.",
    source: NETWORK_RESULTS,
    test: {
      kind: "paired order",
      ...pairedNetwork("mse", "few-shot MSE on new tasks after adaptation, µ = 0.1"),
    },
  },
];
