"""numba conversion kernels: decision-response tables (response.py) and macro stepping
(macro.py).  Both write, per sample, the weighted decision sum of every stage
(``stage_out[s, g] = sum_{j in stage g} weight_j * d_j``); the code is their total minus
the schedule's offset (``Schedule.assemble``).  Any number of decisions per step.

Noise comes from the counter-based stream of :mod:`dgcq_sim.blocks.rng`: sample s of a
call seeded ``seed`` draws from its own key, so results depend on (seed, sample) only —
not on blocks or the thread count — and no generator is seeded per block.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ..blocks.comparator import decide, noisy_decision, resolve_metastable
from ..blocks.rng import ZIG_FN, ZIG_KN, ZIG_WN, normal, sample_key, uniform01

# Samples per work block: scratch arrays are allocated once per block.  Results do not
# depend on it (every sample has its own random stream).
BLOCK = 4096
STEP_BLOCK = 256
_KN, _WN, _FN = ZIG_KN, ZIG_WN, ZIG_FN


@nb.njit(cache=True, parallel=True)
def convert_kernel(v, a, c, bt, chol_t, stage, weight, meta, use_noise, seed, stage_out):
    """Convert every v[s] (V): comparator decisions in order, weighted stage sums.

    Decision j sees s_j = a[j]*v + c[j] + sum_{i<j} b[j,i] d_i (+ (L @ xi)[j] with noise)
    and compares it with 0 (offset and threshold are folded into c).  ``bt`` = b.T and
    ``chol_t`` = L.T (row i: what decision i / noise draw i adds to the later s_j), so a
    decision of 1 adds one contiguous row to the pending comparator inputs.  With noise, a
    decision whose input lies within ``meta[j]`` of its threshold is metastable and resolves
    at random.
    """
    n = v.shape[0]
    D = a.shape[0]
    G = stage_out.shape[1]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in nb.prange(n_blocks):
        acc = np.zeros(D)
        start = blk * BLOCK
        stop = min(start + BLOCK, n)
        for s in range(start, stop):
            x = v[s]
            key = sample_key(seed, s)
            ctr = np.uint64(0)
            for j in range(D):
                acc[j] = a[j] * x + c[j]
            if use_noise:
                for i in range(D):
                    xi, ctr = normal(key, ctr, _KN, _WN, _FN)
                    for j in range(i, D):
                        acc[j] += chol_t[i, j] * xi
            for g in range(G):
                stage_out[s, g] = 0
            for j in range(D):
                dj = decide(acc[j], 0.0, 0.0, 0.0)
                if use_noise and abs(acc[j]) < meta[j]:
                    dj = resolve_metastable(uniform01(key, ctr))
                    ctr += np.uint64(1)
                if dj:
                    for l in range(j + 1, D):
                        acc[l] += bt[j, l]
                    stage_out[s, stage[j]] += weight[j]


@nb.njit(cache=True, parallel=True)
def step_kernel(v, z0v, z0c, phi, gv, gc, dec_lo, dec_hi, pz, pv, pc, pr_ptr, pr_idx, pr_coef,
                fp, st_ptr, st_idx, st_vec, fz, rank, dec_c, dec_rms, stage, weight, meta,
                use_noise, seed, stage_out, nonfinite):
    """Step every v[s] (V) through the macro steps of the program (see macro.py).

    Macro m ends with decisions dec_lo[m]..dec_hi[m]-1; decision j sees
    pz[j].z + pv[j]*v + pc[j] + (earlier decisions) + fp[j].xi + dec_c[j] (offset -
    threshold) + comparator noise, compared with 0; then
    z <- phi[m] z + gv[m]*v + gc[m] + (earlier decisions) + fz[m] xi.  Cost O(M r^2 + D r):
    the choice for long schedules (many coarse iterations).  ``nonfinite[s]`` is set to 1
    where a comparator input of sample s is NaN/inf (the state overflowed): its codes are
    meaningless and the caller raises.
    """
    n = v.shape[0]
    M, r = phi.shape[0], phi.shape[1]
    q = fz.shape[2]
    D = dec_c.shape[0]
    G = stage_out.shape[1]
    n_blocks = (n + STEP_BLOCK - 1) // STEP_BLOCK
    for blk in nb.prange(n_blocks):
        z = np.zeros(r)
        zn = np.zeros(r)
        xi = np.zeros(max(q, 1))
        d = np.zeros(max(D, 1))
        start = blk * STEP_BLOCK
        stop = min(start + STEP_BLOCK, n)
        for s in range(start, stop):
            x = v[s]
            key = sample_key(seed, s)
            ctr = np.uint64(0)
            for i in range(r):
                z[i] = z0v[i] * x + z0c[i]
            for g in range(G):
                stage_out[s, g] = 0
            nonfinite[s] = 0
            for m in range(M):
                nr = rank[m] if use_noise else 0
                for i in range(nr):
                    xi[i], ctr = normal(key, ctr, _KN, _WN, _FN)
                for j in range(dec_lo[m], dec_hi[m]):
                    acc = pv[j] * x + pc[j] + dec_c[j]
                    for i in range(r):
                        acc += pz[j, i] * z[i]
                    for e in range(pr_ptr[j], pr_ptr[j + 1]):
                        acc += pr_coef[e] * d[pr_idx[e]]
                    for i in range(nr):
                        acc += fp[j, i] * xi[i]
                    if not np.isfinite(acc):
                        nonfinite[s] = 1
                    dj, ctr = noisy_decision(acc, dec_rms[j], meta[j], use_noise, key, ctr)
                    d[j] = dj
                    if dj:
                        stage_out[s, stage[j]] += weight[j]
                for i in range(r):
                    acc = gv[m, i] * x + gc[m, i]
                    for l in range(r):
                        acc += phi[m, i, l] * z[l]
                    for l in range(nr):
                        acc += fz[m, i, l] * xi[l]
                    zn[i] = acc
                for e in range(st_ptr[m], st_ptr[m + 1]):
                    dd = d[st_idx[e]]
                    if dd != 0.0:
                        for i in range(r):
                            zn[i] += st_vec[e, i] * dd
                for i in range(r):
                    z[i] = zn[i]
