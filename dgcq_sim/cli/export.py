"""``dgcq-sim export``: the ngspice deck of one conversion (Quantizer.export_spice)."""

from __future__ import annotations

import argparse
import json
import sys

from ._common import (add_quantizer_arguments, check_output_file, cli_value, load_quantizer_from,
                      quantizer_params)

HELP = "write the ngspice deck of one conversion (analog netlist + controller as PWL sources)"
DESCRIPTION = """\
Load a quantizer, run one noise-free conversion of --vin in the engine, and write the analog
netlist with every controller-driven source and switch control as a PWL waveform holding the
engine's decisions (and a .tran over the whole conversion), so ngspice simulates exactly
that conversion: `ngspice -b deck.cir`.  Without --out the deck goes to stdout.

examples:
  dgcq-sim export dgcq --vin 0.3 --out deck.cir
  dgcq-sim export sar --param NBITS=8 --ideal --vin 250m --out sar.cir --json
"""


def register(subparsers) -> None:
    """Add the ``export`` subcommand."""
    p = subparsers.add_parser("export", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_quantizer_arguments(p, seed_help="the quantizer's seed, recorded in the JSON (the "
                                         "exported conversion is noise-free and nominal)")
    p.add_argument("--vin", required=True, metavar="V", help="input voltage (SPICE number, V)")
    p.add_argument("--out", default=None, metavar="DECK.cir", help="output file (default stdout)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON summary (code, decisions, file) instead of a sentence")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Convert once, export the deck; return 0."""
    import numpy as np

    from ..errors import InputError

    vin = cli_value(args.vin, "--vin", "V")
    if args.out is not None:
        check_output_file(args.out, "--out")
    params = quantizer_params(args)
    q = load_quantizer_from(args)
    clipped = not (q.vmin <= vin <= q.vmax)
    if clipped:
        raise InputError(f"--vin {vin:g} V is outside the input range [{q.vmin:g}, {q.vmax:g}] V "
                         f"of {q.kind}; the deck would not show a real conversion")
    decisions = q.decisions(vin)
    deck = q.export_spice(vin, decisions)
    code = int(q.convert(np.array([vin]), noise=False).codes[0])
    if args.out is None:
        sys.stdout.write(deck if deck.endswith("\n") else deck + "\n")
        return 0
    with open(args.out, "w") as f:
        f.write(deck)
    if args.json:
        print(json.dumps({"out": args.out, "architecture": q.kind, "vin": vin, "code": code,
                          "decisions": [int(d) for d in np.asarray(decisions).ravel()],
                          "params": params, "ideal": bool(args.ideal), "seed": args.seed}))
    else:
        print(f"{q.kind}: vin = {vin:.9g} V -> code {code}; {len(decisions)} decisions; "
              f"deck written to {args.out} (ngspice -b {args.out})")
    return 0
