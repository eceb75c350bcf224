"""Argument checks shared by the subcommands: every one runs before any work starts.

* argparse ``type=`` functions (:func:`nonneg_int`, :func:`positive_int`) so a bad number
  is a usage error (exit 2) at parse time;
* :func:`check_output_file` / :func:`check_output_dir` (from :mod:`dgcq_sim.outputs`): an
  output path is refused up front unless a probe file can be created and removed there;
* :func:`fmt_num` (from :mod:`dgcq_sim.display`): numbers in messages as plain text (never
  ``np.float64(...)`` reprs, never a negative zero).
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
    v = _int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


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
