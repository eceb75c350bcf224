"""numba conversion kernel over the decision-response tables (see response.py)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ..blocks.comparator import decide
from ..blocks.counter import count_up
from ..blocks.rng import BLOCK, block_seed

# The stepping kernel serves long schedules (thousands of phases per conversion), so it
# reseeds per smaller block to keep both threads busy on a few thousand samples; any fixed
# block size keeps results independent of the thread count.
STEP_BLOCK = 256


@nb.njit(cache=True, parallel=True)
def convert_kernel(v, a, c, bt, chol_t, group, weight, use_noise, seed, coarse_out, fine_out):
    """Convert every v[s] (V): comparator decisions in order, counter and SAR register.

    Decision j sees s_j = a[j]*v + c[j] + sum_{i<j} b[j,i] d_i (+ (L @ xi)[j] with noise)
    and compares it with 0 (offset and threshold are folded into c).  ``bt`` = b.T and
    ``chol_t`` = L.T (row i: what decision i / noise draw i adds to the later s_j), so a
    decision of 1 adds one contiguous row to the pending comparator inputs.  Writes the
    coarse count (group 0) and the SAR code (group 1, weight = 2^bit).
    """
    n = v.shape[0]
    D = a.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in nb.prange(n_blocks):
        if use_noise:
            np.random.seed(block_seed(seed, blk))
        acc = np.zeros(D)
        start = blk * BLOCK
        stop = min(start + BLOCK, n)
        for s in range(start, stop):
            x = v[s]
            for j in range(D):
                acc[j] = a[j] * x + c[j]
            if use_noise:
                for i in range(D):
                    xi = np.random.standard_normal()
                    for j in range(i, D):
                        acc[j] += chol_t[i, j] * xi
            count = 0
            code = 0
            for j in range(D):
                dj = decide(acc[j], 0.0, 0.0, 0.0)
                if dj:
                    for l in range(j + 1, D):
                        acc[l] += bt[j, l]
                if group[j] == 0:
                    count = count_up(count, dj * weight[j])
                else:
                    code += dj * weight[j]
            coarse_out[s] = count
            fine_out[s] = code


@nb.njit(cache=True, parallel=True)
def step_kernel(v, z0v, z0c, phi, gv, gc, pz, pv, pc, dec_at, st_ptr, st_idx, st_vec,
                pr_ptr, pr_idx, pr_coef, fz, fp, rank, dec_c, dec_rms, group, weight,
                use_noise, seed, coarse_out, fine_out):
    """Step every v[s] (V) through the macro steps of the program (see macro.py).

    Macro m: the decision it ends with sees pz.z + pv*v + pc + (earlier decisions) +
    fp.xi, compared with 0 after adding c[j] (offset - threshold) and comparator noise;
    then z <- phi z + gv*v + gc + (earlier decisions) + fz xi.  Cost O(D r^2): the choice
    for long schedules (many coarse iterations), where the O(D^2) response form is slower.
    """
    n = v.shape[0]
    M, r = phi.shape[0], phi.shape[1]
    q = fz.shape[2]
    D = dec_c.shape[0]
    n_blocks = (n + STEP_BLOCK - 1) // STEP_BLOCK
    for blk in nb.prange(n_blocks):
        if use_noise:
            np.random.seed(block_seed(seed, blk))
        z = np.zeros(r)
        zn = np.zeros(r)
        xi = np.zeros(q)
        d = np.zeros(max(D, 1))
        start = blk * STEP_BLOCK
        stop = min(start + STEP_BLOCK, n)
        for s in range(start, stop):
            x = v[s]
            for i in range(r):
                z[i] = z0v[i] * x + z0c[i]
            count = 0
            code = 0
            for m in range(M):
                nr = rank[m] if use_noise else 0
                for i in range(nr):
                    xi[i] = np.random.standard_normal()
                j = dec_at[m]
                if j >= 0:
                    acc = pv[m] * x + pc[m] + dec_c[j]
                    for i in range(r):
                        acc += pz[m, i] * z[i]
                    for e in range(pr_ptr[m], pr_ptr[m + 1]):
                        acc += pr_coef[e] * d[pr_idx[e]]
                    for i in range(nr):
                        acc += fp[m, i] * xi[i]
                    cmp_noise = dec_rms[j] * np.random.standard_normal() if use_noise else 0.0
                    dj = decide(acc, 0.0, 0.0, cmp_noise)
                    d[j] = dj
                    if group[j] == 0:
                        count = count_up(count, dj * weight[j])
                    else:
                        code += dj * weight[j]
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
            coarse_out[s] = count
            fine_out[s] = code
