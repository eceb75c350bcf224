"""Hardware-resource pieces shared by architectures' ``resources()`` (cost-model input)."""

from __future__ import annotations

from ..cost.model import conventional_sar_switching_energy
from ..cost.spec import CapBlock
from .architecture import levels_bits


def sar_dac_caps(bits: int, cu: float, vref: float) -> tuple[CapBlock, ...]:
    """Binary-weighted DAC of ``bits`` bits (2^bits Cu with the dummy): the conventional
    switching energy once per conversion, and sampling the input onto it."""
    c = cu * 2 ** bits
    units = conventional_sar_switching_energy(bits, cu, vref) / (vref ** 2 * c)
    return (CapBlock("sar_switching", c, 1, units),
            CapBlock("sar_sampling", c, 1, "sampling_energy_fraction", in_area=False))


def counter_bits(n_iter: int) -> int:
    """Width of a counter that counts to ``n_iter`` (0 without iterations)."""
    return levels_bits(n_iter) if n_iter else 0
