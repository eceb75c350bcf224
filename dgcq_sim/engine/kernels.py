"""numba kernels that step a batch of samples through a compiled program.

Layout: samples are stepped together in lanes of ``LANE`` samples with the state stored
(r, LANE); each small matrix entry is then applied to a whole lane in a contiguous inner
loop that LLVM vectorizes (about 2x faster than stepping one sample at a time).  Inputs
(S, K, m) and probes (S, K, p) are sample-major, so a lane moves them between memory and
step-major (steps * m|p, LANE) buffers ``CHUNK`` steps at a time: each sample's chunk is
one contiguous read or write instead of a gather per step (the arithmetic is about a
tenth of the time; the rest is moving these arrays).

With noise, samples are split into blocks of ``BLOCK`` (prange over blocks); each block
reseeds numba's generator with ``block_seed(seed, block)`` and walks its lanes in order,
so the numbers do not depend on the thread count.  Inputs were validated by the Python
wrapper; the kernels never raise.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ..blocks.rng import BLOCK, block_seed

LANE = 256
CHUNK = 32     # steps per input/probe transfer (buffers of CHUNK x m x LANE doubles)


@nb.njit(cache=True)
def _load_lane(z0, u, start, nl, z):
    for s in range(nl):
        s_z = start + s if z0.shape[0] > 1 else 0
        for i in range(z.shape[0]):
            z[i, s] = z0[s_z, i]


@nb.njit(cache=True)
def _load_inputs(uf, a0, a1, start, nl, ub):
    """ub[t, s] = uf[start + s, a0 + t] for a0 + t < a1, s < nl: inputs flattened to
    (S, K*m), so a chunk of steps is one contiguous row slice per sample (the first axis
    broadcasts when it has length 1)."""
    for s in range(nl):
        row = uf[start + s if uf.shape[0] > 1 else 0, a0:a1]
        for t in range(a1 - a0):
            ub[t, s] = row[t]


@nb.njit(cache=True)
def _affine(mat_z, mat_u, k, z, uk, nl, out):
    """out[i, :nl] = mat_z[k, i] @ z[:, :nl] + mat_u[k, i] @ uk[:, :nl]."""
    for i in range(out.shape[0]):
        for s in range(nl):
            out[i, s] = 0.0
        for j in range(z.shape[0]):
            c = mat_z[k, i, j]
            for s in range(nl):
                out[i, s] += c * z[j, s]
        for j in range(uk.shape[0]):
            c = mat_u[k, i, j]
            for s in range(nl):
                out[i, s] += c * uk[j, s]


@nb.njit(cache=True)
def _add_noise(mat, k, rank, xi, nl, out):
    for i in range(out.shape[0]):
        for j in range(rank):
            c = mat[k, i, j]
            for s in range(nl):
                out[i, s] += c * xi[j, s]


@nb.njit(cache=True)
def _store(pb, b0, b1, start, nl, pf):
    """pf[start + s, b0 + t] = pb[t, s]: probes flattened to (S, K*p)."""
    for s in range(nl):
        row = pf[start + s, b0:b1]
        for t in range(b1 - b0):
            row[t] = pb[t, s]


@nb.njit(cache=True)
def _store_state(z, start, nl, z_out):
    for s in range(nl):
        for i in range(z.shape[0]):
            z_out[start + s, i] = z[i, s]


@nb.njit(cache=True, parallel=True)
def run_program_kernel(phi, gam, probe_z, probe_u, noise, noise_probe, noise_rank,
                       z0, u, seed, z_out, probe_out):
    """Step every sample through all K steps with thermal noise.

    z0 (S0, r) and u (Su, K, m) with S0, Su in {1, S}: a leading size of 1 broadcasts.
    Writes z_out (S, r) and probe_out (S, K, p).  One xi ~ N(0, I) per sample and step
    feeds both the state (noise[k] @ xi) and the probes (noise_probe[k] @ xi).
    """
    n_samples = z_out.shape[0]
    n_steps, r = phi.shape[0], phi.shape[1]
    m, p, q = gam.shape[2], probe_z.shape[1], noise.shape[2]
    n_blocks = (n_samples + BLOCK - 1) // BLOCK
    uf = u.reshape(u.shape[0], n_steps * m)
    pf = probe_out.reshape(n_samples, n_steps * p)
    for b in nb.prange(n_blocks):
        np.random.seed(block_seed(seed, b))
        z = np.empty((r, LANE))
        zn = np.empty((r, LANE))
        ub = np.empty((CHUNK * m, LANE))
        pb = np.empty((CHUNK * p, LANE))
        xi = np.zeros((max(q, 1), LANE))
        block_stop = min((b + 1) * BLOCK, n_samples)
        for start in range(b * BLOCK, block_stop, LANE):
            nl = min(LANE, block_stop - start)
            _load_lane(z0, u, start, nl, z)
            for k0 in range(0, n_steps, CHUNK):
                nk = min(CHUNK, n_steps - k0)
                _load_inputs(uf, k0 * m, (k0 + nk) * m, start, nl, ub)
                for c in range(nk):
                    k = k0 + c
                    rank = noise_rank[k]
                    for s in range(nl):
                        for j in range(rank):
                            xi[j, s] = np.random.standard_normal()
                    uc, pc = ub[c * m:(c + 1) * m], pb[c * p:(c + 1) * p]
                    _affine(probe_z, probe_u, k, z, uc, nl, pc)
                    _add_noise(noise_probe, k, rank, xi, nl, pc)
                    _affine(phi, gam, k, z, uc, nl, zn)
                    _add_noise(noise, k, rank, xi, nl, zn)
                    z, zn = zn, z
                _store(pb, k0 * p, (k0 + nk) * p, start, nl, pf)
            _store_state(z, start, nl, z_out)


@nb.njit(cache=True, parallel=True)
def run_program_kernel_clean(phi, gam, probe_z, probe_u, z0, u, z_out, probe_out):
    """Noise-free variant of :func:`run_program_kernel` (prange directly over lanes)."""
    n_samples = z_out.shape[0]
    n_steps, r = phi.shape[0], phi.shape[1]
    m, p = gam.shape[2], probe_z.shape[1]
    n_lanes = (n_samples + LANE - 1) // LANE
    uf = u.reshape(u.shape[0], n_steps * m)
    pf = probe_out.reshape(n_samples, n_steps * p)
    for lane in nb.prange(n_lanes):
        start = lane * LANE
        nl = min(LANE, n_samples - start)
        z = np.empty((r, LANE))
        zn = np.empty((r, LANE))
        ub = np.empty((CHUNK * m, LANE))
        pb = np.empty((CHUNK * p, LANE))
        _load_lane(z0, u, start, nl, z)
        for k0 in range(0, n_steps, CHUNK):
            nk = min(CHUNK, n_steps - k0)
            _load_inputs(uf, k0 * m, (k0 + nk) * m, start, nl, ub)
            for c in range(nk):
                uc, pc = ub[c * m:(c + 1) * m], pb[c * p:(c + 1) * p]
                _affine(probe_z, probe_u, k0 + c, z, uc, nl, pc)
                _affine(phi, gam, k0 + c, z, uc, nl, zn)
                z, zn = zn, z
            _store(pb, k0 * p, (k0 + nk) * p, start, nl, pf)
        _store_state(z, start, nl, z_out)
