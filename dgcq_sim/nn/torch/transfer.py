"""A :class:`~dgcq_sim.transfer.TransferFunction` on torch tensors.

The staircase is the TransferFunction's own: ``edges`` (ascending transition voltages) and
the input estimate of every interval; an input ``v`` is clipped to ``[vmin, vmax]`` and falls
in interval ``i`` = number of edges ``<= v`` (``torch.bucketize(..., right=True)``), exactly
the numba kernels' rule, so noise-free codes are identical to ``TransferFunction.convert``.
Input-referred noise: ``sigma(v)`` piecewise linear on the TF's noise grid (constant beyond
its ends), one standard normal per value from a ``torch.Generator`` (so a torch run and a
numpy run are statistically, not bitwise, the same).

Only torch ops run per value (bucketize, gather, clamp, randn): the module runs wherever the
tensors live (CPU or GPU).
"""

from __future__ import annotations

from . import _require  # noqa: F401  (typed error without torch)

import numpy as np
import torch

from ...errors import ParameterError
from ...transfer import TransferFunction


def resolve_quantizer(quantizer, seed: int = 0) -> TransferFunction:
    """A TransferFunction from ``quantizer``: a TransferFunction, ``"ideal:B"``, a saved
    ``TF.npz`` path, or a netlist / architecture name (characterized noise included, from
    ``seed``)."""
    if isinstance(quantizer, TransferFunction):
        return quantizer
    if not isinstance(quantizer, str):
        raise ParameterError(f"quantizer must be a TransferFunction, 'ideal:B', a TF .npz "
                             f"path or a netlist, got {type(quantizer).__name__}")
    from ..quantizer_spec import load_transfer
    return load_transfer(quantizer, {}, False, seed)


class TorchTransfer(torch.nn.Module):
    """The tables of a TransferFunction as buffers (they follow ``.to(device)``).

    The staircase interval is ``torch.bucketize`` on the edges (in the input's dtype: a
    bucket index over [vmin, vmax], as the numba kernels use, measured no faster in
    torch).  sigma(v) uses the TransferFunction's noise-grid bucket index as its kernels
    do: the line of v's bucket, the exact segment search only for the buckets that hold a
    grid point (3.6x faster than a search for every value).
    """

    def __init__(self, tf: TransferFunction):
        super().__init__()
        if not isinstance(tf, TransferFunction):
            raise ParameterError(f"expected a TransferFunction, got {type(tf).__name__}")
        self.vmin, self.vmax = float(tf.vmin), float(tf.vmax)
        self.bits, self.n_codes = int(tf.bits), int(tf.n_codes)
        buf = lambda name, a: self.register_buffer(name, torch.from_numpy(np.array(a)), persistent=False)  # noqa: E731
        buf("edges", np.asarray(tf.edges, np.float64))
        buf("values", np.asarray(tf.code_values[tf.codes], np.float64))
        buf("codes", np.asarray(tf.codes, np.int64))
        buf("grid", np.asarray(tf.noise_grid, np.float64))
        buf("sigma_tab", np.asarray(tf.noise_sigma, np.float64))
        buf("g_a", np.ascontiguousarray(tf._g_line[:, 0]))
        buf("g_b", np.ascontiguousarray(tf._g_line[:, 1]))
        self.g0, self.g1 = float(tf.noise_grid[0]), float(tf.noise_grid[-1])
        self.g_inv_w, self.g_buckets = float(tf._g_inv_w), int(tf._g_buckets)
        self.g_scan = bool(tf._g_scan)
        self.noise_free = bool(tf.is_noise_free)

    def _sigma_scan(self, v: torch.Tensor) -> torch.Tensor:
        """sigma(v) by a search of the grid segments (any v)."""
        g, s = self.grid, self.sigma_tab
        if g.numel() == 1:
            return s[0].expand_as(v)
        i = torch.bucketize(v, g, right=True).clamp(1, g.numel() - 1)
        g0, g1, s0, s1 = g[i - 1], g[i], s[i - 1], s[i]
        out = s0 + (v - g0) * ((s1 - s0) / (g1 - g0))
        return torch.where(v <= g[0], s[0], torch.where(v >= g[-1], s[-1], out))

    def sigma(self, v: torch.Tensor) -> torch.Tensor:
        """Input-referred noise sigma (V) at ``v``: piecewise linear, constant beyond its
        ends; float64."""
        v = v.to(torch.float64)
        vc = v.clamp(self.g0, self.g1)
        j = ((vc - self.g0) * self.g_inv_w).long().clamp_(max=self.g_buckets - 1)
        out = self.g_a[j] + self.g_b[j] * vc
        if self.g_scan:
            redo = torch.isnan(out)
            out[redo] = self._sigma_scan(vc[redo])
        return out

    def interval(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Interval index of every (clipped, optionally noisy) input voltage."""
        v = v.clamp(self.vmin, self.vmax)      # (a NaN stays NaN: callers check finiteness)
        if generator is not None and not self.noise_free:
            n = torch.randn(v.shape, generator=generator, dtype=v.dtype, device=v.device)
            v = (v + self.sigma(v).to(v.dtype) * n).clamp(self.vmin, self.vmax)
        return torch.bucketize(v, self.edges.to(v.dtype), right=True)

    def convert(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Codes (int64) of input voltages ``v``."""
        return self.codes[self.interval(v, generator)]

    def apply(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Quantized input estimates (V) in ``v``'s dtype; no gradient."""
        with torch.no_grad():
            return self.values.to(v.dtype)[self.interval(v.detach(), generator)]
