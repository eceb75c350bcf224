"""Input checks shared by the metrics: finite 1-D float arrays, sizes, ranges."""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError, ParameterError
from ..display import show


def _asarray(x, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)):
        raise InputError(f"{name} must be numeric, got {type(x).__name__}")
    try:
        return np.asarray(x)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"{name} must be a numeric array, got {type(x).__name__} "
                         f"({str(exc)[:100]})") from None


def as_finite_1d(x, name: str, min_size: int = 1) -> np.ndarray:
    """Return ``x`` as a 1-D float64 array, refusing NaN/inf, wrong shape or too few samples."""
    raw = _asarray(x, name)
    if raw.dtype.kind not in "fiu":     # the rule of dgcq_sim.inputs: no complex/bool/text
        raise InputError(f"{name} must be real numbers, got dtype {raw.dtype}")
    arr = raw.astype(np.float64)
    if arr.ndim != 1:
        raise InputError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size < min_size:
        raise InputError(f"{name} needs at least {min_size} samples, got {arr.size}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name} holds a non-finite value ({show(arr[i])} at index {i})")
    return arr


CODE_MAX = 2.0 ** 53   # largest magnitude where float64 holds every integer


def as_codes(codes, name: str = "codes", min_size: int = 1) -> np.ndarray:
    """Return integer codes as int64, refusing non-integers, NaN and wrong shapes."""
    arr = _asarray(codes, name)
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    else:
        f = as_finite_1d(arr, name, min_size)
        if not np.all(f == np.round(f)):
            raise InputError(f"{name} must hold integers; got a fractional value")
        big = np.abs(f) > CODE_MAX
        if big.any():
            i = int(np.flatnonzero(big)[0])
            raise InputError(f"{name} holds {show(f[i])} at index {i}: codes must lie "
                             f"within +-2**53 (exact integers in float64)")
        arr = f.astype(np.int64)
    if arr.ndim != 1:
        raise InputError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size < min_size:
        raise InputError(f"{name} needs at least {min_size} samples, got {arr.size}")
    return arr


def check_range(vmin, vmax) -> tuple[float, float]:
    """Check a full-scale range [vmin, vmax] (V): finite and vmax > vmin."""
    try:
        lo, hi = float(vmin), float(vmax)
    except (TypeError, ValueError):
        raise ParameterError(f"full-scale range must be numbers, got vmin={show(vmin)}, vmax={show(vmax)}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise ParameterError(f"full-scale range needs finite vmin < vmax, got vmin={lo}, vmax={hi}")
    return lo, hi


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum`` or raise ParameterError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name} must be an integer, got {show(value)}")
    if value < minimum:
        raise ParameterError(f"{name} must be >= {minimum}, got {value}")
    return int(value)
