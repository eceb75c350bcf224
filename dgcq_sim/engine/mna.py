"""Modified nodal analysis (MNA) of a Circuit: C·x' + A(s)·x = B·u(t).

Unknowns ``x`` = non-ground node voltages (V) followed by the branch currents (A) of
every V source, E and H element and inductor (an inductor's row is
``v(n1) - v(n2) - L·di/dt = 0``, so its current is a state like a capacitor voltage).
G adds ``gm`` to A between its output and control terminals; F adds ``gain`` times the
controlling V source's branch current to its output nodes; H's row is
``v(pos) - v(neg) - r·i(VNAME) = 0``.  ``u`` = values of all independent sources (V and I, in
netlist order).  ``C`` holds capacitances (F), ``A`` conductances (S) plus the V/E
constraint rows; the switch conductances depend on which switches are closed, so ``A``
is assembled per switch configuration by :meth:`MnaSystem.a_matrix`.

Sign conventions (SPICE): a V source holds ``v(pos) - v(neg) = u`` and its branch
current flows from ``pos`` through the source to ``neg``; an I source drives ``u``
amperes out of the circuit at ``pos`` and into it at ``neg``.  Rows are KCL "current
leaving the node through elements = current injected by sources".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..netlist.circuit import (GROUND, Capacitor, Cccs, Ccvs, Circuit, Inductor, ISource,
                               Resistor, Switch, Vccs, Vcvs, VSource)

# elements owning a branch current in x (V sources, E and H outputs, inductors)
BRANCH_TYPES = (VSource, Vcvs, Ccvs, Inductor)

BOLTZMANN = 1.380649e-23  # J/K


def _where(el) -> str:
    return f" ({el.loc})" if getattr(el, "loc", None) is not None else ""


def _positive(el, what: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ParameterError(f"{el.name}{_where(el)}: {what} must be a positive finite number, "
                             f"got {value!r}")
    return float(value)


@dataclass(frozen=True)
class MnaSystem:
    """Matrices of one circuit, independent of the switch configuration.

    Attributes: ``nodes`` (non-ground node names), ``branches`` (names of V/E elements
    owning a branch current), ``sources`` (independent V/I source names = columns of
    ``b``), ``switches`` (switch names), ``c`` (n, n) F, ``a_fixed`` (n, n) without
    switches, ``b`` (n, n_src), ``switch_inc`` (n_sw, n) incidence rows,
    ``switch_ron``/``switch_roff`` (n_sw,) ohm, ``res_inc`` (n_res, n), ``res_r`` (n_res,)
    ohm, ``cap_basis`` (n, n_c) and ``null_basis`` (n, n − n_c): orthonormal bases of
    range(C) and null(C).
    """

    circuit: Circuit
    nodes: tuple[str, ...]
    branches: tuple[str, ...]
    sources: tuple[str, ...]
    switches: tuple[str, ...]
    c: np.ndarray
    a_fixed: np.ndarray
    b: np.ndarray
    switch_inc: np.ndarray
    switch_ron: np.ndarray
    switch_roff: np.ndarray
    res_inc: np.ndarray
    res_r: np.ndarray
    cap_basis: np.ndarray
    null_basis: np.ndarray

    @property
    def n(self) -> int:
        """Number of MNA unknowns (nodes + branch currents)."""
        return len(self.nodes) + len(self.branches)

    def node_index(self, name: str) -> int:
        """Row of node ``name`` in x; -1 for ground."""
        key = name.lower()
        if key in ("0", "gnd"):
            return -1
        try:
            return self.nodes.index(key)
        except ValueError:
            raise ParameterError(f"unknown node {name!r} in circuit {self.circuit.title!r}; "
                                 f"nodes: {list(self.nodes)}") from None

    def a_matrix(self, closed: frozenset[str]) -> np.ndarray:
        """A for a switch configuration: switches named in ``closed`` at RON, others ROFF."""
        g = np.where([s in closed for s in self.switches], 1.0 / self.switch_ron,
                     1.0 / self.switch_roff) if self.switches else np.zeros(0)
        inc = self.switch_inc
        return self.a_fixed + (inc.T * g) @ inc

    def noise_intensity(self, closed: frozenset[str], temperature: float) -> np.ndarray:
        """Two-sided white current-noise intensity matrix (A²/Hz·... as δ-strength, A²·s).

        Each resistor and switch (at its present RON/ROFF) contributes 2kT/R·inc·incᵀ, so a
        lone RC node settles to the variance kT/C.
        """
        g_sw = np.where([s in closed for s in self.switches], 1.0 / self.switch_ron,
                        1.0 / self.switch_roff) if self.switches else np.zeros(0)
        s = (self.res_inc.T * (1.0 / self.res_r)) @ self.res_inc
        s = s + (self.switch_inc.T * g_sw) @ self.switch_inc
        return 2.0 * BOLTZMANN * temperature * s


def _terminals(el) -> tuple[str, ...]:
    """Terminals through which ``el`` couples to the analog network (switch controls
    excluded: they draw no current and the engine sets switch states itself)."""
    if isinstance(el, (Resistor, Capacitor, Switch, Inductor)):
        return (el.n1, el.n2)
    if isinstance(el, (Vcvs, Vccs)):
        return (el.pos, el.neg, el.cp, el.cn)
    return (el.pos, el.neg)


def analog_elements(circuit: Circuit) -> tuple:
    """Elements of the analog network: all but V sources that only drive switch-control
    nodes (clock/bit control sources), which the engine ignores because phases set the
    switches."""
    analog = {t for el in circuit.elements if not isinstance(el, VSource)
              for t in _terminals(el)} - {GROUND}
    sensed = {el.vsrc for el in circuit.elements if isinstance(el, (Cccs, Ccvs))}
    analog |= {t for el in circuit.elements if el.name in sensed for t in _terminals(el)} - {GROUND}
    vsources = [el for el in circuit.elements if isinstance(el, VSource)]
    changed = True
    while changed:
        changed = False
        for el in vsources:
            ends = {el.pos, el.neg} - {GROUND}
            if ends & analog and not ends <= analog:
                analog |= ends
                changed = True
    return tuple(el for el in circuit.elements
                 if not isinstance(el, VSource) or ({el.pos, el.neg} - {GROUND}) & analog)


def circuit_nodes(elements) -> tuple[str, ...]:
    """Non-ground analog nodes in order of first use."""
    seen: dict[str, None] = {}
    for el in elements:
        for t in _terminals(el):
            if t != GROUND:
                seen.setdefault(t, None)
    return tuple(seen)


def build_mna(circuit: Circuit) -> MnaSystem:
    """Stamp the MNA matrices of ``circuit`` (validates element values)."""
    elements = analog_elements(circuit)
    nodes = circuit_nodes(elements)
    index = {n: i for i, n in enumerate(nodes)}
    branches = tuple(el.name for el in elements if isinstance(el, BRANCH_TYPES))
    branch_of = {name: nn_ for name, nn_ in zip(branches, range(len(nodes), len(nodes) + len(branches)))}
    sources = tuple(el.name for el in elements if isinstance(el, (VSource, ISource)))
    switches = tuple(el.name for el in elements if isinstance(el, Switch))
    nn, n = len(nodes), len(nodes) + len(branches)
    c = np.zeros((n, n))
    a = np.zeros((n, n))
    b = np.zeros((n, len(sources)))

    def inc(n1: str, n2: str) -> np.ndarray:
        v = np.zeros(n)
        if n1 != GROUND:
            v[index[n1]] += 1.0
        if n2 != GROUND:
            v[index[n2]] -= 1.0
        return v

    res_inc, res_r, sw_inc, sw_on, sw_off = [], [], [], [], []
    br = nn
    src = 0
    for el in elements:
        if isinstance(el, Resistor):
            r = _positive(el, "resistance", el.r)
            v = inc(el.n1, el.n2)
            a += np.outer(v, v) / r
            res_inc.append(v)
            res_r.append(r)
        elif isinstance(el, Capacitor):
            if not (math.isfinite(el.c) and el.c >= 0):
                raise ParameterError(f"{el.name}{_where(el)}: capacitance must be finite and "
                                     f">= 0, got {el.c!r}")
            v = inc(el.n1, el.n2)
            c += np.outer(v, v) * el.c
        elif isinstance(el, Switch):
            _positive(el, "RON", el.model.ron)
            _positive(el, "ROFF", el.model.roff)
            sw_inc.append(inc(el.n1, el.n2))
            sw_on.append(el.model.ron)
            sw_off.append(el.model.roff)
        elif isinstance(el, VSource):
            v = inc(el.pos, el.neg)
            a[:, br] += v
            a[br, :] += v
            b[br, src] = 1.0
            br += 1
            src += 1
        elif isinstance(el, ISource):
            b[:, src] = -inc(el.pos, el.neg)
            src += 1
        elif isinstance(el, Vcvs):
            if not math.isfinite(el.gain):
                raise ParameterError(f"{el.name}{_where(el)}: gain must be finite, got {el.gain!r}")
            v = inc(el.pos, el.neg)
            a[:, br] += v
            a[br, :] += v - el.gain * inc(el.cp, el.cn)
            br += 1
        elif isinstance(el, Inductor):
            v = inc(el.n1, el.n2)
            a[:, br] += v
            a[br, :] += v
            c[br, br] = -_positive(el, "inductance", el.l)
            br += 1
        elif isinstance(el, Vccs):
            a += np.outer(inc(el.pos, el.neg), inc(el.cp, el.cn)) * el.gm
        elif isinstance(el, (Cccs, Ccvs)):
            if el.vsrc not in branch_of:
                raise ParameterError(f"{el.name}{_where(el)}: controlling V source {el.vsrc!r} is "
                                     "not part of the analog circuit")
            col = branch_of[el.vsrc]
            if isinstance(el, Cccs):
                a[:, col] += el.gain * inc(el.pos, el.neg)
            else:
                v = inc(el.pos, el.neg)
                a[:, br] += v
                a[br, :] += v
                a[br, col] -= el.r
                br += 1
        else:  # pragma: no cover - Circuit only holds the types above
            raise ParameterError(f"unsupported element {el!r}")
    cap_basis, null_basis = _capacitor_bases(n, [(index.get(el.n1, -1), index.get(el.n2, -1))
                                                 for el in elements
                                                 if isinstance(el, Capacitor) and el.c > 0]
                                             + [(branch_of[el.name], -1) for el in elements
                                                if isinstance(el, Inductor)])
    as2d = lambda rows: np.array(rows).reshape(len(rows), n)  # noqa: E731
    return MnaSystem(circuit, nodes, branches, sources, switches, c, a, b,
                     as2d(sw_inc), np.array(sw_on, float), np.array(sw_off, float),
                     as2d(res_inc), np.array(res_r, float), cap_basis, null_basis)


def _capacitor_bases(n: int, caps: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal bases W of range(C) and N of null(C), both sparse per capacitor cluster.

    Nodes joined by capacitors form clusters (an inductor's branch current is passed as a
    "capacitor" from its row to ground: a state of its own); a cluster touching ground contributes all its
    node voltages to range(C), a floating cluster of k nodes its k−1 differential modes
    (its common mode goes to N).  Nodes without capacitors and branch currents go to N as
    unit vectors.  Keeping N local (not an arbitrary SVD complement) matters: mixing a
    floating common mode, held only by 1e-15 S, with a source node row would bury it in
    round-off.
    """
    parent = list(range(n + 1))          # index n stands for ground

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    touched = set()
    for i, j in caps:
        i, j = (n if i < 0 else i), (n if j < 0 else j)
        if i == j:
            continue
        touched |= {i, j}
        parent[find(i)] = find(j)
    clusters: dict[int, list[int]] = {}
    for i in sorted(touched):
        clusters.setdefault(find(i), []).append(i)
    w_cols, n_cols = [], []
    for members in clusters.values():
        nodes = [i for i in members if i != n]
        if n in members:
            for i in nodes:
                v = np.zeros(n)
                v[i] = 1.0
                w_cols.append(v)
        else:
            k = len(nodes)
            centered = np.eye(k) - 1.0 / k
            u, _, _ = np.linalg.svd(centered)
            for col in range(k):
                v = np.zeros(n)
                v[nodes] = u[:, col]
                (w_cols if col < k - 1 else n_cols).append(v)
            n_cols[-1] = np.zeros(n)
            n_cols[-1][nodes] = 1.0 / np.sqrt(k)
    in_caps = {i for i in touched if i != n}
    for i in range(n):
        if i not in in_caps:
            v = np.zeros(n)
            v[i] = 1.0
            n_cols.append(v)
    shape = lambda cols: np.array(cols).T.reshape(n, len(cols))  # noqa: E731
    return shape(w_cols), shape(n_cols)


def source_value_at(wave, t: float) -> float:
    """Value of a source waveform at time ``t`` (s), ngspice semantics (see :mod:`.waves`)."""
    from .waves import value_at
    return value_at(wave, t)
