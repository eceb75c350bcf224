"""Conversion throughput of the circuit-level DGCQ 3+8 (every non-ideality on), against a
plain numpy implementation of the same model, and the TransferFunction apply rate.

Prints one JSON line per figure.  numba compile time is reported apart from throughput:
by default numba compiles into a fresh cache directory (a cold start); --warm-cache uses
the package's normal cache.  Throughputs are the best of --repeat runs, after warm-up.

    python benchmarks/throughput.py [--n 2000000] [--n-numpy 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

if "--warm-cache" not in sys.argv:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="dgcq_numba_cold_")

import numba  # noqa: E402
import numpy as np  # noqa: E402

from dgcq_sim.quantizers import load_quantizer  # noqa: E402
from dgcq_sim.quantizers.stepping import step_numpy  # noqa: E402


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def best_rate(fn, n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2_000_000, help="conversions per timed run")
    ap.add_argument("--n-numpy", type=int, default=200_000, help="conversions for numpy")
    ap.add_argument("--n-coarse", type=int, default=4000, help="coarse-only 2048 conversions")
    ap.add_argument("--n-tf", type=int, default=10_000_000, help="values for TransferFunction")
    ap.add_argument("--n-arch", type=int, default=200_000,
                    help="conversions per registered architecture (default parameters)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warm-cache", action="store_true", help="use numba's normal cache")
    args = ap.parse_args(argv)
    threads = numba.get_num_threads()
    cache = "warm" if args.warm_cache else "cold"

    t0 = time.perf_counter()
    q = load_quantizer("dgcq", {"NC": 3, "NF": 8}, ideal=False, seed=0)
    t_load = time.perf_counter() - t0
    emit(figure="dgcq_load", what="parse netlist + compile program (phase maps, noise)",
         seconds=t_load, n_state=q.program.n_state, n_steps=q.program.n_steps,
         decisions=len(q.schedule.decisions), method=q.method)
    t0 = time.perf_counter()
    _ = q.tables
    emit(figure="dgcq_tables", what="decision-response tables", seconds=time.perf_counter() - t0)

    rng = np.random.default_rng(1)
    v = rng.uniform(q.vmin, q.vmax, args.n)
    small = v[:1000]
    for method in ("response", "stepping"):
        t0 = time.perf_counter()
        q.convert(small, noise=True, method=method)
        q.convert(small, noise=False, method=method)
        emit(figure="numba_first_call", kernel=method, numba_cache=cache,
             seconds=time.perf_counter() - t0,
             what="compile (cold) or cache load (warm) of the kernel + 2x1000 conversions")

    rate_noisy = best_rate(lambda: q.convert(v, noise=True), args.n, args.repeat)
    rate_static = best_rate(lambda: q.convert(v, noise=False), args.n, args.repeat)
    emit(figure="dgcq_3p8_throughput", method="response", noise=True, conversions=args.n,
         threads=threads, conversions_per_s=rate_noisy, target=1e6, meets=rate_noisy >= 1e6)
    emit(figure="dgcq_3p8_throughput", method="response", noise=False, conversions=args.n,
         threads=threads, conversions_per_s=rate_static)
    n_step = min(args.n, 500_000)
    rate_step = best_rate(lambda: q.convert(v[:n_step], noise=True, method="stepping"),
                          n_step, args.repeat)
    emit(figure="dgcq_3p8_throughput", method="stepping", noise=True, conversions=n_step,
         threads=threads, conversions_per_s=rate_step)

    qc = load_quantizer("coarse", {"NITER": 2048}, ideal=False, seed=0)
    vc = v[:args.n_coarse]
    qc.convert(vc[:10])
    qc.convert(vc[:10], noise=False)
    for noisy in (True, False):
        rate = best_rate(lambda: qc.convert(vc, noise=noisy), vc.size, args.repeat)
        emit(figure="coarse_2048_throughput", method=qc.method, noise=noisy,
             conversions=int(vc.size), threads=threads, conversions_per_s=rate,
             decisions_per_s=rate * 2048)

    vn = v[:args.n_numpy]
    x = np.clip(vn, q.vmin, q.vmax)
    same = np.array_equal(q.schedule.assemble(step_numpy(q, x)[0]), q.convert(vn, noise=False).codes)
    rate_np = best_rate(lambda: step_numpy(q, x, noise=True, rng=np.random.default_rng(2)),
                        args.n_numpy, args.repeat)
    emit(figure="numpy_reference_throughput", what="plain numpy, vectorized over samples, "
         "same compiled matrices (state stepping)", conversions=args.n_numpy,
         conversions_per_s=rate_np, noise_free_codes_identical=bool(same),
         numba_over_numpy=rate_noisy / rate_np)

    try:
        tf = None
        t0 = time.perf_counter()
        tf = q.characterize(rng=np.random.default_rng(3))
        t_char = time.perf_counter() - t0
    except ImportError as exc:   # transfer layer missing: say so, do not fake a number
        emit(figure="transfer_apply", error=f"dgcq_sim.transfer unavailable: {exc}")
    if tf is not None:
        emit(figure="transfer_characterize", seconds=t_char, bits=q.bits)
        w = np.random.default_rng(4).uniform(q.vmin, q.vmax, args.n_tf)
        tf.convert(w[:1000], rng=np.random.default_rng(5))
        tf.convert(w[:1000])
        r_noisy = best_rate(lambda: tf.convert(w, rng=np.random.default_rng(6)), args.n_tf,
                            args.repeat)
        r_static = best_rate(lambda: tf.convert(w), args.n_tf, args.repeat)
        emit(figure="transfer_apply", noise=True, values=args.n_tf, values_per_s=r_noisy,
             target=5e7, meets=r_noisy >= 5e7, threads=threads)
        emit(figure="transfer_apply", noise=False, values=args.n_tf, values_per_s=r_static,
             threads=threads)
    architecture_rates(args.n_arch, args.repeat, threads)
    return 0


def architecture_rates(n: int, repeat: int, threads: int) -> None:
    """Conversions/s of every registered architecture at its default parameters, both
    kernels, noisy and noise-free (first call, i.e. compile/cache load, excluded)."""
    from dgcq_sim.quantizers import architectures

    for name in architectures():
        q = load_quantizer(name, seed=0)
        v = np.random.default_rng(7).uniform(q.vmin, q.vmax, n)
        for method in ("response", "stepping"):
            for noise in (True, False):
                q.convert(v[:1000], noise=noise, method=method)
                rate = best_rate(lambda: q.convert(v, noise=noise, method=method), n, repeat)
                emit(figure="architecture_throughput", architecture=name, bits=q.bits,
                     decisions=len(q.schedule.decisions), n_state=q.program.n_state,
                     method=method, default_method=q.method, noise=noise, conversions=n,
                     threads=threads, conversions_per_s=rate)


if __name__ == "__main__":
    sys.exit(main())
