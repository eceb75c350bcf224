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


# --------------------------------------------------------------------------- counter-based
# A counter-based stream: draw number c of sample s of a run seeded with `seed` is
# splitmix64(key(seed, s) + c * GOLDEN), so every sample's numbers depend only on
# (seed, s, c) — never on blocks, threads or the order samples run in — and no generator
# state has to be seeded per block.  Normals come from a 256-layer ziggurat (Marsaglia &
# Tsang 2000; the 256-layer constants numpy uses) on 64 random bits: 98.5 % of draws cost
# one hash, a table lookup and a multiply (128 layers: 97.2 %), and the layer index and
# the value use disjoint bits.

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ZIG_LAYERS = 256
_ZIG_R = 3.6541528853610088            # start of the tail
_ZIG_V = 4.92867323399e-3              # area of each layer


def _ziggurat_tables():
    """Layer tables kn (int64 thresholds on a 31-bit magnitude), wn, fn of the
    ``_ZIG_LAYERS``-layer ziggurat for the standard normal."""
    n = _ZIG_LAYERS
    m1 = 2.0 ** 31
    dn = tn = _ZIG_R
    q = _ZIG_V / np.exp(-0.5 * dn * dn)
    kn = np.zeros(n, np.int64)
    wn = np.zeros(n)
    fn = np.zeros(n)
    kn[0] = int((dn / q) * m1)
    kn[1] = 0
    wn[0] = q / m1
    wn[n - 1] = dn / m1
    fn[0] = 1.0
    fn[n - 1] = np.exp(-0.5 * dn * dn)
    for i in range(n - 2, 0, -1):
        dn = np.sqrt(-2.0 * np.log(_ZIG_V / dn + np.exp(-0.5 * dn * dn)))
        kn[i + 1] = int((dn / tn) * m1)
        tn = dn
        fn[i] = np.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


ZIG_KN, ZIG_WN, ZIG_FN = _ziggurat_tables()
_LAYER_MASK = np.uint64(_ZIG_LAYERS - 1)


@nb.njit(cache=True, inline="always")
def mix64(z):
    """SplitMix64 finalizer of a uint64."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@nb.njit(cache=True, inline="always")
def sample_key(seed, sample):
    """Key of one sample's stream: a mix of (seed, sample index)."""
    return mix64(np.uint64(seed) * _GOLDEN + np.uint64(sample) + np.uint64(1))


@nb.njit(cache=True, inline="always")
def bits64(key, counter):
    """Draw number ``counter`` (uint64) of the stream ``key``: 64 random bits."""
    return mix64(key + (counter + np.uint64(1)) * _GOLDEN)


@nb.njit(cache=True, inline="always")
def uniform01(key, counter):
    """A uniform double in [0, 1) from draw ``counter`` of stream ``key``."""
    return float(bits64(key, counter) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True, inline="always")
def _split(b):
    """One ziggurat attempt from 64 random bits: (signed 32-bit value hz, layer iz); the
    layer comes from the low bits, the value from the high ones (disjoint bits)."""
    return np.int64(np.int32(np.uint32(b >> np.uint64(32)))), np.int64(b & _LAYER_MASK)


@nb.njit(cache=True, inline="always")
def _layer(key, counter):
    """:func:`_split` of draw ``counter`` of stream ``key``, and the next counter."""
    hz, iz = _split(bits64(key, counter))
    return hz, iz, counter + np.uint64(1)


@nb.njit(cache=True)
def _normal_tail(key, counter, hz, iz, kn, wn, fn):
    """Slow path of the ziggurat (about 1.5 % of draws); returns (value, next counter)."""
    while True:
        x = hz * wn[iz]
        if iz == 0:                       # the tail beyond R (Marsaglia's exponential trick)
            while True:
                u1 = uniform01(key, counter)
                u2 = uniform01(key, counter + np.uint64(1))
                counter += np.uint64(2)
                x = -np.log(1.0 - u1) / _ZIG_R
                y = -np.log(1.0 - u2)
                if y + y >= x * x:
                    break
            return (_ZIG_R + x if hz > 0 else -_ZIG_R - x), counter
        u = uniform01(key, counter)
        counter += np.uint64(1)
        if fn[iz] + u * (fn[iz - 1] - fn[iz]) < np.exp(-0.5 * x * x):
            return x, counter
        hz, iz, counter = _layer(key, counter)
        if abs(hz) < kn[iz]:
            return hz * wn[iz], counter


@nb.njit(cache=True, inline="always")
def normal(key, counter, kn, wn, fn):
    """A standard normal from stream ``key`` at ``counter``; returns (value, next counter).
    Pass the tables :data:`ZIG_KN`, :data:`ZIG_WN`, :data:`ZIG_FN`."""
    hz, iz, counter = _layer(key, counter)
    if abs(hz) < kn[iz]:
        return hz * wn[iz], counter
    return _normal_tail(key, counter, hz, iz, kn, wn, fn)


@nb.njit(cache=True, inline="always")
def normals_into(seed_key, start, out, kn, wn, fn):
    """``out[i]`` = the one standard normal of sample ``start + i`` of a single-draw stream
    (kernels that need one normal per sample: the transfer-function lookups).

    ``seed_key = mix64(uint64(seed))``, computed once per call.  Sample s's 64 bits are
    draw s of the stream ``seed_key`` (``bits64(seed_key, s)``, the splitmix64 output
    ``mix64(seed_key + (s + 1)·GOLDEN)``): one hash per sample instead of a per-sample key
    plus a draw.  A first pass takes the ziggurat's fast path for every sample (no calls,
    no data-dependent branches; NaN marks the ~1.5 % rejections) and a second pass
    finishes those from the stream keyed by the same 64 bits.  Results depend on
    (seed, sample) only.
    """
    for i in range(out.shape[0]):
        hz, iz = _split(bits64(seed_key, np.uint64(start + i)))
        out[i] = hz * wn[iz] if abs(hz) < kn[iz] else np.nan
    for i in range(out.shape[0]):
        if np.isnan(out[i]):
            b = bits64(seed_key, np.uint64(start + i))
            hz, iz = _split(b)
            out[i], _ = _normal_tail(b, np.uint64(0), hz, iz, kn, wn, fn)
