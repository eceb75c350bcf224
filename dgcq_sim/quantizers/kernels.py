"""numba conversion kernel over the decision-response tables (see response.py)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ..blocks.comparator import decide
from ..blocks.counter import count_up
from ..blocks.rng import BLOCK, block_seed


@nb.njit(cache=True, parallel=True)
def convert_kernel(v, a, c, b, chol, group, weight, use_noise, seed, coarse_out, fine_out):
    """Convert every v[s] (V): comparator decisions in order, counter and SAR register.

    Decision j sees a[j]*v + c[j] + sum_{i<j} b[j,i] d_i (+ (chol @ xi)[j] with noise) and
    compares it with 0 (offset and threshold are folded into c).  Writes the coarse count
    (sum of group-0 weights) and the SAR code (group-1 bits, weight = 2^bit).
    """
    n = v.shape[0]
    D = a.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in nb.prange(n_blocks):
        if use_noise:
            np.random.seed(block_seed(seed, blk))
        d = np.zeros(D)
        xi = np.zeros(D)
        start = blk * BLOCK
        stop = min(start + BLOCK, n)
        for s in range(start, stop):
            if use_noise:
                for j in range(D):
                    xi[j] = np.random.standard_normal()
            x = v[s]
            count = 0
            code = 0
            for j in range(D):
                acc = a[j] * x + c[j]
                for i in range(j):
                    acc += b[j, i] * d[i]
                noise = 0.0
                if use_noise:
                    for i in range(j + 1):
                        noise += chol[j, i] * xi[i]
                dj = decide(acc, 0.0, 0.0, noise)
                d[j] = dj
                if group[j] == 0:
                    count = count_up(count, dj * weight[j])
                else:
                    code += dj * weight[j]
            coarse_out[s] = count
            fine_out[s] = code
