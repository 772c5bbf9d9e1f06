import { Registry } from "../../registry.js";
import { getMethod, type MethodId } from "../methods.js";

/**
 * A gradient-based meta-learning method on a differentiable network (MAML and its relatives, Finn
 * et al. ICML 2017; ANIL, Raghu et al. ICLR 2020; Collins et al. ICML 2022 for their linear
 * analysis). A method is data: which parameters its inner loop adapts and whether the outer
 * gradient differentiates through the inner steps; `metaGradient.ts` runs any of them on any model.
 *
 * These live in their own registry beside the linear methods' (`methods.ts`, whose entries are
 * closed-form gradients of the linear model, SPEC §1.2): a network method needs no closed form and
 * a linear method no network, so neither registry carries the other's half. The built-ins share
 * the linear methods' ids, and take their names, colours and dash from those entries, so a method
 * looks the same in every figure whatever the model.
 */
export interface NetworkMethod {
  id: string;
  name: string;
  description: string;
  /**
   * What the inner loop adapts: every parameter ("all", MAML), the head only ("head", ANIL: the
   * model's last layer), or nothing ("none": average-loss GD, the non-meta baseline).
   */
  inner: "all" | "head" | "none";
  /** The outer gradient is taken at the adapted parameters, not through the inner steps. */
  firstOrder: boolean;
  color: string;
  dashed: boolean;
  order: number;
  family: string;
}

export const networkMethods = new Registry<NetworkMethod>("network method");

const BUILT_IN: { id: MethodId; inner: NetworkMethod["inner"]; firstOrder: boolean; description: string }[] =
  [
    {
      id: "anil",
      inner: "head",
      firstOrder: false,
      description: "inner GD steps on the last layer only, exact meta-gradient (through the inner steps)",
    },
    {
      id: "fo-anil",
      inner: "head",
      firstOrder: true,
      description: "ANIL with the first-order meta-gradient (the outer gradient at the adapted head)",
    },
    {
      id: "maml",
      inner: "all",
      firstOrder: false,
      description: "inner GD steps on every parameter, exact meta-gradient (Hessian-vector products)",
    },
    { id: "fo-maml", inner: "all", firstOrder: true, description: "MAML with the first-order meta-gradient" },
    {
      id: "avg-gd",
      inner: "none",
      firstOrder: true,
      description: "GD on the average loss over tasks, no adaptation (a network pretrained on all tasks)",
    },
  ];

for (const b of BUILT_IN) {
  const m = getMethod(b.id);
  networkMethods.register({
    ...b,
    name: m.name,
    color: m.color,
    dashed: m.dashed,
    order: m.order,
    family: m.family,
  });
}

/** The network method with this id; unknown ids list the known ones. */
export function getNetworkMethod(id: string): NetworkMethod {
  return networkMethods.get(id);
}
