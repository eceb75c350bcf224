"""``dgcq-sim nn-average``: weight averaging of fine-tuned checkpoints."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = """\
Average the weights of fine-tuned checkpoints of one network (e.g. the per-epoch archives
of `dgcq-sim train`, or runs continued from one another): float arrays by their mean, the
cim record's activation scales, partial-sum ranges and column gains by their geometric
mean. The checkpoints must share the mapping, quantizer and bits. The average of
checkpoints in one basin usually generalizes better than each (stochastic weight averaging);
evaluate it with `dgcq-sim nn-eval --model OUT`.
"""


def register(subparsers) -> None:
    p = subparsers.add_parser("nn-average", help="average fine-tuned checkpoints' weights",
                              description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", metavar="MODEL",
                   help="model archives (paths or bundled names), at least 2")
    p.add_argument("--out", required=True, help="archive to write (.npz)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..nn.average import average_archives
    res = average_archives(list(args.models), args.out)
    if args.json:
        print(json.dumps(res))
    else:
        print(f"wrote {res['out']}: the average of {len(res['models'])} checkpoints"
              + (" (cim record averaged)" if res["record"] else ""))
    return 0
