"""numba kernels behind :class:`~dgcq_sim.transfer.TransferFunction`.

Lookup of the staircase interval that holds an input voltage ``v``:
``i = number of edges <= v`` (so the code changes *at* an edge), via a uniform bucket
index over [vmin, vmax].  Bucket ``j`` stores ``lo[j] <= i <= hi[j]`` for every ``v`` that
can map to it (bounds widened by a float-rounding margin), so a short forward scan from
``lo[j]`` (binary search when the bucket holds many edges) gives the exact interval.

Inputs are clipped to [vmin, vmax]; noisy kernels add input-referred Gaussian noise
``sigma(v)·n`` to the clipped input and clip again (the converter saturates at the range
ends).  Noise comes from the single-draw counter-based stream of :mod:`dgcq_sim.blocks.rng`
(:func:`~dgcq_sim.blocks.rng.normals_into`: sample k of a call seeded ``seed`` has its own
normal), so results do not depend on the thread count.  The normals of a block are drawn
in a pass of their own before the lookups: two short loops run faster than one long one.

Kernels do not raise: they count non-finite inputs (converting them as if they were vmin)
and return the count, and the Python wrapper turns a non-zero count into an
:class:`~dgcq_sim.errors.InputError` (nothing converted is returned then).  Counting in
the same pass saves a separate scan of the input.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ..blocks.rng import BLOCK, ZIG_FN, ZIG_KN, ZIG_WN, mix64, normals_into

_LINEAR_SCAN_MAX = 8


@nb.njit(cache=True, inline="always")
def _interval_at(v, vmin, inv_w, n_buckets, base, lo_tab, hi_tab, edges):
    """Index of the staircase interval holding ``v`` (v already clipped to the range), for
    the staircase whose buckets start at ``base`` in ``lo_tab``/``hi_tab`` (0 for a single
    TransferFunction, an instance's offset in a stacked bank).

    ``edges`` carries a +inf sentinel after each staircase's edges, so ``edges[lo]`` is
    always valid.  The common case (at most one edge in the bucket) is branch-free.
    """
    j = int((v - vmin) * inv_w)
    if j >= n_buckets:
        j = n_buckets - 1
    i = lo_tab[base + j]
    h = hi_tab[base + j]
    if h - i <= 1:
        return i + (edges[i] <= v)
    if h - i <= _LINEAR_SCAN_MAX:
        while i < h and edges[i] <= v:
            i += 1
        return i
    # Many edges in one bucket (a cluster of narrow codes): binary search in [i, h].
    while i < h:
        m = (i + h) >> 1
        if edges[m] <= v:
            i = m + 1
        else:
            h = m
    return i


@nb.njit(cache=True, inline="always")
def _interval(v, vmin, inv_w, n_buckets, lo_tab, hi_tab, edges):
    """:func:`_interval_at` of a single staircase (buckets from 0)."""
    return _interval_at(v, vmin, inv_w, n_buckets, 0, lo_tab, hi_tab, edges)


@nb.njit(cache=True, inline="always")
def _sigma_at_off(v, off, g, grid, sigma, slope, g_inv_w, g_buckets, gb_off, g_lo, g_coef):
    """Piecewise-linear sigma(v) on the ascending grid of ``g`` points starting at ``off``
    (its bucket index starting at ``gb_off``); constant beyond its ends.

    A uniform bucket index over the grid: a bucket with no grid point inside holds its
    segment's line, ``sigma = g_coef[j, 0] + g_coef[j, 1]*v`` (one lookup); a bucket with
    one (``g_coef[j, 0]`` NaN) scans the segments from its lower bound ``g_lo[j]``
    (segment ``i`` is ``[grid[i], grid[i+1])``).
    """
    if v <= grid[off]:
        return sigma[off]
    if v >= grid[off + g - 1]:
        return sigma[off + g - 1]
    j = int((v - grid[off]) * g_inv_w)
    if j >= g_buckets:
        j = g_buckets - 1
    a = g_coef[gb_off + j, 0]
    if a == a:
        return a + g_coef[gb_off + j, 1] * v
    i = g_lo[gb_off + j]
    while grid[i + 1] <= v:
        i += 1
    return sigma[i] + (v - grid[i]) * slope[i]


@nb.njit(cache=True, inline="always")
def _sigma_at(v, grid, sigma, slope, g_inv_w, g_buckets, g_lo, g_coef):
    """:func:`_sigma_at_off` of a single grid."""
    return _sigma_at_off(v, 0, grid.shape[0], grid, sigma, slope, g_inv_w, g_buckets, 0, g_lo,
                         g_coef)


@nb.njit(cache=True, inline="always")
def _clipped(v, vmin, vmax):
    """(v clipped to [vmin, vmax], 1 if v was not finite (converted as vmin) else 0)."""
    if not np.isfinite(v):
        return vmin, 1
    if v < vmin:
        return vmin, 0
    if v > vmax:
        return vmax, 0
    return v, 0


@nb.njit(cache=True, inline="always")
def _with_noise(v, s, g, vmin, vmax):
    """The clipped input plus input-referred noise ``s*g`` (s = sigma(v) >= 0), clipped
    again: the converter saturates at the range ends."""
    if s > 0.0:
        v = v + s * g
        if v < vmin:
            v = vmin
        elif v > vmax:
            v = vmax
    return v


@nb.njit(cache=True, parallel=True)
def lookup_noise_free(x, table, out, vmin, vmax, inv_w, n_buckets, lo_tab, hi_tab, edges):
    """out[k] = table[interval(clip(x[k]))]; returns the number of non-finite inputs."""
    n_bad = 0
    for k in nb.prange(x.shape[0]):
        v, nonfinite = _clipped(x[k], vmin, vmax)
        n_bad += nonfinite
        out[k] = table[_interval(v, vmin, inv_w, n_buckets, lo_tab, hi_tab, edges)]
    return n_bad


@nb.njit(cache=True, parallel=True)
def lookup_noisy(x, table, out, vmin, vmax, inv_w, n_buckets, lo_tab, hi_tab, edges,
                 grid, sigma, slope, g_inv_w, g_buckets, g_lo, g_coef, seed):
    """Like :func:`lookup_noise_free` with input-referred Gaussian noise sigma(v) added.

    Sample k's noise is the normal of sample k of the stream seeded ``seed``
    (:func:`~dgcq_sim.blocks.rng.normals_into`), used where sigma(v) > 0: results depend
    on (seed, k) only.
    """
    n = x.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    bad = np.zeros(n_blocks, dtype=np.int64)
    kn, wn, fn = ZIG_KN, ZIG_WN, ZIG_FN
    seed_key = mix64(np.uint64(seed))
    for b in nb.prange(n_blocks):
        start = b * BLOCK
        stop = min(start + BLOCK, n)
        g = np.empty(stop - start)
        normals_into(seed_key, start, g, kn, wn, fn)
        nbad = 0
        for k in range(start, stop):
            v, nonfinite = _clipped(x[k], vmin, vmax)
            nbad += nonfinite
            s = _sigma_at(v, grid, sigma, slope, g_inv_w, g_buckets, g_lo, g_coef)
            g[k - start] = _with_noise(v, s, g[k - start], vmin, vmax)   # looked up below
        for k in range(start, stop):
            out[k] = table[_interval(g[k - start], vmin, inv_w, n_buckets, lo_tab, hi_tab,
                                     edges)]
        bad[b] = nbad
    return bad.sum()


# ---------------------------------------------------------------------- stacked banks
# A bank stacks the lookup tables of I transfer functions (same [vmin, vmax]) end to end;
# instance q's buckets start at ``b_off[q]``, its edges/table entries at the offsets
# already added into its ``lo``/``hi`` values, its noise grid at ``g_off[q]`` (``g_len[q]``
# points; slopes padded to the grid length, bucket lower bounds already offset).

MODE_IDENTITY, MODE_NOISE_FREE, MODE_NOISY = 0, 1, 2


@nb.njit(cache=True, parallel=True)
def bank_accumulate(acc, p, ncol, inst, k, v0, gain, factor, e0, mode, seeds,
                    vmin, vmax, inv_w, n_buckets, b_off, lo_tab, hi_tab, edges, table,
                    g_off, g_len, grid, sigma, slope, g_inv_w, g_buckets, gb_off, g_lo, g_coef):
    """``acc[i] += sum_j gain[j]*(apply_q(p[j, i]*k + v0) - v0) - factor[j]*e0[q]``.

    p (J, N): J partial-sum planes of N = M*ncol values (row-major (M, ncol)); the value at
    flat index i is column ``i % ncol`` and is converted by instance ``q = inst[j, col]``.
    ``apply_q``: clip to [vmin, vmax], then (mode 0) nothing, (1) the noise-free staircase
    lookup, (2) input-referred noise from sample i's stream of ``seeds[j]`` first, exactly
    as :func:`lookup_noisy` does for one call per plane (the plane's normals of a block
    drawn first).  The planes are added to ``acc[i]``
    in order j = 0..J-1 (the same rounding as J separate passes).  Returns the number of
    non-finite inputs (converted as vmin).
    """
    n_planes, n = p.shape
    n_rows = n // ncol
    rows_per_block = max(1, BLOCK // ncol)
    n_blocks = (n_rows + rows_per_block - 1) // rows_per_block
    bad = np.zeros(n_blocks, dtype=np.int64)
    kn, wn, fn = ZIG_KN, ZIG_WN, ZIG_FN
    for b in nb.prange(n_blocks):
        r_start = b * rows_per_block
        r_stop = min(r_start + rows_per_block, n_rows)
        i0 = r_start * ncol
        g = np.empty((r_stop - r_start) * ncol if mode == 2 else 0)
        nbad = 0
        for j in range(n_planes):
            g_j = gain[j]
            f_j = factor[j]
            if mode == 2:
                normals_into(mix64(seeds[j]), i0, g, kn, wn, fn)
            for r in range(r_start, r_stop):
                base = r * ncol
                for c in range(ncol):
                    i = base + c
                    v, nonfinite = _clipped(p[j, i] * k + v0, vmin, vmax)
                    nbad += nonfinite
                    q = inst[j, c]
                    if mode == 0:
                        vh = v
                    else:
                        if mode == 2:
                            s = _sigma_at_off(v, g_off[q], g_len[q], grid, sigma, slope,
                                              g_inv_w[q], g_buckets[q], gb_off[q], g_lo,
                                              g_coef)
                            v = _with_noise(v, s, g[i - i0], vmin, vmax)
                        vh = table[_interval_at(v, vmin, inv_w[q], n_buckets[q], b_off[q],
                                                lo_tab, hi_tab, edges)]
                    acc[i] += (vh - v0) * g_j - f_j * e0[q]
        bad[b] = nbad
    return bad.sum()
