"""``dgcq-sim budget``: ENOB error budget of a quantizer, one non-ideality at a time."""

from __future__ import annotations

import argparse
import json
import sys

from ._common import add_quantizer_arguments, check_png, int_in, positive_int, quantizer_params

HELP = "ENOB error budget: each non-ideality alone against the ideal circuit (table, tornado)"
DESCRIPTION = """\
Start from the ideal circuit (--ideal) and turn each non-ideality of the design on alone:
every parameter whose ideal value differs from the design's (op-amp gain, leakage, switch
resistances, comparator offsets and noise, kT/C temperature, ...) and every parasitic
capacitor.  Prints the ENOB (sine fit and static), lossless bits and the bits lost, sorted
by bits lost, next to the ideal and the all-on design ("all" = `dgcq-sim enob` with the
same seed and --n-sine).  Mismatch (KC) and random comparator offsets (SIGMA_VOS) only
act on Monte Carlo instances: use --mc K (mean over K instances).  SR, VOUT_MIN/VOUT_MAX
(one swing item) and VN_OPAMP need GBW > 0: they run with the design's GBW, and their bits
lost are counted against the ideal circuit with that GBW (a numbered note says so).

examples:
  dgcq-sim budget dgcq
  dgcq-sim budget dgcq --param NC=2 --json --plot budget.png
  dgcq-sim budget pipeline --mc 10
"""


def register(subparsers) -> None:
    """Add the ``budget`` subcommand to the ``dgcq-sim`` parser."""
    p = subparsers.add_parser("budget", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_quantizer_arguments(p, ideal=False,
                            seed_help="seed of the noise and of the --mc instances",
                            param_help="design .param, NAME=VALUE (part of the design, not a "
                                       "budget item; SPICE number); repeatable")
    p.add_argument("--n-sine", type=int_in(16), default=2 ** 14, metavar="N",
                   help="samples of the sine record (>= 16, default 16384)")
    p.add_argument("--mc", type=positive_int, default=None, metavar="K",
                   help="mean over K Monte Carlo instances (mismatch, random offsets)")
    p.add_argument("--plot", metavar="FILE.png", help="write the tornado chart")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compute and print the budget; return 0."""
    from ..budget import error_budget, format_budget, plot_budget

    params = quantizer_params(args)
    if args.plot is not None:
        check_png(args.plot)
    b = error_budget(args.netlist, params, seed=args.seed,
                     n_sine=args.n_sine, mc=args.mc, progress=sys.stderr.isatty())
    if args.plot:
        plot_budget(args.plot, b)
    print(json.dumps(b) if args.json else format_budget(b))
    return 0
