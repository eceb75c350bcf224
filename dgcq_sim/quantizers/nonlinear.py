"""Conversion of a quantizer whose circuit holds B sources (op-amp slew rate, output
saturation): every step is time-stepped by :mod:`dgcq_sim.engine.nonlinear`.

The decision-response tables and the merged macro steps need a circuit that is affine in
the decisions, which a slewing or saturating op-amp is not; so each sample is stepped
through every step of the schedule (``run_phase``, numba), the probes are read at the step
ends and the comparators decide as in the linear kernels (offset, noise, metastability,
the same counter-based random streams).  Noise-free codes depend only on the input.

Thermal noise (TEMP > 0): each step adds the noise of the *linearized* circuit over that
phase (its B sources held at their linear value, i.e. the op-amp linear), drawn at the step
end into the charges and the probes like the linear program does.  This is exact while
the op-amp stays linear and approximate in a step where it slews or saturates (the noise
is then that of the linear op-amp); docs/model.md says so.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ..blocks.comparator import noisy_decision
from ..blocks.rng import ZIG_FN, ZIG_KN, ZIG_WN, normal, sample_key
from ..engine import nonlinear as nlm
from ..engine.mna import source_value_at
from ..engine.program import noise_factor
from ..errors import InputError
from ..netlist.circuit import GROUND
from .response import overflow_error
from .schedule import Schedule

_KN, _WN, _FN = ZIG_KN, ZIG_WN, ZIG_FN


@nb.njit(cache=True, parallel=True)
def _convert_kernel(v, forced_u, forced, cfg, in_pos, u_fixed, u_const, u_vin, dec_ptr,
                    dec_input, dec_index, dec_coef, step_lo, step_hi, dec_probe, dec_c,
                    dec_rms, stage, weight, meta, use_noise, seed, yvolt, tol, dc_cu, dc_cy,
                    dc_zu, dc_zy, nz, nprobe, nrank, durations, az, gu, dus, gy, dy, cz, cgu,
                    cdu, cgy, cdy, pz, pu, py, oz, ou, oy, ops, vals, starts, depth,
                    stage_out, dec_out, probe_out, stats):
    n = v.shape[0]
    K = cfg.shape[0]
    nu = u_fixed.shape[0]
    r, ny, nc = az.shape[2], gy.shape[3], cz.shape[2]
    p = oz.shape[1]
    q = nz.shape[2]
    G = stage_out.shape[1]
    zero_du = np.zeros(nu)
    for s in nb.prange(n):
        wk = nlm.make_work(r, nu, ny, nc, depth)
        bufs = nlm.make_bufs(r, ny, nu)
        st = stats[s]
        u = np.empty(nu)
        z = np.zeros(r)
        y = np.zeros(ny)
        o = np.zeros(p)
        xi = np.zeros(max(q, 1))
        d = np.zeros(max(dec_c.shape[0], 1))
        x = v[s]
        frow = np.int64(s) if forced_u.shape[0] > 1 else np.int64(0)
        key = sample_key(seed, s)
        ctr = np.uint64(0)
        for g in range(G):
            stage_out[s, g] = 0
        for k in range(K):
            for i in range(nu):
                u[i] = u_fixed[i]
            for j in range(in_pos.shape[0]):
                if forced:
                    u[in_pos[j]] = forced_u[frow, k, j]
                else:
                    u[in_pos[j]] = u_const[k, j] + u_vin[k, j] * x
            if not forced:
                for e in range(dec_ptr[k], dec_ptr[k + 1]):
                    u[in_pos[dec_input[e]]] += dec_coef[e] * d[dec_index[e]]
            if k == 0:                            # DC operating point of the first step
                if not nlm.dc_start(u, y, z, dc_cu, dc_cy, dc_zu, dc_zy, ops, vals, starts,
                                    wk):
                    st[2] += 1
            g = cfg[k]
            nlm.run_phase(g, z, y, u, zero_du, yvolt, tol, durations, az, gu, dus, gy, dy,
                          cz, cgu, cdu, cgy, cdy, pz, pu, py, ops, vals, starts, wk, bufs, st)
            nlm.phase_outputs(g, z, u, y, oz, ou, oy, o)
            nr = nrank[g] if use_noise else 0
            for i in range(nr):
                xi[i], ctr = normal(key, ctr, _KN, _WN, _FN)
            for i in range(nr):
                for l in range(r):
                    z[l] += nz[g, l, i] * xi[i]
                for l in range(p):
                    o[l] += nprobe[g, l, i] * xi[i]
            for l in range(p):
                probe_out[s, k, l] = o[l]
            for j in range(step_lo[k], step_hi[k]):
                acc = o[dec_probe[j]] + dec_c[j]
                dj, ctr = noisy_decision(acc, dec_rms[j], meta[j], use_noise, key, ctr)
                d[j] = dj
                dec_out[s, j] = dj
                if dj:
                    stage_out[s, stage[j]] += weight[j]


class NonlinearConversion:
    """A schedule compiled against a circuit with B sources (see the module doc).

    ``tol``: error allowance per step (V, :data:`dgcq_sim.engine.nonlinear.TOL`).
    """

    def __init__(self, circuit, sched: Schedule, temperature: float | None,
                 tol: float = nlm.TOL):
        nl = nlm.nonlinear_system(circuit)
        sys = nl.system
        self.system, self.schedule, self.tol = nl, sched, float(tol)
        rows = np.zeros((len(sched.probes), sys.n))
        for i, pr in enumerate(sched.probes):
            pos, neg = (pr, GROUND) if isinstance(pr, str) else pr
            if pos != GROUND:
                rows[i, sys.node_index(pos)] += 1.0
            if neg != GROUND:
                rows[i, sys.node_index(neg)] -= 1.0
        upos = {int(c): i for i, c in enumerate(nl.ucols)}
        missing = [s for s in sched.inputs if s not in sys.sources]
        if missing:
            raise InputError(f"schedule inputs {missing} are not sources of the analog circuit")
        self.in_pos = np.array([upos[sys.sources.index(s)] for s in sched.inputs], np.int64)
        fixed = np.zeros(len(sys.sources))
        for j, name in enumerate(sys.sources):
            fixed[j] = source_value_at(nl.linear.element(name).wave, 0.0)
        self.u_fixed = np.ascontiguousarray(fixed[nl.ucols])
        configs: dict = {}
        self.cfg = np.array([configs.setdefault((ph.closed, float(ph.duration)), len(configs))
                             for ph in sched.phases], dtype=np.int64)
        ladders = [nlm.ladder(nl, closed, dur, rows, temperature) for closed, dur in configs]
        self.ladders = nlm.stack_ladders(ladders)
        dc = nlm.dc_map(nl, sched.phases[0].closed)
        w = nl.basis
        self.dc = (dc.cu, dc.cy, np.ascontiguousarray(w.T @ dc.xu),
                   np.ascontiguousarray(w.T @ dc.xy))
        # thermal noise of the linearized circuit over each phase (module doc)
        factors = []
        for ld in ladders:
            if ld.q is None:
                factors.append(np.zeros((w.shape[1] + rows.shape[0], 0)))
                continue
            factors.append(noise_factor(w, rows, ld.q, ld.mproj))
        q = max((f.shape[1] for f in factors), default=0)
        r = w.shape[1]
        self.nz = np.zeros((len(ladders), r, q))
        self.nprobe = np.zeros((len(ladders), rows.shape[0], q))
        self.nrank = np.zeros(len(ladders), dtype=np.int64)
        for g, f in enumerate(factors):
            self.nz[g, :, :f.shape[1]] = f[:r]
            self.nprobe[g, :, :f.shape[1]] = f[r:]
            self.nrank[g] = f.shape[1]
        decs = sched.decisions
        sp = sched.step_decisions
        self.step_lo = np.ascontiguousarray(sp[:-1].astype(np.int64))
        self.step_hi = np.ascontiguousarray(sp[1:].astype(np.int64))
        self.dec_probe = np.array([dd.probe for dd in decs], dtype=np.int64)
        self.dec_c = np.array([dd.offset - dd.threshold for dd in decs], dtype=np.float64)
        self.dec_rms = np.array([dd.noise_rms for dd in decs], dtype=np.float64)

    @property
    def has_thermal_noise(self) -> bool:
        return bool(np.any(self.nrank > 0))

    def run(self, x: np.ndarray, use_noise: bool, seed: int, forced_u: np.ndarray | None = None):
        """Convert ``x`` (1-D, V, inside the range).  Returns (stage sums (S, G) int64,
        decisions (S, D) int8, probes at the step ends (S, K, p) V).  ``forced_u``
        ((K, m) or (S, K, m)): run these source values instead of the controller's
        (the decisions are then still taken but not fed back)."""
        sc, nl, ld = self.schedule, self.system, self.ladders
        x = np.ascontiguousarray(x, dtype=np.float64)
        S, D, K = x.size, len(sc.decisions), sc.n_steps
        sums = np.zeros((S, max(len(sc.stages), 1)), dtype=np.int64)
        dec = np.zeros((S, max(D, 1)), dtype=np.int8)
        probes = np.zeros((S, K, len(sc.probes)))
        stats = np.zeros((S, 3))
        forced = forced_u is not None
        fu = np.zeros((1, K, len(sc.inputs))) if not forced else \
            np.ascontiguousarray(np.asarray(forced_u, dtype=float).reshape(-1, K, len(sc.inputs)))
        _convert_kernel(x, fu, forced, self.cfg, self.in_pos, self.u_fixed, sc.u_const,
                        sc.u_vin, sc.dec_ptr, sc.dec_input, sc.dec_index, sc.dec_coef,
                        self.step_lo, self.step_hi, self.dec_probe, self.dec_c, self.dec_rms,
                        sc.stage_index, sc.weights, sc.metastable, bool(use_noise), int(seed),
                        nl.yvolt, self.tol, *self.dc, self.nz, self.nprobe, self.nrank,
                        *ld.args(), nl.ops, nl.vals, nl.starts, nl.depth, sums, dec, probes,
                        stats)
        #: trial steps per sample of the last run (the time-stepping cost)
        self.last_trial_steps = float(stats[:, 0].mean()) if S else 0.0
        nlm.check_stats(stats, f"quantizer circuit {nl.circuit.title!r}")
        if not np.all(np.isfinite(probes)):
            raise overflow_error("states", "probe voltages not finite at a step end")
        return sums, dec[:, :D], probes
