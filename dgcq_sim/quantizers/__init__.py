"""Quantizers on the engine: coarse counter, SAR and DGCQ netlists + their controllers.

``load_quantizer(netlist, params=None, ideal=False, seed=0) -> Quantizer``.
"""

from .base import IDEAL_OVERRIDES, KINDS, ConversionResult, Quantizer, load_quantizer

__all__ = ["IDEAL_OVERRIDES", "KINDS", "ConversionResult", "Quantizer", "load_quantizer"]
