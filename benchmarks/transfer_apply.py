"""Throughput of TransferFunction.apply (numba) vs a plain numpy implementation.

An 11-bit transfer function (a characterized non-monotonic DGCQ-like staircase with
input-dependent noise) is applied to N random input voltages, noise-free and noisy.  The
numpy reference does the same work: clip, ``np.searchsorted`` on the edges, table
indexing (plus ``np.interp`` for sigma and ``Generator.standard_normal`` when noisy).
Compile (or cache-load) time of the first call is reported apart from throughput; the
throughput is the best of ``--repeats`` runs.  One JSON line per figure on stdout; a bar
chart is written to ``benchmarks/out/transfer_apply.png``.

    python benchmarks/transfer_apply.py [--n 10000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

from dgcq_sim.transfer import TransferFunction

BITS = 11
OUT = Path(__file__).resolve().parent / "out"


def dgcq_like(v, lam=0.995, gamma=1.02):
    """3 coarse + 8 fine bits, leaky accumulator, over-ranged fine stage (non-monotonic)."""
    acc = np.zeros_like(v)
    count = np.zeros(v.shape, dtype=np.int64)
    for _ in range(8):
        acc = lam * acc + v
        d = acc >= 1.0
        acc = np.where(d, acc - gamma, acc)
        count += d
    fine = np.clip(np.floor((acc + 0.25) * 256), 0, 383).astype(np.int64)
    return np.clip(count * 256 + fine - 64, 0, 2 ** BITS - 1)


def numpy_apply(tf, values, v, rng=None):
    x = np.clip(v, tf.vmin, tf.vmax)
    if rng is not None:
        x = np.clip(x + np.interp(x, tf.noise_grid, tf.noise_sigma) * rng.standard_normal(x.shape),
                    tf.vmin, tf.vmax)
    return values[np.searchsorted(tf.edges, x, side="right")]


def best_rate(fn, n, repeats):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best, best


_COLD_SNIPPET = """
import json, time, numpy as np
from dgcq_sim.transfer import TransferFunction
tf = TransferFunction.ideal(11).with_noise([0.0, 1.0], [1e-4, 2e-4])
v = np.linspace(0, 1, 1000)
out = {}
t0 = time.perf_counter(); tf.apply(v); out["noise_free"] = time.perf_counter() - t0
t0 = time.perf_counter(); tf.apply(v, np.random.default_rng(0))
out["noisy"] = time.perf_counter() - t0
print(json.dumps(out))
"""


def cold_first_calls() -> dict:
    """Compile time of the apply kernels: first calls in a subprocess with an empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        res = subprocess.run([sys.executable, "-c", _COLD_SNIPPET], env=env, check=True,
                             capture_output=True, text=True)
    return {k: round(v, 3) for k, v in json.loads(res.stdout.strip().splitlines()[-1]).items()}


def emit(rows, **rec):
    rows.append(rec)
    print(json.dumps(rec), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000, help="values per apply call")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs (best is kept)")
    args = ap.parse_args()

    lsb = 1.0 / 2 ** BITS
    t0 = time.perf_counter()
    tf = TransferFunction.from_converter(
        dgcq_like, 0.0, 1.0, BITS,
        convert_noisy=lambda v, r: dgcq_like(v + lsb * (0.3 + v) * r.standard_normal(v.shape)),
        rng=np.random.default_rng(0), n_noise=1024)
    char_s = time.perf_counter() - t0
    rows: list[dict] = []
    common = {"bits": BITS, "n": args.n, "edges": int(tf.edges.size),
              "threads": numba.get_num_threads()}
    emit(rows, figure="characterize_s", value=round(char_s, 3), unit="s",
         note="from_converter on the behavioural DGCQ incl. noise fit (numba cache as found)",
         **common)

    for label, secs in cold_first_calls().items():
        emit(rows, figure=f"compile_s_{label}", value=secs, unit="s",
             note="first call in a fresh process with an empty numba cache", **common)
    small = np.random.default_rng(1).uniform(0, 1, 1000)
    for label, call in (("noise_free", lambda: tf.apply(small)),
                        ("noisy", lambda: tf.apply(small, np.random.default_rng(2)))):
        t0 = time.perf_counter()
        call()
        emit(rows, figure=f"first_call_s_{label}", value=round(time.perf_counter() - t0, 4),
             unit="s", note="first call in this process (numba cache load)", **common)

    v = np.random.default_rng(3).uniform(-0.02, 1.02, args.n)
    values = tf.code_values[tf.codes]
    assert np.array_equal(tf.apply(v[:100_000]), numpy_apply(tf, values, v[:100_000]))
    rng = np.random.default_rng(4)
    cases = {
        "numba_noise_free": lambda: tf.apply(v),
        "numpy_noise_free": lambda: numpy_apply(tf, values, v),
        "numba_noisy": lambda: tf.apply(v, rng),
        "numpy_noisy": lambda: numpy_apply(tf, values, v, rng),
    }
    rates = {}
    for name, fn in cases.items():
        rate, secs = best_rate(fn, args.n, args.repeats)
        rates[name] = rate
        emit(rows, figure=f"apply_{name}", value=round(rate / 1e6, 2), unit="Mvalues/s",
             best_s=round(secs, 4), **common)
    for kind in ("noise_free", "noisy"):
        emit(rows, figure=f"speedup_{kind}",
             value=round(rates[f"numba_{kind}"] / rates[f"numpy_{kind}"], 2),
             unit="x numpy (same run)", **common)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    OUT.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(rates)
    ax.bar(names, [rates[k] / 1e6 for k in names], color=["C0", "C7", "C0", "C7"])
    ax.set_ylabel("Mvalues / s")
    ax.set_title(f"TransferFunction.apply, {BITS} bits, {args.n:.0e} values, "
                 f"{numba.get_num_threads()} threads")
    ax.tick_params(axis="x", labelrotation=15)
    fig.tight_layout()
    fig.savefig(OUT / "transfer_apply.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
