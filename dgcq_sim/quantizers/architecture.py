"""The Architecture contract and the registry of quantizer architectures.

A quantizer architecture is one netlist (the analog part, SPICE that ngspice runs, with
its parameters as ``.param`` cards) plus one controller class registered here::

    from dgcq_sim.quantizers import Architecture, ScheduleBuilder, register

    @register("flash")
    class Flash(Architecture):
        summary = "..."
        netlist = "flash.cir"                      # bundled name, or a Path of your own
        shared_params = ("VREF", "VOS", ...)       # specs from params.CATALOGUE
        own_params = (ParamSpec("NBITS", "", "resolution", lo=1, hi=8, integer=True),)

        def schedule(self, p):  ...                # -> Schedule (phases, decisions, code)
        def resources(self, p, schedule): ...      # -> cost.HardwareSpec

Everything else — loading, parameter checks, ``ideal=True``, both conversion kernels,
Monte Carlo instances, SPICE export, characterization, ENOB, cost, the CLI and the
report — works from this contract, with no per-architecture code anywhere else.  A netlist
whose title starts with ``* NAME:`` (or a file called ``NAME.cir``) is loaded with the
architecture registered as NAME.  See docs/architectures.md for a complete example.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, Mapping

import numpy as np

from ..cost.spec import HardwareSpec
from ..errors import QuantizerError
from .params import COMPARATOR_DYNAMICS, SWITCH_CHARGE, ParamSpec, specs_for
from .schedule import Schedule

_REGISTRY: dict[str, "Architecture"] = {}


class Architecture(ABC):
    """What a converter declares; one registered instance per architecture.

    Class attributes: ``name`` (set by :func:`register`), ``summary`` (one line),
    ``netlist`` (bundled file name or path of its netlist; default ``NAME.cir``),
    ``shared_params`` (names from :data:`~.params.CATALOGUE`), ``own_params``
    (its own :class:`~.params.ParamSpec` s), ``parasitic_prefix`` (capacitors whose name
    starts with it are parasitics: removed by ``ideal=True``, no mismatch).
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    netlist: ClassVar[str | Path | None] = None
    shared_params: ClassVar[tuple[str, ...]] = ()
    own_params: ClassVar[tuple[ParamSpec, ...]] = ()
    parasitic_prefix: ClassVar[str] = "cp"

    # ------------------------------------------------------------------ parameters
    def params(self) -> dict[str, ParamSpec]:
        """Every parameter spec of this architecture, by lower-case name (its shared and
        own parameters, plus the comparator dynamics and switch charge every architecture
        has)."""
        return specs_for((*self.shared_params, *COMPARATOR_DYNAMICS, *SWITCH_CHARGE),
                         self.own_params)

    def ideal_values(self) -> dict[str, float]:
        """Parameter values ``ideal=True`` sets (specs whose ``ideal`` is not None)."""
        return {k: s.ideal for k, s in self.params().items() if s.ideal is not None}

    def validate(self, p: Mapping[str, float]) -> None:
        """Checks across parameters (each parameter's own range is already checked);
        raise :class:`~.params.DesignParameterError`.  Default: none."""

    # ------------------------------------------------------------------ circuit
    def prepare_netlist(self, text: str, p: Mapping[str, float], path: str) -> str:
        """Netlist text with blocks regenerated from the parameters (e.g. a DAC for NBITS).
        Default: unchanged."""
        return text

    @abstractmethod
    def schedule(self, p: Mapping[str, float]) -> Schedule:
        """The controller: phases, source values, decisions and code assembly."""

    def full_scale(self, p: Mapping[str, float]) -> tuple[float, float]:
        """Input range [vmin, vmax) in V.  Default [0, VREF)."""
        return 0.0, float(p["vref"])

    def ideal_codes(self, v: np.ndarray, p: Mapping[str, float], n_codes: int) -> np.ndarray:
        """Codes of the ideal converter (the contract tests compare ``ideal=True`` with
        this).  Default: uniform mid-tread-free staircase floor((v - vmin)/LSB)."""
        lo, hi = self.full_scale(p)
        code = np.floor((np.asarray(v, float) - lo) / (hi - lo) * n_codes).astype(np.int64)
        return np.clip(code, 0, n_codes - 1)

    @abstractmethod
    def resources(self, p: Mapping[str, float], schedule: Schedule) -> HardwareSpec:
        """Hardware for the cost model (caps and their switching, comparators and their
        decisions, op-amps and their active time, logic bits and their clocking)."""

    # ------------------------------------------------------------------ helpers
    def netlist_path(self) -> Path:
        """Path of the architecture's netlist."""
        from ..paths import bundled_netlist

        src = self.netlist if self.netlist is not None else f"{self.name}.cir"
        if isinstance(src, Path):
            if not src.is_file():
                raise QuantizerError(f"architecture {self.name!r}: netlist {str(src)!r} not found")
            return src
        return bundled_netlist(str(src))

    def __repr__(self) -> str:
        return f"<Architecture {self.name!r}: {self.summary}>"


def register(name: str, *, replace: bool = False):
    """Class decorator: register an :class:`Architecture` subclass under ``name``.

    ``replace=True`` allows re-registering a name (e.g. reloading a user module)."""
    key = str(name).lower()
    if not key.isidentifier():
        raise QuantizerError(f"architecture name must be an identifier, got {name!r}")

    def deco(cls):
        if not (isinstance(cls, type) and issubclass(cls, Architecture)):
            raise QuantizerError(f"@register({name!r}) needs an Architecture subclass, got {cls!r}")
        if key in _REGISTRY and not replace and type(_REGISTRY[key]) is not cls:
            raise QuantizerError(f"architecture {key!r} is already registered "
                                 f"({type(_REGISTRY[key]).__module__}); pass replace=True")
        cls.name = key
        _REGISTRY[key] = cls()
        return cls

    return deco


def unregister(name: str) -> None:
    """Remove an architecture from the registry (tests, user experiments)."""
    _REGISTRY.pop(str(name).lower(), None)


def architectures() -> tuple[str, ...]:
    """Names of the registered architectures, in registration order."""
    return tuple(_REGISTRY)


def get_architecture(name: str) -> Architecture:
    """The registered architecture called ``name`` (QuantizerError listing the known ones)."""
    arch = _REGISTRY.get(str(name).lower())
    if arch is None:
        raise QuantizerError(f"no architecture {name!r} is registered; known: "
                             f"{', '.join(architectures())}")
    return arch


def architecture_of(title: str, path: Path) -> Architecture:
    """The architecture a netlist belongs to: its title ``* NAME: ...`` or file name."""
    head = title.strip().lstrip("*").strip()
    word = head.split(":", 1)[0].strip().lower() if ":" in head else ""
    if word in _REGISTRY:
        return _REGISTRY[word]
    if path.stem.lower() in _REGISTRY:
        return _REGISTRY[path.stem.lower()]
    raise QuantizerError(
        f"cannot tell the quantizer architecture (kind) of {str(path)!r}: its title line "
        f"{title!r} must start with one of {', '.join(a + ':' for a in architectures())} "
        f"(or name the file <architecture>.cir); register your own with "
        f"dgcq_sim.quantizers.register")


def code_bits(n_codes: int) -> int:
    """Resolution in whole bits of ``n_codes`` output codes (log2, rounded)."""
    return int(round(math.log2(n_codes)))


def levels_bits(n: int) -> int:
    """Bits needed to write the numbers 0..n."""
    return max(1, int(math.ceil(math.log2(n + 1))))
