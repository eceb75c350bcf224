"""Plain numpy implementation of the quantizer model: step all samples through the program.

Vectorized over samples, it uses the same compiled matrices as the numba kernels and is
their reference (tests compare noise-free codes; ``benchmarks/throughput.py`` times it).
It also returns the decision sequence of every sample, which ``export_spice`` needs.
Any number of decisions may end a step.
"""

from __future__ import annotations

import numpy as np

from .response import overflow_error


def step_numpy(q, v, noise: bool = False, rng: np.random.Generator | None = None):
    """Convert ``v`` (1-D, V, already inside [vmin, vmax]) by stepping the state.

    Returns (stage sums (S, G) int64, decisions (S, D) as 0/1 int8).
    """
    prog, sc = q.program, q.schedule
    x = np.asarray(v, dtype=np.float64).reshape(-1)
    S, D = x.size, len(sc.decisions)
    use_noise = bool(noise) and q.has_noise
    if use_noise and rng is None:
        rng = np.random.default_rng()
    z = x[:, None] * q._z0v[None, :] + q._z0c[None, :]
    d = np.zeros((S, max(D, 1)))
    sp = sc.step_decisions
    finite = True
    with np.errstate(over="ignore", invalid="ignore"):   # overflow: raised below
        for k in range(sc.n_steps):
            u = sc.u_const[k][None, :] + x[:, None] * sc.u_vin[k][None, :]
            for e in range(sc.dec_ptr[k], sc.dec_ptr[k + 1]):
                u[:, sc.dec_input[e]] += sc.dec_coef[e] * d[:, sc.dec_index[e]]
            rank = int(prog.noise_rank[k]) if use_noise else 0
            xi = rng.standard_normal((S, rank)) if rank else None
            for j in range(sp[k], sp[k + 1]):
                dec = sc.decisions[j]
                p = z @ prog.probe_z[k, dec.probe] + u @ prog.probe_u[k, dec.probe]
                if rank:
                    p = p + xi @ prog.noise_probe[k, dec.probe, :rank]
                n = dec.noise_rms * rng.standard_normal(S) if use_noise else 0.0
                margin = p + dec.offset + n - dec.threshold
                finite = finite and bool(np.all(np.isfinite(margin)))
                d[:, j] = margin >= 0
                if use_noise and dec.metastable > 0:
                    meta = np.abs(margin) < dec.metastable      # latch not regenerated in time
                    d[meta, j] = rng.random(int(meta.sum())) < 0.5
            z = z @ prog.phi[k].T + u @ prog.gam[k].T
            if rank:
                z = z + xi @ prog.noise[k, :, :rank].T
    if not finite:
        raise overflow_error("states", "comparator inputs not finite")
    di = d[:, :D].astype(np.int64)
    G = len(sc.stages)
    sums = np.zeros((S, G), np.int64)
    w, g = sc.weights, sc.stage_index
    for gi in range(G):
        sel = g == gi
        sums[:, gi] = di[:, sel] @ w[sel]
    return sums, di.astype(np.int8)
