"""Exact recovery of integer MAC levels: how many bits a quantizer resolves without error."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import InputError, ParameterError
from ._checks import check_positive_int, check_range


def recovery_rate(to_estimate: Callable[[np.ndarray], np.ndarray], vmin: float, vmax: float,
                  bits: int, repeats: int = 1) -> float:
    """Fraction of the 2^bits integer levels recovered exactly.

    Level i in 0..2^bits-1 is the input v = vmin + (i + 0.5) * FS / 2^bits (V); it is recovered
    when floor((estimate - vmin) * 2^bits / FS) == i, i.e. the estimate falls in the level's
    own bin (the same as round(x - 0.5) == i except exactly on a bin edge).
    to_estimate: maps input voltages (1-D array, V) to estimated inputs (same shape, V).
    repeats: times the whole level set is converted (noise makes each pass differ).
    """
    lo, hi = check_range(vmin, vmax)
    bits = check_positive_int(bits, "bits", 1)
    repeats = check_positive_int(repeats, "repeats", 1)
    if bits > 24:
        raise ParameterError(f"bits={bits} is above 24: 2^bits levels would not fit in memory")
    n = 1 << bits
    fs = hi - lo
    levels = np.arange(n, dtype=np.int64)
    v = lo + (levels + 0.5) * (fs / n)
    hits = 0
    for _ in range(repeats):
        est = np.asarray(to_estimate(v), dtype=np.float64)
        if est.shape != v.shape:
            raise InputError(f"to_estimate returned shape {est.shape} for input shape {v.shape}")
        if not np.all(np.isfinite(est)):
            raise InputError("to_estimate returned a non-finite estimate")
        got = np.floor((est - lo) * (n / fs)).astype(np.int64)
        hits += int(np.count_nonzero(got == levels))
    return hits / (n * repeats)


def lossless_bits(to_estimate: Callable[[np.ndarray], np.ndarray], vmin: float, vmax: float,
                  max_bits: int, threshold: float = 0.999, repeats: int = 1) -> int:
    """Largest b <= max_bits whose 2^b integer levels are recovered at a rate >= threshold.

    An ideal n-bit quantizer has exactly n lossless bits: every level of b <= n bits lands in
    its own code, while at n + 1 bits two levels share each code and half are lost.
    Returns 0 when not even 1 bit passes.  See :func:`recovery_rate` for the level mapping.
    """
    max_bits = check_positive_int(max_bits, "max_bits", 1)
    if not 0.0 < threshold <= 1.0:
        raise ParameterError(f"threshold must be in (0, 1], got {threshold}")
    best = 0
    for b in range(1, max_bits + 1):
        if recovery_rate(to_estimate, vmin, vmax, b, repeats) >= threshold:
            best = b
    return best
