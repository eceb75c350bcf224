"""Static linearity from a code-density (histogram) test, IEEE Std 1241-2010 section 6.4.

Transition levels follow from the cumulative histogram: for a uniform ramp they are linear in
the cumulative fraction p; for a sine they are arcsine-corrected, T = -cos(pi * p) (in units
of the sine amplitude around its offset).  Amplitude and offset drop out of DNL and of the
endpoint-fit INL, so neither needs to be known.  Only codes strictly between the lowest and
highest code hit have a measurable width; a code there with no hits is a missing code
(DNL = -1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, ParameterError
from ._checks import as_codes, check_positive_int


@dataclass(frozen=True)
class Linearity:
    """Code-density DNL/INL.

    codes: the inner codes whose width was measured (first_code+1 .. last_code-1).
    dnl: differential non-linearity of those codes, LSB.
    inl: endpoint-fit integral non-linearity at the transitions into codes first_code+1 ..
        last_code, LSB (zero at both ends by construction).
    dnl_max, inl_max: max |DNL|, max |INL|, LSB.
    missing_codes: codes never produced (inner codes with no hits; for a ramp over the full
        scale, any code in 0..n_codes-1 with no hits).
    first_code, last_code: lowest and highest code hit.
    missing: the missing codes themselves (ascending).
    """

    codes: np.ndarray
    dnl: np.ndarray
    inl: np.ndarray
    dnl_max: float
    inl_max: float
    missing_codes: int
    first_code: int
    last_code: int
    missing: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def code_density(codes, n_codes: int, stimulus: str = "sine") -> Linearity:
    """DNL and INL of a quantizer from the codes it gave for a sine or a uniform ramp.

    codes: output codes (integers in 0..n_codes-1), 1-D.
    n_codes: number of output codes of the quantizer.
    stimulus: "sine" (arcsine-corrected histogram) or "ramp" (uniform input over full scale).
    Needs at least three distinct codes hit and some hundreds of samples per code for DNL
    estimates within a few hundredths of an LSB.
    """
    n_codes = check_positive_int(n_codes, "n_codes", 3)
    if stimulus not in ("sine", "ramp"):
        raise ParameterError(f"stimulus must be 'sine' or 'ramp', got {stimulus!r}")
    c = as_codes(codes, "codes", 3)
    lo_c, hi_c = int(c.min()), int(c.max())
    if lo_c < 0 or hi_c >= n_codes:
        raise InputError(f"codes must lie in 0..{n_codes - 1}, got range {lo_c}..{hi_c}")
    if hi_c - lo_c < 2:
        raise InputError(f"code-density test needs at least 3 codes hit, got {lo_c}..{hi_c}")
    hist = np.bincount(c, minlength=n_codes).astype(np.float64)
    # cumulative fraction below each transition into codes lo_c+1 .. hi_c
    p = np.cumsum(hist[lo_c:hi_c]) / c.size
    t = -np.cos(np.pi * p) if stimulus == "sine" else p
    widths = np.diff(t)  # codes lo_c+1 .. hi_c-1
    lsb = (t[-1] - t[0]) / widths.size
    dnl = widths / lsb - 1.0
    inl = (t - t[0]) / lsb - np.arange(t.size)
    if stimulus == "ramp":
        which = np.flatnonzero(hist == 0)
    else:
        which = lo_c + 1 + np.flatnonzero(hist[lo_c + 1:hi_c] == 0)
    return Linearity(codes=np.arange(lo_c + 1, hi_c), dnl=dnl, inl=inl,
                     dnl_max=float(np.max(np.abs(dnl))), inl_max=float(np.max(np.abs(inl))),
                     missing_codes=int(which.size), first_code=lo_c, last_code=hi_c,
                     missing=which.astype(np.int64))
