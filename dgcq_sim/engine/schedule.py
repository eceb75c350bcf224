"""The phase schedule of a transient: phase edges, switch states, and their size guard.

Everything here is vectorised over phases (a 250 000-period clock is a million phases):
breakpoints come from :func:`.waves.breakpoints` (counted first, refused above
``MAX_BREAKPOINTS``), threshold crossings of switch controls are solved per interval in
closed form where the controls are affine (PULSE/PWL/DC) and by bracketing where a
control is a sinusoid or an exponential, and ngspice's hysteresis (on above VT+VH, off
below VT−VH, else unchanged) is a forward fill over the phase midpoints.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from scipy.optimize import brentq

from ..errors import SimulationError
from ..netlist.circuit import GROUND, Circuit, Switch, VSource
from .waves import MODAL, count_breakpoints, breakpoints, max_phase, values_at

MAX_BREAKPOINTS = 10_000_000   # phase edges of one transient (memory: ~100 bytes each)


class ScheduleTooLong(SimulationError):
    """The transient would need more phases than :data:`MAX_BREAKPOINTS`."""


@nb.njit(cache=True)
def _merge_sorted(times, tol):
    out = np.empty_like(times)
    out[0] = times[0]
    m = 1
    for i in range(1, times.shape[0]):
        if times[i] - out[m - 1] > tol:
            out[m] = times[i]
            m += 1
    return out[:m]


def merge(times, tol: float) -> np.ndarray:
    """Sorted times with those closer than ``tol`` to the previous kept one dropped."""
    arr = np.sort(np.asarray(times, dtype=float))
    return _merge_sorted(arr, tol) if arr.size else arr


def check_size(waves: dict, tstop: float, n_at: int) -> None:
    """Refuse, before allocating, a schedule with more than MAX_BREAKPOINTS phases."""
    counts = {name: count_breakpoints(w, tstop) for name, w in waves.items()}
    for name, w in waves.items():
        mp = max_phase(w)
        if math.isfinite(mp):
            counts[name] += math.ceil(tstop / mp)
    total = sum(counts.values()) + n_at
    if total > MAX_BREAKPOINTS:
        worst = max(counts, key=counts.get)
        raise ScheduleTooLong(
            f"the transient to {tstop:g} s needs {total:.3g} phase breakpoints (source {worst!r} "
            f"alone {counts[worst]:.3g}); at most {MAX_BREAKPOINTS:.0e} are supported: "
            f"shorten .tran or lengthen the source periods")


def driven_nodes(circuit: Circuit) -> dict[str, list[tuple[float, str]]]:
    """node -> affine combination of V-source values giving its voltage (sign, source)."""
    known: dict[str, list[tuple[float, str]]] = {GROUND: []}
    vs = [el for el in circuit.elements if isinstance(el, VSource)]
    changed = True
    while changed:
        changed = False
        for el in vs:
            if el.neg in known and el.pos not in known:
                known[el.pos] = known[el.neg] + [(1.0, el.name)]
                changed = True
            elif el.pos in known and el.neg not in known:
                known[el.neg] = known[el.pos] + [(-1.0, el.name)]
                changed = True
    return known


class Controls:
    """Closed-form switch control voltages and ngspice hysteresis with memory (initially
    off, or on for a switch written with the ON keyword, as ngspice)."""

    def __init__(self, circuit: Circuit, waves: dict):
        self.driven = driven_nodes(circuit)
        self.switches = [el for el in circuit.elements if isinstance(el, Switch)]
        self.terms = {}
        for sw in self.switches:
            for n in (sw.cp, sw.cn):
                if n not in self.driven:
                    raise SimulationError(
                        f"switch {sw.name!r}{f' ({sw.loc})' if sw.loc else ''}: control node "
                        f"{n!r} is an internal circuit node; the control must be driven by an "
                        f"independent source")
            self.terms[sw.name] = self.driven[sw.cp] + [(-s, nm) for s, nm in self.driven[sw.cn]]
        self.waves = waves

    def node_values(self, node: str, t: np.ndarray) -> np.ndarray:
        """Voltages (V) of a source-driven node at times ``t`` (s)."""
        t = np.asarray(t, dtype=float)
        return sum((s * values_at(self.waves[src], t) for s, src in self.driven[node]),
                   np.zeros(t.shape))

    def values(self, sw: Switch, t: np.ndarray, memo: dict | None = None) -> np.ndarray:
        """Control voltages v(cp) − v(cn) of ``sw`` at times ``t`` (``memo``: source values
        at these times, shared between switches)."""
        t = np.asarray(t, dtype=float)
        memo = {} if memo is None else memo
        out = np.zeros(t.shape)
        for s, src in self.terms[sw.name]:
            if src not in memo:
                memo[src] = values_at(self.waves[src], t)
            out += s * memo[src]
        return out

    def _affine(self, sw: Switch) -> bool:
        return not any(isinstance(self.waves[src], MODAL) for _, src in self.terms[sw.name])

    def crossings(self, bounds: np.ndarray, tol: float) -> np.ndarray:
        """Threshold crossing times strictly inside the intervals of ``bounds``."""
        t0, t1 = bounds[:-1], bounds[1:]
        dt = t1 - t0
        out = []
        memo_a, memo_b = {}, {}
        ta, tb = t0 + 0.25 * dt, t0 + 0.75 * dt
        for sw in self.switches:
            ths = sorted({sw.model.vt + sw.model.vh, sw.model.vt - sw.model.vh})
            if self._affine(sw):
                a = self.values(sw, ta, memo_a)
                b = self.values(sw, tb, memo_b)
                slope = (b - a) / (0.5 * dt)
                v0 = a - slope * 0.25 * dt
                moving = slope != 0.0
                for th in ths:
                    tc = t0[moving] + (th - v0[moving]) / slope[moving]
                    inside = (tc > t0[moving] + tol) & (tc < t1[moving] - tol)
                    out.append(tc[inside])
                continue
            grid = t0[:, None] + dt[:, None] * np.linspace(0.0, 1.0, 9)[None, :]
            v = self.values(sw, grid.ravel()).reshape(grid.shape)
            for th in ths:
                d = v - th
                ii, jj = np.nonzero(np.sign(d[:, :-1]) * np.sign(d[:, 1:]) < 0)
                f = lambda x: float(self.values(sw, np.array([x]))[0]) - th  # noqa: E731
                roots = [brentq(f, grid[i, j], grid[i, j + 1], xtol=tol * 1e-3)
                         for i, j in zip(ii, jj)]
                roots = np.array(roots)
                if roots.size:
                    keep = np.array([t0[i] + tol < r < t1[i] - tol for i, r in zip(ii, roots)])
                    out.append(roots[keep])
        return np.concatenate(out) if out else np.zeros(0)

    def states(self, mids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(state at t = 0 (n_sw,), states at the phase midpoints (n_ph, n_sw)) as bools."""
        n_sw = len(self.switches)
        st = np.zeros((len(mids) + 1, n_sw), dtype=bool)
        times = np.concatenate([[0.0], mids])
        memo: dict = {}
        for k, sw in enumerate(self.switches):
            v = self.values(sw, times, memo)
            code = np.where(v > sw.model.vt + sw.model.vh, 1,
                            np.where(v < sw.model.vt - sw.model.vh, 0, -1))
            if code[0] < 0:
                code[0] = 1 if sw.on else 0
            idx = np.where(code >= 0, np.arange(code.size), 0)
            np.maximum.accumulate(idx, out=idx)
            st[:, k] = code[idx] == 1
        return st[0], st[1:]


def phase_edges(waves: dict, controls: Controls, tstop: float, at_arr, tol: float) -> np.ndarray:
    """Every breakpoint, requested output time, generator sub-phase and switch crossing."""
    check_size(waves, tstop, 0 if at_arr is None else len(at_arr))
    cuts = [np.array([0.0, tstop])] + ([] if at_arr is None else [np.asarray(at_arr)])
    cuts += [breakpoints(w, tstop) for w in waves.values()]
    bounds = merge(np.concatenate(cuts), tol)
    bounds[-1] = tstop
    longest = min([max_phase(w) for w in waves.values()] or [math.inf])
    if math.isfinite(longest):             # sinusoids: cut long phases into equal pieces
        pieces = np.maximum(1, np.ceil(np.diff(bounds) / longest).astype(np.int64))
        if np.any(pieces > 1):
            starts = np.repeat(bounds[:-1], pieces)
            frac = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
            starts = starts + frac * np.repeat(np.diff(bounds) / pieces, pieces)
            bounds = np.append(starts, tstop)
    edges = merge(np.concatenate([bounds, controls.crossings(bounds, tol)]), tol)
    edges[-1] = tstop
    return edges
