"""``dgcq-sim convert``: convert input voltages with a quantizer netlist."""

from __future__ import annotations

import argparse
import json

from ..errors import InputError
from ._common import (add_figure_arguments, add_quantizer_arguments, check_figure_outputs,
                      load_quantizer_from, positive_int)

HELP = "convert input voltages with a quantizer (any registered architecture) and print the codes"
DESCRIPTION = """\
Load a quantizer (a registered architecture name — see `dgcq-sim architectures` — or a
netlist path), compile its controller and convert the given input voltages.  Prints, per
input, the output code in binary and decimal, for a multi-stage design also each stage's
value (e.g. the DGCQ coarse count and fine SAR code, a pipeline's stage digits), and the
input estimate (centre of the code's bin).  Inputs outside [vmin, vmax] are clipped (and
marked so: "clipped" in the JSON).  --vin takes SPICE numbers (0.3, 300m).

Example (the slides' worked example, 3 coarse + 8 fine bits):
  dgcq-sim convert dgcq --ideal --param GAIN=1 --param VREF=1 --vin 0.387939453125
  (Vs = 0.01100011010b + half an LSB -> code 01100011010, coarse 011, fine 00011010)
"""


def _voltages(text: str) -> list[float]:
    """Comma-separated SPICE numbers in volts (``0.3,500m,1.2``); an empty entry is an error."""
    from ..errors import ParameterError
    from ._common import cli_value

    vals = []
    for i, item in enumerate(text.split(",")):
        if not item.strip():
            raise InputError(f"--vin entry {i + 1} is empty in {text!r} (comma-separated volts)")
        try:
            vals.append(cli_value(item.strip(), f"--vin entry {i + 1}", "V"))
        except ParameterError as exc:
            raise InputError(str(exc)) from None
    return vals


def _ramp_outputs(args, q, vin, codes) -> None:
    """--plot / --csv: the static (noise-free unless --noise) transfer on a ramp."""
    import numpy as np

    from ..report.figures import save_png, transfer_csv, transfer_figure, write_text

    ramp = np.linspace(q.vmin, q.vmax, args.ramp)
    rr = q.convert(ramp, noise=args.noise, rng=np.random.default_rng(args.seed))
    if args.plot:
        title = f"{args.netlist} ({q.bits} bit{', ideal' if args.ideal else ''})"
        save_png(transfer_figure(title, ramp, rr.codes, rr.estimate, q.lsb,
                                 {"vin": np.clip(vin, q.vmin, q.vmax), "codes": codes}),
                 args.plot)
    if args.csv:
        write_text(args.csv, transfer_csv(ramp, rr.codes, rr.estimate, q.lsb))


def register(subparsers) -> None:
    """Add the ``convert`` subcommand to the ``dgcq-sim`` parser."""
    p = subparsers.add_parser("convert", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_quantizer_arguments(p, seed_help="seed of the --noise stream")
    p.add_argument("--vin", required=True, metavar="V[,V...]",
                   help="input voltage(s) in volts, comma-separated")
    p.add_argument("--noise", action="store_true",
                   help="include thermal and comparator noise (default: static, noise-free)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_figure_arguments(p, plot_help="also write the transfer curve (code vs input) and code "
                                      "error (estimate - input, LSB) on a ramp over the full "
                                      "scale, with the --vin inputs marked",
                         csv_help="also write that ramp as CSV: vin_v,code,estimate_v,error_lsb")
    p.add_argument("--ramp", type=positive_int, default=4096, metavar="N",
                   help="ramp points of --plot/--csv (default 4096)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Convert and print; return 0 (errors propagate as DgcqError)."""
    import numpy as np

    vin = _voltages(args.vin)
    check_figure_outputs(args)
    if args.ramp > 1_000_000:
        raise InputError(f"--ramp must be at most 1000000 points, got {args.ramp}")
    q = load_quantizer_from(args)
    r = q.convert(np.array(vin), noise=args.noise)
    if args.plot or args.csv:
        _ramp_outputs(args, q, np.array(vin), r.codes)
    width = max(1, int(np.ceil(np.log2(q.n_codes))))
    staged = len(q.stages) > 1
    rows = []
    for i, v in enumerate(vin):
        row = {"vin": v, "clipped": not (q.vmin <= v <= q.vmax), "code": int(r.codes[i]),
               "binary": np.binary_repr(int(r.codes[i]), width), "estimate": float(r.estimate[i])}
        if staged:
            for s in q.stages:
                row[s] = int(r.stages[s][i])
                row[f"{s}_binary"] = np.binary_repr(row[s], q.stage_bits(s))
        rows.append(row)
    if args.json:
        print(json.dumps({"architecture": q.kind, "kind": q.kind, "bits": q.bits,
                          "n_codes": q.n_codes, "vmin": q.vmin, "vmax": q.vmax,
                          "ideal": bool(args.ideal), "noise": bool(args.noise),
                          "stages": list(q.stages), "conversions": rows}))
        return 0
    print(f"{q.kind}: {q.bits} bits ({q.n_codes} codes), range [{q.vmin:g}, {q.vmax:g}] V"
          f"{', ideal' if args.ideal else ''}{', noisy' if args.noise else ''}")
    for row in rows:
        line = f"vin={row['vin']:.9g} V{' (clipped to the range)' if row['clipped'] else ''}" \
               f"  code={row['binary']} ({row['code']})"
        for s in (q.stages if staged else ()):
            line += f"  {s}={row[s + '_binary']} ({row[s]})"
        print(line + f"  estimate={row['estimate']:.9g} V")
    return 0
