"""Time-stepped engine: phase-exact affine maps of a switched linear circuit + numba kernels.

Public API: :class:`Phase`, :func:`compile_program`, :class:`CompiledProgram`,
:func:`apply_program`, :func:`simulate`, :class:`TranResult`.
"""

from .apply import apply_program
from .program import CompiledProgram, Phase, compile_program
from .simulate import TranResult, simulate

__all__ = ["Phase", "CompiledProgram", "compile_program", "apply_program", "simulate",
           "TranResult"]
