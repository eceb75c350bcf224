"""Input-referred noise sigma(v) of a noisy converter, fitted against the staircase.

On a grid of ``noise_points`` input voltages over [vmin, vmax], grid point g owns the
region of half a grid spacing around it.  ``n_noise`` inputs spread evenly (stratified)
over that region are converted by the noisy converter (once, or several times where code
changes are rare, see :func:`observe_code_steps`), and the observed mean
squared code step ``mean((c_noisy - c_staircase)^2)`` is matched to the value the
transfer function's own staircase predicts for input noise of sigma::

    D(sigma) = mean_j  sum_k P(v_j + sigma·n in interval k) · (codes[k] - c(v_j))^2

D grows monotonically with sigma for a monotonic staircase, so sigma is found by
bisection per grid point (bracketed around the large-sigma guess
sqrt(D)·LSB, then halved to a relative width of 1e-5).  Spreading the inputs over
many codes (instead of repeating one input M times) keeps the fit well conditioned when
sigma is well below an LSB, where the code variance at a single input is almost always 0.
The raw per-region values assume sigma constant over the region, but the transfer function
interpolates sigma linearly between grid points, and noise that is concentrated near a few
inputs (e.g. comparator noise at the coarse decisions) varies faster than the grid.  So
the raw values are smoothed once with a [1, 2, 1]/4 kernel (linear extrapolation at the
ends, so a linear sigma(v) is unchanged) and then corrected, by a damped fixed-point
iteration, until the mean squared code step that the *interpolated* sigma(v) predicts on
each region's inputs equals the observed one (to ``rel_tol`` or twice the sampling
standard error of the observation, whichever is larger; the residual is reported), and
finally scaled by one common factor so that the width-weighted total matches to 0.1 %.
Smoothing only mixes regions where code changes were observed at all.
The noisy-vs-noise-free code error of the transfer function then has the converter's mean
square region by region, which is what the fidelity bar (code-error std within 5 %) needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numba as nb
import numpy as np

_TAIL = 1e-15          # probability mass below which the interval walk stops
_BISECT_STEPS = 60
_REL_TOL = 1e-5
_SQRT2 = math.sqrt(2.0)


@nb.njit(cache=True)
def _count_le(edges, v):
    lo = 0
    hi = edges.shape[0]
    while lo < hi:
        m = (lo + hi) >> 1
        if edges[m] <= v:
            lo = m + 1
        else:
            hi = m
    return lo


@nb.njit(cache=True, inline="always")
def _sq_step_one(v, i0, s, edges, codes):
    """E[(code(v + s·n) - code(v))^2], n ~ N(0, 1); i0 = interval of v, s > 0."""
    n_edges = edges.shape[0]
    inv = 1.0 / (s * _SQRT2)
    c0 = codes[i0]
    acc = 0.0
    # Right of v: interval k = [edges[k-1], edges[k]); q = P(v + s·n >= edge).
    q_prev = 0.5 * math.erfc((edges[i0] - v) * inv) if i0 < n_edges else 0.0
    k = i0 + 1
    while k <= n_edges and q_prev > _TAIL:
        q_next = 0.5 * math.erfc((edges[k] - v) * inv) if k < n_edges else 0.0
        d = codes[k] - c0
        acc += (q_prev - q_next) * d * d
        q_prev = q_next
        k += 1
    # Left of v: p = P(v + s·n < edge).
    p_prev = 0.5 * math.erfc((v - edges[i0 - 1]) * inv) if i0 > 0 else 0.0
    k = i0 - 1
    while k >= 0 and p_prev > _TAIL:
        p_next = 0.5 * math.erfc((v - edges[k - 1]) * inv) if k > 0 else 0.0
        d = codes[k] - c0
        acc += (p_prev - p_next) * d * d
        p_prev = p_next
        k -= 1
    return acc


@nb.njit(cache=True)
def _mean_sq_step(vs, i0s, s, edges, codes):
    """D(s): mean over inputs of E[(code(v + s·n) - code(v))^2] for a constant s."""
    total = 0.0
    for j in range(vs.shape[0]):
        total += _sq_step_one(vs[j], i0s[j], s, edges, codes)
    return total / vs.shape[0]


@nb.njit(cache=True)
def _intervals(vs, edges):
    i0s = np.empty(vs.shape, dtype=np.int64)
    for g in range(vs.shape[0]):
        for j in range(vs.shape[1]):
            i0s[g, j] = _count_le(edges, vs[g, j])
    return i0s


@nb.njit(cache=True, parallel=True)
def _predict_profile(vs, i0s, grid, sigma, edges, codes):
    """Per region g: mean squared code step with sigma(v) interpolated linearly on the grid."""
    n_rows = vs.shape[0]
    pred = np.zeros(n_rows)
    for g in nb.prange(n_rows):
        total = 0.0
        for j in range(vs.shape[1]):
            v = vs[g, j]
            s = np.interp(v, grid, sigma)
            if s > 0.0:
                total += _sq_step_one(v, i0s[g, j], s, edges, codes)
        pred[g] = total / vs.shape[1]
    return pred


@nb.njit(cache=True, parallel=True)
def _fit_sigma(vs, all_i0s, target, edges, codes, s_start, s_max):
    """Per grid row g: sigma with D(sigma) = target[g] (0 if target is 0; s_max if beyond)."""
    n_rows = vs.shape[0]
    sigma = np.zeros(n_rows)
    saturated = np.zeros(n_rows, dtype=np.bool_)
    for g in nb.prange(n_rows):
        if target[g] <= 0.0:
            continue
        row = vs[g]
        i0s = all_i0s[g]
        t = target[g]
        # Bracket [lo, hi] with D(lo) < t <= D(hi), starting from the large-sigma guess
        # D ~ (sigma / LSB)^2, then bisect to a relative width of _REL_TOL.
        s0 = s_start * max(math.sqrt(t), 0.25)
        if _mean_sq_step(row, i0s, s0, edges, codes) < t:
            lo = s0
            hi = 2.0 * s0
            while hi < s_max and _mean_sq_step(row, i0s, hi, edges, codes) < t:
                lo = hi
                hi *= 2.0
            if hi >= s_max:
                hi = s_max
                if _mean_sq_step(row, i0s, hi, edges, codes) < t:
                    sigma[g] = s_max
                    saturated[g] = True
                    continue
        else:
            hi = s0
            lo = 0.5 * s0
            while lo > 1e-9 * s_start and _mean_sq_step(row, i0s, lo, edges, codes) >= t:
                hi = lo
                lo *= 0.5
            if lo <= 1e-9 * s_start:
                lo = 0.0
        for _ in range(_BISECT_STEPS):
            if hi - lo <= _REL_TOL * hi:
                break
            mid = 0.5 * (lo + hi)
            if _mean_sq_step(row, i0s, mid, edges, codes) < t:
                lo = mid
            else:
                hi = mid
        sigma[g] = 0.5 * (lo + hi)
    return sigma, saturated


def smooth_121(s: np.ndarray, live: np.ndarray | None = None) -> np.ndarray:
    """[1, 2, 1]/4 smoothing over ``live`` points only (default: all).

    Missing neighbours (ends, or not live) drop out of the weights, except at the two ends
    of an all-live run, which use the linear extrapolation ``2·s[0] - s[1]`` so a linear
    profile is unchanged.  Points that are not live keep their value.
    """
    n = s.size
    live = np.ones(n, dtype=bool) if live is None else np.asarray(live, dtype=bool)
    out = s.astype(np.float64).copy()
    for g in np.flatnonzero(live):
        acc, w = 2.0 * s[g], 2.0
        for nb_, far in ((g - 1, g + 1), (g + 1, g - 1)):
            if 0 <= nb_ < n and live[nb_]:
                acc, w = acc + s[nb_], w + 1.0
            elif not 0 <= nb_ < n and 0 <= far < n and live[far]:
                acc, w = acc + 2.0 * s[g] - s[far], w + 1.0
        out[g] = acc / w
    return np.maximum(out, 0.0)


@dataclass(frozen=True)
class NoiseFit:
    """Fitted input-referred noise: grid (V), sigma (V rms) and fit diagnostics."""

    grid: np.ndarray
    sigma: np.ndarray
    sigma_raw: np.ndarray       # per region, sigma assumed constant over the region
    observed: np.ndarray        # mean squared code step per region, codes^2
    predicted: np.ndarray       # the same predicted by the final interpolated sigma(v)
    saturated: np.ndarray       # regions whose noise exceeded the fit's upper bound
    iterations: int             # correction iterations used


def fit_points(vmin: float, vmax: float, noise_points: int,
               n_noise: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid (G,) and the stratified inputs (G, n_noise) each grid point is fitted on."""
    grid = np.linspace(vmin, vmax, noise_points)
    half = 0.5 * (vmax - vmin) / (noise_points - 1)
    lo = np.maximum(grid - half, vmin)
    hi = np.minimum(grid + half, vmax)
    frac = (np.arange(n_noise) + 0.5) / n_noise
    return grid, lo[:, None] + frac[None, :] * (hi - lo)[:, None]


@dataclass(frozen=True)
class CodeSteps:
    """Observed mean squared code step per region and its sampling standard error."""

    observed: np.ndarray        # (G,) mean of (c_noisy - c_staircase)^2, codes^2
    std_err: np.ndarray         # (G,) standard error of ``observed``
    passes: np.ndarray          # (G,) conversions per input made in each region
    events: np.ndarray          # (G,) conversions whose code differed from the staircase


def observe_code_steps(convert_noisy: Callable, vs: np.ndarray, clean: np.ndarray,
                       edges: np.ndarray, rng: np.random.Generator, n_codes: int,
                       min_events: int = 400, max_passes: int = 16) -> CodeSteps:
    """Convert each region's inputs ``vs`` (G, M) with noise, repeating sparse regions.

    A region where few conversions leave the staircase code (a converter whose edges are
    far apart compared with its noise, e.g. a 3-bit coarse quantizer) gives a poor
    estimate; such regions (fewer than ``min_events`` code changes, but some, or an edge
    inside) are converted again on the same inputs, up to ``max_passes`` times.  The
    prediction does not change with the number of passes, since the inputs are the same.
    """
    from .staircase import call_converter

    n_rows, m = vs.shape
    s1 = np.zeros(n_rows)
    s2 = np.zeros(n_rows)
    events = np.zeros(n_rows, dtype=np.int64)
    passes = np.zeros(n_rows, dtype=np.int64)
    span_lo = np.searchsorted(edges, vs[:, 0], side="left")
    span_hi = np.searchsorted(edges, vs[:, -1], side="right")
    has_edge = span_hi > span_lo
    rows = np.arange(n_rows)
    while rows.size:
        sub = vs[rows]
        got = call_converter(convert_noisy, sub.reshape(-1), n_codes, "convert_noisy", rng)
        d = (got.reshape(sub.shape) - clean[rows]).astype(np.float64)
        d2 = d * d
        s1[rows] += d2.sum(axis=1)
        s2[rows] += (d2 * d2).sum(axis=1)
        events[rows] += np.count_nonzero(d, axis=1)
        passes[rows] += 1
        sparse = (events < min_events) & ((events > 0) | has_edge) & (passes < max_passes)
        rows = np.flatnonzero(sparse)
    n = passes * m
    observed = s1 / n
    var = np.maximum(s2 / n - observed ** 2, 0.0)
    return CodeSteps(observed=observed, std_err=np.sqrt(var / n), passes=passes,
                     events=events)


def fit_noise(vs: np.ndarray, steps: CodeSteps, grid: np.ndarray, edges: np.ndarray,
              codes: np.ndarray, lsb: float, full_scale: float, rel_tol: float = 0.02,
              max_iter: int = 10) -> NoiseFit:
    """Fit sigma per grid row to the observed code steps of the inputs ``vs`` (G, M).

    ``lsb`` (V) scales the initial bracket, ``full_scale`` (V) bounds sigma at 4x it.
    """
    vs = np.ascontiguousarray(vs, dtype=np.float64)
    edges = np.ascontiguousarray(edges, dtype=np.float64)
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    observed = steps.observed
    # Mismatches within twice the standard error of the observation are sampling noise,
    # and correcting them would only undo the smoothing.
    std_err = steps.std_err
    i0s = _intervals(vs, edges)
    sigma_raw, saturated = _fit_sigma(vs, i0s, observed, edges, codes, float(lsb),
                                      float(4.0 * full_scale))
    live = observed > 0
    sigma = smooth_121(sigma_raw, live)
    it = 0
    pred = _predict_profile(vs, i0s, grid, sigma, edges, codes)
    for it in range(1, max_iter + 1):
        ok = live & (pred > 0)
        off = ok & (np.abs(pred - observed) > np.maximum(rel_tol * observed, 2.0 * std_err))
        if not off.any() and not np.any(live & (pred <= 0)):
            break
        ratio = np.ones_like(observed)
        ratio[off] = observed[off] / pred[off]
        # D grows like sigma below an LSB and like sigma^2 above: scale sigma by the
        # ratio, or by its square root (which also damps the coupling between regions).
        sigma = sigma * ratio ** np.where(sigma < lsb, 1.0, 0.5)
        restart = live & (pred <= 0)            # no noise reaches a noisy region: reseed
        sigma[restart] = sigma_raw[restart]
        sigma = np.minimum(sigma, 4.0 * full_scale)
        pred = _predict_profile(vs, i0s, grid, sigma, edges, codes)
    # Regions stop within their sampling error, which can leave a common bias; one scale
    # factor on sigma then matches the width-weighted total (what uniform inputs see).
    width = vs[:, -1] - vs[:, 0]
    for _ in range(6):
        total_obs = np.sum(width * observed)
        total_pred = np.sum(width * pred)
        if total_obs <= 0 or total_pred <= 0 or abs(total_obs / total_pred - 1) <= 1e-3:
            break
        sigma = sigma * (total_obs / total_pred) ** np.where(sigma < lsb, 1.0, 0.5)
        pred = _predict_profile(vs, i0s, grid, sigma, edges, codes)
    return NoiseFit(grid=grid, sigma=sigma, sigma_raw=sigma_raw, observed=observed,
                    predicted=pred, saturated=saturated, iterations=it)
