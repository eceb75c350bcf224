"""Small circuits built straight from the dataclasses (engine tests do not need the parser)."""

from __future__ import annotations

from dgcq_sim.netlist.circuit import (Capacitor, Circuit, Dc, ISource, Pulse, Pwl, Resistor,
                                      Switch, SwitchModel, Tran, Vcvs, VSource)


def model(name="sw", ron=10.0, roff=1e15, vt=0.5, vh=0.0):
    return SwitchModel(name, ron, roff, vt, vh)


def circuit(*elements, tran=None, title="test"):
    return Circuit(title=title, elements=tuple(elements), tran=tran)


__all__ = ["Capacitor", "Circuit", "Dc", "ISource", "Pulse", "Pwl", "Resistor", "Switch",
           "SwitchModel", "Tran", "Vcvs", "VSource", "model", "circuit"]
