"""SPICE-subset netlists: parse text/files into an immutable :class:`Circuit`.

``load_netlist(path, params=None)`` and ``parse_netlist(text, path, params)`` are the gate
between user files and the engine: every problem is a NetlistError with ``file:line``.
The subset is documented in ``docs/netlists.md``.
"""

from .circuit import (GROUND, Capacitor, Cccs, Ccvs, Circuit, Dc, Element, Inductor, ISource,
                      Exp, Pulse, Pwl, Resistor, Sffm, Sin, SourceLoc, Switch, SwitchModel, Tran,
                      Vccs, Vcvs, VSource, Waveform)
from .expressions import Expression, evaluate, parse_expression
from .parser import load_netlist, parse_netlist, parse_param_assignments
from .values import SCALE_SUFFIXES, parse_value

__all__ = [
    "GROUND", "Capacitor", "Circuit", "Dc", "Element", "ISource", "Pulse", "Pwl", "Resistor",
    "SourceLoc", "Switch", "SwitchModel", "Tran", "Vcvs", "VSource", "Waveform",
    "Inductor", "Vccs", "Cccs", "Ccvs", "Sin", "Exp", "Sffm",
    "Expression", "evaluate", "parse_expression",
    "load_netlist", "parse_netlist", "parse_param_assignments",
    "SCALE_SUFFIXES", "parse_value",
]
