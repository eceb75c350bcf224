"""Reference-driver resistance RREF of the DAC plates: incomplete settling per bit trial.

The controller drives the DAC plates through ideal sources whose value follows the
decisions (a SAR's bottom plates ``vb<k>``, the coarse loop's reference plate ``vdac``, a
pipeline stage's ``vdac<i>``): the source value is the rail the plate's switches select
(VREF or 0).  :func:`with_reference_resistance` puts RREF between each such source and its
plate: the source moves to a node ``rd_<name>``, joined to the plate by a noiseless
resistor RREF written as a current-controlled voltage source on its own current::

    href_<name>  rd_<name> rx_<name> vsref_<name> RREF     v(rd) - v(rx) = RREF*i
    vsref_<name> rx_<name> plate DC 0                       senses i

so the plate settles through RREF towards its new rail within each trial (and after the
top plate's jump when sampling), and the comparator sees what is left of the transient at
the end of TSAR.  The topology is the same whatever the decisions (the rail choice stays a
source value), so the model is linear and exact in the phase maps; ngspice runs the same
elements and the exported netlist reads back through the parser (an H element is a DC
path, a G element would not be).

What RREF is: the resistance of one plate's path to its rail (reference driver output plus
the DAC switch), the same for every plate, with ideal rails.  The MSB plate is the slowest:
in a SAR its step reaches the top plate with tau ~ RREF*C_MSB*(C_rest)/(C_MSB + C_rest).

What it is not:

* a shared reference with decoupling (RREF + CREF_DEC on the VREF rail): the rail's droop
  reaches only the plates connected to it at that moment, v(plate) = d*(VREF - delta),
  with delta set by the charge earlier decisions drew -- a product of decisions, not affine
  in them, so it cannot be one compiled program (decisions change source values only, see
  schedule.py).  Not modelled (docs/model.md).
* noisy: the H element has no thermal noise.  Its noise is white up to the 1/(RREF*C)
  corner of each plate, and the engine's comparator samples instantaneously, so a noisy
  RREF would put the full kT/C of those fast modes on the floating top plate (variance
  ~kT/CPTOP) that a comparator of finite bandwidth filters out; the comparator's input
  bandwidth is not modelled, so the driver noise is left out rather than overstated.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import NetlistError
from ..netlist import Ccvs, Circuit, Dc, VSource
from .params import DesignParameterError
from .schedule import Schedule

GROUND = "0"


def decision_driven_sources(schedule: Schedule) -> tuple[str, ...]:
    """Names of the controller's reference drivers, in schedule input order: the sources
    it moves between reference levels (their value follows a decision or changes from
    step to step) and that never carry the input (``u_vin`` = 0)."""
    used = set(schedule.dec_input.tolist())
    moves = np.ptp(schedule.u_const, axis=0) > 0 if schedule.n_steps else []
    carries_input = np.any(schedule.u_vin != 0, axis=0)
    return tuple(name for i, name in enumerate(schedule.inputs)
                 if (i in used or moves[i]) and not carries_input[i])


def with_reference_resistance(circuit: Circuit, sources, rref: float,
                              architecture: str = "") -> Circuit:
    """``circuit`` with a noiseless RREF (ohm) between each of ``sources`` and its plate;
    unchanged for RREF = 0.  DesignParameterError if RREF > 0 and there is no such source
    (the architecture has no decision-driven reference driver)."""
    rref = float(rref)
    if rref == 0:
        return circuit
    names = tuple(s.lower() for s in sources)
    if not names:
        raise DesignParameterError(f"RREF = {rref:g} ohm: the {architecture or 'this'} "
                                   f"architecture's controller drives no plate from the "
                                   f"decisions, so there is no reference driver to give a "
                                   f"resistance")
    by_name = {el.name: el for el in circuit.elements if isinstance(el, VSource)}
    elements = []
    added = []
    for el in circuit.elements:
        if el.name in names:
            if el.neg != GROUND:
                raise NetlistError(f"reference driver {el.name} must drive a plate from ground "
                                   f"(got {el.pos} {el.neg}) for RREF", circuit.path or "<netlist>")
            rd, rx = f"rd_{el.name}", f"rx_{el.name}"
            elements.append(dataclasses.replace(el, pos=rd))
            added += [Ccvs(f"href_{el.name}", rd, rx, f"vsref_{el.name}", rref),
                      VSource(f"vsref_{el.name}", rx, el.pos, Dc(0.0))]
        else:
            elements.append(el)
    missing = sorted(set(names) - set(by_name))
    if missing:
        raise NetlistError(f"the controller drives {missing}, which are not V sources of the "
                           f"netlist (RREF)", circuit.path or "<netlist>")
    clash = sorted({el.name for el in circuit.elements} & {g.name for g in added}
                   | set(circuit.nodes) & {g.pos for g in added if isinstance(g, Ccvs)}
                   | set(circuit.nodes) & {g.neg for g in added if isinstance(g, Ccvs)})
    if clash:
        raise NetlistError(f"the netlist already uses the names {clash}, which the reference "
                           f"resistance (RREF) generates", circuit.path or "<netlist>")
    nodes = dict.fromkeys(circuit.nodes)
    for g in added:
        if isinstance(g, Ccvs):
            nodes.setdefault(g.pos, None)
            nodes.setdefault(g.neg, None)
    return dataclasses.replace(circuit, elements=(*elements, *added), nodes=tuple(nodes))
