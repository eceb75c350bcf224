"""SPICE numbers: ``1k``, ``2.2u``, ``1e-12``, ``1.5MEG``, ``10kOhm``, ``5ns``, ``4.7µF``, ``1kΩ``.

Rule (as in SPICE/ngspice): a number (optionally with an exponent), then an optional scale
suffix, then any further letters, which are ignored as a unit.  Scale suffixes are
case-insensitive: ``f p n u m k meg g t``, and ``µ`` (U+00B5, micro).  Note the SPICE traps
this implies: ``M`` is milli (``1MHz`` = 1e-3), ``MEG`` is mega, and ``F`` is femto
(``1F`` = 1e-15).

Digits are ASCII only (``٣`` or ``３`` are not numbers).  The scanner is linear in the
length of the token, and a value that overflows a float is an error, never ``inf``.

RKM notation (``4k7`` = 4.7k, ``2R2`` = 2.2, ``1M5`` = 1.5m: the suffix letter stands for
the decimal point) is read only where :func:`split_rkm` is asked to, i.e. for R and C
values, as ngspice does in its ``lt`` compatibility mode.
"""

from __future__ import annotations

import math
import re

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
_SCALE_EXPONENTS["µ"] = -6              # U+00B5 MICRO SIGN, as ngspice reads it
_SCALE_EXPONENTS["r"] = 0               # RKM only: 2R2 = 2.2

# Letters allowed after a number (suffix + unit): ASCII letters, micro sign, ohm signs.
UNIT_LETTERS = "A-Za-zµΩΩ"
_UNIT = re.compile(f"[{UNIT_LETTERS}]*\\Z")
_SUFFIX = re.compile(r"(meg|[tgkmunpfµ])?", re.IGNORECASE)
_DIGITS = frozenset("0123456789")
_MAX_SIGNIFICANT = 800       # more digits than a double can ever need for correct rounding
_MAX_EXPONENT_DIGITS = 6     # 1e999999 already overflows; longer exponents are not parsed


def _digits(text: str, i: int) -> int:
    """Index after the run of ASCII digits starting at ``text[i]``."""
    n = len(text)
    while i < n and text[i] in _DIGITS:
        i += 1
    return i


def _to_float(sign: str, int_part: str, frac_part: str, exponent: int, token: str) -> float:
    """``sign int_part.frac_part * 10**exponent`` as the nearest float; error if it overflows."""
    digits = (int_part + frac_part).lstrip("0")
    if not digits:
        return -0.0 if sign == "-" else 0.0
    exponent -= len(frac_part)
    # Keep the leading digits; a dropped non-zero tail is a sticky 1 so rounding stays exact.
    if len(digits) > _MAX_SIGNIFICANT:
        tail = digits[_MAX_SIGNIFICANT:]
        exponent += len(tail)
        digits = digits[:_MAX_SIGNIFICANT] + ("1" if tail.strip("0") else "0")
        exponent -= 1
    if exponent + len(digits) > 400:          # > 1e400: certainly out of float range
        value = math.inf
    elif exponent + len(digits) < -400:       # < 1e-400: underflows to 0, as in ngspice
        value = 0.0
    else:
        value = float(f"{digits}e{exponent}")
    if math.isinf(value):
        raise NetlistError("number is out of range (not finite as a float: |x| must be < 1.8e308)",
                           token=token)
    return -value if sign == "-" else value


def _scan(token: str) -> tuple[str, str, str, int, int] | None:
    """``(sign, int_part, frac_part, exponent, end)`` of the number at the start of ``token``."""
    i, n = 0, len(token)
    sign = ""
    if i < n and token[i] in "+-":
        sign, i = token[i], i + 1
    j = _digits(token, i)
    int_part = token[i:j]
    frac_part = ""
    if j < n and token[j] == ".":
        k = _digits(token, j + 1)
        frac_part, j = token[j + 1:k], k
    if not int_part and not frac_part:
        return None
    exponent = 0
    if j < n and token[j] in "eE":
        k = j + 1
        esign = ""
        if k < n and token[k] in "+-":
            esign, k = token[k], k + 1
        e_end = _digits(token, k)
        if e_end > k:                         # else the 'e' is a unit letter (1e = 1, as ngspice)
            e_digits = token[k:e_end].lstrip("0") or "0"
            if len(e_digits) > _MAX_EXPONENT_DIGITS:
                e_digits = "9" * (_MAX_EXPONENT_DIGITS + 1)    # beyond any float either way
            exponent = int(esign + e_digits)
            j = e_end
    return sign, int_part, frac_part, exponent, j


def split_number(token: str) -> tuple[float, str] | None:
    """``(value, unit_letters)`` if ``token`` is a SPICE number, else None.

    ``value`` already includes the scale suffix; ``unit_letters`` are the ignored
    trailing letters (e.g. ``"Ohm"`` for ``10kOhm``).  Raises NetlistError (without
    location) if the number overflows a float.
    """
    token = token.strip()
    scanned = _scan(token)
    if scanned is None:
        return None
    sign, int_part, frac_part, exponent, end = scanned
    letters = token[end:]
    if not _UNIT.match(letters):
        return None
    suffix = _SUFFIX.match(letters).group(1)
    if suffix:
        exponent += _SCALE_EXPONENTS[suffix.lower()]
        letters = letters[len(suffix):]
    # Scale in decimal so that "3n" is the float nearest 3e-9 (3 * 1e-9 is not).
    return _to_float(sign, int_part, frac_part, exponent, token), letters


_RKM = re.compile(f"([+-]?)([0-9]+)(meg|[rtgkmunpfµ])([0-9]+)([{UNIT_LETTERS}]*)\\Z", re.IGNORECASE)


def split_rkm(token: str) -> tuple[float, str] | None:
    """``(value, unit_letters)`` of an RKM value such as ``4k7`` (4.7e3) or ``2R2`` (2.2), else None.

    The letter (a scale suffix, or ``R`` for 1) sits between two digit runs and stands
    for the decimal point.  ``M`` stays milli (``1M5`` = 1.5e-3), as in ngspice.
    """
    m = _RKM.match(token.strip())
    if m is None:
        return None
    sign, whole, letter, frac, unit = m.groups()
    return _to_float(sign, whole, frac, _SCALE_EXPONENTS[letter.lower()], token), unit


def number_hint(token: str) -> str:
    """Extra explanation for a token that is not a SPICE number ('' if none applies)."""
    if "μ" in token:                          # U+03BC GREEK SMALL LETTER MU
        return (" (Greek mu U+03BC is not a scale suffix: ngspice reads '1μ' as 1; write u or "
                "the micro sign µ U+00B5)")
    if split_rkm(token) is not None:
        return (" (RKM notation such as 4k7 is read only in R and C values; ngspice reads "
                "digits after a suffix as a unit and ignores them here; write e.g. 4.7k)")
    if any(ch.isdigit() and ch not in _DIGITS for ch in token):
        return " (only ASCII digits 0-9 are digits in a netlist)"
    return ""


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
        raise NetlistError("not a SPICE number (expected e.g. 1k, 2.2u, 1e-12, 1.5meg)"
                           + number_hint(token), token=token)
    return parsed[0]
