"""Characterize a quantizer once into a TransferFunction (what the NN path consumes)."""

from __future__ import annotations

import math

import numpy as np


def characterize(q, rng: np.random.Generator | None = None, *, n_noise: int = 2048,
                 noise_points: int = 64, points_per_lsb: int = 16):
    """TransferFunction of quantizer ``q`` (static transitions + input-referred noise).

    n_noise, noise_points: noisy conversions per grid region and number of grid regions of
    the noise fit; points_per_lsb: density of the staircase sweep (see
    ``TransferFunction.from_converter``).  Cost: about ``points_per_lsb`` noise-free
    conversions per code plus ``n_noise * noise_points`` noisy ones (more where codes
    rarely change); for coarse-only designs with thousands of iterations each conversion
    steps through every iteration, so lower the noise effort there.
    """
    from ..transfer import TransferFunction

    noisy = None
    if q.has_noise:
        def noisy(v, g):
            return q.convert(v, noise=True, rng=g).codes
    return TransferFunction.from_converter(
        lambda v: q.convert(v, noise=False).codes, q.vmin, q.vmax,
        int(math.ceil(math.log2(q.n_codes))), n_codes=q.n_codes,
        code_values=q.code_to_voltage(np.arange(q.n_codes)),
        convert_noisy=noisy, rng=rng if rng is not None else q._rng,
        n_noise=n_noise, noise_points=noise_points, points_per_lsb=points_per_lsb)
