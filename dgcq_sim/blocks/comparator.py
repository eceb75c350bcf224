"""Latched comparator: offset, per-decision Gaussian noise and metastability, as
numba-callable pieces.

Development note: these are inlined (``inline="always"``) into the kernels of
``quantizers/kernels.py`` and ``quantizers/nonlinear.py``, whose numba on-disk cache checks
only their own source file: after editing this module, delete their cached ``*.nbi`` /
``*.nbc`` files (``__pycache__``)."""

from __future__ import annotations

import numba as nb
import numpy as np

from .rng import ZIG_FN, ZIG_KN, ZIG_WN, normal, uniform01


@nb.njit(cache=True, inline="always")
def decide(v_in: float, threshold: float, offset: float, noise: float) -> int:
    """One comparator decision: 1 if v_in + offset + noise >= threshold (all V), else 0.

    ``noise`` is this decision's noise sample (V), e.g. rms * N(0, 1).  A tie decides 1,
    which makes an ideal quantizer's code floor(...) at exact transition levels.
    """
    return 1 if v_in + offset + noise >= threshold else 0


@nb.njit(cache=True, inline="always")
def resolve_metastable(u: float) -> int:
    """Decision of a latch that has not regenerated in time (its input was inside the
    metastability window VDD*exp(-TDEC/TAU_REG)): 1 or 0 with probability 1/2 each, from a
    uniform draw ``u`` in [0, 1)."""
    return 1 if u < 0.5 else 0


@nb.njit(cache=True, inline="always")
def noisy_decision(v_in: float, rms: float, meta: float, use_noise: bool, key, ctr):
    """One decision on ``v_in`` (V, offset and threshold already in) with the comparator's
    noise from the sample's random stream ``key`` at counter ``ctr``: when ``use_noise``, a
    Gaussian input-referred noise of ``rms`` (V; 0 = none, no draw) and, inside the
    metastability window |v_in + noise| < ``meta``, a coin flip.  Returns (decision, the
    advanced counter)."""
    noise = 0.0
    if use_noise and rms > 0.0:
        g, ctr = normal(key, ctr, ZIG_KN, ZIG_WN, ZIG_FN)
        noise = rms * g
    d = decide(v_in, 0.0, 0.0, noise)
    if use_noise and abs(v_in + noise) < meta:
        d = resolve_metastable(uniform01(key, ctr))
        ctr += np.uint64(1)
    return d, ctr
