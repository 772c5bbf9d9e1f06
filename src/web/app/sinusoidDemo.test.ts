import { describe, expect, test } from "vitest";
import { adaptDemo, DEMO_DEFAULTS, demoGrid, demoTask, trainDemo } from "./sinusoidDemo.js";

describe("the sinusoid demo's computation (what the page's worker runs)", () => {
  const small = { ...DEMO_DEFAULTS, widths: [8, 8], iters: 20, metaBatch: 3 };

  test("the same settings give the same bytes; each network gets its predictions after 0…steps steps", () => {
    const a = trainDemo(small);
    const b = trainDemo(small);
    expect(a.maml.map((p) => [...p])).toEqual(b.maml.map((p) => [...p]));
    const m = adaptDemo(a, "maml", 3, 4);
    expect(m.predictions).toHaveLength(5);
    expect(m.predictions[0]).toHaveLength(demoGrid().length);
    expect(m.mse.every(Number.isFinite)).toBe(true);
    expect(adaptDemo(b, "maml", 3, 4)).toEqual(m);
    // The two networks were trained differently, so they predict differently.
    expect(adaptDemo(a, "pretrained", 3, 4).predictions[0]).not.toEqual(m.predictions[0]);
  });

  test("a new sine is drawn from the demo's own stream: K points on A sin(x + φ), within Finn et al.'s ranges", () => {
    const { sine, support } = demoTask(small, 7);
    expect(sine.amplitude).toBeGreaterThanOrEqual(0.1);
    expect(sine.amplitude).toBeLessThanOrEqual(5);
    expect(support.x).toHaveLength(small.shots);
    expect(demoTask(small, 8).sine).not.toEqual(sine);
  });
});
