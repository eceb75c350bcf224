"""Transfer functions: characterize a quantizer once, apply it to millions of values.

:class:`TransferFunction` holds a quantizer's static (noise-free) staircase, the input
estimate per code and an input-referred Gaussian noise model, and applies them with
numba kernels (reproducible noise from an explicit ``numpy.random.Generator``).
"""

from .bank import TransferBank
from .function import TransferFunction

__all__ = ["TransferBank", "TransferFunction"]
