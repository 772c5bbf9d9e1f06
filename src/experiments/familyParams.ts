import { z } from "zod";
import {
  type Covariates,
  checkFamilyOptions,
  familyCovariates,
  getTaskFamily,
  taskFamilies,
} from "../models/taskFamilies.js";

/**
 * The parameters of an experiment that accepts a task family (`models/taskFamilies.ts`): `family`,
 * a registry id (built-in or plug-in), and `family_options`, parsed by that family's own schema.
 * Both are optional and have no default, so a run that names no family resolves (and records)
 * exactly the parameters it did before families existed, and draws the same bytes.
 */
export const familyFields = {
  family: z
    .string()
    .optional()
    .describe("task family of the inputs x (a registered id, e.g. isotropic; absent: x ~ N(0, I_d))"),
  family_options: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('options of the task family, a JSON object (e.g. {"ratio": 10}); absent: its defaults'),
};

export interface FamilyParams {
  family?: string;
  family_options?: Record<string, unknown>;
}

/**
 * Parse-time checks (at the boundary, when the registry holds the plug-ins): `family` must be
 * registered (the message lists the known ids), `family_options` must parse with the family's
 * schema (problems name `family_options.<field>`) and needs `family`.
 */
export function checkFamily(p: FamilyParams, ctx: z.RefinementCtx): void {
  if (p.family === undefined) {
    if (p.family_options !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["family_options"],
        message: 'needs "family" (the task family whose options these are)',
        input: p.family_options,
      });
    }
    return;
  }
  if (!taskFamilies.has(p.family)) {
    ctx.addIssue({
      code: "custom",
      path: ["family"],
      message: `must be a registered task family (known: ${taskFamilies.ids().join(", ")})`,
      input: p.family,
    });
    return;
  }
  const checked = checkFamilyOptions(getTaskFamily(p.family), p.family_options);
  if (checked.ok) return;
  for (const problem of checked.problems) {
    ctx.addIssue({
      code: "custom",
      path: ["family_options", ...problem.path],
      message: `${problem.constraint} (task family "${p.family}")`,
      input: problem.value,
    });
  }
}

/** The covariates of the run's family at dimension d, or undefined when it names none. */
export function familyModel(
  p: FamilyParams,
  d: number,
  context: string,
): { covariates: Covariates; family: string } | undefined {
  if (p.family === undefined) return undefined;
  return { covariates: familyCovariates(p.family, d, p.family_options, context), family: p.family };
}
