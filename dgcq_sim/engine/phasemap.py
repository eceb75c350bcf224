"""Exact-to-1e-9 affine map of one phase (fixed switches, affine sources) and its noise.

Method (why not expm or trapezoidal): the MNA system C·x' + A·x = B·u is a DAE with a
singular, badly scaled C (algebraic nodes, branch currents, caps directly on source nodes,
op-amp E rows).  We augment it with the source values (u' = du, du' = 0; ``du`` only for
ramp phases) and integrate with L-stable backward Euler (BE) of a tiny step h = T/2^k:

    M_h = (C_aug + h·A_aug)⁻¹·C_aug,   M_T = M_h^(2^k)  by k squarings.

* BE damps algebraic modes to exactly zero, and its first step projects an inconsistent
  start state onto the consistent manifold while conserving the charge of floating nodes
  (what happens physically when a source steps).  Trapezoidal would not damp them.
* Slow modes (leakage through ROFF = 1e15 ohm) make M_h = I + O(1e-20): squaring M
  directly would lose everything to round-off, so we square E = M − I instead
  (E ← 2E + E·E), like expm1, keeping full relative accuracy of small droops.
* Richardson extrapolation 2·M_{h/2}^(2^(k+1)) − M_h^(2^k) cancels BE's O(h) error.
* k = 20 for the deterministic map.  Error budget: BE+Richardson leaves a mode of time
  constant τ with an error ~ x³·e^(−x)/N² (x = T/τ, N = 2^k), at most 1.3/N² ≈ 1e-12;
  modes with h/τ >> 1 are damped to zero by L-stability (they are settled anyway).
  Round-off, on the other hand, grows like 2^k·eps through the squarings wherever E has
  O(1) algebraic (projection) entries: measured on the SC integrator the map moves by
  5e-10 from k = 20 to 25 and by 1e-5 at k = 35.  k = 20 balances the two (< 1e-9).

Noise: every resistor and switch is a white current source of two-sided intensity 2kT/R.
BE injects per step a node-current impulse of covariance h·S, so the state covariance of
one step is Q_h = K·(S/h)·Kᵀ with K = (C/h + A)⁻¹, and it doubles as
Q_2h = M_h·Q_h·M_hᵀ + Q_h (exact for the discrete recursion), again with Richardson.
BE's stationary variance of a mode is kT/C·2/(2 + h/τ), so the noise recursion takes its
own k (>= 20, <= 45) such that every dynamic mode has h/τ <= 1e-3 (|1/μ − 1| for the BE
eigenvalues μ of the node map with |μ| > 1e-6; faster modes count as algebraic: with
k = 45 that is τ < 3e-23·T).  Its round-off (~2^k·eps <= 4e-3 relative) is harmless for
a variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from ..errors import SimulationError
from .mna import MnaSystem

K_DET = 20          # squarings of the deterministic map (h = T/2^20)
K_NOISE_MAX = 45    # most squarings for the noise covariance
A_MAX = 1e-3        # largest h/τ of a dynamic mode in one base step of the noise recursion
ALGEBRAIC_MU = 1e-6  # BE eigenvalues below this are algebraic (instantly settled) modes
SINGULAR_PIVOT = 1e-14  # LU pivot ratio (after equilibration) below which we call it singular
PROJ_SHRINK = 1e-6   # probe-noise read-out step relative to the base step


@dataclass(frozen=True)
class PhaseMap:
    """x_end = mxx·x_start + mxu·u_start + mxd·du [+ mxw·w_start]   (du = source slope,
    V/s or A/s; w = state of the source generator ``gen``, see :func:`compute_phase_map`).

    ``q`` is the covariance (V², A²) of x_end from thermal noise (None when off);
    ``mproj`` (noise only) a BE map of a vanishing step (base step × 1e-6): the consistent
    node voltages given the capacitor state, used to read probe noise (a node without
    capacitance would otherwise show BE's white, 1/h-sized injection).  ``k`` the number
    of squarings of the noise recursion (0 without noise).
    """

    mxx: np.ndarray
    mxu: np.ndarray
    mxd: np.ndarray | None
    q: np.ndarray | None
    mproj: np.ndarray | None
    k: int
    mxw: np.ndarray | None = None    # columns of the source generator state (see gen)


def _augmented(sys: MnaSystem, closed: frozenset[str], slope: bool, gen=None):
    """C_aug, A_aug in rotated coordinates ξ = Tᵀx, T = [W, N] (W: range(C), N: null(C)).

    In node coordinates the common mode of a floating capacitor held only by ROFF paths
    (1e-15 S next to C/h ~ 1e3 S) is lost to round-off; after the rotation C is exactly
    block-diagonal, the algebraic rows hold only conductances, and row/column
    equilibration keeps every block resolvable.
    """
    n, ns = sys.n, len(sys.sources)
    w = sys.cap_basis
    rc = w.shape[1]
    t = np.hstack([w, sys.null_basis])
    ng = 0 if gen is None else gen[0].shape[0]
    na = n + ns * (2 if slope else 1) + ng
    c_aug = np.eye(na)
    c_aug[:n, :n] = 0.0
    c_aug[:rc, :rc] = w.T @ sys.c @ w
    a_aug = np.zeros((na, na))
    a_aug[:n, :n] = t.T @ sys.a_matrix(closed) @ t
    a_aug[:n, n:n + ns] = -t.T @ sys.b
    if slope:
        a_aug[n:n + ns, n + ns:n + 2 * ns] = -np.eye(ns)
    if ng:
        f, h = gen                     # w' = F·w; the sources see u + H·w
        a_aug[:n, na - ng:] = -t.T @ sys.b @ h
        a_aug[na - ng:, na - ng:] = -f
    return c_aug, a_aug, t


def _describe_unknowns(sys: MnaSystem, vec: np.ndarray) -> str:
    names = list(sys.nodes) + [f"i({b})" for b in sys.branches]
    big = np.flatnonzero(np.abs(vec) > 0.1 * np.abs(vec).max())
    return ", ".join(repr(names[i]) for i in big[:8])


def _base_step(sys, c_aug, a_aug, h, closed, t):
    """E_h = M_h − I = −(C_aug/h + A_aug)⁻¹·A_aug (rotated coordinates), plus a solver
    for the noise gain (C_aug/h + A_aug)⁻¹.

    M_h depends on the start state only through the charges C·x, so its columns for the
    null(C) coordinates are exactly zero; we set them so (E = −I there) instead of
    keeping round-off.
    """
    mat = c_aug / h + a_aug
    dr = 1.0 / np.maximum(np.abs(mat).max(axis=1), 1e-300)      # row equilibration
    dc = 1.0 / np.maximum(np.abs(dr[:, None] * mat).max(axis=0), 1e-300)  # then columns
    scaled = dr[:, None] * mat * dc[None, :]
    lu, _ = sla.lu_factor(scaled, check_finite=False)   # pivots only, for the singularity test
    diag = np.abs(np.diag(lu))
    if not diag.min() > SINGULAR_PIVOT * diag.max():
        _, _, vt = np.linalg.svd(scaled)
        vec = t @ (dc * vt[-1])[:sys.n]
        raise SimulationError(
            f"circuit {sys.circuit.title!r} is singular with switches closed={sorted(closed)}: "
            f"check {_describe_unknowns(sys, vec)} (V-source/E loop or a node without any path)")

    def solve(rhs):
        # numpy's solve: scipy's threaded getrs stalls for ms on small systems when cores
        # are busy (measured 5-20 ms vs 40 us for 37 x 37)
        return dc[:, None] * np.linalg.solve(scaled, dr[:, None] * rhs)
    e = -solve(a_aug)
    rc, n = sys.cap_basis.shape[1], sys.n
    e[:, rc:n] = 0.0
    e[rc:n, rc:n] = -np.eye(n - rc)
    return e, solve


def _power(e: np.ndarray, k: int, n: int, q: np.ndarray | None):
    """E ← 2E + E² (k times) and, if given, the noise doubling Q ← M Q Mᵀ + Q."""
    for _ in range(k):
        if q is not None:
            m = np.eye(n) + e[:n, :n]
            q = m @ q @ m.T + q
        e = 2.0 * e + e @ e
    return e, q


def _check_finite(sys, closed, duration, *arrays) -> None:
    if not all(a is None or np.all(np.isfinite(a)) for a in arrays):
        raise SimulationError(f"non-finite phase map for circuit {sys.circuit.title!r} "
                              f"(closed={sorted(closed)}, duration={duration!r} s): element "
                              f"values too extreme for float64 over this phase")


def _choose_noise_k(sys, c_aug, a_aug, duration, closed, t) -> int:
    """Squarings for the noise covariance: every dynamic mode must satisfy h/τ <= A_MAX."""
    k = K_DET
    e, _ = _base_step(sys, c_aug, a_aug, duration / 2.0 ** k, closed, t)
    n = sys.n
    _check_finite(sys, closed, duration, e)
    mu = np.linalg.eigvals(np.eye(n) + e[:n, :n])
    dyn = mu[np.abs(mu) > ALGEBRAIC_MU]
    if dyn.size:
        a_max = float(np.abs(1.0 / dyn - 1.0).max())
        if a_max > A_MAX:
            k += int(math.ceil(math.log2(a_max / A_MAX)))
    return min(k, K_NOISE_MAX)


# extreme element values can overflow the squarings: the map is checked for non-finite
# entries (_check_finite) and refused with a SimulationError naming the phase, not warned of
@np.errstate(over="ignore", invalid="ignore")
def compute_phase_map(sys: MnaSystem, closed: frozenset[str], duration: float, *,
                      slope: bool = False, temperature: float | None = None,
                      gen: tuple[np.ndarray, np.ndarray] | None = None) -> PhaseMap:
    """Map of one phase of ``duration`` seconds with the switches ``closed`` conducting.

    ``slope`` adds the source-slope columns ``mxd`` (ramp phases); ``temperature`` (K)
    adds the thermal-noise covariance ``q``; ``gen = (F, H)`` appends a linear source
    generator w' = F·w whose output H·w adds to the source values (sinusoids and
    exponentials, :mod:`.waves`), giving the columns ``mxw``.
    """
    n, ns = sys.n, len(sys.sources)
    c_aug, a_aug, t = _augmented(sys, closed, slope, gen)
    results = []
    for kk in (K_DET, K_DET + 1):
        e, _ = _base_step(sys, c_aug, a_aug, duration / 2.0 ** kk, closed, t)
        results.append(_power(e, kk, n, None)[0])
    e = 2.0 * results[1] - results[0]
    pc = sys.cap_basis @ sys.cap_basis.T   # M = M·W·Wᵀ exactly: drop round-off outside range(C)
    mxx = (t @ (np.eye(n) + e[:n, :n]) @ t.T) @ pc
    mxu = t @ e[:n, n:n + ns]
    mxd = t @ e[:n, n + ns:n + 2 * ns] if slope else None
    ng = 0 if gen is None else gen[0].shape[0]
    mxw = t @ e[:n, e.shape[1] - ng:] if ng else None
    q = mproj = None
    k_noise = 0
    if temperature is not None:
        noise_s = t.T @ sys.noise_intensity(closed, temperature) @ t
        k_noise = _choose_noise_k(sys, c_aug, a_aug, duration, closed, t)
        qs = []
        for kk in (k_noise, k_noise + 1):
            h = duration / 2.0 ** kk
            e, solve = _base_step(sys, c_aug, a_aug, h, closed, t)
            sel = np.zeros((c_aug.shape[0], n))
            sel[:n] = np.eye(n)
            kx = solve(sel)[:n]
            qs.append(_power(e, kk, n, kx @ noise_s @ kx.T / h)[1])
        q = t @ (2.0 * qs[1] - qs[0]) @ t.T
        q = 0.5 * (q + q.T)
        # probe read-out of the noisy state: the consistent node voltages given the
        # capacitor state, i.e. one BE step so short (h·1e-6) that no capacitor moves
        e_p, _ = _base_step(sys, c_aug, a_aug, h * PROJ_SHRINK, closed, t)
        mproj = t @ (np.eye(n) + e_p[:n, :n]) @ t.T @ pc
    _check_finite(sys, closed, duration, mxx, mxu, mxd, mxw, q, mproj)
    return PhaseMap(mxx, mxu, mxd, q, mproj, k_noise, mxw)
