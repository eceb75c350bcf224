"""TransferFunction: a quantizer's static staircase plus input-referred noise, applied fast.

A TransferFunction maps input voltages to integer codes (and codes back to input
estimates).  It is what a quantizer's characterization produces once and what the NN
path applies millions of times per second.

Conventions
-----------
* ``edges`` (E,) are the input voltages where the noise-free code changes; ``codes``
  (E+1,) are the codes on the intervals ``(-inf, edges[0])``, ``[edges[0], edges[1])``,
  ..., ``[edges[-1], +inf)``.  At ``v == edges[i]`` the code is already ``codes[i+1]``.
  The staircase may be non-monotonic and may skip codes.
* Clipping rule: every input is clipped to ``[vmin, vmax]`` before conversion.  With noise,
  ``sigma(v)·n`` is added to the clipped input and the sum is clipped again (a converter
  saturates at its range ends).  Inputs must satisfy :func:`dgcq_sim.inputs.real_voltages`
  (non-empty, finite, real numeric dtype), else :class:`InputError`.
* Noise: input-referred, Gaussian, ``sigma(v)`` piecewise linear on ``noise_grid`` (V rms),
  constant beyond the grid ends.  All zeros means noise-free.
"""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..blocks.rng import seed_from_generator
from ..errors import InputError, ModelFileError, ParameterError
from ..display import show
from ..inputs import nonfinite_error, real_voltages
from . import _kernels
from ._floatsearch import bisect_first_true

FORMAT_VERSION = 1

# Keys of the .npz archive with their expected number of dimensions.
_ARCHIVE_KEYS = {
    "format_version": 0, "vmin": 0, "vmax": 0, "bits": 0, "n_codes": 0,
    "edges": 1, "codes": 1, "code_values": 1, "noise_grid": 1, "noise_sigma": 1, "meta": 0,
}
_MAX_BITS = 30


def _as_1d_float(name: str, a: Any) -> np.ndarray:
    try:
        arr = np.array(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be an array of numbers: {exc}") from None
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be 1-D, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ParameterError(f"{name}[{k}] = {arr[k]} is not finite")
    return arr


def _as_int(name: str, x: Any) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise ParameterError(f"{name} must be an integer, got {show(x)}")
    return int(x)


def _as_float(name: str, x: Any) -> float:
    if isinstance(x, (bool, np.bool_)):
        raise ParameterError(f"{name} must be a number, got {show(x)}")
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number, got {show(x)}") from None
    if not math.isfinite(v):
        raise ParameterError(f"{name} must be finite, got {v}")
    return v


def _check_range(vmin: Any, vmax: Any) -> tuple[float, float]:
    vmin = _as_float("vmin", vmin)
    vmax = _as_float("vmax", vmax)
    if not vmax > vmin:
        raise ParameterError(f"vmax ({vmax} V) must be greater than vmin ({vmin} V)")
    fs = vmax - vmin
    if not (math.isfinite(fs) and math.isfinite(2.0 ** 22 / fs)):
        raise ParameterError(f"full scale vmax - vmin = {fs} V cannot be indexed "
                             f"(overflow or far too small)")
    return vmin, vmax


def _max_mismatch(observed: np.ndarray, predicted: np.ndarray) -> float:
    """Largest relative gap between observed and modelled mean squared code step."""
    live = observed > 0
    if not live.any():
        return 0.0
    return float(np.max(np.abs(predicted[live] / observed[live] - 1.0)))


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


class TransferFunction:
    """Static staircase + input-referred Gaussian noise of one quantizer.

    Parameters
    ----------
    vmin, vmax : float
        Full-scale input range, V (``vmax > vmin``).
    bits : int
        Output word width; codes are ``0 .. n_codes-1`` with ``n_codes <= 2**bits``.
    edges : array (E,)
        Strictly ascending input voltages (V) inside ``[vmin, vmax]`` where the noise-free
        code changes.
    codes : int array (E+1,)
        Code on each interval (below ``edges[0]``, between edges, from ``edges[-1]`` up).
    code_values : array (n_codes,), optional
        Input estimate per code, V.  Default: ideal bin centre
        ``vmin + (c + 0.5)·(vmax - vmin)/n_codes``.
    n_codes : int, optional
        Number of codes; default ``len(code_values)`` if given, else ``2**bits``.
    noise_grid, noise_sigma : arrays (G,), optional
        Input-referred noise sigma (V rms, >= 0) at the ascending grid voltages (V);
        piecewise linear in between, constant beyond.  Default: noise-free.
    meta : dict, optional
        JSON-serializable provenance (netlist, parameters, seed, date, ...).
    """

    def __init__(self, vmin: float, vmax: float, bits: int, edges, codes, *,
                 code_values=None, n_codes: int | None = None, noise_grid=None,
                 noise_sigma=None, meta: dict | None = None):
        vmin, vmax = _check_range(vmin, vmax)
        bits = _as_int("bits", bits)
        if not 1 <= bits <= _MAX_BITS:
            raise ParameterError(f"bits = {bits} outside 1..{_MAX_BITS}")
        if code_values is not None:
            code_values = _as_1d_float("code_values", code_values)
        if n_codes is None:
            n_codes = len(code_values) if code_values is not None else 2 ** bits
        n_codes = _as_int("n_codes", n_codes)
        if not 1 <= n_codes <= 2 ** bits:
            raise ParameterError(f"n_codes = {n_codes} outside 1..2**bits = {2 ** bits}")
        fs = vmax - vmin
        if code_values is None:
            code_values = vmin + (np.arange(n_codes) + 0.5) * (fs / n_codes)
        elif code_values.shape != (n_codes,):
            raise ParameterError(f"code_values has shape {code_values.shape}, "
                                 f"expected ({n_codes},)")

        edges = _as_1d_float("edges", edges)
        if edges.size:
            if edges[0] < vmin or edges[-1] > vmax:
                raise ParameterError(f"edges must lie in [vmin, vmax] = [{vmin}, {vmax}] V, "
                                     f"got {edges[0]} .. {edges[-1]}")
            steps = np.diff(edges)
            if (steps <= 0).any():
                k = int(np.flatnonzero(steps <= 0)[0])
                raise ParameterError(f"edges must be strictly ascending: edges[{k}] = "
                                     f"{edges[k]} >= edges[{k + 1}] = {edges[k + 1]}")
        codes_arr = np.asarray(codes)
        if codes_arr.ndim != 1 or codes_arr.shape[0] != edges.shape[0] + 1:
            raise ParameterError(f"codes has shape {codes_arr.shape}, expected "
                                 f"({edges.shape[0] + 1},) = (len(edges)+1,)")
        if not np.issubdtype(codes_arr.dtype, np.integer):
            raise ParameterError(f"codes must be integers, got dtype {codes_arr.dtype}")
        codes_arr = codes_arr.astype(np.int64)
        out = (codes_arr < 0) | (codes_arr >= n_codes)
        if out.any():
            k = int(np.flatnonzero(out)[0])
            raise ParameterError(f"codes[{k}] = {codes_arr[k]} outside 0..{n_codes - 1}")

        if noise_grid is None and noise_sigma is None:
            noise_grid = np.array([vmin, vmax])
            noise_sigma = np.zeros(2)
        elif noise_grid is None or noise_sigma is None:
            raise ParameterError("noise_grid and noise_sigma must be given together")
        noise_grid = _as_1d_float("noise_grid", noise_grid)
        noise_sigma = _as_1d_float("noise_sigma", noise_sigma)
        if noise_grid.size == 0 or noise_grid.shape != noise_sigma.shape:
            raise ParameterError(f"noise_grid {noise_grid.shape} and noise_sigma "
                                 f"{noise_sigma.shape} must have the same non-zero length")
        if (np.diff(noise_grid) <= 0).any():
            raise ParameterError("noise_grid must be strictly ascending")
        if (noise_sigma < 0).any():
            k = int(np.flatnonzero(noise_sigma < 0)[0])
            raise ParameterError(f"noise_sigma[{k}] = {noise_sigma[k]} V is negative")

        meta = {} if meta is None else meta
        if not isinstance(meta, dict):
            raise ParameterError(f"meta must be a dict, got {type(meta).__name__}")
        try:
            meta_json = json.dumps(meta, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"meta is not JSON-serializable: {exc}") from None

        self.vmin = vmin
        self.vmax = vmax
        self.bits = bits
        self.n_codes = n_codes
        self.edges = _readonly(edges)
        self.codes = _readonly(codes_arr)
        self.code_values = _readonly(code_values)
        self.noise_grid = _readonly(noise_grid)
        self.noise_sigma = _readonly(noise_sigma)
        self.meta = json.loads(meta_json)
        self._interval_values = _readonly(self.code_values[self.codes])
        self._build_index()

    # ------------------------------------------------------------------ lookup index
    def _build_index(self) -> None:
        """Uniform bucket index over [vmin, vmax] bounding the interval of every input."""
        n_edges = self.edges.shape[0]
        n_buckets = 64
        while n_buckets < 4 * (n_edges + 1) and n_buckets < 2 ** 22:
            n_buckets *= 2
        fs = self.vmax - self.vmin
        # Float rounding of (v - vmin)·inv_w can put v one bucket off near a boundary;
        # widening each bucket's bounds by this margin keeps lo <= interval <= hi.
        margin = 64.0 * np.finfo(np.float64).eps * (abs(self.vmin) + abs(self.vmax) + fs)
        left = self.vmin + np.arange(n_buckets + 1) * (fs / n_buckets)
        self._n_buckets = n_buckets
        self._edges_pad = _readonly(np.append(self.edges, np.inf))   # sentinel for the kernel
        self._inv_w = n_buckets / fs
        self._lo = _readonly(np.searchsorted(self.edges, left[:-1] - margin, "right")
                             .astype(np.int64))
        self._hi = _readonly(np.searchsorted(self.edges, left[1:] + margin, "right")
                             .astype(np.int64))
        self._noise_free = not bool((self.noise_sigma > 0).any())
        self._build_noise_index()

    def _build_noise_index(self) -> None:
        """Uniform bucket index over the noise grid for sigma(v) in the kernels.

        A bucket without a grid point inside holds its segment's line: ``sigma = a + b*v``
        (``_g_line[j]``), evaluated for v clamped to the grid.  A bucket with one (NaN
        ``a``) is finished by a scan from ``_g_lo[j]``, the segment at its left edge.  One
        bucket per segment first: a uniform grid (the characterizers' kind) then needs no
        scan at all; otherwise at least 16 buckets per grid point.
        """
        grid, sig = self.noise_grid, self.noise_sigma
        g = grid.shape[0]
        if g < 2:   # one grid point: constant sigma, one bucket of slope 0
            self._slope = _readonly(np.zeros(1))
            self._g_inv_w, self._g_buckets = 0.0, 1
            self._g_lo = _readonly(np.zeros(1, dtype=np.int64))
            self._g_line = _readonly(np.array([[sig[0], 0.0]]))
            self._g_scan = False
            return
        slope = np.diff(sig) / np.diff(grid)
        span = grid[-1] - grid[0]
        # a grid point within this rounding margin of a bucket edge is not inside it: the
        # lines of the two segments meet there (sigma is continuous)
        margin = 64.0 * np.finfo(np.float64).eps * (abs(grid[0]) + abs(grid[-1]) + span)

        def buckets(n_b):
            left = grid[0] + np.arange(n_b) * (span / n_b)
            right = grid[0] + np.arange(1, n_b + 1) * (span / n_b)
            lo = np.clip(np.searchsorted(grid, left - margin, "right") - 1, 0, g - 2)
            first_in = np.searchsorted(grid, left + margin, "right")
            inside = np.searchsorted(grid, right - margin, "left") > first_in
            seg = np.clip(first_in - 1, 0, g - 2)
            line = np.stack([sig[seg] - grid[seg] * slope[seg], slope[seg]], axis=1)
            line[inside, 0] = np.nan
            return lo.astype(np.int64), line

        n_b = g - 1
        lo, line = buckets(n_b)
        if np.isnan(line[:, 0]).any():
            n_b = 64
            while n_b < 16 * g and n_b < 2 ** 20:
                n_b *= 2
            lo, line = buckets(n_b)
        self._slope = _readonly(slope)
        self._g_inv_w, self._g_buckets = n_b / span, n_b
        self._g_lo = _readonly(lo)
        self._g_line = _readonly(np.ascontiguousarray(line))
        self._g_scan = bool(np.isnan(line[:, 0]).any())

    # ------------------------------------------------------------------ properties
    @property
    def full_scale(self) -> float:
        """Input range ``vmax - vmin``, V."""
        return self.vmax - self.vmin

    @property
    def lsb(self) -> float:
        """Ideal code width ``(vmax - vmin) / n_codes``, V."""
        return (self.vmax - self.vmin) / self.n_codes

    @property
    def is_noise_free(self) -> bool:
        """True when sigma is zero everywhere."""
        return self._noise_free

    def sigma(self, v) -> np.ndarray:
        """Input-referred noise sigma (V rms) at input voltages ``v`` (V)."""
        return np.interp(np.asarray(v, dtype=np.float64), self.noise_grid, self.noise_sigma)

    def with_noise(self, noise_grid, noise_sigma, meta: dict | None = None) -> "TransferFunction":
        """A copy with another noise model (grid in V, sigma in V rms)."""
        return TransferFunction(self.vmin, self.vmax, self.bits, self.edges, self.codes,
                                code_values=self.code_values, n_codes=self.n_codes,
                                noise_grid=noise_grid, noise_sigma=noise_sigma,
                                meta=self.meta if meta is None else meta)

    def without_noise(self) -> "TransferFunction":
        """A noise-free copy (same staircase and code values)."""
        return self.with_noise([self.vmin, self.vmax], [0.0, 0.0])

    # ------------------------------------------------------------------ conversion
    @staticmethod
    def _input(v) -> np.ndarray:
        # The one input rule of dgcq_sim.inputs (same as Quantizer.convert); NaN/inf are
        # counted by the kernel itself.  Working memory: the output (8 B) per value.
        return real_voltages(v, bytes_per_value=8, check_finite=False)

    def _run(self, v, rng, table: np.ndarray) -> np.ndarray:
        x = self._input(v)
        flat = np.ascontiguousarray(x.reshape(-1))
        out = np.empty(flat.shape[0], dtype=table.dtype)
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise InputError(f"rng must be a numpy.random.Generator or None, "
                             f"got {type(rng).__name__}")
        args = (flat, table, out, self.vmin, self.vmax, self._inv_w, self._n_buckets,
                self._lo, self._hi, self._edges_pad)
        if rng is None:
            n_bad = _kernels.lookup_noise_free(*args)
        else:
            seed = seed_from_generator(rng)  # always one draw, noisy model or not
            if self._noise_free:
                n_bad = _kernels.lookup_noise_free(*args)
            else:
                n_bad = _kernels.lookup_noisy(*args, self.noise_grid, self.noise_sigma,
                                              self._slope, self._g_inv_w, self._g_buckets,
                                              self._g_lo, self._g_line, self._g_scan, seed)
        if n_bad:
            raise nonfinite_error(flat)
        return out.reshape(x.shape)

    def convert(self, v, rng: np.random.Generator | None = None) -> np.ndarray:
        """Codes (int64, same shape as ``v``) for input voltages ``v`` (V).

        Inputs are clipped to [vmin, vmax].  ``rng=None`` gives the noise-free staircase;
        with a Generator, input-referred noise sigma(v) is added (one seed is drawn from
        ``rng``; results do not depend on the thread count).  Inputs follow the rule of
        :mod:`dgcq_sim.inputs`, the same as ``Quantizer.convert``: a non-empty, finite,
        real numeric array (complex, bool, strings, bytes, dates, objects, NaN/inf and
        over-large calls raise InputError).
        """
        return self._run(v, rng, self.codes)

    def to_voltage(self, codes) -> np.ndarray:
        """Input estimates (float64, V) for integer ``codes`` in ``0 .. n_codes-1``."""
        try:
            c = np.asarray(codes)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InputError(f"codes must be an integer array: {str(exc)[:100]}") from None
        if c.dtype == object or not (np.issubdtype(c.dtype, np.integer)):
            raise InputError(f"codes must be an integer array, got dtype {c.dtype}")
        if c.size:
            lo, hi = int(c.min()), int(c.max())
            if lo < 0 or hi >= self.n_codes:
                bad = lo if lo < 0 else hi
                raise InputError(f"code {bad} outside 0..{self.n_codes - 1}")
        return np.take(self.code_values, c.astype(np.int64, copy=False))

    def apply(self, v, rng: np.random.Generator | None = None) -> np.ndarray:
        """``to_voltage(convert(v, rng))`` fused in one kernel: quantized input estimates, V."""
        return self._run(v, rng, self._interval_values)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def ideal(cls, bits: int, vmin: float = 0.0, vmax: float = 1.0) -> "TransferFunction":
        """Uniform quantizer ``code = floor((v - vmin) / (vmax - vmin) * 2**bits)``.

        Evaluated in float64 on the clipped input and clipped to ``0 .. 2**bits - 1``.
        The edges are the exact float64 transition points of that expression, so
        :meth:`convert` reproduces it bit for bit.
        """
        bits = _as_int("bits", bits)
        if not 1 <= bits <= 24:
            raise ParameterError(f"ideal bits = {bits} outside 1..24")
        vmin, vmax = _check_range(vmin, vmax)
        n = 2 ** bits
        fs = vmax - vmin
        k = np.arange(1, n, dtype=np.float64)

        def level(v):
            return np.floor((v - vmin) / fs * n)

        # Smallest float64 e with level(e) >= k (level is monotone in v): bracket each
        # transition by half an LSB on either side, then bisect to adjacent floats.
        lo = np.maximum(vmin + (k - 0.5) * (fs / n), vmin)
        hi = np.minimum(vmin + (k + 0.5) * (fs / n), vmax)
        if (level(lo) >= k).any() or (level(hi) < k).any():   # impossible for bits <= 24
            raise ParameterError(f"cannot bracket the ideal transitions for bits={bits}, "
                                 f"range [{vmin}, {vmax}] V")
        _, e = bisect_first_true(lo, hi, lambda x, idx: level(x) >= k[idx])
        e = np.clip(e, vmin, vmax)
        return cls(vmin, vmax, bits, e, np.arange(n, dtype=np.int64),
                   meta={"kind": "ideal", "bits": bits, "vmin": vmin, "vmax": vmax})

    @classmethod
    def from_converter(cls, convert_noise_free: Callable[[np.ndarray], np.ndarray],
                       vmin: float, vmax: float, bits: int, *, code_values=None,
                       convert_noisy: Callable[[np.ndarray, np.random.Generator], np.ndarray]
                       | None = None, rng: np.random.Generator | None = None,
                       points_per_lsb: int = 16, n_noise: int = 2048, noise_points: int = 64,
                       n_codes: int | None = None, meta: dict | None = None
                       ) -> "TransferFunction":
        """Characterize a quantizer given as functions into a TransferFunction.

        Parameters
        ----------
        convert_noise_free : callable
            ``f(v) -> codes``: 1-D float64 input voltages (V) to int codes, deterministic.
        vmin, vmax : float
            Input range characterized, V.
        bits : int
            Output word width; the sweep uses ``points_per_lsb`` points per
            ``(vmax - vmin) / 2**bits``.
        code_values : array (n_codes,), optional
            Input estimate per code, V (default: ideal bin centres).
        convert_noisy : callable, optional
            ``g(v, rng) -> codes``, the same converter with its noise; needs ``rng``.
            Without it the result is noise-free.
        rng : numpy.random.Generator
            Passed to ``convert_noisy`` (the only randomness used).
        points_per_lsb : int
            Sweep density of the staircase search.  Transitions are then bisected to
            adjacent float64 values.  Limitation: a code excursion narrower than
            ``1/points_per_lsb`` LSB between two sweep points of equal code (only possible
            for a non-monotonic converter) can be missed; skipping jumps are re-swept 16x
            finer to catch such excursions (see :mod:`dgcq_sim.transfer.staircase`).
        n_noise : int
            Inputs per noise grid point, each converted once with noise; regions where
            the code rarely changes are converted again, up to 16 times (see
            :func:`dgcq_sim.transfer.noise.observe_code_steps`).
        noise_points : int
            Number of noise grid points over [vmin, vmax] (>= 2).
        n_codes : int, optional
            Number of codes (default ``len(code_values)`` or ``2**bits``).
        meta : dict, optional
            Provenance merged into the result's ``meta`` (JSON-serializable).  The result's
            ``meta["characterization"]`` adds how it was made: sweep size, converter calls,
            number of edges, ``monotonic``, ``missing_codes``, refinement counts, the UTC
            date, and for the noise fit its settings and residual mismatch.
        """
        from . import noise as _noise
        from .staircase import characterize

        if not callable(convert_noise_free):
            raise ParameterError("convert_noise_free must be callable")
        if convert_noisy is not None:
            if not callable(convert_noisy):
                raise ParameterError("convert_noisy must be callable")
            if not isinstance(rng, np.random.Generator):
                raise ParameterError("convert_noisy needs rng, a numpy.random.Generator; "
                                     f"got {type(rng).__name__}")
        for name, val, low in (("n_noise", n_noise, 16), ("noise_points", noise_points, 2)):
            if _as_int(name, val) < low:
                raise ParameterError(f"{name} = {val} must be >= {low}")
        # Validate range / bits / codes through a trial construction without edges.
        probe = cls(vmin, vmax, bits, [], [0], code_values=code_values, n_codes=n_codes)
        vmin, vmax, bits, n_codes = probe.vmin, probe.vmax, probe.bits, probe.n_codes

        stairs = characterize(convert_noise_free, vmin, vmax, bits, n_codes, points_per_lsb)
        info = {
            "kind": "characterized", "bits": bits, "vmin": vmin, "vmax": vmax,
            "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"),
            "points_per_lsb": int(points_per_lsb), "sweep_points": stairs.n_sweep,
            "converter_calls": stairs.n_calls, "n_edges": int(stairs.edges.size),
            "monotonic": stairs.monotonic, "refine_windows": stairs.n_refine_windows,
            "refine_found": stairs.n_refine_found,
            "missing_codes": int(n_codes - np.unique(stairs.codes).size),
        }
        tf = cls(vmin, vmax, bits, stairs.edges, stairs.codes, code_values=probe.code_values,
                 n_codes=n_codes, meta=dict(meta or {}, characterization=info))
        if convert_noisy is None:
            return tf
        grid, vs = _noise.fit_points(vmin, vmax, int(noise_points), int(n_noise))
        steps = _noise.observe_code_steps(convert_noisy, vs, tf.convert(vs), tf.edges, rng,
                                          n_codes)
        fit = _noise.fit_noise(vs, steps, grid, tf.edges, tf.codes,
                               (vmax - vmin) / 2 ** bits, vmax - vmin)
        info["noise"] = {"n_noise": int(n_noise), "noise_points": int(noise_points),
                         "noisy_conversions": int(steps.passes.sum()) * int(n_noise),
                         "max_passes": int(steps.passes.max()),
                         "saturated_points": int(fit.saturated.sum()),
                         "correction_iterations": fit.iterations,
                         "max_region_mismatch": _max_mismatch(fit.observed, fit.predicted),
                         "total_mismatch": _max_mismatch(np.array([fit.observed.sum()]),
                                                         np.array([fit.predicted.sum()])),
                         "sigma_raw": fit.sigma_raw.tolist()}
        return tf.with_noise(fit.grid, fit.sigma, meta=dict(meta or {}, characterization=info))

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Write the transfer function to an ``.npz`` archive (no pickled objects)."""
        np.savez(Path(path), format_version=np.int64(FORMAT_VERSION),
                 vmin=np.float64(self.vmin), vmax=np.float64(self.vmax),
                 bits=np.int64(self.bits), n_codes=np.int64(self.n_codes),
                 edges=self.edges, codes=self.codes, code_values=self.code_values,
                 noise_grid=self.noise_grid, noise_sigma=self.noise_sigma,
                 meta=np.array(json.dumps(self.meta, sort_keys=True)))

    @classmethod
    def load(cls, path) -> "TransferFunction":
        """Read an archive written by :meth:`save`.

        A missing, truncated, corrupt or non-``.npz`` file, a missing key, or a field of the
        wrong type, shape or value raises :class:`ModelFileError` naming the file and key.
        """
        from ..archive import read_npz, scalar_float, scalar_int, scalar_text

        what = "transfer function"
        path = Path(path)
        data = read_npz(path, what)
        for key, ndim in _ARCHIVE_KEYS.items():
            if key not in data:
                raise ModelFileError(f"{what} {str(path)!r} lacks key {key!r} (not a file "
                                     f"written by TransferFunction.save?)")
            if data[key].ndim != ndim:
                raise ModelFileError(f"{what} {str(path)!r}: key {key!r} has shape "
                                     f"{data[key].shape}, expected {ndim}-D")
        version = scalar_int(data["format_version"], "format_version", path, what)
        if version != FORMAT_VERSION:
            raise ModelFileError(f"{what} {str(path)!r}: key 'format_version' = {version}, "
                                 f"this version reads {FORMAT_VERSION}")
        bits = scalar_int(data["bits"], "bits", path, what)
        n_codes = scalar_int(data["n_codes"], "n_codes", path, what)
        if not 1 <= bits <= _MAX_BITS:
            raise ModelFileError(f"{what} {str(path)!r}: key 'bits' = {bits} outside "
                                 f"1..{_MAX_BITS}")
        if not 1 <= n_codes <= 2 ** bits:
            raise ModelFileError(f"{what} {str(path)!r}: key 'n_codes' = {n_codes} outside "
                                 f"1..2**bits = {2 ** bits}")
        vmin = scalar_float(data["vmin"], "vmin", path, what)
        vmax = scalar_float(data["vmax"], "vmax", path, what)
        for key in ("edges", "code_values", "noise_grid", "noise_sigma"):
            if data[key].dtype.kind not in "iuf":
                raise ModelFileError(f"{what} {str(path)!r}: key {key!r} must hold real "
                                     f"numbers, got dtype {data[key].dtype}")
        if data["codes"].dtype.kind not in "iu":
            raise ModelFileError(f"{what} {str(path)!r}: key 'codes' must hold integers, "
                                 f"got dtype {data['codes'].dtype}")
        n_edges = data["edges"].shape[0]
        expect = {"codes": (n_edges + 1,), "code_values": (n_codes,),
                  "noise_sigma": data["noise_grid"].shape}
        for key, shape in expect.items():
            if data[key].shape != shape:
                raise ModelFileError(f"{what} {str(path)!r}: key {key!r} has shape "
                                     f"{data[key].shape}, expected {shape}")
        meta_text = scalar_text(data["meta"], "meta", path, what)
        try:
            meta = json.loads(meta_text)
        except (ValueError, RecursionError) as exc:
            raise ModelFileError(f"{what} {str(path)!r}: key 'meta' is not JSON ({exc})") \
                from None
        if not isinstance(meta, dict):
            raise ModelFileError(f"{what} {str(path)!r}: key 'meta' must be a JSON object, "
                                 f"got {type(meta).__name__}")
        try:
            return cls(vmin, vmax, bits, data["edges"], data["codes"],
                       code_values=data["code_values"], n_codes=n_codes,
                       noise_grid=data["noise_grid"], noise_sigma=data["noise_sigma"],
                       meta=meta)
        except (ParameterError, ValueError, TypeError, OverflowError) as exc:
            raise ModelFileError(f"{what} {str(path)!r}: invalid content: {exc}") from None

    # ------------------------------------------------------------------ misc
    def __repr__(self) -> str:
        noise = "noise-free" if self._noise_free else \
            f"sigma {self.noise_sigma.min():.3g}..{self.noise_sigma.max():.3g} V"
        return (f"TransferFunction(bits={self.bits}, n_codes={self.n_codes}, "
                f"range=[{self.vmin:g}, {self.vmax:g}] V, {self.edges.shape[0]} edges, {noise})")
