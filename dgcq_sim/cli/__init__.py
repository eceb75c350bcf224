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
SUBCOMMAND_MODULES = ("demo", "convert", "enob", "tran", "nn_eval")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dgcq-sim",
        description="Circuit-level simulation of CIM quantizers (coarse counter, SAR, DGCQ): "
                    "transient simulation, conversion, ENOB/DNL/INL, cost and NN accuracy.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in SUBCOMMAND_MODULES:
        importlib.import_module(f"{__name__}.{mod}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except DgcqError as exc:
        print(f"dgcq-sim {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
