"""Latched comparator: offset, per-decision Gaussian noise and metastability, as
numba-callable pieces."""

from __future__ import annotations

import numba as nb


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
