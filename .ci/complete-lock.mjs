// Completes package-lock.json for `npm ci`.
//
// Why: the npm registry reachable from this project's machines mirrors only Linux builds of
// platform-specific packages (biome's and rollup's native binaries for darwin/win32/android/… are
// 404 there). `npm install` therefore leaves them out of the lock file, and `npm ci` then refuses
// the lock ("Missing: @biomejs/cli-darwin-x64@ from lock file") because a parent lists them in
// `optionalDependencies`. npm never fetches an optional package whose os/cpu/libc do not match
// the machine, so an entry naming the version and the platform is all `npm ci` needs; on a
// machine of that platform with the full registry, npm fetches it by name and version.
//
// Run after any `npm install` that changes the lock:   node .ci/complete-lock.mjs
import { readFileSync, writeFileSync } from "node:fs";

const OS = ["android", "darwin", "freebsd", "linux", "openbsd", "openharmony", "sunos", "win32", "aix"];
const CPU = {
  arm64: "arm64",
  x64: "x64",
  ia32: "ia32",
  arm: "arm",
  loong64: "loong64",
  ppc64: "ppc64",
  riscv64: "riscv64",
  s390x: "s390x",
};

/** os, cpu and libc of a platform package from its name, e.g. cli-linux-x64-musl. */
function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.map((p) => CPU[p]).find(Boolean);
  if (!os || !cpu) return null;
  const out = { os: [os], cpu: [cpu] };
  if (os === "linux") out.libc = [parts.some((p) => p.startsWith("musl")) ? "musl" : "glibc"];
  return out;
}

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const pkgs = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (pkgs[key]) continue;
    const platform = platformOf(name);
    if (!platform) throw new Error(`cannot tell the platform of ${name} (required by ${path})`);
    pkgs[key] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: ${added} platform entries added`);
