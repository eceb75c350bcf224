"""``dgcq-sim enob``: ENOB, SINAD, DNL/INL, lossless bits and cost of one quantizer netlist."""

from __future__ import annotations

import argparse
import json
import math
import sys

from ._common import (add_cost_arguments, add_figure_arguments, add_quantizer_arguments,
                      check_figure_outputs, cost_model_from_args, int_in, load_quantizer_from,
                      positive_int, quantizer_params)

HELP = "ENOB, SINAD, DNL/INL, lossless bits, latency, area and energy of a quantizer"
DESCRIPTION = """\
Load a quantizer (a registered architecture — dgcq, sar, coarse, flash, ramp, pipeline,
or your own, see `dgcq-sim architectures` — or a path to a .cir file), simulate it and
print:

  enob_sine      IEEE 1241 four-parameter sine-fit ENOB relative to the full-scale range
                 (log2(FSR / (sqrt(12) * rms residual)); an ideal n-bit quantizer gives n)
  enob_static    ENOB for a slow ramp over the full scale (rms of estimate - input)
  sinad_db       SINAD from the sine fit, dB; sinad_fft_db / enob_fft: coherent FFT SINAD
                 and (SINAD - 1.76)/6.02 (depend on the test amplitude, 0.999 of full scale)
  dnl_max/inl_max  code-density test on the ramp, endpoint-fit INL, LSB; missing_codes
  lossless_bits  largest b for which >= 99.9 % of the 2^b integer MAC levels come back exact
  cycles, latency_s, area_unit_caps, area_um2, energy_j, walden_fom_j
                 from the quantizer's hardware spec under the default cost model

With --mc K each figure is the mean, 5th and 95th percentile over K Monte Carlo instances
(capacitor mismatch KC and per-comparator random offsets SIGMA_VOS / SIGMA_VOS_C).

examples:
  dgcq-sim enob dgcq --param NC=3 --param NF=8
  dgcq-sim enob sar --param NBITS=10 --ideal --json
  dgcq-sim enob coarse --param NITER=256 --param RLEAK=1g --mc 20
  dgcq-sim enob flash --ideal --param SIGMA_VOS=2m --mc 20
  dgcq-sim enob pipeline --json
"""

_ORDER = ("enob_sine", "enob_static", "sinad_db", "sinad_fft_db", "enob_fft", "dnl_max",
          "inl_max", "missing_codes", "lossless_bits", "cycles", "latency_s", "area_unit_caps",
          "area_um2", "energy_j", "walden_fom_j")
_UNITS = {"enob_sine": "bit", "enob_static": "bit", "sinad_db": "dB", "sinad_fft_db": "dB",
          "enob_fft": "bit", "dnl_max": "LSB", "inl_max": "LSB", "lossless_bits": "bit",
          "latency_s": "s", "area_um2": "um^2", "energy_j": "J", "walden_fom_j": "J/step"}


def register(subparsers) -> None:
    """Add the ``enob`` subcommand to the ``dgcq-sim`` parser."""
    p = subparsers.add_parser("enob", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_quantizer_arguments(p, seed_help="seed of the noise and of the --mc instances' "
                                         "mismatch and offsets")
    p.add_argument("--mc", type=positive_int, default=None, metavar="K",
                   help="Monte Carlo over K mismatch instances (mean, p5, p95 of each figure)")
    p.add_argument("--n-sine", type=int_in(16), default=2 ** 14, metavar="N",
                   help="samples of the coherent sine record (>= 16, default 16384)")
    add_figure_arguments(p, plot_help="write the sine record's spectrum (fundamental and "
                                      "harmonics 2..9 marked) and DNL/INL vs code to FILE.png "
                                      "(not with --mc)",
                         csv_help="write DNL and INL per code (code,dnl_lsb,inl_lsb) to FILE "
                                  "(not with --mc)")
    add_cost_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def _fmt(v) -> str:
    if isinstance(v, dict):
        return "  ".join(f"{k}={_fmt(v[k])}" for k in ("mean", "p5", "p95"))
    if isinstance(v, (int,)) or (isinstance(v, float) and v.is_integer() and abs(v) < 1e6):
        return f"{v:g}"
    if isinstance(v, float) and (not math.isfinite(v) or 1e-2 <= abs(v) < 1e5):
        return f"{v:.4g}"
    return f"{v:.4e}"


def format_table(name: str, q, result: dict) -> str:
    """Human-readable table of an :func:`evaluate_quantizer` result."""
    head = name if str(name).lower() == q.kind else f"{name}: {q.kind}"
    lines = [f"{head}, {q.bits} bit, {q.n_codes} codes, "
             f"full scale [{q.vmin:g}, {q.vmax:g}] V"
             + (f", Monte Carlo over {result['mc']} instances" if "mc" in result else "")]
    for key in _ORDER:
        if key in result:
            unit = _UNITS.get(key, "")
            line = f"  {key:<15} {_fmt(result[key])} {unit}".rstrip()
            if key == "missing_codes" and result.get("missing_code_list"):
                shown = result["missing_code_list"]
                line += f"  (codes {', '.join(map(str, shown))}" \
                    f"{', ...' if result[key] > len(shown) else ''})"
            lines.append(line)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Evaluate the quantizer and print the table or JSON; return 0."""
    import numpy as np

    import dataclasses

    from ..errors import ParameterError
    from ..evaluate import evaluate_quantizer

    params = quantizer_params(args)
    if args.mc is not None and (args.plot or args.csv):
        raise ParameterError("--plot and --csv show one nominal run; drop --mc for them")
    check_figure_outputs(args)
    cost_model = cost_model_from_args(args)
    q = load_quantizer_from(args)
    rng = np.random.default_rng(args.seed)
    records: dict | None = {} if (args.plot or args.csv) else None
    result = evaluate_quantizer(q, rng=rng, n_sine=args.n_sine, mc=args.mc,
                                progress=sys.stderr.isatty(), model=cost_model,
                                records=records)
    if args.plot:
        from ..report.figures import enob_figure, save_png

        enob = result["enob_sine"]
        save_png(enob_figure(args.netlist, records["sine_estimate"], records["sine_cycles"],
                             records["dnl_codes"], records["dnl"], records["inl_codes"],
                             records["inl"], enob),
                 args.plot)
    if args.csv:
        from ..report.figures import enob_csv, write_text

        write_text(args.csv, enob_csv(records["dnl_codes"], records["dnl"],
                                      records["inl_codes"], records["inl"]))
    if args.json:
        out = {"netlist": args.netlist, "kind": q.kind, "bits": int(q.bits),
               "n_codes": int(q.n_codes), "vmin": float(q.vmin), "vmax": float(q.vmax),
               "ideal": bool(args.ideal), "seed": args.seed, "params": params,
               "cost_model": dataclasses.asdict(cost_model), **result}
        print(json.dumps(out, default=float))
    else:
        print(format_table(args.netlist, q, result))
    return 0
