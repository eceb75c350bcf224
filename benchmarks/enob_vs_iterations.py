"""ENOB and lossless bits vs iterations: coarse-only, DGCQ and SAR, ideal and with parasitics.

Sweeps (parameters of the bundled netlists):
  coarse-only   NITER = 2 .. 2048 for ideal and x1, .. 1024 for the other variants
                (--full: .. 4096 for all; quick: .. 256).  A coarse conversion costs N
                iterations, so N = 4096 alone takes minutes on two cores.
  DGCQ          NC = 1 .. 6 at NF = 8, and NC = 1 .. 6 at NC + NF = 11 (quick: NC .. 4, total 9)
  SAR           NBITS = 4 .. 12 (quick: .. 10)
Variants: ideal (load_quantizer(..., ideal=True)), the netlist's default parasitics (x1), and
the parasitics scaled x0.5, x2, x4 (quick: ideal, x1, x4).  "Scaling the parasitics by s"
multiplies every loss-like parameter the netlist has among PARASITICS_UP (and every parasitic
capacitance parameter cp*) by s and divides the
ones in PARASITICS_DOWN (op-amp gain, leakage resistance, switch off-resistance) by s, so s > 1
is always worse; the JSON line "parasitic_scaling" names the parameters touched per family.

Per point: IEEE 1241 sine-fit ENOB (coherent near-full-scale sine, noise on) and lossless bits
(>= 99.9 % of the 2^b integer levels recovered).  Prints one JSON line per point, one per plot,
and the warm-up time of the first conversion (numba compile or cache load) apart from the rest.
Writes benchmarks/out/enob_vs_iterations.png.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from dgcq_sim.errors import DgcqError
from dgcq_sim.metrics import coherent_cycles, coherent_sine, lossless_bits, sine_metrics
from dgcq_sim.quantizers import load_quantizer

OUT = Path(__file__).resolve().parent / "out"
# loss-like parameters of the bundled netlists (lower case, as Quantizer.params has them);
# every parameter whose name starts with "cp" (parasitic capacitors) is scaled up as well.
PARASITICS_UP = ("ileak", "vos", "vnoise", "vos_c", "vnoise_c", "vos_f", "vnoise_f", "kc", "ron",
                 "rdac")
PARASITICS_DOWN = ("aol", "rleak", "roff")


def emit(**fields) -> None:
    print(json.dumps(fields, default=float), flush=True)


def parasitic_params(family: str, base: dict, scale: float) -> tuple[dict, list[str]]:
    """Parameter overrides that scale the parasitics of ``family``'s default netlist by ``scale``."""
    nominal = load_quantizer(family, params=base, ideal=False, seed=0).params
    out, touched = dict(base), []
    given = {k.lower() for k in base}
    for key, value in nominal.items():
        name = key.lower()
        if not isinstance(value, (int, float)) or name in given:
            continue
        if name in PARASITICS_UP or name.startswith("cp"):
            out[name] = float(value) * scale
            touched.append(name)
        elif name in PARASITICS_DOWN:
            out[name] = float(value) / scale
            touched.append(name)
    return out, sorted(touched)


def measure(q, rng: np.random.Generator, n_sine: int) -> dict:
    m = coherent_cycles(n_sine)
    v = coherent_sine(n_sine, m, q.vmin, q.vmax)
    est = np.asarray(q.convert(v, noise=True, rng=rng).estimate, dtype=float)
    enob = sine_metrics(est, q.vmin, q.vmax, frequency=m / n_sine).enob
    max_bits = int(math.ceil(math.log2(q.n_codes))) + 1
    lossless = lossless_bits(lambda u: q.convert(u, noise=True, rng=rng).estimate,
                             q.vmin, q.vmax, max_bits)
    return {"enob_sine": enob, "lossless_bits": lossless}


def sweeps(quick: bool, full: bool):
    top_coarse = 8 if quick else (12 if full else 11)
    top_c = 4 if quick else 6
    total = 9 if quick else 11
    top_sar = 10 if quick else 12
    yield ("coarse-only", "coarse", "NITER",
           [({"NITER": 2 ** k}, 2 ** k) for k in range(1, top_coarse + 1)])
    yield ("DGCQ c+8", "dgcq", "NC", [({"NC": c, "NF": 8}, 2 ** c) for c in range(1, top_c + 1)])
    yield (f"DGCQ c+f={total}", "dgcq", "NC",
           [({"NC": c, "NF": total - c}, 2 ** c) for c in range(1, top_c + 1)])
    yield ("SAR", "sar", "NBITS", [({"NBITS": n}, n) for n in range(4, top_sar + 1)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter sweeps, fewer variants")
    ap.add_argument("--full", action="store_true",
                    help="coarse-only up to N = 4096 for every variant (long: ~10+ min)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-sine", type=int, default=None, help="sine samples (default 4096, quick 2048)")
    args = ap.parse_args(argv)
    n_sine = args.n_sine or (2048 if args.quick else 4096)
    if args.quick and args.full:
        ap.error("--quick and --full exclude each other")
    variants = [("ideal", None), ("x1", 1.0), ("x4", 4.0)] if args.quick else \
        [("ideal", None), ("x0.5", 0.5), ("x1", 1.0), ("x2", 2.0), ("x4", 4.0)]
    OUT.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    q = load_quantizer("dgcq", params={"NC": 1, "NF": 4}, ideal=False, seed=args.seed)
    q.convert(np.linspace(q.vmin, q.vmax, 16), noise=True, rng=np.random.default_rng(0))
    emit(figure="warmup", what="first load + 16 conversions (numba compile or cache load)",
         seconds=time.perf_counter() - t0)

    results: dict[str, dict[str, list]] = {}
    t_all = time.perf_counter()
    for label, family, pname, points in sweeps(args.quick, args.full):
        for vname, scale in variants:
            xs, enobs, lossless = [], [], []
            for base, iterations in points:
                if (family == "coarse" and not args.full and vname not in ("ideal", "x1")
                        and iterations > 1024):
                    continue
                t1 = time.perf_counter()
                rng = np.random.default_rng([args.seed, zlib.crc32(f"{label}/{vname}/{iterations}".encode())])
                try:
                    if scale is None:
                        params, touched = dict(base), []
                        q = load_quantizer(family, params=params, ideal=True, seed=args.seed)
                    else:
                        params, touched = parasitic_params(family, base, scale)
                        q = load_quantizer(family, params=params, ideal=False, seed=args.seed)
                    r = measure(q, rng, n_sine)
                except DgcqError as exc:
                    emit(figure="enob_vs_iterations", sweep=label, variant=vname,
                         param=pname, value=base[pname], error=str(exc))
                    continue
                xs.append(iterations)
                enobs.append(r["enob_sine"])
                lossless.append(r["lossless_bits"])
                emit(figure="enob_vs_iterations", sweep=label, variant=vname, param=pname,
                     value=base[pname], params=base, iterations=iterations, bits=int(q.bits),
                     cycles=int(q.hardware().cycles), enob_sine=r["enob_sine"],
                     lossless_bits=r["lossless_bits"], seconds=time.perf_counter() - t1)
            if scale == 1.0:
                emit(figure="parasitic_scaling", sweep=label,
                     scaled_up=[p for p in touched if p not in PARASITICS_DOWN],
                     scaled_down=[p for p in touched if p in PARASITICS_DOWN])
            results.setdefault(label, {})[vname] = [xs, enobs, lossless]
    png = plot(results)
    emit(figure="enob_vs_iterations_plot", png=str(png), n_sine=n_sine,
         seconds=time.perf_counter() - t_all)
    return 0


def plot(results: dict) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(results)
    fig, axes = plt.subplots(2, len(labels), figsize=(4.2 * len(labels), 7.5), squeeze=False)
    for j, label in enumerate(labels):
        for vname, (xs, enobs, lossless) in results[label].items():
            style = "-o" if vname == "ideal" else "--."
            axes[0, j].plot(xs, enobs, style, label=vname, ms=4)
            axes[1, j].plot(xs, lossless, style, label=vname, ms=4)
        xlabel = "SAR cycles (bits)" if label == "SAR" else "coarse iterations N"
        for i, ylab in enumerate(("ENOB (sine fit), bit", "lossless bits")):
            ax = axes[i, j]
            if label != "SAR":
                ax.set_xscale("log", base=2)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylab)
            ax.grid(alpha=0.3)
        axes[0, j].set_title(label)
        axes[0, j].legend(fontsize=8, title="parasitics")
    fig.suptitle("ENOB and lossless bits vs iterations (parasitics scaled by x)")
    fig.tight_layout()
    path = OUT / "enob_vs_iterations.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    sys.exit(main())
