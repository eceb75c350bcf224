"""``dgcq-sim characterize``: a quantizer's TransferFunction, saved for ``nn-eval``."""

from __future__ import annotations

import argparse
import json
import time

from ._common import (add_quantizer_arguments, check_output_file, int_in, load_quantizer_from,
                      positive_int, quantizer_params)

HELP = "characterize a quantizer into a TransferFunction .npz (what nn-eval --quantizer reads)"
DESCRIPTION = """\
Load a quantizer (a registered architecture name or a netlist path, with --param overrides),
find its static staircase (every code transition, bisected to adjacent float64 inputs) and
fit its input-referred noise, and save the TransferFunction to --out (.npz, no pickles).
The file records the netlist, parameters, seed and how it was characterized (meta).

  dgcq-sim nn-eval --quantizer tf.npz     evaluates a network with it
  TransferFunction.load("tf.npz")         reads it from Python

examples:
  dgcq-sim characterize dgcq --param NC=3 --param NF=8 --out dgcq38.npz
  dgcq-sim characterize sar --ideal --out sar_ideal.npz --json
"""


def register(subparsers) -> None:
    """Add the ``characterize`` subcommand."""
    p = subparsers.add_parser("characterize", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_quantizer_arguments(p, seed_help="seed of the noise fit's conversions")
    p.add_argument("--out", required=True, metavar="TF.npz", help="output file (.npz)")
    p.add_argument("--points-per-lsb", type=positive_int, default=16, metavar="N",
                   help="staircase sweep density (default 16)")
    p.add_argument("--n-noise", type=int_in(16), default=2048, metavar="N",
                   help="noisy conversions per noise-grid region (>= 16, default 2048)")
    p.add_argument("--noise-points", type=int_in(2), default=64, metavar="N",
                   help="noise-grid regions over the full scale (>= 2, default 64)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Characterize, save, print a summary; return 0."""
    import numpy as np

    from ..errors import ParameterError

    if not args.out.lower().endswith(".npz"):
        raise ParameterError(f"--out {args.out!r} must end in .npz (numpy would append it)")
    check_output_file(args.out, "--out")
    if args.points_per_lsb > 1024:
        raise ParameterError(f"--points-per-lsb must be at most 1024, got {args.points_per_lsb}")
    params = quantizer_params(args)
    t0 = time.perf_counter()
    q = load_quantizer_from(args)
    tf = q.characterize(np.random.default_rng(args.seed), n_noise=args.n_noise,
                        noise_points=args.noise_points, points_per_lsb=args.points_per_lsb)
    meta = dict(tf.meta, netlist=str(args.netlist), architecture=q.kind, params=params,
                ideal=bool(args.ideal), seed=int(args.seed))
    tf = tf.with_noise(tf.noise_grid, tf.noise_sigma, meta=meta)
    tf.save(args.out)
    info = tf.meta.get("characterization", {})
    summary = {"out": str(args.out), "architecture": q.kind, "bits": tf.bits,
               "n_codes": tf.n_codes, "vmin": tf.vmin, "vmax": tf.vmax,
               "edges": int(tf.edges.size), "missing_codes": info.get("missing_codes"),
               "monotonic": info.get("monotonic"), "noise_free": bool(tf.is_noise_free),
               "sigma_max_v": float(tf.noise_sigma.max()), "params": params,
               "ideal": bool(args.ideal), "seed": int(args.seed),
               "seconds": round(time.perf_counter() - t0, 3)}
    if args.json:
        print(json.dumps(summary))
    else:
        noise = "noise-free" if tf.is_noise_free else \
            f"noise sigma up to {summary['sigma_max_v']:.3g} V rms"
        print(f"{q.kind}: {tf.bits} bit, {tf.n_codes} codes, range [{tf.vmin:g}, {tf.vmax:g}] V, "
              f"{summary['edges']} transitions, {summary['missing_codes']} missing codes, {noise}")
        print(f"saved {args.out}  ({summary['seconds']:.1f} s); use: dgcq-sim nn-eval "
              f"--quantizer {args.out}")
    return 0
