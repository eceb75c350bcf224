"""Synthetic quantizers for the metric tests (no circuit simulation)."""

from __future__ import annotations

import numpy as np


class IdealQuantizer:
    """Ideal uniform n-bit quantizer on [vmin, vmax] with optional transition offsets.

    edges_lsb: per-transition shift of the n_codes-1 code transitions, in LSB (injects a known
    DNL/INL).  Estimate = code centre.
    """

    def __init__(self, bits, vmin=0.0, vmax=1.0, edges_lsb=None):
        self.bits, self.vmin, self.vmax = bits, vmin, vmax
        self.n_codes = 2 ** bits
        self.lsb = (vmax - vmin) / self.n_codes
        k = np.arange(1, self.n_codes)
        shift = np.zeros(self.n_codes - 1) if edges_lsb is None else np.asarray(edges_lsb)
        self.transitions = vmin + (k + shift) * self.lsb

    def codes(self, v):
        return np.searchsorted(self.transitions, np.asarray(v), side="right").astype(np.int64)

    def estimate(self, v):
        return self.vmin + (self.codes(v) + 0.5) * self.lsb
