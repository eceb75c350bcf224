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
normal), so results do not depend on the thread count.  sigma(v) is piecewise linear on
the noise grid; a uniform bucket index over the grid holds each bucket's line, and only
buckets with a grid point inside need a scan of the segments (none on a uniform grid).
A block of samples runs in short passes: the normals; clip, sigma and noise (branch-free);
the scan where the grid needs it (:func:`_rescan`); the staircase lookup.  Short loops
without calls or rarely taken paths compile to tighter code than one long loop: measured,
keeping the scan inline costs every grid about 1.7 ns per value.

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
def _sigma_line(v, g0, g1, g_inv_w, g_last, gb_off, g_line):
    """sigma(v) from the line of v's bucket of the noise grid [g0, g1] (v clamped to it;
    its buckets start at ``gb_off``): ``g_line[j, 0] + g_line[j, 1]*v``, branch-free.  NaN
    where the bucket holds a grid point: :func:`_sigma_scan` gives those."""
    vc = min(max(v, g0), g1)
    j = gb_off + min(int((vc - g0) * g_inv_w), g_last)
    return g_line[j, 0] + g_line[j, 1] * vc


@nb.njit(cache=True)
def _sigma_scan(v, off, g, grid, sigma, slope, g_inv_w, g_last, gb_off, g_lo):
    """Piecewise-linear sigma(v) on the ascending grid of ``g`` points starting at ``off``
    (constant beyond its ends), by a scan of the segments from the lower bound ``g_lo`` of
    v's bucket (segment ``i`` is ``[grid[i], grid[i+1])``): the buckets that hold a grid
    point."""
    if v <= grid[off]:
        return sigma[off]
    if v >= grid[off + g - 1]:
        return sigma[off + g - 1]
    i = g_lo[gb_off + min(int((v - grid[off]) * g_inv_w), g_last)]
    while grid[i + 1] <= v:
        i += 1
    return sigma[i] + (v - grid[i]) * slope[i]


@nb.njit(cache=True, inline="always")
def _clipped(v, vmin, vmax):
    """(v clipped to [vmin, vmax], 1 if v was not finite (converted as vmin) else 0).

    Branches: the fastest form in a loop that does not vectorize anyway (the noise-free
    lookup), where the branches are almost always predicted."""
    if not np.isfinite(v):
        return vmin, 1
    if v < vmin:
        return vmin, 0
    if v > vmax:
        return vmax, 0
    return v, 0


@nb.njit(cache=True, inline="always")
def _clipped_select(v, vmin, vmax):
    """:func:`_clipped` without branches (selects, min and max), for the noisy kernels'
    clip-sigma-noise pass, where it measured faster (6.7 against 7.7 ns per value)."""
    finite = np.isfinite(v)
    v = v if finite else vmin
    return min(max(v, vmin), vmax), 1 - np.int64(finite)


@nb.njit(cache=True, inline="always")
def _with_noise(v, s, g, vmin, vmax):
    """The clipped input plus input-referred noise ``s*g`` (s = sigma(v) >= 0, g finite),
    clipped again: the converter saturates at the range ends.  s = 0 leaves v as it is."""
    return min(max(v + s * g, vmin), vmax)


@nb.njit(cache=True)
def _rescan(src, i0, k, v0, n_r, ncol, y, g, vmin, vmax, c_g0, c_g1, c_inv, c_last, c_boff,
            c_off, c_len, grid, sigma, slope, g_lo, g_line):
    """Redo, with the exact scan, the values of a block whose sigma bucket holds a grid
    point (the line pass left them wrong): value ``i = r*ncol + c`` of the block is
    ``src[i0 + i]*k + v0``, its column ``c`` has the noise-grid parameters ``c_*[c]``,
    its normal is ``g[i]``, its noisy input goes to ``y[i]``.

    A function of its own, called only for grids that need it: inlined, the scan slows the
    line pass of every grid."""
    for r in range(n_r):
        for c in range(ncol):
            i = r * ncol + c
            v, _ = _clipped(src[i0 + i] * k + v0, vmin, vmax)
            if np.isnan(_sigma_line(v, c_g0[c], c_g1[c], c_inv[c], c_last[c], c_boff[c],
                                    g_line)):
                s = _sigma_scan(v, c_off[c], c_len[c], grid, sigma, slope, c_inv[c],
                                c_last[c], c_boff[c], g_lo)
                y[i] = _with_noise(v, s, g[i], vmin, vmax)


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
                 grid, sigma, slope, g_inv_w, g_buckets, g_lo, g_line, g_scan, seed):
    """Like :func:`lookup_noise_free` with input-referred Gaussian noise sigma(v) added.

    Sample k's noise is the normal of sample k of the stream seeded ``seed``
    (:func:`~dgcq_sim.blocks.rng.normals_into`): results depend on (seed, k) only.
    A block runs in short passes (the normals; clip, sigma and noise; the staircase
    lookup) rather than one long loop; ``g_scan`` (the noise grid has buckets that hold a
    grid point) adds :func:`_rescan`.
    """
    n = x.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    bad = np.zeros(n_blocks, dtype=np.int64)
    kn, wn, fn = ZIG_KN, ZIG_WN, ZIG_FN
    seed_key = mix64(np.uint64(seed))
    n_grid = grid.shape[0]
    g0, g1, g_last = grid[0], grid[n_grid - 1], g_buckets - 1
    # the grid as the one column of :func:`_rescan`
    c_g0, c_g1, c_inv = np.full(1, g0), np.full(1, g1), np.full(1, g_inv_w)
    c_last, c_zero, c_len = np.full(1, g_last), np.zeros(1, np.int64), np.full(1, n_grid)
    for b in nb.prange(n_blocks):
        start = b * BLOCK
        m = min(BLOCK, n - start)
        g = np.empty(m)
        y = np.empty(m)
        normals_into(seed_key, start, g, kn, wn, fn)
        nbad = 0
        for i in range(m):
            v, nonfinite = _clipped_select(x[start + i], vmin, vmax)
            nbad += nonfinite
            y[i] = _with_noise(v, _sigma_line(v, g0, g1, g_inv_w, g_last, 0, g_line), g[i],
                               vmin, vmax)
        if g_scan:
            _rescan(x, start, 1.0, 0.0, m, 1, y, g, vmin, vmax, c_g0, c_g1, c_inv, c_last,
                    c_zero, c_zero, c_len, grid, sigma, slope, g_lo, g_line)
        for i in range(m):
            out[start + i] = table[_interval(y[i], vmin, inv_w, n_buckets, lo_tab, hi_tab,
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
                    g_off, g_len, grid, sigma, slope, g_inv_w, g_buckets, gb_off, g_lo, g_line,
                    g_scan):
    """``acc[i] += sum_j gain[j]*(apply_q(p[j, i]*k + v0) - v0) - factor[j]*e0[q]``.

    p (J, N): J partial-sum planes of N = M*ncol values (row-major (M, ncol)); the value at
    flat index i is column ``i % ncol`` and is converted by instance ``q = inst[j, col]``.
    ``apply_q``: clip to [vmin, vmax], then (mode 0) nothing, (1) the noise-free staircase
    lookup, (2) input-referred noise from sample i's stream of ``seeds[j]`` first, exactly
    as :func:`lookup_noisy` does for one call per plane (the same passes: normals; clip,
    sigma and noise; the scan where ``g_scan``; lookup).  The planes are added to ``acc[i]``
    in order j = 0..J-1 (the same rounding as J separate passes).  Returns the number of
    non-finite inputs (converted as vmin).
    """
    n_planes, n = p.shape
    n_rows = n // ncol
    rows_per_block = max(1, BLOCK // ncol)
    n_blocks = (n_rows + rows_per_block - 1) // rows_per_block
    bad = np.zeros(n_blocks, dtype=np.int64)
    kn, wn, fn = ZIG_KN, ZIG_WN, ZIG_FN
    # Each plane's instance parameters per column, gathered once: the row loops then read
    # contiguous (J, ncol) rows instead of chasing inst[j, c] per value.
    c_inv, c_e0 = np.empty((n_planes, ncol)), np.empty((n_planes, ncol))
    c_nb, c_boff = np.empty((n_planes, ncol), np.int64), np.empty((n_planes, ncol), np.int64)
    s_g0, s_g1, s_inv = (np.empty((n_planes, ncol)), np.empty((n_planes, ncol)),
                         np.empty((n_planes, ncol)))
    s_last, s_boff = np.empty((n_planes, ncol), np.int64), np.empty((n_planes, ncol), np.int64)
    s_off, s_len = np.empty((n_planes, ncol), np.int64), np.empty((n_planes, ncol), np.int64)
    for j in range(n_planes):
        for c in range(ncol):
            q = inst[j, c]
            c_inv[j, c], c_nb[j, c], c_boff[j, c] = inv_w[q], n_buckets[q], b_off[q]
            c_e0[j, c] = factor[j] * e0[q]
            o = s_off[j, c] = g_off[q]
            s_len[j, c] = g_len[q]
            s_g0[j, c], s_g1[j, c] = grid[o], grid[o + g_len[q] - 1]
            s_inv[j, c], s_last[j, c], s_boff[j, c] = g_inv_w[q], g_buckets[q] - 1, gb_off[q]
    for b in nb.prange(n_blocks):
        r_start = b * rows_per_block
        n_r = min(r_start + rows_per_block, n_rows) - r_start
        i0 = r_start * ncol          # this block: values i0 + r*ncol + c, r < n_r, c < ncol
        g = np.empty(n_r * ncol if mode == 2 else 0)
        y = np.empty(n_r * ncol)
        nbad = 0
        for j in range(n_planes):
            if mode == 2:
                normals_into(mix64(seeds[j]), i0, g, kn, wn, fn)
                for r in range(n_r):
                    for c in range(ncol):
                        i = r * ncol + c
                        v, nonfinite = _clipped_select(p[j, i0 + i] * k + v0, vmin, vmax)
                        nbad += nonfinite
                        s = _sigma_line(v, s_g0[j, c], s_g1[j, c], s_inv[j, c], s_last[j, c],
                                        s_boff[j, c], g_line)
                        y[i] = _with_noise(v, s, g[i], vmin, vmax)
                if g_scan:
                    _rescan(p[j], i0, k, v0, n_r, ncol, y, g, vmin, vmax, s_g0[j], s_g1[j],
                            s_inv[j], s_last[j], s_boff[j], s_off[j], s_len[j], grid, sigma,
                            slope, g_lo, g_line)
            else:
                for i in range(n_r * ncol):
                    v, nonfinite = _clipped(p[j, i0 + i] * k + v0, vmin, vmax)
                    nbad += nonfinite
                    y[i] = v
            g_j = gain[j]
            for r in range(n_r):
                for c in range(ncol):
                    i = r * ncol + c
                    vh = y[i]
                    if mode != 0:
                        vh = table[_interval_at(vh, vmin, c_inv[j, c], c_nb[j, c],
                                                c_boff[j, c], lo_tab, hi_tab, edges)]
                    acc[i0 + i] += (vh - v0) * g_j - c_e0[j, c]
        bad[b] = nbad
    return bad.sum()
