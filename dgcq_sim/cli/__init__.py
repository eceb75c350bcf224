"""``dgcq-sim`` command line: one subcommand per module in this package.

Each subcommand module defines ``register(subparsers)`` which adds its parser and sets
``func`` (called with the parsed namespace, returns an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import DgcqError

# Order shown in --help.  Every module listed here must exist: a missing one is a bug,
# not something to skip quietly.
SUBCOMMAND_MODULES = ("demo", "convert", "enob", "budget", "architectures", "tran", "nn_eval",
                      "train", "nn_average", "sweep", "characterize", "export")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dgcq-sim",
        description="Circuit-level simulation of CIM quantizers (DGCQ, SAR, coarse counter, "
                    "flash, single-slope ramp, pipeline, and architectures of your own): "
                    "transient simulation, conversion, ENOB/DNL/INL, cost and NN accuracy.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE|FILE.py",
                        help="import a module that registers quantizer architectures "
                             "(repeatable; also $DGCQ_SIM_PLUGINS); see docs/architectures.md")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in SUBCOMMAND_MODULES:
        importlib.import_module(f"{__name__}.{mod}").register(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dgcq_sim")
    except PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        if args.plugin:
            from ..quantizers import load_plugin

            for spec in args.plugin:
                load_plugin(spec)
        return int(args.func(args) or 0)
    except DgcqError as exc:
        print(f"dgcq-sim {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
