"""Argument checks shared by the subcommands: every one runs before any work starts.

* argparse ``type=`` functions (:func:`nonneg_int`, :func:`positive_int`, :func:`int_in`)
  so a bad number is a usage error (exit 2) at parse time;
* :func:`check_output_file` / :func:`check_output_dir` (from :mod:`dgcq_sim.outputs`): an
  output path is refused up front unless a probe file can be created and removed there;
* :func:`check_png`: a ``--plot FILE.png`` output (suffix and writability);
* :func:`fmt_num` (from :mod:`dgcq_sim.display`): numbers in messages as plain text (never
  ``np.float64(...)`` reprs, never a negative zero).

And the argument groups several subcommands share, defined once:

* :func:`add_quantizer_arguments` (NETLIST, ``--param``, ``--ideal``, ``--seed``) with
  :func:`quantizer_params` / :func:`load_quantizer_from` to use them;
* :func:`add_cost_arguments` (``--cost``, ``--cost-param``) with :func:`cost_model_from_args`;
* :func:`add_images_argument` (``--images N``; nn-eval keeps ``--limit`` as a deprecated
  alias).
"""

from __future__ import annotations

import argparse
import re

from ..display import fmt_num  # noqa: F401  (numbers in messages: one definition)
from ..outputs import check_output_dir, check_output_file  # noqa: F401


def _int(text: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def nonneg_int(text: str) -> int:
    """argparse type: an integer >= 0 (seeds)."""
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (counts, limits)."""
    return int_in(1)(text)


def int_in(lo: int, hi: int | None = None):
    """argparse type: an integer >= ``lo`` (and <= ``hi``): ``int_in(16)`` for sine records,
    ``int_in(1, 1000)`` for images of the bundled subset."""
    def check(text: str) -> int:
        v = _int(text)
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, got {v}")
        if hi is not None and v > hi:
            raise argparse.ArgumentTypeError(f"must be <= {hi}, got {v}")
        return v

    check.__name__ = f"integer >= {lo}" + (f" and <= {hi}" if hi is not None else "")
    return check


def add_figure_arguments(p: argparse.ArgumentParser, plot_help: str, csv_help: str) -> None:
    """``--plot FILE.png`` and ``--csv FILE`` (what they hold is the command's own help);
    :func:`check_figure_outputs` checks them before any work."""
    p.add_argument("--plot", default=None, metavar="FILE.png", help=plot_help)
    p.add_argument("--csv", default=None, metavar="FILE", help=csv_help)


def check_figure_outputs(args: argparse.Namespace) -> None:
    """Refuse a bad ``--plot`` / ``--csv`` (of :func:`add_figure_arguments`) up front."""
    if args.plot:
        check_png(args.plot)
    if args.csv:
        check_output_file(args.csv, "--csv")


def check_png(path: str, flag: str = "--plot") -> None:
    """Refuse a plot output before any work: it must end in .png and be writable."""
    from ..errors import InputError

    if not str(path).lower().endswith(".png"):
        raise InputError(f"{flag} {str(path)!r} must end in .png")
    check_output_file(path, flag)


# --- argument groups shared by the subcommands -------------------------------------------

IDEAL_HELP = ("turn every non-ideality off (parasitic caps, leakage, offsets, noise, "
              "mismatch; op-amp gain 1e9; values in docs/parameters.md)")


def add_quantizer_arguments(p: argparse.ArgumentParser, *, seed_help: str,
                            param_help: str = ".param override, NAME=VALUE (SPICE number or "
                                              "{expression}, e.g. NC=3, CPAR=20f); repeatable",
                            ideal: bool = True) -> None:
    """Add the quantizer a command works on: NETLIST, ``--param``, ``--ideal``, ``--seed``.

    seed_help: what the seed drives in this command (e.g. "seed of mismatch and noise").
    param_help: help of ``--param`` where the command gives it a meaning of its own.
    ideal: False for a command without ``--ideal`` (``budget`` starts from the ideal
    circuit itself); ``args.ideal`` is then False.
    """
    p.add_argument("netlist", metavar="NETLIST",
                   help="architecture name (see `dgcq-sim architectures`) or netlist path")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help=param_help)
    if ideal:
        p.add_argument("--ideal", action="store_true", help=IDEAL_HELP)
    else:
        p.set_defaults(ideal=False)
    p.add_argument("--seed", type=nonneg_int, default=0, metavar="S",
                   help=f"{seed_help} (>= 0, default 0); same seed, same numbers")


def add_quantizer_overrides(p: argparse.ArgumentParser) -> None:
    """``--param`` and ``--ideal`` for a command whose ``--quantizer`` may be a netlist
    (``nn-eval``, ``train``): they apply to a netlist quantizer only."""
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="netlist parameter override (repeatable; SI value)")
    p.add_argument("--ideal", action="store_true",
                   help="with a netlist quantizer: turn every non-ideality off")


def quantizer_params(args: argparse.Namespace) -> dict[str, str]:
    """The ``--param`` overrides as a mapping (ParameterError for a bad item)."""
    from ..netlist import parse_param_assignments

    return parse_param_assignments(args.param)


def load_quantizer_from(args: argparse.Namespace):
    """The Quantizer that :func:`add_quantizer_arguments`' options describe."""
    from ..quantizers import load_quantizer

    return load_quantizer(args.netlist, params=quantizer_params(args) or None,
                          ideal=args.ideal, seed=args.seed)


class DeprecatedAlias(argparse.Action):
    """An old option name kept working: it sets the new option's ``dest`` and says, on
    stderr, which name to use instead (``--limit`` -> ``--images``)."""

    def __init__(self, option_strings, dest, new: str, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        import sys

        print(f"dgcq-sim: warning: {option_string} is deprecated; use {self.new} "
              f"(same meaning)", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_images_argument(p: argparse.ArgumentParser, help: str, hi: int | None = None,
                        old: str | None = None) -> None:
    """``--images N``: how many (strided) test images, the one name every command uses
    (``demo``, ``nn-eval``, the benchmarks); ``old`` (nn-eval's ``--limit``) stays as a
    deprecated alias."""
    p.add_argument("--images", type=int_in(1, hi), default=None, metavar="N", help=help)
    if old:
        p.add_argument(old, dest="images", type=int_in(1, hi), action=DeprecatedAlias,
                       new="--images", metavar="N", help="deprecated alias of --images")


def add_cost_arguments(p: argparse.ArgumentParser, example: str = "comparator_energy=80f"
                       ) -> None:
    """Add ``--cost FILE.toml`` and ``--cost-param NAME=VALUE`` (docs/cost.md)."""
    p.add_argument("--cost", default=None, metavar="FILE.toml",
                   help="override cost-model constants from a TOML file (docs/cost.md)")
    p.add_argument("--cost-param", action="append", default=[], metavar="NAME=VALUE",
                   help=f"override one cost-model constant, e.g. {example} "
                        "(repeatable; applied after --cost; names in docs/cost.md)")


def cost_model_from_args(args: argparse.Namespace):
    """The CostModel of ``--cost`` / ``--cost-param`` (ParameterError naming a bad entry)."""
    from ..cost.overrides import cost_model_from

    return cost_model_from(args.cost, args.cost_param)


_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
                     r"(?P<suffix>meg|[tgkmunpfµ])?(?P<unit>[A-Za-zµ]*)\s*\Z", re.IGNORECASE)
UNITS = {"s": ("s", "sec"), "V": ("v",), "A": ("a",), "V or A": ("v", "a")}


def cli_value(text: str, flag: str, unit: str) -> float:
    """A SPICE number given on the command line, read strictly.

    SPICE ignores letters after the scale suffix (``80x`` reads as 80); on the command line
    that hides typos, so after the optional suffix (``f p n u m k meg g t``, case-insensitive)
    only the quantity's own unit may follow: ``unit`` is ``"s"`` (``10ns``, ``5s``), ``"V"``,
    ``"A"`` or ``"V or A"``.  Raises ParameterError naming ``flag`` and the text.
    """
    from ..errors import NetlistError, ParameterError
    from ..netlist import parse_value

    t = str(text)
    if len(t) > 200:
        raise ParameterError(f"{flag}: {len(t)}-character value {t[:20]!r}... is not a number")
    m = _NUMBER.match(t)
    if m is None:
        raise ParameterError(f"{flag}: {t.strip()!r} is not a number (e.g. 0.5, 10n, 2.5e-9)")
    rest = m.group("unit").lower()
    if rest and rest not in UNITS[unit]:
        suffix = m.group("suffix") or ""
        raise ParameterError(
            f"{flag}: {t.strip()!r} ends in {rest!r}, which is neither a scale suffix "
            f"(f p n u m k meg g t) nor the unit {unit}"
            + (f" after {suffix!r}" if suffix else "")
            + "; SPICE would silently ignore it")
    try:
        return parse_value(t.strip())
    except NetlistError as exc:
        raise ParameterError(f"{flag}: {exc.reason} (got {t.strip()!r})") from None


def parse_vsquant(text: str | None) -> tuple[int, int] | None:
    """``--vsquant V/S`` (vector length, scale bits) -> (V, S), validated by
    :func:`~dgcq_sim.nn.quant.check_vsquant`; None for None."""
    if text is None:
        return None
    from ..errors import ParameterError
    from ..nn.quant import check_vsquant
    try:
        v, s = (int(t) for t in text.split("/"))
    except ValueError:
        raise ParameterError(f"--vsquant expects V/S integers, e.g. 16/4, got {text!r}") from None
    return check_vsquant((v, s))


#: CimConfig fields set by the mapping options (an option not given: the record's value)
MAPPING_OPTIONS = ("rows", "row_split", "mid_tread", "input_bits_per_cycle",
                   "weight_bits_per_cell", "signed")


def add_mapping_arguments(p) -> None:
    """The CIM array mapping of :class:`~dgcq_sim.nn.cim.CimConfig` (nn-eval, train):
    --rows, --row-split, --[no-]mid-tread, --input-bits-per-cycle, --weight-bits-per-cell,
    --signed (the config checks the ranges and names the field).  An option not given
    defaults to the fine-tuned model's record, else to CimConfig's default (see
    :func:`mapping_options`)."""
    from ..nn.cim import ROW_SPLITS, SIGNED_SCHEMES
    trained = "; default: as the model was trained, else "
    p.add_argument("--rows", type=int, default=None, metavar="R",
                   help="rows per CIM array (16..1024" + trained + "128)")
    p.add_argument("--row-split", default=None, choices=ROW_SPLITS,
                   help="how a layer's K rows are cut into ceil(K/R) arrays: packed (R rows "
                        "each, the last one shorter) or balanced (equal sizes)"
                        + trained + "packed")
    p.add_argument("--mid-tread", action=argparse.BooleanOptionalAction, default=None,
                   help="shift every partial-sum voltage by half an LSB so that a zero sum "
                        "sits at the centre of a code: the ADC rounds instead of truncating, "
                        "and near-zero sums keep their code under noise and offsets"
                        + trained + "mid-rise, zero on a transition")
    p.add_argument("--input-bits-per-cycle", type=int, default=None, metavar="N",
                   help="input bits applied per cycle (1..8" + trained + "8: one cycle)")
    p.add_argument("--weight-bits-per-cell", type=int, default=None, metavar="N",
                   help="weight bits per cell (1..8" + trained + "8: one cell)")
    p.add_argument("--signed", default=None, choices=SIGNED_SCHEMES,
                   help="signed-weight scheme" + trained + "differential bit-line pair")


def mapping_options(args, record: dict | None) -> dict:
    """{CimConfig field: value} of the mapping options: the value given, else the
    fine-tuned model's (``record``), else CimConfig's default."""
    from ..nn.cim import CimConfig
    default = CimConfig()
    have = record["mapping"] if record is not None else {}
    return {k: getattr(args, k) if getattr(args, k) is not None
            else have.get(k, getattr(default, k)) for k in MAPPING_OPTIONS}
