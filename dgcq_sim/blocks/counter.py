"""Coarse counter and code assembly: numba-callable pieces."""

from __future__ import annotations

import numba as nb


@nb.njit(cache=True, inline="always")
def count_up(count: int, decision: int) -> int:
    """The coarse counter after one comparator decision (0 or 1)."""
    return count + decision


@nb.njit(cache=True, inline="always")
def assemble_code(coarse: int, fine: int, fine_bits: int, fine_offset: int, n_codes: int) -> int:
    """DGCQ output code = coarse * 2^fine_bits + fine - fine_offset, clipped to [0, n_codes-1].

    ``fine_offset`` is the digital correction of an over-ranged fine stage (2^(NF-1) when
    the SAR converts [-VREF/2, 3 VREF/2)), 0 otherwise.  A plain SAR is coarse = 0,
    fine_bits = its bits; a coarse-only quantizer is fine_bits = 0, fine = 0.
    """
    code = coarse * (1 << fine_bits) + fine - fine_offset
    if code < 0:
        return 0
    if code > n_codes - 1:
        return n_codes - 1
    return code
