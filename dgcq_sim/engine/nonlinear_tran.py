"""``.tran`` of a circuit with behavioural (B) sources: :func:`simulate` hands it here.

The time axis is cut into phases exactly as for a linear circuit (:mod:`.simulate`); each
phase is time-stepped by :func:`dgcq_sim.engine.nonlinear.run_phase` inside numba (see
that module for the step control and its error allowance).  The start is the DC operating
point with the B equations solved by Newton.  Not supported yet with B sources (typed
SimulationError): ``.tran ... UIC`` / ``.ic``, and SIN/EXP/SFFM sources.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ..errors import ParameterError, SimulationError
from ..netlist.circuit import Circuit, VSource
from . import nonlinear as nlm
from .mna import source_value_at
from .schedule import Controls, phase_edges


@nb.njit(cache=True, parallel=True)
def _kernel(cfg, u0, du, u_dc, sweep_pos, sweep_vals, out_slot, dc_cu, dc_cy, dc_zu, dc_zy,
            dc_ou, dc_oy, yvolt, tol, durations, az, gu, dus, gy, dy, cz, cgu, cdu, cgy, cdy,
            pz, pu, py, oz, ou, oy, ops, vals, starts, depth, out, stats):
    n_samples = sweep_vals.shape[0]
    n_ph, nu = u0.shape[0], u0.shape[1]
    r, ny, nc = az.shape[2], gy.shape[3], cz.shape[2]
    n_out = oz.shape[1]
    for s in nb.prange(n_samples):
        wk = nlm.make_work(r, nu, ny, nc, depth)
        bufs = nlm.make_bufs(r, ny, nu)
        st = stats[s]
        u = np.empty(nu)
        ue = np.empty(nu)
        z = np.zeros(r)
        y = np.zeros(ny)
        o = np.zeros(n_out)
        for i in range(nu):
            u[i] = u_dc[i]
        for k in range(sweep_pos.shape[0]):
            u[sweep_pos[k]] = sweep_vals[s, k]
        if not nlm.dc_start(u, y, z, dc_cu, dc_cy, dc_zu, dc_zy, ops, vals, starts, wk):
            st[2] += 1
        if out_slot[0] >= 0:
            nlm.affine_uy(dc_ou, u, dc_oy, y, out[s, out_slot[0]])
        for p in range(n_ph):
            g = cfg[p]
            for i in range(nu):
                u[i] = u0[p, i]
            for k in range(sweep_pos.shape[0]):
                u[sweep_pos[k]] = sweep_vals[s, k]
            nlm.run_phase(g, z, y, u, du[p], yvolt, tol, durations, az, gu, dus, gy, dy, cz,
                          cgu, cdu, cgy, cdy, pz, pu, py, ops, vals, starts, wk, bufs, st)
            slot = out_slot[p + 1]
            if slot >= 0:
                T = durations[g]
                for i in range(nu):
                    ue[i] = u[i] + du[p, i] * T
                nlm.phase_outputs(g, z, ue, y, oz, ou, oy, o)
                for k in range(n_out):
                    out[s, slot, k] = o[k]


def simulate_nonlinear(circuit: Circuit, probes=None, at=None, sweep=None, tol: float = nlm.TOL):
    """:func:`dgcq_sim.engine.simulate` for a circuit with B sources (same arguments and
    result); ``tol`` (V) is the error allowance per phase."""
    from .simulate import (REL_TIME_TOL, TranResult, _check_sweep, _check_sweep_controls,
                           _effective_wave, _out_slots, _output_times, _probe_names,
                           _sources_per_phase)

    if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0):
        raise ParameterError(f"tol must be a positive number of volts, got {tol!r}")
    nl = nlm.nonlinear_system(circuit)
    lin, sys = nl.linear, nl.system
    tran = circuit.tran
    if tran.uic or circuit.ic:
        raise SimulationError(f"circuit {circuit.title!r}: .tran ... UIC and .ic are not "
                              f"supported yet with B sources (the start is the DC operating "
                              f"point)")
    tstop, tstep = float(tran.tstop), float(tran.tstep)
    waves = {el.name: _effective_wave(el.wave, tstep)
             for el in lin.elements if isinstance(el, VSource) or el.name in sys.sources}
    controls = Controls(lin, waves)
    wanted = _probe_names(sys, controls, probes)
    sweepable = set(sys.sources) - set(nl.names)
    sweep_names, sweep_vals = _check_sweep(lin, sweep, sweepable)
    _check_sweep_controls(controls, sweep_names)
    tol_t = REL_TIME_TOL * tstop
    at_arr = _output_times(at, tstop, tol_t)
    edges = phase_edges(waves, controls, tstop, at_arr, tol_t)
    sweep_cols = [sys.sources.index(nm) for nm in sweep_names]
    u0, du, _, gen = _sources_per_phase(sys, waves, edges, sweep_cols)
    if gen is not None:
        raise SimulationError(f"circuit {circuit.title!r}: SIN/EXP/SFFM sources are not "
                              f"supported yet with B sources")
    dt = np.diff(edges)
    st0, states = controls.states(edges[:-1] + 0.5 * dt)
    names = [sw.name for sw in controls.switches]
    analog = [nd for nd in wanted if nd in sys.nodes]
    rows = np.zeros((len(analog), sys.n))
    for i, nd in enumerate(analog):
        rows[i, sys.nodes.index(nd)] = 1.0
    configs: dict = {}
    cfg = np.zeros(len(dt), dtype=np.int64)
    for p in range(len(dt)):
        closed = frozenset(nm for k, nm in enumerate(names) if states[p, k])
        cfg[p] = configs.setdefault((closed, float(f"{dt[p]:.12g}")), len(configs))
    lads = nlm.stack_ladders([nlm.ladder(nl, closed, d, rows) for closed, d in configs])
    closed0 = frozenset(nm for k, nm in enumerate(names) if st0[k])
    dc = nlm.dc_map(nl, closed0)
    u_dc = np.array([source_value_at(waves[nm], 0.0) for nm in sys.sources])[nl.ucols]
    upos = {int(c): i for i, c in enumerate(nl.ucols)}
    sweep_pos = np.array([upos[c] for c in sweep_cols], dtype=np.int64)
    ends = edges
    if at_arr is None:
        out_times = ends[ends >= float(tran.tstart) - tol_t] if tran.tstart > 0 else ends
    else:
        out_times = at_arr
    out_slot = _out_slots(ends, out_times)
    n_samples = sweep_vals.shape[0]
    out = np.zeros((n_samples, len(out_times), len(analog)))
    stats = np.zeros((n_samples, 3))
    c = np.ascontiguousarray
    w = nl.basis
    _kernel(cfg, c(u0[:, nl.ucols]), c(du[:, nl.ucols]), c(u_dc), sweep_pos, c(sweep_vals),
            c(out_slot), dc.cu, dc.cy, c(w.T @ dc.xu), c(w.T @ dc.xy), c(rows @ dc.xu),
            c(rows @ dc.xy), nl.yvolt, float(tol), *lads.args(), nl.ops, nl.vals, nl.starts,
            nl.depth, out, stats)
    nlm.check_stats(stats, f"circuit {circuit.title!r}")
    v = {nd: out[:, :, i].copy() for i, nd in enumerate(analog)}
    for nd in wanted:
        if nd not in v:
            v[nd] = np.tile(controls.node_values(nd, out_times), (n_samples, 1))
    result = TranResult(np.asarray(out_times, dtype=float), {nd: v[nd] for nd in wanted}, wanted,
                        dict(zip(sweep_names, sweep_vals.T)))
    return result
