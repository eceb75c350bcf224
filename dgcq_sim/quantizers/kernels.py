"""numba conversion kernel over the decision-response tables (see response.py)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ..blocks.comparator import decide
from ..blocks.counter import count_up
from ..blocks.rng import BLOCK, block_seed


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
def step_kernel(v, z0v, z0c, phi, gam, probe_z, probe_u, noise, noise_probe, noise_rank,
                u_const, u_vin, dec_ptr, dec_input, dec_index, dec_coef, dec_at_step,
                dec_probe, dec_c, dec_rms, group, weight, use_noise, seed,
                coarse_out, fine_out):
    """Step every v[s] (V) through the compiled program, the controller setting sources.

    Step k: u = u_const[k] + u_vin[k]*v + (decision-driven entries); a decision j taken
    at the end of step k compares probe + c[j] (offset - threshold) + comparator noise
    with 0; then z <- phi[k] z + gam[k] u (+ noise[k] xi).  Cost O(K r^2): the choice for
    long schedules (many coarse iterations), where the O(D^2) response form is slower.
    """
    n = v.shape[0]
    K, r = phi.shape[0], phi.shape[1]
    m = gam.shape[2]
    q = noise.shape[2]
    D = dec_probe.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in nb.prange(n_blocks):
        if use_noise:
            np.random.seed(block_seed(seed, blk))
        z = np.zeros(r)
        zn = np.zeros(r)
        u = np.zeros(m)
        xi = np.zeros(max(q, 1))
        d = np.zeros(max(D, 1))
        start = blk * BLOCK
        stop = min(start + BLOCK, n)
        for s in range(start, stop):
            x = v[s]
            for i in range(r):
                z[i] = z0v[i] * x + z0c[i]
            count = 0
            code = 0
            for k in range(K):
                for i in range(m):
                    u[i] = u_const[k, i] + u_vin[k, i] * x
                for e in range(dec_ptr[k], dec_ptr[k + 1]):
                    u[dec_input[e]] += dec_coef[e] * d[dec_index[e]]
                rank = noise_rank[k] if use_noise else 0
                for i in range(rank):
                    xi[i] = np.random.standard_normal()
                j = dec_at_step[k]
                if j >= 0:
                    pi = dec_probe[j]
                    acc = 0.0
                    for i in range(r):
                        acc += probe_z[k, pi, i] * z[i]
                    for i in range(m):
                        acc += probe_u[k, pi, i] * u[i]
                    for i in range(rank):
                        acc += noise_probe[k, pi, i] * xi[i]
                    cmp_noise = dec_rms[j] * np.random.standard_normal() if use_noise else 0.0
                    dj = decide(acc, 0.0, dec_c[j], cmp_noise)
                    d[j] = dj
                    if group[j] == 0:
                        count = count_up(count, dj * weight[j])
                    else:
                        code += dj * weight[j]
                for i in range(r):
                    acc = 0.0
                    for l in range(r):
                        acc += phi[k, i, l] * z[l]
                    for l in range(m):
                        acc += gam[k, i, l] * u[l]
                    for l in range(rank):
                        acc += noise[k, i, l] * xi[l]
                    zn[i] = acc
                for i in range(r):
                    z[i] = zn[i]
            coarse_out[s] = count
            fine_out[s] = code
