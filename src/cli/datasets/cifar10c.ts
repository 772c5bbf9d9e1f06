import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type Cifar10cCorruption,
  type Cifar10cData,
  checkCifar10cData,
  DatasetError,
} from "../../data/cifar10c.js";
import { type NpyArray, NpyFormatError, npyIntegers, parseNpy } from "../../data/npy.js";
import { MetarepError } from "../../errors.js";
import type { DatasetLoader } from "../datasets.js";

const LABELS = "labels.npy";

function readNpy(file: string, copy: boolean): { array: NpyArray; bytes: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DatasetError(`${file}: cannot be read (${(e as Error).message})`);
  }
  try {
    return { array: parseNpy(bytes, { copy }), bytes };
  } catch (e) {
    if (e instanceof NpyFormatError) throw new DatasetError(`${file}: ${e.message}`);
    throw e;
  }
}

function shapeText(a: NpyArray): string {
  return `(${a.shape.join(", ")}) of ${a.descr}`;
}

/**
 * Read a CIFAR-10-C directory (`metarep run li-cifar10c --data DIR`): `labels.npy` (1-D integer
 * labels in 0…9) and every other `<corruption>.npy` in it (uint8, N × H × W × C with N the
 * number of labels; the release has N = 50000, 32 × 32 × 3). All corruption files present are
 * loaded (about 150 MB each): put only the ones you want in DIR, or choose among them with
 * `--set corruptions=…`. Errors name the missing or malformed file. The digest is the SHA-256 of
 * every file's name and bytes, in name order.
 */
export async function loadCifar10c(dir: string): Promise<{ data: Cifar10cData; digest: string }> {
  if (!existsSync(dir)) throw new DatasetError(`--data: no such directory: ${dir}`);
  if (!statSync(dir).isDirectory()) {
    throw new DatasetError(
      `--data: ${dir} is not a directory (expected the CIFAR-10-C folder of .npy files)`,
    );
  }
  const names = readdirSync(dir)
    .filter((f) => f.endsWith(".npy"))
    .sort();
  if (!names.includes(LABELS)) {
    throw new DatasetError(
      `${join(dir, LABELS)}: missing (CIFAR-10-C keeps its labels beside the corruption files)`,
    );
  }
  const corruptionFiles = names.filter((f) => f !== LABELS);
  if (corruptionFiles.length === 0) {
    throw new DatasetError(`${dir}: no corruption files (<corruption>.npy, e.g. fog.npy) beside ${LABELS}`);
  }
  const hash = createHash("sha256");
  const digestFile = (name: string, bytes: Uint8Array) => {
    hash.update(`${name}\0${bytes.length}\0`);
    hash.update(bytes);
  };

  const labelsFile = join(dir, LABELS);
  const lab = readNpy(labelsFile, true);
  if (lab.array.shape.length !== 1) {
    throw new DatasetError(
      `${labelsFile}: expected a 1-D array of labels; got shape ${shapeText(lab.array)}`,
    );
  }
  let values: Int32Array | Float64Array;
  try {
    values = npyIntegers(lab.array);
  } catch (e) {
    if (e instanceof MetarepError) throw new DatasetError(`${labelsFile}: ${e.message}`);
    throw e;
  }
  const labels = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] >= 0 && values[i] <= 9)) {
      throw new DatasetError(`${labelsFile}: label ${values[i]} at index ${i} is not a CIFAR-10 class (0…9)`);
    }
    labels[i] = values[i];
  }
  digestFile(LABELS, lab.bytes);

  const corruptions: Cifar10cCorruption[] = [];
  for (const f of corruptionFiles) {
    const file = join(dir, f);
    const { array, bytes } = readNpy(file, false);
    if (array.descr !== "|u1" || array.shape.length !== 4) {
      throw new DatasetError(
        `${file}: expected uint8 images N × height × width × channels ('|u1', 4-D); got shape ${shapeText(array)}`,
      );
    }
    const [count, height, width, channels] = array.shape;
    if (count !== labels.length) {
      throw new DatasetError(`${file}: ${count} images but ${LABELS} has ${labels.length} labels`);
    }
    corruptions.push({
      name: f.slice(0, -4),
      images: array.data as Uint8Array,
      count,
      height,
      width,
      channels,
    });
    digestFile(f, bytes);
  }
  const data = checkCifar10cData({ labels, corruptions });
  return { data, digest: `sha256:${hash.digest("hex")}` };
}

/** The `DatasetLoader` of kind "cifar10c" (register in src/cli/datasets.ts). */
export const cifar10cLoader: DatasetLoader = { load: loadCifar10c };
