"""SPICE numbers: ``1k``, ``2.2u``, ``1e-12``, ``1.5MEG``, ``10kOhm``, ``5ns``.

Rule (as in SPICE/ngspice): a number (optionally with an exponent), then an optional scale
suffix, then any further letters, which are ignored as a unit.  Scale suffixes are
case-insensitive: ``f p n u m k meg g t``.  Note the SPICE traps this implies: ``M`` is
milli (``1MHz`` = 1e-3), ``MEG`` is mega, and ``F`` is femto (``1F`` = 1e-15).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from ..errors import NetlistError

SCALE_SUFFIXES: dict[str, float] = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
}

_SCALE_EXPONENTS = {k: round(math.log10(v)) for k, v in SCALE_SUFFIXES.items()}

# mantissa, optional exponent, then letters only (suffix + unit).
_NUMBER = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]*)\Z")
_SUFFIX = re.compile(r"(meg|[tgkmunpf])?", re.IGNORECASE)


def split_number(token: str) -> tuple[float, str] | None:
    """``(value, unit_letters)`` if ``token`` is a SPICE number, else None.

    ``value`` already includes the scale suffix; ``unit_letters`` are the ignored
    trailing letters (e.g. ``"Ohm"`` for ``10kOhm``).
    """
    m = _NUMBER.match(token.strip())
    if m is None:
        return None
    mantissa, letters = m.group(1), m.group(2)
    exponent = 0
    s = _SUFFIX.match(letters)
    suffix = s.group(1) if s else None
    if suffix:
        exponent = _SCALE_EXPONENTS[suffix.lower()]
        letters = letters[len(suffix):]
    # Scale in decimal so that "3n" is the float nearest 3e-9 (3 * 1e-9 is not).
    return float(Decimal(mantissa).scaleb(exponent)), letters


def parse_value(token: str) -> float:
    """Convert one SPICE number token to an SI float.

    Parameters
    ----------
    token : str
        e.g. ``"1p"``, ``"2.2uF"``, ``"1e-12"``, ``"1.5MEG"``, ``"10kOhm"``, ``"-5ns"``.

    Returns
    -------
    float
        The value in SI units (the unit letters themselves are not checked).

    Raises
    ------
    NetlistError
        If ``token`` is not a SPICE number or its value is not finite.
    """
    if not isinstance(token, str):
        raise NetlistError(f"expected a SPICE number as text, got {type(token).__name__}",
                           token=repr(token))
    if not token.strip():
        raise NetlistError("empty value where a SPICE number was expected", token="''")
    parsed = split_number(token)
    if parsed is None:
        raise NetlistError("not a SPICE number (expected e.g. 1k, 2.2u, 1e-12, 1.5meg)",
                           token=token)
    value = parsed[0]
    if not math.isfinite(value):
        raise NetlistError("number is out of range (not finite)", token=token)
    return value
