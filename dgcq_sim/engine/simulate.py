"""Transient analysis (``.tran``) of a circuit by exact phase maps, for many samples at once.

The time axis is cut into phases at every PULSE/PWL breakpoint, at every threshold
crossing of a switch control voltage and at the requested output times.  Within a phase
the switches are fixed and every source is affine in time, so the phase map with source
slopes (:mod:`.phasemap`) is exact.  The start is the DC operating point (caps open,
switches per their control at t = 0), like ngspice without UIC; with ``.tran ... UIC``
it is the initial conditions (:mod:`.initial`).

Switch controls must be driven by independent V sources (to ground or between
source-driven nodes); their voltages are then known in closed form, and ngspice's
hysteresis (on above VT+VH, off below VT−VH, else unchanged) is applied with memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numba as nb
import numpy as np

from ..errors import InputError, ParameterError, SimulationError
from ..netlist.circuit import GROUND, Circuit, Dc, Pulse, Pwl, Switch, VSource
from .mna import source_value_at
from .initial import initial_state
from .program import phase_map, system_for

REL_TIME_TOL = 1e-12   # breakpoints closer than this (relative to tstop) are merged


# ------------------------------------------------------------------ result

@dataclass(frozen=True)
class TranResult:
    """Transient result: ``t`` (T,) s, ``v`` node -> (S, T) V (S samples of a sweep)."""

    t: np.ndarray
    v: dict
    node_names: tuple[str, ...]
    sweep: dict = field(default_factory=dict)

    def at(self, node: str, t: float) -> np.ndarray:
        """Voltages (S,) of ``node`` at output time ``t`` (s); ``t`` must be one of ``self.t``
        (pass it in ``simulate(at=...)``: values between phase ends are not interpolated)."""
        key = node.lower()
        if key not in self.v:
            raise ParameterError(f"node {node!r} not in this result; nodes: {list(self.node_names)}")
        tol = REL_TIME_TOL * max(abs(float(self.t[-1])), 1e-300) * 10
        idx = np.flatnonzero(np.abs(self.t - t) <= tol)
        if idx.size == 0:
            raise InputError(f"t = {t!r} s is not an output time of this result; request it with "
                             f"simulate(..., at=[...])")
        return self.v[key][:, idx[-1]]


# ------------------------------------------------------------------ waveforms

def _pulse_params(w: Pulse, tstep: float, tstop: float):
    """ngspice defaults: zero rise/fall -> TSTEP, zero period -> single pulse."""
    tr = w.tr if w.tr > 0 else tstep
    tf = w.tf if w.tf > 0 else tstep
    per = w.per if w.per > 0 else math.inf
    return tr, tf, per


def _effective_wave(w, tstep: float, tstop: float):
    if isinstance(w, Pulse):
        tr, tf, per = _pulse_params(w, tstep, tstop)
        return Pulse(w.v1, w.v2, w.td, tr, tf, w.pw, per if math.isfinite(per) else 0.0)
    return w


def _breakpoints(w, tstop: float) -> list[float]:
    if isinstance(w, Pulse):
        pts = []
        period = w.per if w.per > 0 else math.inf
        start = w.td
        while start < tstop:
            for off in (0.0, w.tr, w.tr + w.pw, w.tr + w.pw + w.tf):
                pts.append(start + off)
            start += period
        return pts
    if isinstance(w, Pwl):
        return list(w.times)
    return []


# ------------------------------------------------------------------ switch controls

def _driven_nodes(circuit: Circuit) -> dict[str, tuple[float, list[tuple[float, str]]]]:
    """node -> affine combination of V-source values giving its voltage (sign, source)."""
    known: dict[str, list[tuple[float, str]]] = {GROUND: []}
    vs = [el for el in circuit.elements if isinstance(el, VSource)]
    changed = True
    while changed:
        changed = False
        for el in vs:
            if el.neg in known and el.pos not in known:
                known[el.pos] = known[el.neg] + [(1.0, el.name)]
                changed = True
            elif el.pos in known and el.neg not in known:
                known[el.neg] = known[el.pos] + [(-1.0, el.name)]
                changed = True
    return known


def _control_terms(circuit: Circuit, sw: Switch, driven) -> list[tuple[float, str]]:
    for n in (sw.cp, sw.cn):
        if n not in driven:
            raise SimulationError(
                f"switch {sw.name!r}{f' ({sw.loc})' if sw.loc else ''}: control node {n!r} is an "
                f"internal circuit node; the control must be driven by an independent source")
    return driven[sw.cp] + [(-s, name) for s, name in driven[sw.cn]]


# ------------------------------------------------------------------ kernel

@nb.njit(cache=True, parallel=True)
def _tran_kernel(mxx, bias, gsw, x0b, gdc, sw, out_slot, rows, out):
    """x <- mxx[p] x + bias[p] + gsw[p] @ sw[s] per phase; store x[rows] where out_slot >= 0."""
    n_samples = sw.shape[0]
    n_phases, n = mxx.shape[0], mxx.shape[1]
    n_sw = sw.shape[1]
    for s in nb.prange(n_samples):
        x = np.empty(n)
        xn = np.empty(n)
        for i in range(n):
            acc = x0b[i]
            for j in range(n_sw):
                acc += gdc[i, j] * sw[s, j]
            x[i] = acc
        if out_slot[0] >= 0:
            for i in range(rows.shape[0]):
                out[s, out_slot[0], i] = x[rows[i]]
        for p in range(n_phases):
            for i in range(n):
                acc = bias[p, i]
                for j in range(n):
                    acc += mxx[p, i, j] * x[j]
                for j in range(n_sw):
                    acc += gsw[p, i, j] * sw[s, j]
                xn[i] = acc
            for i in range(n):
                x[i] = xn[i]
            slot = out_slot[p + 1]
            if slot >= 0:
                for i in range(rows.shape[0]):
                    out[s, slot, i] = x[rows[i]]


# ------------------------------------------------------------------ simulate

def _check_sweep(circuit: Circuit, sweep, analog_sources) -> tuple[list[str], np.ndarray]:
    if not sweep:
        return [], np.zeros((1, 0))
    names, cols = [], []
    for name, values in sweep.items():
        key = str(name).lower()
        try:
            el = circuit.element(key)
        except KeyError:
            raise ParameterError(f"sweep: no source {name!r} in circuit {circuit.title!r}") from None
        if not isinstance(el.wave, Dc) or key not in analog_sources:
            raise ParameterError(f"sweep: {name!r} must be a DC source of the analog circuit "
                                 f"(not a PULSE/PWL or switch-control source)")
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 1 or arr.size == 0:
            raise InputError(f"sweep[{name!r}] must be a non-empty 1-D array, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise InputError(f"sweep[{name!r}] contains non-finite values")
        names.append(key)
        cols.append(arr)
    if len({c.size for c in cols}) != 1:
        raise InputError(f"sweep arrays must have equal lengths, got "
                         f"{ {n: c.size for n, c in zip(names, cols)} }")
    return names, np.ascontiguousarray(np.stack(cols, axis=1))


class _Controls:
    """Closed-form switch control voltages and ngspice hysteresis state with memory
    (on above VT+VH, off below VT−VH, unchanged in between; initially off, or on for a
    switch written with the ON keyword, as ngspice)."""

    def __init__(self, circuit: Circuit, waves: dict):
        self.driven = _driven_nodes(circuit)
        self.switches = [el for el in circuit.elements if isinstance(el, Switch)]
        self.terms = {sw.name: _control_terms(circuit, sw, self.driven) for sw in self.switches}
        self.waves = waves
        self.state = {sw.name: sw.on for sw in self.switches}   # ON/OFF keyword (default off)

    def node_value(self, node: str, t: float) -> float:
        """Voltage (V) of a source-driven node at time t (s)."""
        return sum(s * source_value_at(self.waves[src], t) for s, src in self.driven[node])

    def value(self, switch: str, t: float) -> float:
        """Control voltage v(cp) − v(cn) of ``switch`` at time t."""
        return sum(s * source_value_at(self.waves[src], t) for s, src in self.terms[switch])

    def crossings(self, t0: float, t1: float, tol: float) -> list[float]:
        """Threshold crossing times strictly inside (t0, t1) (controls are affine there)."""
        out = []
        for sw in self.switches:
            a = self.value(sw.name, t0 + 0.25 * (t1 - t0))
            b = self.value(sw.name, t0 + 0.75 * (t1 - t0))
            slope = (b - a) / (0.5 * (t1 - t0))
            if slope == 0.0:
                continue
            v_start = a - slope * 0.25 * (t1 - t0)
            for th in {sw.model.vt + sw.model.vh, sw.model.vt - sw.model.vh}:
                tc = t0 + (th - v_start) / slope
                if t0 + tol < tc < t1 - tol:
                    out.append(tc)
        return sorted(out)

    def update(self, t: float) -> frozenset[str]:
        """Apply the hysteresis rule at time t; return the names of conducting switches."""
        for sw in self.switches:
            v = self.value(sw.name, t)
            if v > sw.model.vt + sw.model.vh:
                self.state[sw.name] = True
            elif v < sw.model.vt - sw.model.vh:
                self.state[sw.name] = False
        return frozenset(n for n, on in self.state.items() if on)


def _merge(times, tol: float) -> list[float]:
    out = [times[0]]
    for t in times[1:]:
        if t - out[-1] > tol:
            out.append(t)
    return out


def _output_times(at, tstop: float, tol: float) -> np.ndarray | None:
    if at is None:
        return None
    at_arr = np.asarray(at, dtype=float).reshape(-1)
    if not np.all(np.isfinite(at_arr)):
        raise InputError("at: output times must be finite")
    if at_arr.size == 0 or at_arr.min() < -tol or at_arr.max() > tstop + tol:
        lo_hi = (at_arr.min(), at_arr.max()) if at_arr.size else None
        raise InputError(f"at: output times must lie in [0, {tstop}] s, got {lo_hi}")
    # times closer than the breakpoint tolerance share one phase end: report it once
    return np.array(_merge(sorted(np.clip(at_arr, 0.0, tstop).tolist()), tol))


def _phase_edges(waves: dict, controls: _Controls, tstop: float, at_arr, tol: float) -> list[float]:
    """Every PULSE/PWL breakpoint, requested time and switch threshold crossing."""
    cuts = [0.0, tstop] + ([] if at_arr is None else at_arr.tolist())
    for w in waves.values():
        cuts += [t for t in _breakpoints(w, tstop) if 0.0 < t < tstop]
    bounds = _merge(sorted(cuts), tol)
    bounds[-1] = tstop
    edges = [0.0]
    for t0, t1 in zip(bounds[:-1], bounds[1:]):
        edges += controls.crossings(t0, t1, tol) + [t1]
    edges = _merge(edges, tol)
    edges[-1] = tstop
    return edges


def _probe_names(sys, controls: _Controls, probes) -> tuple[str, ...]:
    names = tuple(sys.nodes) + tuple(nd for nd in controls.driven
                                     if nd != GROUND and nd not in sys.nodes)
    if probes is None:
        return names
    if isinstance(probes, str):
        raise ParameterError(f"probes must be a sequence of node names, got the string {probes!r}")
    wanted = tuple(str(p).lower() for p in probes)
    unknown = [p for p in wanted if p not in names]
    if unknown:
        raise ParameterError(f"unknown probe node(s) {unknown}; nodes: {list(names)}")
    return wanted


def simulate(circuit: Circuit, probes: Sequence[str] | None = None,
             at: Sequence[float] | None = None,
             sweep: Mapping[str, Sequence[float]] | None = None) -> TranResult:
    """Transient analysis per the circuit's ``.tran``.

    probes: node names to return (None = all nodes, switch-control nodes included).
    at: output times (s) within [0, tstop]; None = every phase end including t = 0.  Times
        closer than 1e-12·tstop to each other are one phase end and reported once.
    sweep: {DC source name: 1-D array of S values (V or A)} overriding that source's
    value per sample.  Returns a :class:`TranResult` with sorted times ``t`` and
    ``v[node]`` of shape (S, T).  ngspice semantics: PULSE rise/fall of 0 last TSTEP.
    """
    if not isinstance(circuit, Circuit):
        raise ParameterError(f"expected a dgcq_sim Circuit, got {type(circuit).__name__}")
    tran = circuit.tran
    if tran is None:
        raise SimulationError(f"circuit {circuit.title!r} has no .tran card")
    tstop, tstep = float(tran.tstop), float(tran.tstep)
    if not (math.isfinite(tstop) and tstop > 0):
        raise SimulationError(f".tran stop time must be positive, got {tstop!r}")
    sys, _ = system_for(circuit)
    waves = {el.name: _effective_wave(el.wave, tstep, tstop)
             for el in circuit.elements if isinstance(el, VSource) or el.name in sys.sources}
    controls = _Controls(circuit, waves)
    wanted = _probe_names(sys, controls, probes)
    sweep_names, sweep_vals = _check_sweep(circuit, sweep, set(sys.sources))
    for sw_name, terms in controls.terms.items():
        bad = [nm for _, nm in terms if nm in sweep_names]
        if bad:
            raise ParameterError(f"sweep: source {bad[0]!r} controls switch {sw_name!r}; sweeping "
                                 f"a switch control is not supported")
    tol = REL_TIME_TOL * tstop
    at_arr = _output_times(at, tstop, tol)
    edges = _phase_edges(waves, controls, tstop, at_arr, tol)

    # ---- initial DC operating point, linear in the swept source values
    ns, n = len(sys.sources), sys.n
    sweep_cols = [sys.sources.index(nm) for nm in sweep_names]

    def u_at(t: float) -> np.ndarray:
        return np.array([source_value_at(waves[s], t) for s in sys.sources])

    closed0 = controls.update(0.0)
    x0b, gdc = initial_state(sys, circuit, closed0, u_at(0.0), sweep_cols)
    x0b = x0b - gdc @ u_at(0.0)[sweep_cols]

    # ---- per phase: x <- mxx x + bias + gsw @ sweep_values (sources affine in the phase)
    n_ph = len(edges) - 1
    mxx = np.zeros((n_ph, n, n))
    bias = np.zeros((n_ph, n))
    gsw = np.zeros((n_ph, n, len(sweep_cols)))
    for p, (t0, t1) in enumerate(zip(edges[:-1], edges[1:])):
        dt = t1 - t0
        closed = controls.update(t0 + 0.5 * dt)
        ua, ub = u_at(t0 + 0.25 * dt), u_at(t0 + 0.75 * dt)
        du = (ub - ua) / (0.5 * dt)
        u0 = ua - du * 0.25 * dt          # right limit at t0 (sources step at breakpoints)
        u0[sweep_cols] = 0.0
        du[sweep_cols] = 0.0
        ramp = bool(np.any(du != 0.0))
        # round the duration so periodic clocks hit the map cache despite float noise
        mp = phase_map(circuit, closed, float(f"{dt:.12g}"), slope=ramp)
        mxx[p] = mp.mxx
        bias[p] = mp.mxu @ u0 + (mp.mxd @ du if ramp else 0.0)
        gsw[p] = mp.mxu[:, sweep_cols]

    # ---- outputs
    ends = np.array(edges)
    if at_arr is None:
        out_times = ends[ends >= float(tran.tstart) - tol] if tran.tstart > 0 else ends
    else:
        out_times = at_arr
    out_slot = np.full(len(edges), -1, dtype=np.int64)
    for i, t in enumerate(out_times):
        out_slot[int(np.argmin(np.abs(ends - t)))] = i
    if len(set(out_slot[out_slot >= 0].tolist())) != len(out_times):
        raise SimulationError("internal: an output time matched no phase end of its own")
    analog = [nd for nd in wanted if nd in sys.nodes]
    rows = np.array([sys.nodes.index(nd) for nd in analog], dtype=np.int64)
    n_samples = sweep_vals.shape[0]
    out = np.zeros((n_samples, len(out_times), len(rows)))
    c = np.ascontiguousarray
    _tran_kernel(c(mxx), c(bias), c(gsw), c(x0b), c(gdc), sweep_vals, out_slot, rows, out)
    v = {nd: out[:, :, i].copy() for i, nd in enumerate(analog)}
    for nd in wanted:
        if nd not in v:      # control-only node: its voltage is a sum of source values
            vals = np.array([controls.node_value(nd, t) for t in out_times])
            v[nd] = np.tile(vals, (n_samples, 1))
    return TranResult(np.asarray(out_times, dtype=float), {nd: v[nd] for nd in wanted}, wanted,
                      dict(zip(sweep_names, sweep_vals.T)))
