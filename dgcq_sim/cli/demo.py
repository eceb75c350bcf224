"""``dgcq-sim demo``: the main job — compare DGCQ, SAR and coarse-only quantizers end to end."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from ._common import add_cost_arguments, add_images_argument, cost_model_from_args, nonneg_int

HELP = "characterize DGCQ 3+8, SAR 11b and coarse-only quantizers and write a report"
# Wall clock of `dgcq-sim demo` (full and --quick, seed 0) on an idle two-core machine:
# 36 s before the resolution sweep; with it, back to back on one busy machine, the full run
# took 199 s against 149 s (x1.34) and --quick 196 s against 163 s (x1.2).
FULL_RUN_S, QUICK_RUN_S = 50, 15


def _sweep_text(cfg) -> str:
    return "; ".join(f"{r.name} {r.param} = {', '.join(map(str, r.values))}"
                     for r in cfg.resolution)


def description() -> str:
    """The help text, its defaults read from :class:`~dgcq_sim.report.demo.DemoConfig`."""
    import textwrap

    from ..report.demo import DemoConfig

    full, quick = DemoConfig(), DemoConfig.preset(quick=True)

    def para(text: str, indent: str = "") -> str:
        return textwrap.fill(" ".join(text.split()), 88, initial_indent=indent,
                             subsequent_indent=" " * len(indent))

    items = [
        "characterize DGCQ 3+8, an 11-bit SAR and an 11-bit coarse-only quantizer (NITER = "
        "2048), each ideal and with the netlists' default parasitics;",
        "print one table: ENOB (sine fit), static ENOB, lossless bits, DNL/INL max, cycles, "
        "latency, area, energy and ResNet-20 top-1 with each quantizer on every CIM partial "
        "sum, next to the float and int8-digital top-1;",
        f"a second table and plot: ResNet-20 top-1 vs converter resolution per architecture "
        f"(default parasitics): {_sweep_text(full)};",
        "write report.md (tables + findings computed from the numbers), results.json and PNG "
        "plots (transfer curve and code error per quantizer, ENOB vs iterations, "
        "precision/area/latency trade-off, error budget, accuracy bars, accuracy vs bits) "
        "into --out.",
    ]
    defaults = (
        f"Defaults: {full.n_images} ResNet-20 images (of the 1000 bundled, strided), "
        f"{full.n_sine} sine samples per quantizer; about {FULL_RUN_S} s on an idle two-core "
        f"machine, several times that on a busy one (the ResNet-20 part, over half of the "
        f"run, grows with --images). --quick is the "
        f"smoke run (about {QUICK_RUN_S} s): {quick.n_images} images, {quick.n_sine} sine "
        f"samples, a coarser DNL ramp, staircase search and noise fit, "
        f"{len(quick.coarse_sweep)} + {len(quick.dgcq_sweep)}-point ENOB sweeps and a "
        f"shorter resolution sweep ({_sweep_text(quick)}); the main quantizers are the "
        f"same. The same --seed gives the same results.json. One progress bar on stderr, "
        f"its ETA weighted by each step's estimated work (--no-progress hides it).")
    return "\n".join([
        para("Run the main job on the embedded defaults (bundled netlists, bundled ResNet-20 "
             "and a 1000-image CIFAR-10 subset):"), "",
        *(para(i, "  * ") for i in items), "",
        para(defaults), "",
        "examples:",
        "  dgcq-sim demo",
        "  dgcq-sim demo --quick --out /tmp/report --seed 1",
        "  dgcq-sim demo --images 1000", ""])


def register(subparsers) -> None:
    """Add the ``demo`` subcommand to the ``dgcq-sim`` parser."""
    from ..report.demo import DemoConfig

    full, quick = DemoConfig(), DemoConfig.preset(quick=True)
    p = subparsers.add_parser("demo", help=HELP, description=description(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="dgcq_report", metavar="DIR",
                   help="directory for report.md, results.json and the PNGs "
                        "(created if missing; default: ./dgcq_report)")
    p.add_argument("--quick", action="store_true",
                   help=f"smoke run: {quick.n_images} images, {quick.n_sine} sine samples, "
                        f"shorter sweeps (about {QUICK_RUN_S} s)")
    p.add_argument("--seed", type=nonneg_int, default=0, metavar="S",
                   help="master seed of every random stream (>= 0, default 0)")
    add_images_argument(p, hi=1000,
                        help=f"ResNet-20 test images (1..1000, strided over the bundled "
                             f"subset; default {full.n_images}, {quick.n_images} with "
                             f"--quick); the same option as nn-eval --images")
    add_cost_arguments(p, example="opamp_area=250p")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; print the table and findings; return 0 (errors propagate as DgcqError)."""
    from ..report.demo import DemoConfig, run_demo
    from ..report.findings import format_findings
    from ..report.writer import check_out_dir, format_resolution_table, format_table

    check_out_dir(args.out)  # refuse a bad --out before minutes of work
    cost_model = cost_model_from_args(args)
    cfg = DemoConfig.preset(quick=args.quick, seed=args.seed)
    if args.images is not None:
        cfg = dataclasses.replace(cfg, n_images=args.images)
    res = run_demo(args.out, cfg, progress=not args.no_progress, cost_model=cost_model)
    print(format_table(res.results))
    resolution = format_resolution_table(res.results)
    if resolution:
        print()
        print("ResNet-20 top-1 (%) vs converter resolution (default parasitics):")
        print(resolution)
    print()
    print(format_findings(res.results["findings"]))
    print()
    print(f"report: {res.report}  ({res.timings.get('total', 0.0):.1f} s)")
    sys.stdout.flush()
    return 0
