"""``dgcq-sim sweep``: a design grid x Monte Carlo instances, serial or on Dask distributed."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "sweep a grid of parameters x Monte Carlo instances (serial, local or Dask cluster)"
DESCRIPTION = """\
Evaluate every point of a design grid (the cartesian product of the spec's [grid] axes, the
last axis varying fastest) for every Monte Carlo instance, and write to DIR:

  results.csv    one row per point x instance: point, instance (-1 = nominal design when
                 instances = 0), every grid axis, every metric; sorted by (point, instance),
                 byte-identical however the sweep was run
  results.jsonl  the same rows as JSON lines, appended as tasks finish (what --resume reads)
  spec.toml      a copy of the spec
  pareto.png     ENOB vs area and ENOB vs latency, Pareto-optimal points marked

Spec (TOML; docs/sweeps.md):

  quantizer = "dgcq"          # registered architecture or netlist path
  seed = 5
  instances = 2               # Monte Carlo instances per point (0 = nominal only)
  metrics = ["enob_sine", "enob_static", "lossless_bits", "area_um2", "latency_s", "energy_j"]
  [params]                    # fixed .param overrides, SPICE suffixes allowed
  VOS_C = "2m"
  [grid]                      # axes: lists, "start:stop:count" or "log:start:stop:count"
  NC = [1, 2, 3]
  CPTOP = "1f:4f:3"

examples:
  dgcq-sim sweep spec.toml --out sweep1                  # serial, in this process
  dgcq-sim sweep spec.toml --out sweep1 --workers 4      # LocalCluster of 4 processes
  dgcq-sim sweep spec.toml --out sweep1 --scheduler tcp://host:8786   # existing cluster
  dgcq-sim sweep spec.toml --out sweep1 --resume         # finish an interrupted sweep
"""


def register(subparsers) -> None:
    """Add the ``sweep`` subcommand."""
    p = subparsers.add_parser("sweep", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SPEC.toml", help="sweep specification (TOML)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="address of a running Dask scheduler, e.g. tcp://host:8786 "
                            '(needs pip install "dgcq_sim[dist]")')
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="start a local Dask cluster of N single-thread worker processes")
    p.add_argument("--resume", action="store_true",
                   help="keep the rows already in DIR/results.jsonl, compute only the others")
    p.add_argument("--force", action="store_true", help="allow a grid over 10^6 points")
    p.add_argument("--connect-timeout", type=float, default=5.0, metavar="S",
                   help="seconds to wait for --scheduler (default 5)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the sweep and print a summary; return 0."""
    from ..sweep import run as run_sweep

    res = run_sweep(args.spec, args.out, workers=args.workers, scheduler=args.scheduler,
                    resume=args.resume, force=args.force, progress=not args.no_progress,
                    connect_timeout=args.connect_timeout)
    points = res.spec.n_points
    mode = (f"scheduler {args.scheduler}" if args.scheduler else
            f"{args.workers} local workers" if args.workers else "serial")
    if args.json:
        print(json.dumps({"out": str(res.out_dir), "points": points, "rows": len(res.rows),
                          "instances": res.spec.instances, "computed": res.computed,
                          "reused": res.reused, "seconds": round(res.seconds, 3),
                          "mode": mode, "pareto": res.pareto,
                          "files": {k: str(v) for k, v in res.files.items()}}))
    else:
        print(f"sweep of {points} points x {len(res.spec.instance_ids)} "
              f"{'instances' if res.spec.instances else 'nominal'} = {len(res.rows)} rows "
              f"({res.computed} computed, {res.reused} resumed) in {res.seconds:.1f} s, {mode}")
        for k, v in res.files.items():
            print(f"  {k:<7} {v}")
        for key, pts in (res.pareto or {}).items():
            print(f"  Pareto-optimal points (ENOB vs {key}): {', '.join(map(str, pts))}")
    sys.stdout.flush()
    return 0
