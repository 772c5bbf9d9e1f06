import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Options every bench suite takes: name filters and how many timed repeats (best is kept). */
export interface BenchOptions {
  only: string[];
  repeat: number;
}

/** `../shared/reference` beside the checkout (compiled file: dist/bench/*.js), or $METAREP_REFERENCE_DIR. */
export function referenceDir(): string {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  return process.env.METAREP_REFERENCE_DIR ?? resolve(repo, "..", "shared", "reference");
}

/** `bench/reference/NAME` beside the sources (compiled file: dist/bench/*.js). */
export function benchReference(name: string): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "reference", name);
}

/** NumPy's BLAS threads for a reference run: its default, or one (metarep is single-threaded). */
export type RefThreads = "default" | "1";
export const REF_THREADS: readonly RefThreads[] = ["default", "1"];

/**
 * The environment of a NumPy reference process: the machine's, less `OPENBLAS_CORETYPE` and
 * `OPENBLAS_L2_SIZE`, which this machine sets to dodge bugs of old OpenBLAS builds and which pin
 * NumPy's OpenBLAS to AVX2 kernels on an AVX-512 CPU (about half its speed). A user's NumPy runs
 * without them, so the anchor does too — for this process only: tests and CI keep the machine's
 * environment. `threads = "1"` also pins every BLAS to one thread.
 */
export function referenceEnv(threads: RefThreads): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (threads === "1")
    Object.assign(env, { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" });
  return env;
}

/** Run a NumPy reference script with the fair environment; returns its stdout. */
export function runReference(script: string, args: string[], threads: RefThreads): string {
  return execFileSync("python3", [script, ...args], {
    encoding: "utf8",
    env: referenceEnv(threads),
    maxBuffer: 1 << 28,
  });
}

/** What NumPy's BLAS is in a reference process: library, core type it dispatched to, threads. */
export interface BlasInfo {
  numpy: string;
  blas: string;
  core: string;
  threads: number | null;
}

const BLAS_PROBE = `
import ctypes, glob, json, os
import numpy
info = {"numpy": numpy.__version__, "blas": "?", "core": "?", "threads": None}
try:
    blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
    info["blas"] = f"{blas.get('name')} {blas.get('version')}"
except Exception:
    pass
# The OpenBLAS that NumPy loaded (wheels bundle scipy-openblas in numpy.libs; dlopen of the same
# file returns the loaded copy), asked which kernels it dispatched to and how many threads it uses.
libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__), "..", "numpy.libs", "*openblas*.so*"))
for path in libs:
    lib = ctypes.CDLL(path)
    for core_fn, thr_fn in (("scipy_openblas_get_corename64_", "scipy_openblas_get_num_threads64_"),
                            ("scipy_openblas_get_corename", "scipy_openblas_get_num_threads"),
                            ("openblas_get_corename", "openblas_get_num_threads")):
        if hasattr(lib, core_fn):
            f = getattr(lib, core_fn); f.restype = ctypes.c_char_p
            info["core"] = f().decode()
            if hasattr(lib, thr_fn):
                info["threads"] = getattr(lib, thr_fn)()
            break
print(json.dumps(info))
`;

/** Ask a reference-environment NumPy which BLAS core type and thread count it runs. */
export function blasInfo(threads: RefThreads): BlasInfo | null {
  try {
    const out = execFileSync("python3", ["-c", BLAS_PROBE], { encoding: "utf8", env: referenceEnv(threads) });
    return JSON.parse(out) as BlasInfo;
  } catch {
    return null;
  }
}

/** One line for the bench header: the anchor's NumPy, BLAS, core type and threads. */
export function describeAnchor(): string {
  const parts = REF_THREADS.map((t) => {
    const i = blasInfo(t);
    return i
      ? `${t === "1" ? "one thread" : "default threads"}: ${i.core}, ${i.threads ?? "?"} thread(s)`
      : null;
  });
  const i = blasInfo("default");
  if (!i) return "NumPy anchor: python3/numpy not found";
  return `NumPy anchor: numpy ${i.numpy}, ${i.blas}, OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset — ${parts.join("; ")}`;
}
