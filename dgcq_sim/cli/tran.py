"""``dgcq-sim tran``: transient simulation of a netlist, node voltages at phase ends."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
    p.set_defaults(func=run)


def _resolve_netlist(text: str) -> Path:
    from ..paths import bundled_netlist

    path = Path(text)
    if path.is_file():
        return path
    if path.suffix in ("", ".cir") and path.parent == Path("."):
        return bundled_netlist(path.name)
    from ..errors import InputError
    raise InputError(f"netlist file {text!r} not found")


def _value(text: str, what: str) -> float:
    from ..errors import NetlistError, ParameterError
    from ..netlist import parse_value

    try:
        return parse_value(text.strip())
    except NetlistError as exc:
        raise ParameterError(f"{what}: {exc.reason} (got {text!r})") from None


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
        count = int(parts[2])
    except ValueError:
        raise ParameterError(f"--sweep {spec!r}: COUNT must be a whole number, got "
                             f"{parts[2]!r}") from None
    if count < 1:
        raise ParameterError(f"--sweep {spec!r}: COUNT must be >= 1, got {count}")
    return name.strip().lower(), np.linspace(start, stop, count)


def parse_times(items) -> list[float] | None:
    """``["10n,20n", "30n"]`` -> [1e-8, 2e-8, 3e-8] (seconds); None when empty."""
    from ..errors import ParameterError

    times = []
    for item in items:
        for part in item.split(","):
            if not part.strip():
                raise ParameterError(f"--at: empty time in {item!r}")
            times.append(_value(part, "--at"))
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
            lines.append(f"{t:>14.6e}" + "".join(f"{res.v[n][s, i]:>{width + 6}.9f}" for n in nodes))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


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
    circuit = load_netlist(_resolve_netlist(args.netlist), params=params or None)
    for note in circuit.ignored:
        print(f"warning: {note}", file=sys.stderr)
    if circuit.tran is None:
        raise NetlistError("has no .tran card (nor a 'tran' command in a .control block); add "
                           "one, e.g. '.tran 10p 100n'", circuit.path)
    probes = [n.lower() for n in args.node] or None
    res = simulate(circuit, probes=probes, at=parse_times(args.at), sweep=sweep or None)
    if args.json:
        out = {"t": [float(t) for t in res.t],
               "v": {n: v.tolist() for n, v in res.v.items()}}
        if sweep:
            out["sweep"] = {k: v.tolist() for k, v in sweep.items()}
        print(json.dumps(out))
    else:
        print(format_table(res, sweep))
    return 0
