"""``dgcq-sim demo``: the main job — compare DGCQ, SAR and coarse-only quantizers end to end."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from ._common import nonneg_int

HELP = "characterize DGCQ 3+8, SAR 11b and coarse-only quantizers and write a report"
DESCRIPTION = """\
Run the main job on the embedded defaults (bundled netlists, bundled ResNet-20 and a
1000-image CIFAR-10 subset):

  * characterize DGCQ 3+8, an 11-bit SAR and an 11-bit coarse-only quantizer (NITER = 2048),
    each ideal and with the netlists' default parasitics;
  * print one table: ENOB (sine fit), static ENOB, lossless bits, DNL/INL max, cycles,
    latency, area, energy and ResNet-20 top-1 with each quantizer on every CIM partial sum,
    next to the float and int8-digital top-1;
  * write report.md (table + findings computed from the numbers), results.json and PNG plots
    (transfer curve and code error per quantizer, ENOB vs iterations, precision/area/latency
    trade-off, accuracy bars) into --out.

The full run takes a few minutes on two cores (ResNet-20 on 200 of the 1000 bundled images;
--images 1000 for all of them, about 4x longer). --quick is the smoke run, under a minute:
4096 instead of 16384 sine samples, a coarser DNL ramp, staircase search and noise fit,
16 images, 3-point sweeps; the quantizers are the same. The same --seed gives the same
results.json.

examples:
  dgcq-sim demo
  dgcq-sim demo --quick --out /tmp/report --seed 1
  dgcq-sim demo --images 1000
"""


def _int_arg(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def register(subparsers) -> None:
    """Add the ``demo`` subcommand to the ``dgcq-sim`` parser."""
    p = subparsers.add_parser("demo", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="dgcq_report", metavar="DIR",
                   help="directory for report.md, results.json and the PNGs "
                        "(created if missing; default: ./dgcq_report)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: fewer sine samples and images, shorter sweeps (under a minute)")
    p.add_argument("--seed", type=nonneg_int, default=0, metavar="S",
                   help="master seed of every random stream (>= 0, default 0)")
    p.add_argument("--images", type=_int_arg, default=None, metavar="N",
                   help="ResNet-20 test images (1..1000, strided over the bundled subset; "
                        "default 200, 16 with --quick); 1000 takes ~4x longer than 200")
    p.add_argument("--cost", default=None, metavar="FILE.toml",
                   help="override cost-model constants from a TOML file (docs/cost.md)")
    p.add_argument("--cost-param", action="append", default=[], metavar="NAME=VALUE",
                   help="override one cost-model constant, e.g. opamp_area=250p "
                        "(repeatable; after --cost; names in docs/cost.md)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; print the table and findings; return 0 (errors propagate as DgcqError)."""
    from ..errors import InputError
    from ..report.demo import DemoConfig, run_demo
    from ..report.findings import format_findings
    from ..report.writer import check_out_dir, format_table

    from ..cost.overrides import cost_model_from

    check_out_dir(args.out)  # refuse a bad --out before minutes of work
    cost_model = cost_model_from(args.cost, args.cost_param)
    cfg = DemoConfig.preset(quick=args.quick, seed=args.seed)
    if args.images is not None:
        if not 1 <= args.images <= 1000:
            raise InputError(f"--images must be in 1..1000, got {args.images}")
        cfg = dataclasses.replace(cfg, n_images=args.images)
    res = run_demo(args.out, cfg, progress=not args.no_progress, cost_model=cost_model)
    print(format_table(res.results))
    print()
    print(format_findings(res.results["findings"]))
    print()
    print(f"report: {res.report}  ({res.timings.get('total', 0.0):.1f} s)")
    sys.stdout.flush()
    return 0
