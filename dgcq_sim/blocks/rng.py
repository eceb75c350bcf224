"""Reproducible random streams for numba kernels, independent of the thread count.

Kernels split their samples into blocks of ``BLOCK`` consecutive samples, loop over
blocks with ``prange`` and, at the start of each block, call
``np.random.seed(block_seed(seed, block_index))``.  numba keeps one generator per
thread, so a block always draws the same numbers whichever thread runs it.
"""

from __future__ import annotations

import numba as nb
import numpy as np

BLOCK = 4096
_MASK = (1 << 63) - 1


@nb.njit(cache=True)
def block_seed(seed: int, block: int) -> int:
    """SplitMix64 mix of (seed, block) -> a non-negative 31-bit seed for np.random.seed."""
    z = (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(block + 1)
         * np.uint64(0xBF58476D1CE4E5B9))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return int(z & np.uint64(0x7FFFFFFF))


def seed_from_generator(rng: np.random.Generator) -> int:
    """Draw a kernel seed from an explicit numpy Generator (so callers pass Generators)."""
    return int(rng.integers(0, 2**31 - 1))
