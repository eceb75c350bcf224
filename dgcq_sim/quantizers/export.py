"""SPICE export of one conversion: the analog netlist with the controller as PWL sources.

What the controller does in the engine (switch phases, source values that follow the
decisions) is written out for one input and one decision sequence, so ngspice simulates
exactly the conversion the engine computed (tests compare both within 100 µV).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, QuantizerError
from ..netlist import Pwl, Switch, Tran, VSource


def spice_overrides(q, vin: float, decisions=None) -> tuple[dict, Tran]:
    """PWL waveforms of every controller-driven source and switch control for one input
    (V) and decision sequence (default: its noise-free decisions), and the ``.tran`` card
    covering the conversion.  At each step start the switch controls move first (over
    ``edge`` = min(TEDGE, shortest step / 100)), the data sources during the following
    ``edge`` (break before the reference moves, as a real controller sequences them; the
    engine steps both at once)."""
    sc = q.schedule
    d = q.decisions(vin) if decisions is None else np.asarray(decisions).reshape(-1)
    if d.shape != (len(sc.decisions),) or not np.all((d == 0) | (d == 1)):
        raise InputError(f"decisions must be {len(sc.decisions)} values of 0 or 1, "
                         f"got shape {d.shape}")
    x = float(q._inputs(np.array([vin], dtype=float))[0][0])
    t = q.step_times()
    edge = min(q.params.get("tedge", 1e-12), min(ph.duration for ph in sc.phases) / 100)
    vdd = float(q.params.get("vdd", 1.0))

    def pwl(levels, delay=0.0) -> Pwl:
        times, values = [0.0], [float(levels[0])]
        for k in range(1, len(levels)):
            if levels[k] != levels[k - 1]:
                times += [t[k] + delay, t[k] + delay + edge]
                values += [float(levels[k - 1]), float(levels[k])]
        if len(times) == 1:
            times.append(t[-1])
            values.append(values[0])
        return Pwl(tuple(times), tuple(values))

    u = sc.source_values(x, d)
    out = {name: pwl(u[:, i], edge) for i, name in enumerate(sc.inputs)}
    drivers = {el.pos: el.name for el in q.circuit.of_type(VSource) if el.neg == "0"}
    levels: dict[str, tuple[list, str]] = {}
    for sw in q.circuit.of_type(Switch):
        # a reversed switch (control 0, node: the charge-injection companions) closes
        # while its control node is low
        reverse = sw.cp == "0" and sw.cn != "0"
        node = sw.cn if reverse else sw.cp
        src = drivers.get(node)
        if src is None or (not reverse and sw.cn != "0"):
            raise QuantizerError(f"switch {sw.name} is not driven by a grounded V source "
                                 f"at its control node {node!r}; cannot export it")
        lv = [(0.0 if reverse else vdd) if sw.name in ph.closed else (vdd if reverse else 0.0)
              for ph in sc.phases]
        if src in levels and levels[src][0] != lv:
            raise QuantizerError(f"switches {levels[src][1]} and {sw.name} share the control "
                                 f"source {src} but the schedule sets them inconsistently")
        levels[src] = (lv, sw.name)
    for src, (lv, _) in levels.items():
        out[src] = pwl(lv)
    # ngspice's step: at 1/50 of the shortest phase its error reached 180 uV after a slowly
    # settling DGCQ subtraction; 1/200 keeps every bundled design within ~50 uV of the engine
    shortest = min(ph.duration for ph in sc.phases)
    tran = Tran(tstep=shortest / 200, tstop=float(t[-1]), tmax=shortest / 200)
    return out, tran


def export_spice(q, vin: float, decisions=None) -> str:
    """The analog netlist with the controller-driven sources and switch controls as PWL
    for this input (V) and decision sequence (default: its noise-free decisions), ready
    for ngspice (``dgcq_sim.spice.run_netlist``)."""
    from ..spice import to_spice

    overrides, tran = spice_overrides(q, vin, decisions)
    title = f"{q.circuit.title} (exported for vin={vin!r} V)"
    return to_spice(q.circuit, overrides=overrides, tran=tran, title=title)
