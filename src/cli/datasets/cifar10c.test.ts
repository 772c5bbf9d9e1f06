import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { DatasetError } from "../../data/cifar10c.js";
import { writeNpy } from "../../data/npy.js";
import { fakeCifar10c } from "../../data/testing.js";
import { MetarepError } from "../../errors.js";
import { loadCifar10c } from "./cifar10c.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "metarep-cifar10c-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Write a small CIFAR-10-C-format directory: labels as `labelDescr`, images as uint8 N×8×8×3. */
function writeRelease(names: string[], labelDescr: "|u1" | "<i8" = "|u1") {
  const data = fakeCifar10c(names);
  const labels =
    labelDescr === "|u1" ? Uint8Array.from(data.labels) : BigInt64Array.from(data.labels, (l) => BigInt(l));
  writeFileSync(
    join(dir, "labels.npy"),
    writeNpy({ descr: labelDescr, shape: [data.labels.length], data: labels }),
  );
  for (const c of data.corruptions) {
    writeFileSync(
      join(dir, `${c.name}.npy`),
      writeNpy({ descr: "|u1", shape: [c.count, 8, 8, 3], data: c.images }),
    );
  }
  return data;
}

describe("the CIFAR-10-C directory loader", () => {
  test.each(["|u1", "<i8"] as const)(
    "reads labels (%s) and every corruption file, in name order, with their pixels and shapes",
    async (descr) => {
      const want = writeRelease(["snow", "fog"], descr);
      const { data, digest } = await loadCifar10c(dir);
      expect(Array.from(data.labels)).toEqual(Array.from(want.labels));
      expect(data.corruptions.map((c) => c.name)).toEqual(["fog", "snow"]);
      const fog = data.corruptions[0];
      expect([fog.count, fog.height, fog.width, fog.channels]).toEqual([200, 8, 8, 3]);
      expect(Buffer.from(fog.images).equals(Buffer.from(want.corruptions[1].images))).toBe(true);
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    },
  );

  test("the digest pins the bytes: same files, same digest; one pixel changed, another digest", async () => {
    const want = writeRelease(["fog"]);
    const a = (await loadCifar10c(dir)).digest;
    expect((await loadCifar10c(dir)).digest).toBe(a);
    want.corruptions[0].images[123] ^= 1;
    writeFileSync(
      join(dir, "fog.npy"),
      writeNpy({ descr: "|u1", shape: [200, 8, 8, 3], data: want.corruptions[0].images }),
    );
    expect((await loadCifar10c(dir)).digest).not.toBe(a);
  });

  const cases: [string, () => void, RegExp][] = [
    ["a missing directory", () => rmSync(dir, { recursive: true }), /no such directory/],
    ["a file instead of a directory", () => writeFileSync(join(dir, "x"), "x"), /is not a directory/],
    ["no labels.npy", () => writeRelease(["fog"]) && rmSync(join(dir, "labels.npy")), /labels\.npy: missing/],
    ["no corruption files", () => writeRelease([]), /no corruption files/],
    [
      "a corrupt header",
      () => {
        writeRelease(["fog", "snow"]);
        writeFileSync(
          join(dir, "snow.npy"),
          Buffer.from("\x93NUMPY\x01\x00\x10\x00{'descr': 'xx'}\n", "latin1"),
        );
      },
      /snow\.npy: .*(malformed|dtype|keys)/,
    ],
    [
      "a truncated image file",
      () => {
        writeRelease(["fog"]);
        const bytes = writeNpy({ descr: "|u1", shape: [200, 8, 8, 3], data: new Uint8Array(200 * 192) });
        writeFileSync(join(dir, "fog.npy"), bytes.subarray(0, bytes.length - 5));
      },
      /fog\.npy: truncated/,
    ],
    [
      "float images",
      () => {
        writeRelease(["fog"]);
        writeFileSync(
          join(dir, "fog.npy"),
          writeNpy({ descr: "<f8", shape: [200, 2], data: new Float64Array(400) }),
        );
      },
      /fog\.npy: expected uint8 images.*got shape \(200, 2\) of <f8/,
    ],
    [
      "fewer images than labels",
      () => {
        writeRelease(["fog"]);
        writeFileSync(
          join(dir, "fog.npy"),
          writeNpy({ descr: "|u1", shape: [10, 8, 8, 3], data: new Uint8Array(1920) }),
        );
      },
      /fog\.npy: 10 images but labels\.npy has 200 labels/,
    ],
    [
      "a label outside 0…9",
      () => {
        writeRelease(["fog"]);
        writeFileSync(
          join(dir, "labels.npy"),
          writeNpy({ descr: "|u1", shape: [200], data: new Uint8Array(200).fill(12) }),
        );
      },
      /labels\.npy: label 12 at index 0/,
    ],
    [
      "2-D labels",
      () => {
        writeRelease(["fog"]);
        writeFileSync(
          join(dir, "labels.npy"),
          writeNpy({ descr: "|u1", shape: [100, 2], data: new Uint8Array(200) }),
        );
      },
      /labels\.npy: expected a 1-D array/,
    ],
  ];
  test.each(cases)("%s is a one-line error naming the file", async (_name, setup, message) => {
    setup();
    const path = _name === "a file instead of a directory" ? join(dir, "x") : dir;
    const err = await loadCifar10c(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MetarepError);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
  });
});
