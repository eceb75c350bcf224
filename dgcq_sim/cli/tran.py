"""``dgcq-sim tran``: transient simulation of a netlist, node voltages at phase ends."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..display import fixed
from ._common import add_figure_arguments, check_figure_outputs, fmt_num

HELP = "transient simulation of a netlist: node voltages at phase ends or given times"
DESCRIPTION = """\
Simulate a netlist's .tran with the phase-exact engine (the start is the DC operating
point, as in ngspice without UIC) and print node voltages.

Without --at the output times are every phase end: t = 0, every PULSE/PWL breakpoint,
every switch threshold crossing and tstop.  Times and values take SPICE suffixes
(f p n u m k meg g t), e.g. 12.5n = 12.5e-9 s.

Plain output is a table (one column per node, one row per time; with --sweep one table
per sample).  --json prints one object:
  {"t": [...], "v": {"node": [[v at each time] for each sample]}, "sweep": {...}}
("sweep" only with --sweep; without it "v" holds one sample).

examples:
  dgcq-sim tran xval_sc_integrator.cir --node out
  dgcq-sim tran xval_sc_integrator --param A=100 --at 10.5n,20.5n,80n --node out --node vg
  dgcq-sim tran xval_charge_share --sweep vin=0:1:5 --at 80n --node acc --json
"""


#: Largest --sweep COUNT (each sample holds nodes x output times float64 values).
MAX_SWEEP = 1_000_000


def register(subparsers) -> None:
    """Add the ``tran`` subcommand to the ``dgcq-sim`` parser."""
    p = subparsers.add_parser("tran", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("netlist", metavar="NETLIST",
                   help="path to a .cir netlist, or the name of one bundled in dgcq_sim/netlists/ "
                        "(e.g. xval_sc_integrator)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a .param of the netlist before it is resolved; VALUE is a "
                        "SPICE number or {expression} in SI units, e.g. CS=2p; repeatable")
    p.add_argument("--sweep", action="append", default=[], metavar="SOURCE=START:STOP:COUNT",
                   help="simulate COUNT samples with the DC value of V/I source SOURCE spaced "
                        "linearly from START to STOP (V or A, SPICE suffixes allowed), e.g. "
                        "vin=0:1:11; repeatable (all sweeps need the same COUNT and run "
                        "together, sample k taking the k-th value of each)")
    p.add_argument("--at", action="append", default=[], metavar="T[,T...]",
                   help="output times in seconds within [0, tstop], comma separated, SPICE "
                        "suffixes allowed (e.g. 10.5n,20.5n); repeatable; default: every "
                        "phase end")
    p.add_argument("--node", action="append", default=[], metavar="NAME",
                   help="node whose voltage to print; repeatable; default: all nodes")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object {\"t\": [...], \"v\": {node: [[...] per sample]}} "
                        "instead of a table")
    add_figure_arguments(p, plot_help="also write the waveforms (node voltages vs time, one line "
                                      "per node and sweep sample) to FILE.png",
                         csv_help="also write them as CSV: sample,t_s,[sweep sources],"
                                  "v(node)_v...")
    p.set_defaults(func=run)


def _resolve_netlist(text: str) -> Path:
    from ..paths import bundled_netlist

    path = Path(text)
    if path.is_file():
        return path
    if path.suffix in ("", ".cir") and path.parent == Path("."):
        return bundled_netlist(path.name)
    from ..errors import InputError
    raise InputError(f"netlist file {text!r} {'is not a file' if path.exists() else 'not found'}")


def _value(text: str, what: str, unit: str = "V or A") -> float:
    """A SPICE number read strictly (``80x`` is refused, not read as 80; see cli_value)."""
    from ._common import cli_value

    return cli_value(text, what, unit)


def parse_sweep(spec: str):
    """``SOURCE=START:STOP:COUNT`` -> (source name, numpy array of COUNT values)."""
    import numpy as np

    from ..errors import ParameterError

    name, sep, rng = spec.partition("=")
    parts = rng.split(":")
    if not sep or not name.strip() or len(parts) != 3:
        raise ParameterError(f"--sweep expects SOURCE=START:STOP:COUNT (e.g. vin=0:1:11), "
                             f"got {spec!r}")
    start = _value(parts[0], f"--sweep {spec!r} START")
    stop = _value(parts[1], f"--sweep {spec!r} STOP")
    try:
        count = int(parts[2].strip())
    except ValueError:
        raise ParameterError(f"--sweep {spec!r}: COUNT must be a whole number, got "
                             f"{parts[2]!r}") from None
    if count < 1:
        raise ParameterError(f"--sweep {spec!r}: COUNT must be >= 1, got {count}")
    if count > MAX_SWEEP:
        raise ParameterError(f"--sweep {spec!r}: COUNT = {count} exceeds {MAX_SWEEP} samples "
                             f"(memory: every sample keeps every node at every output time)")
    return name.strip().lower(), np.linspace(start, stop, count)


def parse_times(items) -> list[float] | None:
    """``["10n,20n", "30n"]`` -> [1e-8, 2e-8, 3e-8] (seconds); None when empty."""
    from ..errors import ParameterError

    times = []
    for item in items:
        for part in item.split(","):
            if not part.strip():
                raise ParameterError(f"--at: empty time in {item!r}")
            times.append(_value(part, "--at", "s"))
    return times or None


def format_table(res, sweep: dict) -> str:
    """Readable table(s) of a :class:`~dgcq_sim.engine.TranResult`."""
    nodes = list(res.v)
    width = max([12] + [len(n) + 2 for n in nodes])
    n_samples = next(iter(res.v.values())).shape[0] if nodes else 1
    blocks = []
    for s in range(n_samples):
        lines = []
        if sweep:
            lines.append(f"sample {s}: " + ", ".join(f"{k}={v[s]:.6g}" for k, v in sweep.items()))
        lines.append(f"{'t [s]':>14}" + "".join(f"{'v(' + n + ') [V]':>{width + 6}}" for n in nodes))
        for i, t in enumerate(res.t):
            lines.append(f"{t:>14.6e}" + "".join(fixed(res.v[n][s, i], 9, width + 6)
                                                 for n in nodes))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _check_finite(res) -> None:
    """SimulationError naming the node, sample and time of the first non-finite voltage."""
    import numpy as np

    from ..errors import SimulationError

    for node, v in res.v.items():
        bad = ~np.isfinite(v)
        if bad.any():
            s, i = (int(k[0]) for k in np.nonzero(bad))
            raise SimulationError(f"v({node}) is not finite ({float(v[s, i])}) at t = "
                                  f"{fmt_num(res.t[i])} s (sample {s}): the circuit's values "
                                  f"overflow double precision")


def run(args: argparse.Namespace) -> int:
    """Load, simulate and print; return 0 (errors raise DgcqError -> exit code 1)."""
    from ..engine import simulate
    from ..errors import NetlistError, ParameterError
    from ..netlist import load_netlist, parse_param_assignments

    params = parse_param_assignments(args.param)
    sweep = {}
    for spec in args.sweep:
        name, values = parse_sweep(spec)
        if name in sweep:
            raise ParameterError(f"--sweep names source {name!r} twice")
        sweep[name] = values
    times = parse_times(args.at)
    check_figure_outputs(args)
    circuit = load_netlist(_resolve_netlist(args.netlist), params=params or None)
    for note in circuit.ignored:
        print(f"warning: {note}", file=sys.stderr)
    if circuit.tran is None:
        raise NetlistError("has no .tran card (nor a 'tran' command in a .control block); add "
                           "one, e.g. '.tran 10p 100n'", circuit.path)
    tstop = float(circuit.tran.tstop)
    for t in times or ():
        if not 0.0 <= t <= tstop:
            raise ParameterError(f"--at {fmt_num(t)} s is outside the simulated interval "
                                 f"[0, {fmt_num(tstop)}] s (.tran tstop)")
    sources = sorted(e.name for e in circuit.elements
                     if type(e).__name__ in ("VSource", "ISource"))
    for name in sweep:
        if name not in sources:
            raise ParameterError(f"--sweep {name}: no V or I source {name!r} in the netlist; "
                                 f"sources: {', '.join(sources) or '(none)'}")
    probes = [n.lower() for n in args.node] or None
    res = simulate(circuit, probes=probes, at=times, sweep=sweep or None)
    _check_finite(res)
    if args.plot:
        from ..report.figures import save_png, waveform_figure

        save_png(waveform_figure(Path(args.netlist).stem, res.t, res.v, sweep), args.plot)
    if args.csv:
        from ..report.figures import waveform_csv, write_text

        write_text(args.csv, waveform_csv(res.t, res.v, sweep))
    if args.json:
        out = {"t": [float(t) for t in res.t],
               "v": {n: v.tolist() for n, v in res.v.items()}}
        if sweep:
            out["sweep"] = {k: v.tolist() for k, v in sweep.items()}
        print(json.dumps(out))
    else:
        print(format_table(res, sweep))
    return 0
