"""Test vectors: coherently sampled sines and uniform ramps over a full-scale range (V)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ._checks import check_positive_int, check_range


def coherent_cycles(n_samples: int, fraction: float = 0.0371) -> int:
    """A cycle count near ``fraction * n_samples`` that is coprime with ``n_samples``.

    Coprime means every sample falls at a different phase of the sine, so a coherent record
    exercises as many distinct input values as it has samples.
    """
    n = check_positive_int(n_samples, "n_samples", 8)
    if not 0.0 < fraction < 0.5:
        raise ParameterError(f"fraction must be in (0, 0.5), got {fraction}")
    target = max(1, int(round(fraction * n)))
    for delta in range(n):
        for m in (target + delta, target - delta):
            if 1 <= m < n / 2 and math.gcd(m, n) == 1:
                return m
    raise ParameterError(f"no cycle count coprime with n_samples={n}")  # pragma: no cover


def coherent_sine(n_samples: int, n_cycles: int | None, vmin: float, vmax: float,
                  amplitude_fraction: float = 0.999, phase: float = 0.3217) -> np.ndarray:
    """Coherently sampled sine centred in [vmin, vmax] (V).

    n_samples: record length.
    n_cycles: whole cycles in the record, coprime with n_samples (None: :func:`coherent_cycles`).
    vmin, vmax: full-scale range, V.
    amplitude_fraction: peak amplitude as a fraction of half the full scale (0 < a <= 1).
    phase: starting phase, rad.
    Returns the n_samples input voltages.
    """
    n = check_positive_int(n_samples, "n_samples", 8)
    lo, hi = check_range(vmin, vmax)
    m = coherent_cycles(n) if n_cycles is None else check_positive_int(n_cycles, "n_cycles")
    if m >= n / 2:
        raise ParameterError(f"n_cycles={m} must be below n_samples/2={n / 2} (Nyquist)")
    if math.gcd(m, n) != 1:
        raise ParameterError(f"n_cycles={m} must be coprime with n_samples={n} for coherent sampling")
    if not 0.0 < amplitude_fraction <= 1.0:
        raise ParameterError(f"amplitude_fraction must be in (0, 1], got {amplitude_fraction}")
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    t = np.arange(n, dtype=np.float64)
    return mid + amplitude_fraction * half * np.sin(2.0 * np.pi * m * t / n + float(phase))


def uniform_ramp(n_samples: int, vmin: float, vmax: float) -> np.ndarray:
    """Slow linear ramp over [vmin, vmax] (V): the centres of n_samples equal sub-intervals.

    With k samples per LSB every code of an ideal quantizer is hit exactly k times, so the
    code-density test reads DNL = INL = 0 on it.
    """
    n = check_positive_int(n_samples, "n_samples", 2)
    lo, hi = check_range(vmin, vmax)
    return lo + (np.arange(n, dtype=np.float64) + 0.5) * ((hi - lo) / n)
