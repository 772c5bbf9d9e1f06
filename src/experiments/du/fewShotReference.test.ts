import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { resolveParams } from "../resolve.js";
import { runSeeds } from "../testing.js";
import { duExcessRisk } from "./excessRisk.js";

const reference = resolve(import.meta.dirname, "../../../shared/reference/fewshot_ref.py");
const ctx = { progress: () => {}, warn: () => {} };
const SEEDS = [0, 1, 2, 3, 4, 5];

function meanSe(xs: number[]): { mean: number; se: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  return { mean: m, se: Math.sqrt(v / xs.length) };
}

describe.runIf(existsSync(reference))(
  "agreement with the NumPy reference fewshot_ref.py (defaults, 6 seeds each)",
  () => {
    test.each(["altmin", "mom"])(
      "%s: mean excess risk and dist over seeds agree within 4 combined standard errors",
      (method) => {
        const params = resolveParams(duExcessRisk, null, {
          sweeps: ["T"],
          Ts: [400],
          methods: [method],
          targets: 200,
        }) as Record<string, unknown>;
        const rec = runSeeds({
          experiment: duExcessRisk,
          params,
          size: null,
          seed: 0,
          seedIndices: SEEDS,
          command: "test",
          ctx,
        });
        const pick = (quantity: string) =>
          rec.result.seeds.map(
            (r) => r.curves.find((c) => c.labels.method === method && c.labels.quantity === quantity)!.y[0],
          );
        const ours = { er: meanSe(pick("excess risk")), dist: meanSe(pick("dist")) };
        const runs = SEEDS.map(
          (seed) =>
            JSON.parse(
              execFileSync("python3", [reference, "--method", method, "--seed", String(seed), "--json"], {
                encoding: "utf8",
              }),
            ) as { excess_risk: number; dist: number },
        );
        const theirs = { er: meanSe(runs.map((r) => r.excess_risk)), dist: meanSe(runs.map((r) => r.dist)) };
        for (const q of ["er", "dist"] as const) {
          const tol = 4 * Math.hypot(ours[q].se, theirs[q].se);
          expect(Math.abs(ours[q].mean - theirs[q].mean)).toBeLessThan(tol);
        }
        // The two estimators are told apart: MoM is far worse than AltMin at these settings.
        if (method === "mom") expect(ours.dist.mean).toBeGreaterThan(0.2);
        else expect(ours.dist.mean).toBeLessThan(0.1);
      },
    );
  },
);
