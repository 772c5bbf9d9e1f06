"""NumPy anchor for the kernel bench (bench/kernels.ts): GFLOP/s of C = A @ B on n x n float64
matrices, best of --repeat timed products after one warm-up, for each n of --sizes. The bench
runs it once with NumPy's default BLAS threads and once with OPENBLAS_NUM_THREADS=1, with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from this process's environment (a user's NumPy).
Prints one JSON object {"sizes": [...], "gflops": [...]}.
"""
import argparse
import json
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="512,1024")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    sizes = [int(s) for s in a.sizes.split(",")]
    out = []
    for n in sizes:
        A = rng.standard_normal((n, n))
        B = rng.standard_normal((n, n))
        C = A @ B
        best = float("inf")
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            np.matmul(A, B, out=C)
            best = min(best, time.perf_counter() - t0)
        out.append(2 * n**3 / best / 1e9)
    print(json.dumps({"sizes": sizes, "gflops": out}))


if __name__ == "__main__":
    main()
