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

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numba as nb
import numpy as np

from ..errors import InputError, ParameterError, SimulationError
from ..netlist.circuit import GROUND, Circuit, Dc, Pulse, VSource
from .initial import initial_state
from .mna import source_value_at
from .nonlinear import is_nonlinear
from .periodic import compress
from .program import phase_map, system_for
from .schedule import Controls, merge, phase_edges
from .waves import MODAL, check_modes, segment, values_at, wave_modes

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

def _effective_wave(w, tstep: float):
    """ngspice's run-time rule: a PULSE rise/fall of 0 lasts TSTEP."""
    if isinstance(w, Pulse) and (w.tr <= 0 or w.tf <= 0):
        return dataclasses.replace(w, tr=w.tr if w.tr > 0 else tstep, tf=w.tf if w.tf > 0 else tstep)
    return w


# ------------------------------------------------------------------ kernel

@nb.njit(cache=True)
def _tran_affine(maps, gsw, biases, map_id, bias_id, x0b, gdc, out_slot, rows, out):
    """Coefficients of every stored voltage as an affine function of the swept values.

    The switch schedule does not depend on the swept sources, so the state after step p
    is ``x_p = a_p + B_p @ sw`` for every sample: ``x_0 = x0b + gdc @ sw`` and
    ``x_{p+1} = maps[m] x_p + biases[b] + gsw[m] @ sw`` (m, b = map_id[p], bias_id[p]).
    The n x (1 + n_sw) matrix [a_p | B_p] is stepped once, whatever the number of samples;
    ``out[slot, i] = [a_p | B_p][rows[i]]`` where ``out_slot[p] = slot >= 0`` (slot 0 of
    ``out_slot``: the start).
    """
    n_steps, n = map_id.shape[0], maps.shape[1]
    n_c = 1 + gdc.shape[1]
    x = np.empty((n, n_c))
    xn = np.empty((n, n_c))
    for i in range(n):
        x[i, 0] = x0b[i]
        for c in range(1, n_c):
            x[i, c] = gdc[i, c - 1]
    _store_rows(x, rows, out_slot[0], out)
    for p in range(n_steps):
        m = map_id[p]
        b = bias_id[p]
        for i in range(n):
            for c in range(n_c):
                acc = biases[b, i] if c == 0 else gsw[m, i, c - 1]
                for j in range(n):
                    acc += maps[m, i, j] * x[j, c]
                xn[i, c] = acc
        x, xn = xn, x
        _store_rows(x, rows, out_slot[p + 1], out)


@nb.njit(cache=True)
def _store_rows(x, rows, slot, out):
    """out[slot] = x[rows] (every coefficient column) when slot >= 0."""
    if slot >= 0:
        for i in range(rows.shape[0]):
            for c in range(x.shape[1]):
                out[slot, i, c] = x[rows[i], c]


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
    return merge(np.clip(at_arr, 0.0, tstop), tol)


def _probe_names(sys, controls: Controls, probes) -> tuple[str, ...]:
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


def _sources_per_phase(sys, waves, edges, sweep_cols):
    """(U0, DU, W0, gen): source values at each phase start (right limits), slopes, and the
    generator state of the modal sources (SIN, EXP, SFFM) with their generator."""
    t0, t1 = edges[:-1], edges[1:]
    dt = t1 - t0
    n_ph, ns = len(dt), len(sys.sources)
    u0 = np.zeros((n_ph, ns))
    du = np.zeros((n_ph, ns))
    modal = [(j, waves[nm]) for j, nm in enumerate(sys.sources) if isinstance(waves[nm], MODAL)]
    for j, nm in enumerate(sys.sources):
        w = waves[nm]
        if isinstance(w, MODAL):
            continue
        ua, ub = values_at(w, t0 + 0.25 * dt), values_at(w, t0 + 0.75 * dt)
        du[:, j] = (ub - ua) / (0.5 * dt)
        u0[:, j] = ua - du[:, j] * 0.25 * dt      # right limit at t0 (sources step at breakpoints)
    u0[:, sweep_cols] = 0.0
    du[:, sweep_cols] = 0.0
    if not modal:
        return u0, du, None, None
    modes = [(j, sg, om) for j, w in modal for sg, om in wave_modes(w)]
    check_modes(len(modes), ", ".join(sys.sources[j] for j, _ in modal))
    g = 2 * len(modes)
    f = np.zeros((g, g))
    h = np.zeros((ns, g))
    for m, (j, sg, om) in enumerate(modes):
        f[2 * m:2 * m + 2, 2 * m:2 * m + 2] = [[sg, -om], [om, sg]]
        h[j, 2 * m + 1] = 1.0
    w0 = np.zeros((n_ph, g))
    col = 0
    for j, w in modal:
        k = len(wave_modes(w))
        for p in range(n_ph):
            base, _, states = segment(w, float(t0[p]), float(t1[p]))
            u0[p, j] = base
            w0[p, col:col + 2 * k] = np.ravel(states)
        col += 2 * k
    return u0, du, w0, _Generator(f, h, hashlib.sha1(f.tobytes() + h.tobytes()).hexdigest())


@dataclass(frozen=True)
class _Generator:
    f: np.ndarray = field(repr=False)
    h: np.ndarray = field(repr=False)
    key: str = ""


def _check_sweep_controls(controls: Controls, sweep_names) -> None:
    """ParameterError if a swept source controls a switch (the phases would depend on it)."""
    for sw_name, terms in controls.terms.items():
        bad = [nm for _, nm in terms if nm in sweep_names]
        if bad:
            raise ParameterError(f"sweep: source {bad[0]!r} controls switch {sw_name!r}; sweeping "
                                 f"a switch control is not supported")


def _unique_rows(cols: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(first index of each distinct row, inverse) of the rows formed by 1-D float columns,
    via a 64-bit row hash (O(n log n)), verified exactly; a collision falls back to
    sorting the rows themselves."""
    n = len(cols[0])
    h = np.zeros(n, dtype=np.uint64)
    rng = np.random.default_rng(12345)
    mult = rng.integers(1, 2**63, size=len(cols), dtype=np.uint64) | np.uint64(1)
    with np.errstate(over="ignore"):
        for c, m in zip(cols, mult):
            v = np.ascontiguousarray(c, dtype=float) + 0.0        # -0.0 -> 0.0
            h = (h ^ (v.view(np.uint64) * m)) * np.uint64(0x9E3779B97F4A7C15)
            h ^= h >> np.uint64(29)
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    rep = first[inverse]
    if all(np.array_equal(np.asarray(c, dtype=float)[rep] + 0.0, np.asarray(c, dtype=float) + 0.0)
           for c in cols):
        return first, inverse
    a = np.ascontiguousarray(np.column_stack(cols).astype(float) + 0.0)
    view = a.view(np.dtype((np.void, a.dtype.itemsize * a.shape[1]))).ravel()
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _steps(circuit, sys, controls, edges, u0, du, w0, gen, sweep_cols):
    """Distinct phase maps and biases of the schedule: (maps, gsw, biases, map_id, bias_id,
    closed set at t = 0)."""
    dt = np.diff(edges)
    st0, states = controls.states(edges[:-1] + 0.5 * dt)
    names = [sw.name for sw in controls.switches]
    udt, dt_idx = np.unique(dt, return_inverse=True)
    # round the durations so periodic clocks hit the map cache despite float noise
    dt_round = np.array([float(f"{d:.12g}") for d in udt])[dt_idx.ravel()]
    ramp = np.any(du != 0.0, axis=1)
    map_cols = [states[:, k].astype(float) for k in range(len(names))] + \
        [dt_round, ramp.astype(float)]
    cols = map_cols + [u0[:, j] for j in range(u0.shape[1])] + [du[:, j] for j in range(du.shape[1])]
    first, step_id = _unique_rows(cols)
    # the switch states, the duration and the ramp flag select the map
    mfirst, map_of_step = _unique_rows([c[first] for c in map_cols])
    maps, gsw, mxws = [], [], []
    for p in first[mfirst]:
        closed = frozenset(nm for k, nm in enumerate(names) if states[p, k])
        mp = phase_map(circuit, closed, float(dt_round[p]), slope=bool(ramp[p]), gen=gen)
        maps.append(mp)
    biases = np.array([maps[map_of_step[i]].mxu @ u0[p]
                       + (maps[map_of_step[i]].mxd @ du[p] if ramp[p] else 0.0)
                       for i, p in enumerate(first)])
    map_id = map_of_step[step_id]
    if gen is not None:                       # generator state differs in every phase
        mxw = np.stack([mp.mxw for mp in maps])
        biases = biases[step_id] + np.einsum("pij,pj->pi", mxw[map_id], w0)
        bias_id = np.arange(len(dt))
    else:
        bias_id = step_id
    mxx = np.stack([mp.mxx for mp in maps])
    gsw = np.stack([mp.mxu[:, sweep_cols] for mp in maps])
    closed0 = frozenset(nm for k, nm in enumerate(names) if st0[k])
    return mxx, gsw, biases, map_id.astype(np.int64), bias_id.astype(np.int64), closed0


def _out_slots(ends: np.ndarray, out_times: np.ndarray) -> np.ndarray:
    """Phase end (index into ``ends``) nearest each output time, O(n log n)."""
    i = np.clip(np.searchsorted(ends, out_times), 1, len(ends) - 1)
    left = ends[i - 1]
    nearest = np.where(np.abs(out_times - left) <= np.abs(ends[i] - out_times), i - 1, i)
    if len(ends) == 1:
        nearest = np.zeros(len(out_times), dtype=np.int64)
    slot = np.full(len(ends), -1, dtype=np.int64)
    slot[nearest] = np.arange(len(out_times))
    if np.unique(nearest).size != len(out_times):
        raise SimulationError("internal: an output time matched no phase end of its own")
    return slot


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
    Raises :class:`~.schedule.ScheduleTooLong` (a SimulationError) before allocating
    when the schedule would exceed ``MAX_BREAKPOINTS`` phases.
    """
    if not isinstance(circuit, Circuit):
        raise ParameterError(f"expected a dgcq_sim Circuit, got {type(circuit).__name__}")
    tran = circuit.tran
    if tran is None:
        raise SimulationError(f"circuit {circuit.title!r} has no .tran card")
    if is_nonlinear(circuit):                 # B sources: phases time-stepped in numba
        from .nonlinear_tran import simulate_nonlinear
        return simulate_nonlinear(circuit, probes, at, sweep)
    tstop, tstep = float(tran.tstop), float(tran.tstep)
    if not (math.isfinite(tstop) and tstop > 0):
        raise SimulationError(f".tran stop time must be positive, got {tstop!r}")
    sys, _ = system_for(circuit)
    waves = {el.name: _effective_wave(el.wave, tstep)
             for el in circuit.elements if isinstance(el, VSource) or el.name in sys.sources}
    controls = Controls(circuit, waves)
    wanted = _probe_names(sys, controls, probes)
    sweep_names, sweep_vals = _check_sweep(circuit, sweep, set(sys.sources))
    _check_sweep_controls(controls, sweep_names)
    tol = REL_TIME_TOL * tstop
    at_arr = _output_times(at, tstop, tol)
    edges = phase_edges(waves, controls, tstop, at_arr, tol)
    sweep_cols = [sys.sources.index(nm) for nm in sweep_names]

    # ---- per phase: x <- mxx x + bias + gsw @ sweep_values (sources affine in the phase)
    u0, du, w0, gen = _sources_per_phase(sys, waves, edges, sweep_cols)
    mxx, gsw, biases, map_id, bias_id, closed0 = _steps(circuit, sys, controls, edges, u0, du,
                                                        w0, gen, sweep_cols)

    # ---- initial DC operating point, linear in the swept source values
    u_start = np.array([source_value_at(waves[s], 0.0) for s in sys.sources])
    x0b, gdc = initial_state(sys, circuit, closed0, u_start, sweep_cols)
    x0b = x0b - gdc @ u_start[sweep_cols]

    # ---- outputs
    ends = edges
    if at_arr is None:
        out_times = ends[ends >= float(tran.tstart) - tol] if tran.tstart > 0 else ends
    else:
        out_times = at_arr
    out_slot = _out_slots(ends, out_times)
    mxx, gsw, biases, map_id, bias_id, out_slot = compress(mxx, gsw, biases, map_id, bias_id,
                                                           out_slot, periodic_ok=gen is None)
    analog = [nd for nd in wanted if nd in sys.nodes]
    rows = np.array([sys.nodes.index(nd) for nd in analog], dtype=np.int64)
    n_samples = sweep_vals.shape[0]
    coef = np.zeros((len(out_times), len(rows), 1 + sweep_vals.shape[1]))
    c = np.ascontiguousarray
    _tran_affine(c(mxx), c(gsw), c(biases), c(map_id), c(bias_id), c(x0b), c(gdc),
                 c(out_slot), rows, coef)
    # (S, T) per node: the affine coefficients applied to every sample's swept values
    v = {nd: coef[None, :, i, 0] + sweep_vals @ coef[:, i, 1:].T for i, nd in enumerate(analog)}
    for nd in wanted:
        if nd not in v:      # control-only node: its voltage is a sum of source values
            v[nd] = np.tile(controls.node_values(nd, out_times), (n_samples, 1))
    return TranResult(np.asarray(out_times, dtype=float), {nd: v[nd] for nd in wanted}, wanted,
                      dict(zip(sweep_names, sweep_vals.T)))
