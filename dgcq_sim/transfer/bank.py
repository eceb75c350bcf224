"""TransferBank: several TransferFunctions stacked into one table set, applied in one kernel.

A compute-in-memory macro has one converter per column; each converter is an instance of
the same design with its own frozen mismatch and offsets, i.e. its own TransferFunction.
A bank stacks I of them (same ``[vmin, vmax]``) so that one numba pass converts partial
sums whose column picks the instance, and accumulates the estimates:

    acc[m, c] += sum_j gain_j * (apply_{inst[j, c]}(p_j[m, c] * k + v0) - v0) - factor_j * e0_q

(:meth:`TransferBank.accumulate`).  A bank of one (every column on instance 0) is the shared
converter, with results bit-identical to ``TransferFunction.apply`` called once per plane:
noise for plane j comes from one seed drawn from the Generator per plane, sample i of the
plane from that seed's counter-based stream, exactly as ``apply`` draws it.
"""

from __future__ import annotations

import numpy as np

from ..blocks.rng import seed_from_generator
from ..errors import InputError, ParameterError
from ..inputs import nonfinite_error
from . import _kernels
from .function import TransferFunction


class TransferBank:
    """I transfer functions with the same range, stacked for :meth:`accumulate`.

    tfs: TransferFunctions (all with equal ``vmin``/``vmax``), or None for an identity
    'converter' (clipping only) used to measure the mapping without conversion.
    """

    def __init__(self, tfs, vmin: float | None = None, vmax: float | None = None):
        if tfs is None:
            if vmin is None or vmax is None or not vmax > vmin:
                raise ParameterError(f"an identity bank needs vmin < vmax, got {vmin}, {vmax}")
            self.tfs, self.vmin, self.vmax = [], float(vmin), float(vmax)
            self.mode_noise_free = self.mode_noisy = _kernels.MODE_IDENTITY
            self._tables(empty=True)
            return
        tfs = list(tfs)
        if not tfs:
            raise ParameterError("a transfer bank needs at least one TransferFunction")
        for i, tf in enumerate(tfs):
            if not isinstance(tf, TransferFunction):
                raise ParameterError(f"bank entry {i} is a {type(tf).__name__}, "
                                     f"not a TransferFunction")
            if tf.vmin != tfs[0].vmin or tf.vmax != tfs[0].vmax:
                raise ParameterError(f"bank entry {i} has range [{tf.vmin}, {tf.vmax}] V, "
                                     f"entry 0 [{tfs[0].vmin}, {tfs[0].vmax}] V; a bank "
                                     f"needs one range")
        self.tfs, self.vmin, self.vmax = tfs, tfs[0].vmin, tfs[0].vmax
        self.mode_noise_free = _kernels.MODE_NOISE_FREE
        self.mode_noisy = (_kernels.MODE_NOISE_FREE if all(t.is_noise_free for t in tfs)
                           else _kernels.MODE_NOISY)
        self._tables()

    def __len__(self) -> int:
        return max(1, len(self.tfs))

    @property
    def is_identity(self) -> bool:
        return not self.tfs

    def _tables(self, empty: bool = False) -> None:
        i64, f64 = np.int64, np.float64
        if empty:
            z_i, z_f = np.zeros(1, i64), np.zeros(1, f64)
            self._t = dict(inv_w=z_f, n_buckets=np.ones(1, i64), b_off=z_i, lo_tab=z_i,
                           hi_tab=z_i, edges=np.full(1, np.inf), table=z_f, g_off=z_i,
                           g_len=np.ones(1, i64), grid=z_f, sigma=z_f, slope=z_f,
                           g_inv_w=z_f, g_buckets=np.ones(1, i64), gb_off=z_i, g_lo=z_i,
                           g_line=np.zeros((1, 2)), g_scan=False)
            return
        lo, hi, edges, table, grid, sigma, slope, glo, gline = ([] for _ in range(9))
        b_off, g_off, gb_off = [], [], []
        e_base = b_base = g_base = gb_base = 0
        for tf in self.tfs:
            b_off.append(b_base)
            lo.append(tf._lo + e_base)
            hi.append(tf._hi + e_base)
            edges.append(tf._edges_pad)
            table.append(tf._interval_values)
            g = tf.noise_grid.shape[0]
            g_off.append(g_base)
            gb_off.append(gb_base)
            grid.append(tf.noise_grid)
            sigma.append(tf.noise_sigma)
            slope.append(np.resize(tf._slope, g) if g > 1 else np.zeros(1))
            glo.append(tf._g_lo + g_base)
            gline.append(tf._g_line)
            e_base += tf._edges_pad.shape[0]
            b_base += tf._n_buckets
            g_base += g
            gb_base += tf._g_buckets
        cat = lambda parts, dt: np.ascontiguousarray(np.concatenate(parts), dtype=dt)  # noqa: E731
        self._t = dict(
            inv_w=np.array([t._inv_w for t in self.tfs], f64),
            n_buckets=np.array([t._n_buckets for t in self.tfs], i64),
            b_off=np.array(b_off, i64), lo_tab=cat(lo, i64), hi_tab=cat(hi, i64),
            edges=cat(edges, f64), table=cat(table, f64),
            g_off=np.array(g_off, i64),
            g_len=np.array([t.noise_grid.shape[0] for t in self.tfs], i64),
            grid=cat(grid, f64), sigma=cat(sigma, f64), slope=cat(slope, f64),
            g_inv_w=np.array([t._g_inv_w for t in self.tfs], f64),
            g_buckets=np.array([t._g_buckets for t in self.tfs], i64),
            gb_off=np.array(gb_off, i64), g_lo=cat(glo, i64), g_line=cat(gline, f64),
            g_scan=any(t._g_scan for t in self.tfs))

    def accumulate(self, acc: np.ndarray, p: np.ndarray, inst: np.ndarray, k: float,
                   v0: float, gain: np.ndarray, factor: np.ndarray, e0: np.ndarray,
                   rng: np.random.Generator | None = None) -> None:
        """``acc += sum_j gain[j]*(apply(p[j]*k + v0) - v0) - factor[j]*e0[q]`` in place.

        acc: (M, C) float64 C-contiguous. p: (J, M, C) partial-sum planes (float32/64).
        inst: (J, C) int64 instance per plane and column (0 .. len(self)-1).
        k, v0: partial sum -> voltage. gain, factor: (J,) per plane. e0: (len(self),)
        zero-sum estimate per instance. rng: one seed per plane is drawn (None: noise-free).
        """
        if not (isinstance(acc, np.ndarray) and acc.dtype == np.float64 and acc.ndim == 2
                and acc.flags.c_contiguous):
            raise InputError("acc must be a C-contiguous (M, C) float64 array")
        m, c = acc.shape
        if p.ndim != 3 or p.shape[1:] != (m, c) or not p.flags.c_contiguous:
            raise InputError(f"p must be C-contiguous (J, {m}, {c}), got {p.shape}")
        n_planes = p.shape[0]
        inst = np.ascontiguousarray(inst, dtype=np.int64)
        if inst.shape != (n_planes, c):
            raise InputError(f"inst must have shape ({n_planes}, {c}), got {inst.shape}")
        if inst.size and (inst.min() < 0 or inst.max() >= len(self)):
            raise InputError(f"inst holds indices outside 0..{len(self) - 1}")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise InputError(f"rng must be a numpy.random.Generator or None, "
                             f"got {type(rng).__name__}")
        if rng is None:
            seeds, mode = np.zeros(n_planes, np.uint64), self.mode_noise_free
        else:
            seeds = np.array([seed_from_generator(rng) for _ in range(n_planes)],
                             dtype=np.uint64)
            mode = self.mode_noisy
        if n_planes == 0 or m * c == 0:
            return
        n_bad = _kernels.bank_accumulate(
            acc.reshape(-1), p.reshape(n_planes, -1), c, inst, float(k), float(v0),
            np.ascontiguousarray(gain, np.float64), np.ascontiguousarray(factor, np.float64),
            np.ascontiguousarray(e0, np.float64), mode, seeds, self.vmin, self.vmax,
            **self._t)
        if n_bad:
            raise nonfinite_error(p.reshape(-1) * k + v0)
