"""JAX reference for bench/maml.ts: MAML with exact second-order meta-gradients on Finn et al.'s
sinusoids (ICML 2017, section 5.1), as a researcher writes it in JAX: float64 enabled, the whole
outer step under `jit`, the meta-batch by `vmap`, Adam by hand (optax may be absent). Not part of
the product; tests and CI never run it.

Setting: tasks y = A sin(x + phi), A ~ U[0.1, 5], phi ~ U[0, pi], x ~ U[-5, 5]; a 1-40-40-1 ReLU
MLP (weights N(0, 0.01^2), biases 0); K = 10 inner and 10 outer points per task; one inner step of
alpha = 0.01 on the MSE; meta-batch 25; Adam with beta = 0.001 (b1 = 0.9, b2 = 0.999, eps = 1e-8).
Tasks come from NumPy's generator (seeded), drawn outside the timed loop.

Usage: python3 maml_sinusoid_jax.py [--iters 1000] [--json]
Prints "no reference" when jax is not importable. With --json one JSON object
{"seconds": compute time after compilation, "final": mean meta-loss of the last 100 batches}.
"""
import argparse
import json
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--shots", type=int, default=10)
    ap.add_argument("--alpha", type=float, default=0.01)
    ap.add_argument("--beta", type=float, default=0.001)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        print("no reference")
        return
    jax.config.update("jax_enable_x64", True)

    rng = np.random.default_rng(a.seed)
    widths = [1, 40, 40, 1]
    params = []
    for i in range(len(widths) - 1):
        params.append(jnp.asarray(rng.normal(0, 0.01, (widths[i], widths[i + 1]))))
        params.append(jnp.zeros((1, widths[i + 1])))

    n, K, T = a.batch, a.shots, a.iters
    amp = rng.uniform(0.1, 5.0, (T, n, 1, 1))
    phase = rng.uniform(0.0, np.pi, (T, n, 1, 1))
    xin = rng.uniform(-5.0, 5.0, (T, n, K, 1))
    xout = rng.uniform(-5.0, 5.0, (T, n, K, 1))
    yin = amp * np.sin(xin + phase)
    yout = amp * np.sin(xout + phase)
    data = [jnp.asarray(v) for v in (xin, yin, xout, yout)]

    def forward(p, x):
        h = x
        for l in range(0, len(p) - 2, 2):
            h = jax.nn.relu(h @ p[l] + p[l + 1])
        return h @ p[-2] + p[-1]

    def loss(p, x, y):
        return jnp.mean((forward(p, x) - y) ** 2)

    def task_loss(p, xi, yi, xo, yo):
        g = jax.grad(loss)(p, xi, yi)
        adapted = [w - a.alpha * gw for w, gw in zip(p, g)]
        return loss(adapted, xo, yo)

    def meta_loss(p, xi, yi, xo, yo):
        return jnp.mean(jax.vmap(task_loss, in_axes=(None, 0, 0, 0, 0))(p, xi, yi, xo, yo))

    @jax.jit
    def step(p, m, v, t, xi, yi, xo, yo):
        l, g = jax.value_and_grad(meta_loss)(p, xi, yi, xo, yo)
        m = [0.9 * mi + 0.1 * gi for mi, gi in zip(m, g)]
        v = [0.999 * vi + 0.001 * gi * gi for vi, gi in zip(v, g)]
        c1 = 1.0 / (1.0 - 0.9 ** t)
        c2 = 1.0 / (1.0 - 0.999 ** t)
        p = [w - a.beta * (mi * c1) / (jnp.sqrt(vi * c2) + 1e-8) for w, mi, vi in zip(p, m, v)]
        return p, m, v, l

    m = [jnp.zeros_like(w) for w in params]
    v = [jnp.zeros_like(w) for w in params]
    # Compile on the first step (not timed).
    p, m, v, l = step(params, m, v, 1.0, *(d[0] for d in data))
    jax.block_until_ready(l)
    losses = [float(l)]
    t0 = time.perf_counter()
    for t in range(1, T):
        p, m, v, l = step(p, m, v, float(t + 1), *(d[t] for d in data))
        losses.append(l)
    jax.block_until_ready(p)
    seconds = (time.perf_counter() - t0) * T / max(1, T - 1)
    final = float(np.mean([float(x) for x in losses[-100:]]))
    if a.json:
        print(json.dumps({"seconds": seconds, "final": final}))
    else:
        print(f"MAML sinusoid, {T} iterations: {seconds:.3f} s (after compilation), final loss {final:.4f}")


if __name__ == "__main__":
    main()
