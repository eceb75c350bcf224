"""Shared helpers for the ngspice cross-validation tests."""

from __future__ import annotations

import dataclasses

from dgcq_sim.netlist import Circuit, load_netlist
from dgcq_sim.paths import bundled_netlist

XVAL = ("xval_charge_share", "xval_sc_integrator", "xval_cdac5", "xval_settling",
        "xval_droop", "xval_two_clocks")


def xval_circuit(name: str, **params) -> Circuit:
    """One of the six cross-validation netlists, with ``.param`` overrides."""
    return load_netlist(bundled_netlist(name), params=params or None)


def without_locations(c: Circuit) -> Circuit:
    """The circuit with every source location and the path removed (for equality)."""
    def strip(x):
        return dataclasses.replace(x, loc=None) if dataclasses.is_dataclass(x) and hasattr(x, "loc") else x

    elements = []
    for el in c.elements:
        el = strip(el)
        if hasattr(el, "model"):
            el = dataclasses.replace(el, model=strip(el.model))
        elements.append(el)
    return dataclasses.replace(c, elements=tuple(elements), path=None,
                               models={k: strip(m) for k, m in c.models.items()},
                               tran=strip(c.tran) if c.tran else None)


