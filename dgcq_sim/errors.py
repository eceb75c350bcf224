"""Typed exceptions raised by dgcq_sim.

Library code never prints; it raises one of these with a message that names the bad
value (and ``file:line`` for netlists).  All derive from :class:`DgcqError`.
"""

from __future__ import annotations


class DgcqError(Exception):
    """Base class of every error dgcq_sim raises on purpose."""


class NetlistError(DgcqError, ValueError):
    """A netlist that cannot be parsed or simulated.

    The message reads ``path:line: what is wrong (near 'token')``.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 token: str | None = None):
        self.reason = message
        self.path = path
        self.line = line
        self.token = token
        where = f"{path or '<netlist>'}:{line}: " if line is not None else (f"{path}: " if path else "")
        near = f" (near '{token}')" if token else ""
        super().__init__(f"{where}{message}{near}")


class ParameterError(DgcqError, ValueError):
    """A parameter that is unknown, out of range, or not a finite number."""


class InputError(DgcqError, ValueError):
    """Bad user data: NaN/inf, wrong shape or dtype, empty array."""


class SimulationError(DgcqError, RuntimeError):
    """The engine cannot simulate the circuit as given (e.g. singular system)."""


class QuantizerError(DgcqError, ValueError):
    """A quantizer configured inconsistently (bits, iterations, controller sources)."""


class ModelFileError(DgcqError, ValueError):
    """A model or data archive with missing keys or mis-shaped arrays."""


class SpiceError(DgcqError, RuntimeError):
    """ngspice is missing or failed on an exported netlist."""


class DependencyError(DgcqError, ImportError):
    """An optional dependency (e.g. PyTorch for :mod:`dgcq_sim.nn.torch`) is not installed;
    the message names the package and the extra that installs it."""
