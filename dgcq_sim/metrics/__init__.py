"""Quantizer metrics: IEEE 1241 sine-fit ENOB/SINAD, static ENOB, code-density DNL/INL and
exact recovery of integer MAC levels ("lossless bits").  Pure numpy; typed errors on bad input.
"""

from .linearity import Linearity, code_density
from .lossless import lossless_bits, recovery_rate
from .signals import coherent_cycles, coherent_sine, uniform_ramp
from .sine import SineFit, SineMetrics, fft_sinad_db, fit_sine, sine_metrics, static_enob

__all__ = [
    "Linearity", "code_density", "lossless_bits", "recovery_rate", "coherent_cycles",
    "coherent_sine", "uniform_ramp", "SineFit", "SineMetrics", "fft_sinad_db", "fit_sine",
    "sine_metrics", "static_enob",
]
