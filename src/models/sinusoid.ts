import { ParamError } from "../errors.js";
import { sin } from "../linalg/libm.js";
import type { Mat } from "../linalg/mat.js";
import type { Stream } from "../rng/stream.js";

/**
 * Finn et al.'s sinusoid regression (ICML 2017, §5.1): each task is y = A sin(x + φ) with the
 * amplitude A ~ U[0.1, 5.0], the phase φ ~ U[0, π] and inputs x ~ U[−5.0, 5.0]; a learner sees K
 * points of a task. The ranges are parameters (defaults the paper's).
 */
export interface SinusoidFamily {
  ampMin: number;
  ampMax: number;
  phaseMin: number;
  phaseMax: number;
  xMin: number;
  xMax: number;
}

export const FINN_SINUSOID: SinusoidFamily = {
  ampMin: 0.1,
  ampMax: 5,
  phaseMin: 0,
  phaseMax: Math.PI,
  xMin: -5,
  xMax: 5,
};

/** A drawn sine: its amplitude and phase. */
export interface Sinusoid {
  amplitude: number;
  phase: number;
}

/** m labelled points of a sine: X (m × 1) and Y (m × 1). */
export interface SinusoidSet {
  x: Mat;
  y: Mat;
}

export function checkSinusoidFamily(f: SinusoidFamily): void {
  for (const [lo, hi, name] of [
    [f.ampMin, f.ampMax, "amplitude"],
    [f.phaseMin, f.phaseMax, "phase"],
    [f.xMin, f.xMax, "x"],
  ] as const) {
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo)
      throw new ParamError("sinusoid", `${name} range`, "must be finite with min ≤ max", [lo, hi]);
  }
}

/** A sine: A then φ, one uniform each (in this order: the stream's use is pinned by the goldens). */
export function drawSinusoid(s: Stream, f: SinusoidFamily): Sinusoid {
  const amplitude = f.ampMin + (f.ampMax - f.ampMin) * s.uniform();
  const phase = f.phaseMin + (f.phaseMax - f.phaseMin) * s.uniform();
  return { amplitude, phase };
}

/** m points of the sine at x ~ U[xMin, xMax] (m uniforms), y = A sin(x + φ) with libm's sin. */
export function drawSinusoidSet(s: Stream, f: SinusoidFamily, task: Sinusoid, m: number): SinusoidSet {
  const x = new Float64Array(m);
  s.fillUniform(x, 0, m);
  for (let i = 0; i < m; i++) x[i] = f.xMin + (f.xMax - f.xMin) * x[i];
  return { x: { rows: m, cols: 1, data: x }, y: { rows: m, cols: 1, data: sinusoidAt(task, x) } };
}

/** A sin(x + φ) at each x. */
export function sinusoidAt(task: Sinusoid, x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = task.amplitude * sin(x[i] + task.phase);
  return y;
}
