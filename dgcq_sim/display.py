"""Numbers as text for people: the one place that decides how values are printed.

* :func:`show`: values in error messages as a user would type them: ``1e-08``, never
  ``np.float64(1e-08)`` (numpy >= 2 gives numpy scalars a repr that names their type);
  strings keep their quotes.
* :func:`fmt_num`: a number as short plain text (``1e-08``, ``0.25``, ``3``).
* :func:`fixed`: a fixed-point column (``f"{v:.9f}"``) for tables.

None of them prints a negative zero: ``-0.0``, and a tiny negative value that rounds to
zero at the printed precision (``-3e-13`` at 9 decimals), print as ``0`` / ``0.000000000``
— a minus sign on a printed zero says "below zero" where the digits say nothing.
"""

from __future__ import annotations

import math

import numpy as np


def _unsigned_zero(text: str) -> str:
    """``text`` without its minus sign when every digit in it is 0 ("-0.000" -> "0.000")."""
    if text.startswith("-") and not any(c in "123456789" for c in text.split("e")[0]):
        return text[1:]
    return text


def show(v) -> str:
    """repr of ``v`` with numpy scalars/arrays converted to Python values first."""
    if isinstance(v, np.generic):
        v = v.item()
    elif isinstance(v, np.ndarray):
        v = v.tolist() if v.size <= 8 else f"array of shape {v.shape}"
        return v if isinstance(v, str) else repr(v)
    if isinstance(v, float):
        return _unsigned_zero(f"{v:.12g}") if np.isfinite(v) else repr(v)
    return repr(v)


def fmt_num(v) -> str:
    """A number as short plain text: ``1e-08``, ``0.25``, ``3`` (numpy scalars included)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isfinite(f) and f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return _unsigned_zero(f"{f:.6g}")


def fixed(v, decimals: int, width: int = 0) -> str:
    """``v`` with ``decimals`` digits after the point, right-aligned in ``width`` characters;
    a value that rounds to zero prints without a sign (``fixed(-3e-13, 9)`` is
    ``"0.000000000"``)."""
    return f"{_unsigned_zero(f'{float(v):.{int(decimals)}f}'):>{int(width)}}"
