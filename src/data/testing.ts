import { key } from "../rng/key.js";
import { Stream } from "../rng/stream.js";
import type { Cifar10cData } from "./cifar10c.js";

/**
 * A small stand-in for CIFAR-10-C, for tests: `block` base images per severity (5 blocks), of
 * size `side × side × 3`, labels cycling through 0…9. Class 0 images carry a bright horizontal
 * bar and class 1 images a bright vertical bar at a random place, over uniform noise; corruption
 * c adds its own tint (c·20 on channel c mod 3), so tasks share the bars and differ in the tint.
 */
export function fakeCifar10c(corruptions: string[], block = 40, side = 8, seed = 0): Cifar10cData {
  const N = 5 * block;
  const labels = Int32Array.from({ length: N }, (_, i) => (i % block) % 10);
  const s = new Stream(key(seed));
  const base = new Float64Array(block * side * side * 3);
  for (let b = 0; b < block; b++) {
    const img = b * side * side * 3;
    for (let k = 0; k < side * side * 3; k++) base[img + k] = 60 * s.uniform();
    const at = Math.floor(s.uniform() * side);
    for (let j = 0; j < side; j++) {
      const [r, c] = labels[b] === 0 ? [at, j] : labels[b] === 1 ? [j, at] : [j, j];
      for (let ch = 0; ch < 3; ch++) base[img + (r * side + c) * 3 + ch] += 150;
    }
  }
  return {
    labels,
    corruptions: corruptions.map((name, ci) => {
      const images = new Uint8Array(N * side * side * 3);
      for (let row = 0; row < N; row++) {
        const severity = Math.floor(row / block) + 1;
        const src = (row % block) * side * side * 3;
        for (let k = 0; k < side * side * 3; k++) {
          const tint = k % 3 === ci % 3 ? 20 * (ci + 1) * severity * 0.2 : 0;
          images[row * side * side * 3 + k] = Math.min(255, Math.round(base[src + k] + tint));
        }
      }
      return { name, images, count: N, height: side, width: side, channels: 3 };
    }),
  };
}
