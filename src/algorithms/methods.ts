import { UnknownNameError } from "../errors.js";
import {
  anilTaskGradient,
  avgGdTaskGradient,
  foAnilTaskGradient,
  foMamlTaskGradient,
  mamlTaskGradient,
  type TaskMetaGradient,
} from "./metaGradient.js";

export const METHOD_IDS = ["anil", "fo-anil", "maml", "fo-maml", "avg-gd"] as const;
export type MethodId = (typeof METHOD_IDS)[number];

/** A gradient-based meta-learning method of Collins et al. (ICML 2022), SPEC §1.2. */
export interface MetaMethod {
  id: MethodId;
  name: string;
  /** What the inner step adapts. */
  adapts: "head" | "head and representation" | "nothing";
  firstOrder: boolean;
  description: string;
  taskGradient: TaskMetaGradient;
  /** Colour of the method in every figure. */
  color: string;
  /** Drawn dashed (the first-order variants, so they read apart from their exact counterparts). */
  dashed: boolean;
  /** Position in figures, tables and menus (ascending). */
  order: number;
  /** The paper whose method it is, by family id (as `Experiment.family`). */
  family: string;
}

const METHODS: readonly MetaMethod[] = [
  {
    id: "anil",
    name: "ANIL",
    adapts: "head",
    firstOrder: false,
    description: "Almost No Inner Loop: one inner GD step on the head, exact meta-gradient",
    taskGradient: anilTaskGradient,
    color: "#1f77b4",
    dashed: false,
    order: 1,
    family: "collins",
  },
  {
    id: "fo-anil",
    name: "FO-ANIL",
    adapts: "head",
    firstOrder: true,
    description: "ANIL with the first-order meta-gradient (outer gradient at the adapted head)",
    taskGradient: foAnilTaskGradient,
    color: "#17becf",
    dashed: true,
    order: 2,
    family: "collins",
  },
  {
    id: "maml",
    name: "MAML",
    adapts: "head and representation",
    firstOrder: false,
    description: "one inner GD step on head and representation, exact meta-gradient",
    taskGradient: mamlTaskGradient,
    color: "#d62728",
    dashed: false,
    order: 3,
    family: "collins",
  },
  {
    id: "fo-maml",
    name: "FO-MAML",
    adapts: "head and representation",
    firstOrder: true,
    description: "MAML with the first-order meta-gradient",
    taskGradient: foMamlTaskGradient,
    color: "#ff7f0e",
    dashed: true,
    order: 4,
    family: "collins",
  },
  {
    id: "avg-gd",
    name: "Avg-GD",
    adapts: "nothing",
    firstOrder: true,
    description: "GD on the average loss over tasks, no adaptation (the non-meta baseline)",
    taskGradient: avgGdTaskGradient,
    color: "#555555",
    dashed: false,
    order: 5,
    family: "collins",
  },
];

/** All methods, in the canonical order. */
export function listMethods(): readonly MetaMethod[] {
  return METHODS;
}

/** The method with this id; unknown ids list the known ones. */
export function getMethod(id: string): MetaMethod {
  const m = METHODS.find((x) => x.id === id);
  if (!m) throw new UnknownNameError("method", id, METHOD_IDS);
  return m;
}
