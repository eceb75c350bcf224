"""The state a transient starts from: the DC operating point, or the initial conditions.

* Without ``.tran ... UIC``: the DC operating point (capacitors open, inductors shorted),
  with the nodes of ``.ic V(node)=v`` held at ``v`` (their KCL rows replaced), as ngspice
  does; element ``ic=`` values are ignored (the parser notes it).
* With UIC (ngspice's rules): no operating point.  Every capacitor starts at its own
  ``ic=``, else at the difference of the ``.ic`` voltages of its nodes (0 for a node
  without one); every inductor at its ``ic=`` current, else 0.  The engine needs only the
  charges C·x of that start (a phase map depends on nothing else), so it solves
  C·x = Σ C_k·v_k·inc_k on range(C): capacitors whose initial voltages contradict each other
  (a loop) share their charge as they would physically at t = 0+.
"""

from __future__ import annotations

import numpy as np

from ..netlist.circuit import Capacitor, Circuit, Inductor
from .mna import MnaSystem
from .program import dc_operating_point, phase_map

UIC_SETTLE = 1e-12      # the t = 0 output of a UIC run is taken this fraction of tstop later


def _clamps(sys: MnaSystem, circuit: Circuit, scale: float) -> dict[int, float]:
    return {sys.nodes.index(n): scale * v for n, v in circuit.ic.items() if n in sys.nodes}


def uic_state(sys: MnaSystem, circuit: Circuit) -> np.ndarray:
    """MNA vector x with the charges of the UIC initial conditions (nodes without a
    capacitor and branch currents other than inductors' are 0)."""
    n = sys.n
    index = {name: i for i, name in enumerate(sys.nodes)}
    node_ic = dict(circuit.ic)
    q = np.zeros(n)

    def inc(a: str, b: str) -> np.ndarray:
        v = np.zeros(n)
        if a in index:
            v[index[a]] += 1.0
        if b in index:
            v[index[b]] -= 1.0
        return v

    for el in circuit.elements:
        if isinstance(el, Capacitor):
            v0 = el.ic if el.ic is not None else node_ic.get(el.n1, 0.0) - node_ic.get(el.n2, 0.0)
            q += el.c * v0 * inc(el.n1, el.n2)
        elif isinstance(el, Inductor) and el.name in sys.branches:
            br = len(sys.nodes) + sys.branches.index(el.name)
            q[br] = -el.l * (el.ic or 0.0)               # its row holds -L·di/dt
    w = sys.cap_basis
    if w.shape[1] == 0:
        return np.zeros(n)
    y = np.linalg.solve(w.T @ sys.c @ w, w.T @ q)
    return w @ y


def initial_state(sys: MnaSystem, circuit: Circuit, closed: frozenset[str], u_all: np.ndarray,
                  sweep_cols: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(x0, g)``: start state for the sources ``u_all`` and its gain per swept source
    (columns ``sweep_cols``), so that the start of sample s is ``x0 + g @ sweep_values``
    (minus ``g @ u_all[sweep_cols]``, which the caller removes)."""
    n, ns = sys.n, len(sys.sources)
    g = np.zeros((n, len(sweep_cols)))
    if circuit.tran is not None and circuit.tran.uic:
        # report t = 0 as the state right after it: capacitor and inductor states as
        # given, every other node consistent with them and the sources (a vanishing phase)
        mp = phase_map(circuit, closed, UIC_SETTLE * float(circuit.tran.tstop))
        x0 = mp.mxx @ uic_state(sys, circuit) + mp.mxu @ u_all
        return x0, mp.mxu[:, sweep_cols]
    if not n:
        return np.zeros(0), g
    x0 = dc_operating_point(sys, closed, u_all, _clamps(sys, circuit, 1.0))
    for i, col in enumerate(sweep_cols):
        g[:, i] = dc_operating_point(sys, closed, np.eye(ns)[col], _clamps(sys, circuit, 0.0))
    return x0, g
