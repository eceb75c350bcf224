"""Exact recovery of integer MAC levels: how many bits a quantizer resolves without error."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import InputError, ParameterError
from ._checks import check_positive_int, check_range


def _levels(vmin: float, vmax: float, bits: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    lo, hi = check_range(vmin, vmax)
    bits = check_positive_int(bits, "bits", 1)
    if bits > 24:
        raise ParameterError(f"bits={bits} is above 24: 2^bits levels would not fit in memory")
    n = 1 << bits
    levels = np.arange(n, dtype=np.int64)
    return levels, lo + (levels + 0.5) * ((hi - lo) / n), lo, hi


def _hits(to_estimate, v: np.ndarray, levels: np.ndarray, lo: float, hi: float, n: int) -> int:
    est = np.asarray(to_estimate(v), dtype=np.float64)
    if est.shape != v.shape:
        raise InputError(f"to_estimate returned shape {est.shape} for input shape {v.shape}")
    if not np.all(np.isfinite(est)):
        raise InputError("to_estimate returned a non-finite estimate")
    got = np.floor((est - lo) * (n / (hi - lo))).astype(np.int64)
    return int(np.count_nonzero(got == levels))


def recovery_rate(to_estimate: Callable[[np.ndarray], np.ndarray], vmin: float, vmax: float,
                  bits: int, repeats: int = 1) -> float:
    """Fraction of the 2^bits integer levels recovered exactly.

    Level i in 0..2^bits-1 is the input v = vmin + (i + 0.5) * FS / 2^bits (V); it is recovered
    when floor((estimate - vmin) * 2^bits / FS) == i, i.e. the estimate falls in the level's
    own bin (the same as round(x - 0.5) == i except exactly on a bin edge).
    to_estimate: maps input voltages (1-D array, V) to estimated inputs (same shape, V).
    repeats: times the whole level set is converted (noise makes each pass differ).
    """
    levels, v, lo, hi = _levels(vmin, vmax, bits)
    repeats = check_positive_int(repeats, "repeats", 1)
    hits = sum(_hits(to_estimate, v, levels, lo, hi, levels.size) for _ in range(repeats))
    return hits / (levels.size * repeats)


def _passes(to_estimate, vmin, vmax, bits: int, threshold: float, repeats: int,
            chunks: int = 16) -> bool:
    """recovery_rate(...) >= threshold, converting interleaved chunks of the levels and
    stopping as soon as the misses already exceed what the threshold allows."""
    levels, v, lo, hi = _levels(vmin, vmax, bits)
    n = levels.size
    total = n * repeats
    allowed = total - int(np.ceil(threshold * total - 1e-9))  # misses that still pass
    misses = 0
    k = min(chunks, n)
    for _ in range(repeats):
        for j in range(k):
            sel = slice(j, None, k)  # every k-th level: each chunk spans the full scale
            misses += v[sel].size - _hits(to_estimate, v[sel], levels[sel], lo, hi, n)
            if misses > allowed:
                return False
    return True


def lossless_bits(to_estimate: Callable[[np.ndarray], np.ndarray], vmin: float, vmax: float,
                  max_bits: int, threshold: float = 0.999, repeats: int = 1) -> int:
    """Largest b <= max_bits whose 2^b integer levels are recovered at a rate >= threshold.

    An ideal n-bit quantizer has exactly n lossless bits: every level of b <= n bits lands in
    its own code, while at n + 1 bits two levels share each code and half are lost.
    Returns 0 when not even 1 bit passes.  See :func:`recovery_rate` for the level mapping;
    a failing b is abandoned as soon as its misses exceed what the threshold allows.
    """
    max_bits = check_positive_int(max_bits, "max_bits", 1)
    repeats = check_positive_int(repeats, "repeats", 1)
    if not 0.0 < threshold <= 1.0:
        raise ParameterError(f"threshold must be in (0, 1], got {threshold}")
    check_range(vmin, vmax)
    best = 0
    for b in range(1, max_bits + 1):
        if _passes(to_estimate, vmin, vmax, b, threshold, repeats):
            best = b
    return best
