import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MetarepError } from "../errors.js";

/**
 * Path of a compiled module next to the caller, for code that must be loaded by file name
 * (worker threads). From the build (`dist/src/…/x.js`) it is the sibling; under a TypeScript
 * test runner (`src/…/x.ts`) it is the corresponding file in `dist/` (run `npm run build` first).
 */
export function compiledSibling(metaUrl: string, name: string): string {
  const here = fileURLToPath(metaUrl);
  let target = resolve(dirname(here), name);
  if (here.endsWith(".ts")) {
    const root = projectRoot(metaUrl);
    target = join(root, "dist", relative(root, target));
  }
  if (!existsSync(target)) {
    throw new MetarepError(`${target} is missing: run \`npm run build\` first.`);
  }
  return target;
}

/** The checkout's root: the nearest folder above the module that holds a package.json. */
export function projectRoot(metaUrl: string): string {
  let root = dirname(fileURLToPath(metaUrl));
  while (!existsSync(join(root, "package.json")) && dirname(root) !== root) root = dirname(root);
  return root;
}
