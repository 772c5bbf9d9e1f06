import { MetarepError, ParamError } from "../errors.js";
import type { PatchDataset } from "../models/patchData.js";
import type { Key } from "../rng/key.js";
import { Stream } from "../rng/stream.js";

/*
 * CIFAR-10-C (Hendrycks & Dietterich, ICLR 2019) as tasks for the two-layer CNN (SPEC §3, real
 * data). The public release is a directory of `.npy` files: `labels.npy` (uint8 or integer, N
 * labels in 0…9) and one file per corruption, `<corruption>.npy`, of uint8 images N × 32 × 32 × 3
 * (height, width, RGB channel; C order). N = 50000: the 10000 CIFAR-10 test images at severity 1,
 * then at severities 2, 3, 4 and 5, so row s·10000 + i is image i at severity s + 1 and every
 * corruption shares `labels.npy`. The CLI loader (src/cli/datasets/cifar10c.ts) reads the files;
 * this module checks what it got and turns images into patch examples, with no I/O.
 */

/** The ten CIFAR-10 class names, by label. */
export const CIFAR10_CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
] as const;

/** The 19 corruption files of the release (the loader accepts any `<name>.npy` besides labels). */
export const CIFAR10C_CORRUPTIONS = [
  "brightness",
  "contrast",
  "defocus_blur",
  "elastic_transform",
  "fog",
  "frost",
  "gaussian_blur",
  "gaussian_noise",
  "glass_blur",
  "impulse_noise",
  "jpeg_compression",
  "motion_blur",
  "pixelate",
  "saturate",
  "shot_noise",
  "snow",
  "spatter",
  "speckle_noise",
  "zoom_blur",
] as const;

/** Number of severity levels stacked in each corruption file. */
export const CIFAR10C_SEVERITIES = 5;

export interface Cifar10cCorruption {
  name: string;
  /** uint8 pixels, `count × height × width × channels`, C order. */
  images: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

/** What the loader hands to the experiment (`ctx.dataset`). */
export interface Cifar10cData {
  /** Class label (0…9) of each row, shared by every corruption. */
  labels: Int32Array;
  corruptions: Cifar10cCorruption[];
}

/** A data set that is not what CIFAR-10-C should be; the message names the part at fault. */
export class DatasetError extends MetarepError {
  override name = "DatasetError";
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Check that `x` (the experiment's `ctx.dataset`) is a CIFAR-10-C data set: labels in 0…9, every
 * corruption with as many images as labels, all of one image shape, pixel buffers of the right
 * length. Returns it typed; throws a DatasetError naming the offending part otherwise.
 */
export function checkCifar10cData(x: unknown): Cifar10cData {
  if (x === undefined || x === null) {
    throw new DatasetError(
      "no CIFAR-10-C data: run with --data DIR (a directory of the release's .npy files)",
    );
  }
  const d = x as Partial<Cifar10cData>;
  if (!(d.labels instanceof Int32Array))
    throw new DatasetError("CIFAR-10-C data: labels must be an Int32Array");
  if (!Array.isArray(d.corruptions) || d.corruptions.length === 0) {
    throw new DatasetError(
      "CIFAR-10-C data: no corruption files (expected <corruption>.npy beside labels.npy)",
    );
  }
  for (let i = 0; i < d.labels.length; i++) {
    const l = d.labels[i];
    if (l < 0 || l > 9)
      throw new DatasetError(`labels.npy: label ${l} at index ${i} is not a CIFAR-10 class (0…9)`);
  }
  const first = d.corruptions[0];
  for (const c of d.corruptions) {
    const where = `${c?.name ?? "?"}.npy`;
    if (!c || typeof c.name !== "string" || !(c.images instanceof Uint8Array)) {
      throw new DatasetError(`${where}: expected a name and uint8 images`);
    }
    if (![c.count, c.height, c.width, c.channels].every(isInt)) {
      throw new DatasetError(`${where}: count, height, width and channels must be non-negative integers`);
    }
    if (c.images.length !== c.count * c.height * c.width * c.channels) {
      throw new DatasetError(
        `${where}: ${c.images.length} pixels do not fill ${c.count} × ${c.height} × ${c.width} × ${c.channels}`,
      );
    }
    if (c.count !== d.labels.length) {
      throw new DatasetError(`${where}: ${c.count} images but labels.npy has ${d.labels.length} labels`);
    }
    if (c.height !== first.height || c.width !== first.width || c.channels !== first.channels) {
      throw new DatasetError(
        `${where}: images are ${c.height}×${c.width}×${c.channels} but ${first.name}.npy has ${first.height}×${first.width}×${first.channels}`,
      );
    }
  }
  return d as Cifar10cData;
}

/**
 * Patches of images: each image (H × W × C, uint8) is cut into non-overlapping `size × size`
 * tiles, row-major over the tile grid; a tile is the vector of its pixels in (row, column,
 * channel) order, so P = (H/size)·(W/size) patches of dimension d = size²·C. Pixels are scaled
 * to [0, 1] and each image's per-channel mean is subtracted (so a uniform brightness shift —
 * itself a corruption — does not swamp the filters); no statistics cross images.
 */
export function imagePatches(
  c: Cifar10cCorruption,
  rows: readonly number[],
  size: number,
): { X: Float64Array; P: number; d: number } {
  const { height: H, width: W, channels: C } = c;
  if (!Number.isInteger(size) || size < 1 || H % size !== 0 || W % size !== 0) {
    throw new ParamError("cifar10c", "patch_size", `must divide the image height ${H} and width ${W}`, size);
  }
  const gh = H / size;
  const gw = W / size;
  const P = gh * gw;
  const d = size * size * C;
  const X = new Float64Array(rows.length * P * d);
  const mean = new Float64Array(C);
  const img = H * W * C;
  rows.forEach((row, e) => {
    const base = row * img;
    mean.fill(0);
    for (let k = 0; k < img; k++) mean[k % C] += c.images[base + k];
    for (let ch = 0; ch < C; ch++) mean[ch] /= H * W;
    let at = e * P * d;
    for (let a = 0; a < gh; a++)
      for (let b = 0; b < gw; b++)
        for (let i = 0; i < size; i++)
          for (let j = 0; j < size; j++) {
            const px = base + ((a * size + i) * W + (b * size + j)) * C;
            for (let ch = 0; ch < C; ch++) X[at++] = (c.images[px + ch] - mean[ch]) / 255;
          }
  });
  return { X, P, d };
}

/** Settings of the binary multi-task problem built from CIFAR-10-C. */
export interface Cifar10cTaskSettings {
  /** Corruptions used as tasks, in this order (task t = corruptions[t]). */
  corruptions: string[];
  /** The two classes: label +1 for the first, −1 for the second. */
  classes: [number, number];
  /** Severity 1…5: which block of rows of every file is used. */
  severity: number;
  /** Training examples per task. */
  n: number;
  /** Test examples per task. */
  nTest: number;
  /** Tile size of the patches. */
  patchSize: number;
}

/**
 * The binary tasks of CIFAR-10-C: task t is "class a (+1) vs class b (−1)" under corruption t
 * at the chosen severity. The base images of the two classes (from the block of that severity)
 * are shuffled with `key`; the first `nTest` form the test set of every task, and the next K·n
 * are split into K disjoint training sets, one per task — so no task trains on an image that any
 * task is tested on, and multi-task training sees K·n distinct images, each under one corruption.
 */
export function cifar10cTasks(
  data: Cifar10cData,
  s: Cifar10cTaskSettings,
  key: Key,
): { trains: PatchDataset[]; tests: PatchDataset[] } {
  const byName = new Map(data.corruptions.map((c) => [c.name, c]));
  const chosen = s.corruptions.map((name) => {
    const c = byName.get(name);
    if (!c) {
      throw new ParamError(
        "li-cifar10c",
        "corruptions",
        `must name loaded corruption files (loaded: ${[...byName.keys()].join(", ")})`,
        name,
      );
    }
    return c;
  });
  const [a, b] = s.classes;
  if (a === b) throw new ParamError("li-cifar10c", "classes", "must be two different classes", s.classes);
  const N = data.labels.length;
  if (N % CIFAR10C_SEVERITIES !== 0) {
    throw new DatasetError(`labels.npy: ${N} rows are not ${CIFAR10C_SEVERITIES} equal severity blocks`);
  }
  const block = N / CIFAR10C_SEVERITIES;
  const offset = (s.severity - 1) * block;
  const eligible: number[] = [];
  for (let i = 0; i < block; i++) {
    const l = data.labels[offset + i];
    if (l === a || l === b) eligible.push(offset + i);
  }
  const K = chosen.length;
  const need = s.nTest + K * s.n;
  if (eligible.length < need) {
    throw new ParamError(
      "li-cifar10c",
      "n",
      `needs n_test + K·n ≤ ${eligible.length} images of classes ${a} and ${b} at severity ${s.severity} (K = ${K}, n_test = ${s.nTest})`,
      s.n,
    );
  }
  // Fisher–Yates with the stream of `key`.
  const st = new Stream(key);
  for (let i = eligible.length - 1; i > 0; i--) {
    const j = Math.floor(st.uniform() * (i + 1));
    const tmp = eligible[i];
    eligible[i] = eligible[j];
    eligible[j] = tmp;
  }
  const testRows = eligible.slice(0, s.nTest);
  const make = (c: Cifar10cCorruption, rows: number[], t: number): PatchDataset => {
    const { X, P, d } = imagePatches(c, rows, s.patchSize);
    return {
      count: rows.length,
      P,
      d,
      X: { rows: rows.length * P, cols: d, data: X },
      y: Float64Array.from(rows, (r) => (data.labels[r] === a ? 1 : -1)),
      task: new Int32Array(rows.length).fill(t),
      tasks: K,
    };
  };
  const trains = chosen.map((c, t) => make(c, eligible.slice(s.nTest + t * s.n, s.nTest + (t + 1) * s.n), t));
  const tests = chosen.map((c, t) => make(c, testRows, t));
  return { trains, tests };
}
