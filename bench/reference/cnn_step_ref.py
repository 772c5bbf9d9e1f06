"""NumPy reference for full-batch gradient descent on the two-layer CNN of SPEC section 3
(Li et al., AISTATS 2025; Cao et al. 2022): what a researcher would write by hand, vectorised,
float64. Used by bench/cnn.ts for a side-by-side speed ratio and a check that both give the
same weights; not part of the product.

Network: f(W, x) = (1/m) sum_r sum_p [s(<w_{+1,r}, x_p>) - s(<w_{-1,r}, x_p>)], s(z) = max(0, z)^q,
W is (2m, d): rows 0..m-1 class +1, rows m..2m-1 class -1.
Objective: L(W) = sum_i c_i log(1 + exp(-y_i f(W, x_i))) + (lam/2) ||W||_F^2.
One step: W <- W - eta * grad L(W).

Input (a directory written by the bench): X.npy (N*P, d) patches, example i owning rows
i*P .. i*P+P-1; y.npy (N,) labels +-1; c.npy (N,) example weights; W0.npy (2m, d).
Usage: python3 cnn_step_ref.py --dir DIR --patches 2 --q 3 --eta 1 --steps 50 [--lam 0] [--json]
Writes DIR/W_ref.npy (the weights after the steps) and prints the time per step; with --json one
JSON object {"seconds": total, "seconds_per_step": s, "steps": n, "loss": final loss}.
"""
import argparse
import json
import os
import time

import numpy as np


def loss_and_grad(W, X, y, c, P, q, lam):
    N = y.shape[0]
    m = W.shape[0] // 2
    Z = X @ W.T                                   # (N*P, 2m) preactivations
    Zp = np.maximum(Z, 0.0)
    Zq1 = Zp ** (q - 1)
    A = (Zq1 * Zp).reshape(N, P, 2 * m)           # s(Z)
    f = (A[:, :, :m].sum(axis=(1, 2)) - A[:, :, m:].sum(axis=(1, 2))) / m
    margin = y * f
    loss = np.dot(c, np.logaddexp(0.0, -margin)) + 0.5 * lam * np.sum(W * W)
    dl = -0.5 * (1.0 - np.tanh(0.5 * margin))     # l'(z) = -1 / (1 + e^z), overflow-free
    g = c * dl * y / m                            # (N,)
    sign = np.concatenate([np.ones(m), -np.ones(m)])
    D = (q * Zq1).reshape(N, P, 2 * m) * (g[:, None, None] * sign)
    grad = D.reshape(N * P, 2 * m).T @ X
    if lam:
        grad += lam * W
    return loss, grad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--patches", type=int, default=2)
    ap.add_argument("--q", type=float, default=3.0)
    ap.add_argument("--eta", type=float, default=1.0)
    ap.add_argument("--lam", type=float, default=0.0)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    load = lambda name: np.load(os.path.join(a.dir, name))
    X, y, c, W = load("X.npy"), load("y.npy"), load("c.npy"), load("W0.npy").copy()
    assert X.dtype == np.float64 and W.dtype == np.float64
    loss_and_grad(W, X, y, c, a.patches, a.q, a.lam)  # warm-up (BLAS threads, allocator)
    t0 = time.perf_counter()
    loss = None
    for _ in range(a.steps):
        loss, grad = loss_and_grad(W, X, y, c, a.patches, a.q, a.lam)
        W -= a.eta * grad
    seconds = time.perf_counter() - t0
    np.save(os.path.join(a.dir, "W_ref.npy"), W)
    out = {"seconds": seconds, "seconds_per_step": seconds / a.steps, "steps": a.steps, "loss": float(loss)}
    if a.json:
        print(json.dumps(out))
    else:
        print(f"{a.steps} steps, {1e3 * seconds / a.steps:.3f} ms/step, loss {loss:.6g}")


if __name__ == "__main__":
    main()
