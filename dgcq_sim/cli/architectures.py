"""``dgcq-sim architectures``: the registered quantizer architectures and their parameters."""

from __future__ import annotations

import argparse
import json

HELP = "list the registered quantizer architectures, or one's parameters with units and ranges"
DESCRIPTION = """\
Without NAME: one line per registered architecture (bundled ones and those registered by
--plugin / $DGCQ_SIM_PLUGINS / installed entry points).  With NAME: its netlist and every
parameter: unit, meaning, allowed range, value under --ideal, and the default in its netlist.

examples:
  dgcq-sim architectures
  dgcq-sim architectures pipeline --json
  dgcq-sim --plugin my_adc.py architectures my_adc
"""


def register(subparsers) -> None:
    """Add the ``architectures`` subcommand to the ``dgcq-sim`` parser."""
    p = subparsers.add_parser("architectures", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", metavar="NAME", help="architecture to describe")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def _describe(name: str) -> dict:
    from ..netlist import load_netlist
    from ..quantizers import get_architecture

    arch = get_architecture(name)
    path = arch.netlist_path()
    defaults = load_netlist(path).params
    params = []
    for key, s in arch.params().items():
        params.append({"name": s.name, "unit": s.unit, "doc": s.doc, "range": s.range_text(),
                       "ideal": s.ideal,
                       "default": defaults.get(key, s.default), "source": s.source})
    return {"name": arch.name, "summary": arch.summary, "netlist": str(path), "params": params}


def run(args: argparse.Namespace) -> int:
    """Print the registry or one architecture; return 0."""
    from ..quantizers import architectures, get_architecture

    if args.name is None:
        rows = [{"name": n, "summary": get_architecture(n).summary} for n in architectures()]
        if args.json:
            print(json.dumps(rows))
        else:
            width = max(len(r["name"]) for r in rows)
            for r in rows:
                print(f"{r['name']:<{width}}  {r['summary']}")
        return 0
    d = _describe(args.name)
    if args.json:
        print(json.dumps(d))
        return 0
    print(f"{d['name']}: {d['summary']}\nnetlist: {d['netlist']}")
    for p in d["params"]:
        ideal = "" if p["ideal"] is None else f"; ideal {p['ideal']:g}"
        default = "-" if p["default"] is None else f"{p['default']:g}"
        print(f"  {p['name']:<12} = {default:<10} {p['doc']} ({p['range']}{ideal})")
    return 0
