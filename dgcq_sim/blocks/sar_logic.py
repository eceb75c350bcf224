"""SAR controller logic (trial-and-restore, MSB first): numba-callable pieces.

Bottom-plate convention of the bundled SAR (top-plate sampling): every bit's bottom plate
sits at the reference VR while sampling; trial k pulls plate k to 0; the comparator
decides bit k = [v(top) >= 0]; a 1 keeps plate k at 0, a 0 returns it to VR.
"""

from __future__ import annotations

import numba as nb


@nb.njit(cache=True, inline="always")
def plate_level(bit: int, trial: int, decided_bit: int) -> float:
    """Bottom-plate level of ``bit`` in units of VR during the trial of bit ``trial``
    (trials run from the MSB down), given its own decision if it was already tried.

    Returns 1 (at VR) before its trial, 0 during its trial, 1 - decided_bit after it.
    """
    if bit > trial:
        return 1.0 - decided_bit
    if bit == trial:
        return 0.0
    return 1.0
