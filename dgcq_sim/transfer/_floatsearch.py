"""Vectorized bisection over float64 values down to adjacent floats.

Bisecting on the *ordered integer* image of float64 (monotone bijection, -0.0 == +0.0)
instead of on the value halves the set of representable floats each step, so the search
ends at adjacent floats in at most 64 steps whatever the magnitude, also across zero.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

_SIGN_MASK = np.int64(0x7FFFFFFFFFFFFFFF)


def float_to_key(x: np.ndarray) -> np.ndarray:
    """Monotone map float64 -> int64 (finite values; -0.0 and +0.0 map to 0)."""
    i = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
    return np.where(i < 0, -(i & _SIGN_MASK), i)


def key_to_float(k: np.ndarray) -> np.ndarray:
    """Inverse of :func:`float_to_key`."""
    k = np.asarray(k, dtype=np.int64)
    i = np.where(k < 0, (-k) | ~_SIGN_MASK, k)
    return np.ascontiguousarray(i).view(np.float64)


def bisect_first_true(lo: np.ndarray, hi: np.ndarray,
                      is_right: Callable[[np.ndarray, np.ndarray], np.ndarray],
                      max_steps: int = 70) -> tuple[np.ndarray, np.ndarray]:
    """Shrink brackets ``(lo, hi]`` to adjacent floats, all brackets at once.

    ``is_right(x, idx)`` says, for trial points ``x`` of brackets ``idx``, whether ``x``
    belongs to the right side (the side of ``hi``).  Requires ``lo < hi`` and that ``lo``
    is left, ``hi`` right.  Returns ``(lo, hi)`` with ``hi`` the first float found on the
    right side and ``lo`` its predecessor.  For a monotone predicate this is the exact
    transition point; otherwise it is *a* transition inside the original bracket.
    """
    klo = float_to_key(lo).copy()
    khi = float_to_key(hi).copy()
    for _ in range(max_steps):
        active = np.flatnonzero(khi - klo > 1)
        if active.size == 0:
            break
        a, b = klo[active], khi[active]
        mid = (a >> 1) + (b >> 1) + (a & b & 1)
        right = np.asarray(is_right(key_to_float(mid), active), dtype=bool)
        khi[active[right]] = mid[right]
        klo[active[~right]] = mid[~right]
    return key_to_float(klo), key_to_float(khi)
