"""numba kernels that step a batch of samples through a compiled program.

Samples are processed in blocks of ``BLOCK`` (prange over blocks); with noise, each block
reseeds numba's generator with ``block_seed(seed, block)`` so the numbers do not depend
on the thread count.  Inputs were validated by the Python wrappers.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ..blocks.rng import BLOCK, block_seed


@nb.njit(cache=True, parallel=True)
def run_program_kernel(phi, gam, probe_z, probe_u, noise, noise_probe, noise_rank,
                       z0, u, use_noise, seed, z_out, probe_out):
    """Step every sample through all K steps.

    z0 (S0, r) and u (Su, K, m) with S0, Su in {1, S}: a leading size of 1 broadcasts.
    Writes z_out (S, r) and probe_out (S, K, p).
    """
    n_samples = z_out.shape[0]
    n_steps, r = phi.shape[0], phi.shape[1]
    m = gam.shape[2]
    p = probe_z.shape[1]
    q = noise.shape[2]
    n_blocks = (n_samples + BLOCK - 1) // BLOCK
    for b in nb.prange(n_blocks):
        if use_noise:
            np.random.seed(block_seed(seed, b))
        z = np.empty(r)
        zn = np.empty(r)
        xi = np.zeros(max(q, 1))
        start = b * BLOCK
        stop = min(start + BLOCK, n_samples)
        for s in range(start, stop):
            s_z = s if z0.shape[0] > 1 else 0
            s_u = s if u.shape[0] > 1 else 0
            for i in range(r):
                z[i] = z0[s_z, i]
            for k in range(n_steps):
                if use_noise:
                    for j in range(noise_rank[k]):
                        xi[j] = np.random.standard_normal()
                for i in range(p):
                    acc = 0.0
                    for j in range(r):
                        acc += probe_z[k, i, j] * z[j]
                    for j in range(m):
                        acc += probe_u[k, i, j] * u[s_u, k, j]
                    if use_noise:
                        for j in range(noise_rank[k]):
                            acc += noise_probe[k, i, j] * xi[j]
                    probe_out[s, k, i] = acc
                for i in range(r):
                    acc = 0.0
                    for j in range(r):
                        acc += phi[k, i, j] * z[j]
                    for j in range(m):
                        acc += gam[k, i, j] * u[s_u, k, j]
                    if use_noise:
                        for j in range(noise_rank[k]):
                            acc += noise[k, i, j] * xi[j]
                    zn[i] = acc
                for i in range(r):
                    z[i] = zn[i]
            for i in range(r):
                z_out[s, i] = z[i]
