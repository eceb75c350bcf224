"""Exact static staircase of a deterministic converter given as a function.

1. Sweep ``points_per_lsb`` points per ideal LSB over [vmin, vmax].
2. Every sweep step whose two codes differ holds at least one transition: bisect all of
   them at once (on the ordered-integer image of float64, so down to *adjacent floats*).
   If the code found right of the transition is not the step's right-hand code, a further
   transition lies between: the remainder is bisected in the next round, until every step
   is resolved.  Between two sweep points with different codes nothing is missed: narrow
   codes inside such a step are found whatever their width.
3. Limitation: a code interval narrower than the sweep step lying between two sweep points
   with the *same* code (an excursion and return, possible only for a non-monotonic
   converter) is invisible to the sweep.  Where the staircase jumps over codes that never
   appear (a "skipping jump"), such an excursion is most likely, so the neighbourhood of
   every skipping jump is re-swept ``refine_factor`` times finer and any mismatch with the
   staircase found so far triggers a new resolution.  The result reports what was refined
   and whether the staircase is monotonic (a monotonic staircase has no excursions, so
   it is then complete).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ParameterError, QuantizerError
from ..display import show
from ._floatsearch import bisect_first_true

MAX_SWEEP_POINTS = 50_000_000


@dataclass(frozen=True)
class Staircase:
    """Transition levels (V) and codes of a converter's noise-free staircase."""

    edges: np.ndarray          # (E,) ascending, V
    codes: np.ndarray          # (E+1,) int64
    n_sweep: int               # sweep points used
    n_calls: int               # converter calls made (each on an array)
    n_refine_windows: int      # skipping-jump neighbourhoods re-swept finer
    n_refine_found: int        # transitions added by that refinement
    monotonic: bool            # staircase non-decreasing (then provably complete)


def call_converter(convert: Callable[[np.ndarray], np.ndarray], v: np.ndarray,
                   n_codes: int, what: str = "convert_noise_free", *args) -> np.ndarray:
    """Call a user converter and check it returned in-range integer codes, one per input."""
    out = np.asarray(convert(v, *args))
    if out.shape != v.shape:
        raise QuantizerError(f"{what} returned shape {out.shape} for an input of shape {v.shape}")
    if not np.issubdtype(out.dtype, np.integer):
        raise QuantizerError(f"{what} must return integer codes, got dtype {out.dtype}")
    out = out.astype(np.int64, copy=False)
    bad = (out < 0) | (out >= n_codes)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise QuantizerError(f"{what} returned code {out[k]} at v = {show(v[k])} V, "
                             f"outside 0..{n_codes - 1}")
    return out


def _resolve(convert, v: np.ndarray, c: np.ndarray,
             n_codes: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Transitions between consecutive sorted samples (v, c), each to adjacent floats."""
    k = np.flatnonzero(c[:-1] != c[1:])
    lo, hi = v[k], v[k + 1]
    code_lo, code_hi = c[k], c[k + 1]
    found_e, found_c = [], []
    calls = 0
    while lo.size:
        right_code = code_hi.copy()

        def is_right(x, idx, code_lo=code_lo, right_code=right_code):
            nonlocal calls
            calls += 1
            cx = call_converter(convert, x, n_codes)
            right = cx != code_lo[idx]
            right_code[idx[right]] = cx[right]
            return right

        _, edge = bisect_first_true(lo, hi, is_right)
        found_e.append(edge)
        found_c.append(right_code)
        more = right_code != code_hi          # another transition in (edge, hi]
        lo, hi = edge[more], hi[more]
        code_lo, code_hi = right_code[more], code_hi[more]
    if not found_e:
        return np.empty(0), c[:1].copy(), calls
    edges = np.concatenate(found_e)
    right_codes = np.concatenate(found_c)
    order = np.argsort(edges, kind="stable")
    return edges[order], np.concatenate([c[:1], right_codes[order]]), calls


def _lookup(edges: np.ndarray, codes: np.ndarray, v: np.ndarray) -> np.ndarray:
    return codes[np.searchsorted(edges, v, side="right")]


def characterize(convert: Callable[[np.ndarray], np.ndarray], vmin: float, vmax: float,
                 bits: int, n_codes: int, points_per_lsb: int = 16,
                 refine_factor: int = 16) -> Staircase:
    """Staircase of ``convert`` (1-D float64 V -> int64 codes, deterministic) on [vmin, vmax].

    ``points_per_lsb`` sweep points per ideal LSB ``(vmax - vmin)/2**bits``;
    ``refine_factor`` times finer around skipping jumps (see module docstring).
    """
    if isinstance(points_per_lsb, bool) or not isinstance(points_per_lsb, (int, np.integer)) \
            or points_per_lsb < 1:
        raise ParameterError(f"points_per_lsb must be a positive integer, got {show(points_per_lsb)}")
    n_sweep = int(points_per_lsb) * 2 ** bits + 1
    if n_sweep > MAX_SWEEP_POINTS:
        raise ParameterError(f"sweep of {n_sweep} points (points_per_lsb={points_per_lsb}, "
                             f"bits={bits}) exceeds {MAX_SWEEP_POINTS}")
    v = np.linspace(vmin, vmax, n_sweep)
    c = call_converter(convert, v, n_codes)
    calls = 1
    # A converter that is not deterministic would make the bisection meaningless.
    probe = np.random.default_rng(0).choice(n_sweep, size=min(n_sweep, 4096), replace=False)
    probe.sort()
    again = call_converter(convert, v[probe], n_codes)
    calls += 1
    if not np.array_equal(again, c[probe]):
        k = int(np.flatnonzero(again != c[probe])[0])
        raise QuantizerError(f"convert_noise_free is not deterministic: v = {show(v[probe][k])} V "
                             f"gave {c[probe][k]} then {again[k]}")
    edges, codes, n = _resolve(convert, v, c, n_codes)
    calls += n

    # Refinement around skipping jumps: |code step| > 1 over codes that never appear.
    present = np.zeros(n_codes, dtype=bool)
    present[codes] = True
    step = (vmax - vmin) / (n_sweep - 1)
    windows = []
    for i in np.flatnonzero(np.abs(np.diff(codes)) > 1):
        a, b = sorted((codes[i], codes[i + 1]))
        if not present[a + 1:b].all():
            windows.append(edges[i])
    n_found = 0
    if windows:
        centres = np.asarray(windows)
        offs = np.linspace(-2.0 * step, 2.0 * step, 4 * refine_factor + 1)
        fine = np.unique(np.clip((centres[:, None] + offs[None, :]).ravel(), vmin, vmax))
        cf = call_converter(convert, fine, n_codes)
        calls += 1
        if not np.array_equal(cf, _lookup(edges, codes, fine)):
            allv = np.concatenate([v, fine])
            allc = np.concatenate([c, cf])
            order = np.argsort(allv, kind="stable")
            allv, allc = allv[order], allc[order]
            keep = np.concatenate([[True], allv[1:] != allv[:-1]])
            n_before = edges.size
            edges, codes, n = _resolve(convert, allv[keep], allc[keep], n_codes)
            calls += n
            n_found = int(edges.size - n_before)
    return Staircase(edges=edges, codes=codes.astype(np.int64), n_sweep=n_sweep,
                     n_calls=calls, n_refine_windows=len(windows), n_refine_found=n_found,
                     monotonic=bool((np.diff(codes) >= 0).all()))
