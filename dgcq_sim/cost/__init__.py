"""Cost of a quantizer: area, latency and energy per conversion from its HardwareSpec under a
documented CostModel, and the figures of merit (Walden, Schreier, thermal-noise bound).
Cost never imports quantizers: they hand it a :class:`HardwareSpec`.
"""

from .fom import BOLTZMANN, schreier_fom, sndr_from_enob, thermal_limit_energy, walden_fom
from .model import CostModel, CostReport, conventional_sar_switching_energy, estimate
from .spec import CapBlock, HardwareSpec

__all__ = [
    "CapBlock", "HardwareSpec", "CostModel", "CostReport", "estimate", "conventional_sar_switching_energy",
    "walden_fom", "schreier_fom", "sndr_from_enob", "thermal_limit_energy", "BOLTZMANN",
]
