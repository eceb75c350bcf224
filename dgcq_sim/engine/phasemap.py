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
* k is chosen per map (>= 20) so that every dynamic mode moves by at most 1e-3 of its
  value per base step (|1/μ − 1| <= 1e-3 for the BE eigenvalues μ of the node map that
  are not algebraic, i.e. |μ| > 1e-9): this makes the O(h²) error below 1e-12 and keeps
  BE's noise variance (which scales as 2/(2 + h/τ)) exact to 0.05 % before extrapolation.
  Modes faster than 1e-9·h (τ < 1e-21 s for a 1 µs phase) count as algebraic.

Noise: every resistor and switch is a white current source of two-sided intensity 2kT/R.
BE injects per step a node-current impulse of covariance h·S, so the state covariance of
one step is Q_h = K·(S/h)·Kᵀ with K = (C/h + A)⁻¹, and it doubles as
Q_2h = M_h·Q_h·M_hᵀ + Q_h (exact for the discrete recursion), again with Richardson.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from ..errors import SimulationError
from .mna import MnaSystem

K_MIN = 20          # minimum number of squarings
K_MAX = 64          # h = T/2^64 is far below any physical time constant
A_MAX = 1e-3        # largest h/τ of a dynamic mode in one base step
PROJ_SHRINK = 1e-6   # probe-noise read-out step relative to the base step
ALGEBRAIC_MU = 1e-9  # BE eigenvalues below this are algebraic (instantly settled) modes


@dataclass(frozen=True)
class PhaseMap:
    """x_end = mxx·x_start + mxu·u_start + mxd·du   (du = source slope, V/s or A/s).

    ``q`` is the covariance (V², A²) of x_end from thermal noise (None when off);
    ``mproj`` (noise only) a BE map of a vanishing step (base step × 1e-6): the consistent
    node voltages given the capacitor state, used to read probe noise (a node without
    capacitance would otherwise show BE's white, 1/h-sized injection).  ``k`` the number of squarings used.
    """

    mxx: np.ndarray
    mxu: np.ndarray
    mxd: np.ndarray | None
    q: np.ndarray | None
    mproj: np.ndarray | None
    k: int


def _augmented(sys: MnaSystem, closed: frozenset[str], slope: bool):
    n, ns = sys.n, len(sys.sources)
    na = n + ns * (2 if slope else 1)
    c_aug = np.eye(na)
    c_aug[:n, :n] = sys.c
    a_aug = np.zeros((na, na))
    a_aug[:n, :n] = sys.a_matrix(closed)
    a_aug[:n, n:n + ns] = -sys.b
    if slope:
        a_aug[n:n + ns, n + ns:] = -np.eye(ns)
    return c_aug, a_aug


def _describe_unknowns(sys: MnaSystem, vec: np.ndarray) -> str:
    names = list(sys.nodes) + [f"i({b})" for b in sys.branches]
    big = np.flatnonzero(np.abs(vec) > 0.1 * np.abs(vec).max())
    return ", ".join(repr(names[i]) for i in big[:8])


def _base_step(sys, c_aug, a_aug, h, closed):
    """E_h = M_h − I = −(C_aug/h + A_aug)⁻¹·A_aug, plus the LU pieces for the noise gain."""
    mat = c_aug / h + a_aug
    d = 1.0 / np.maximum(np.abs(mat).max(axis=1), 1e-300)   # row equilibration
    lu, piv = sla.lu_factor(d[:, None] * mat, check_finite=False)
    diag = np.abs(np.diag(lu))
    if not diag.min() > 1e-13 * diag.max():
        _, _, vt = np.linalg.svd(d[:, None] * mat)
        raise SimulationError(
            f"circuit {sys.circuit.title!r} is singular with switches closed={sorted(closed)}: "
            f"check {_describe_unknowns(sys, vt[-1][:sys.n])} (V-source/E loop or a node "
            f"without any path)")
    e = -sla.lu_solve((lu, piv), d[:, None] * a_aug, check_finite=False)
    return e, (lu, piv, d)


def _power(e: np.ndarray, k: int, n: int, q: np.ndarray | None):
    """E ← 2E + E² (k times) and, if given, the noise doubling Q ← M Q Mᵀ + Q."""
    for _ in range(k):
        if q is not None:
            m = np.eye(n) + e[:n, :n]
            q = m @ q @ m.T + q
        e = 2.0 * e + e @ e
    return e, q


def _choose_k(sys, c_aug, a_aug, duration, closed) -> int:
    k = K_MIN
    e, _ = _base_step(sys, c_aug, a_aug, duration / 2.0 ** k, closed)
    n = sys.n
    mu = np.linalg.eigvals(np.eye(n) + e[:n, :n])
    dyn = mu[np.abs(mu) > ALGEBRAIC_MU]
    if dyn.size:
        a_max = float(np.abs(1.0 / dyn - 1.0).max())
        if a_max > A_MAX:
            k += int(math.ceil(math.log2(a_max / A_MAX)))
    return min(k, K_MAX)


def compute_phase_map(sys: MnaSystem, closed: frozenset[str], duration: float, *,
                      slope: bool = False, temperature: float | None = None) -> PhaseMap:
    """Map of one phase of ``duration`` seconds with the switches ``closed`` conducting.

    ``slope`` adds the source-slope columns ``mxd`` (ramp phases); ``temperature`` (K)
    adds the thermal-noise covariance ``q``.
    """
    n, ns = sys.n, len(sys.sources)
    c_aug, a_aug = _augmented(sys, closed, slope)
    k = _choose_k(sys, c_aug, a_aug, duration, closed)
    results = []
    mproj = None
    for kk in (k, k + 1):
        h = duration / 2.0 ** kk
        e, (lu, piv, d) = _base_step(sys, c_aug, a_aug, h, closed)
        q = None
        if temperature is not None:
            kx = sla.lu_solve((lu, piv), np.diag(d), check_finite=False)[:n, :n]
            q = kx @ sys.noise_intensity(closed, temperature) @ kx.T / h
        if kk == k + 1 and temperature is not None:
            # probe read-out of the noisy state: the consistent node voltages given the
            # capacitor state, i.e. one BE step so short (h·1e-6) that no capacitor moves
            e_p, _ = _base_step(sys, c_aug, a_aug, h * PROJ_SHRINK, closed)
            mproj = (np.eye(n) + e_p[:n, :n]) @ (sys.cap_basis @ sys.cap_basis.T)
        results.append(_power(e, kk, n, q))
    (e1, q1), (e2, q2) = results
    e = 2.0 * e2 - e1
    pc = sys.cap_basis @ sys.cap_basis.T   # M = M·W·Wᵀ exactly: drop round-off outside range(C)
    mxx = (np.eye(n) + e[:n, :n]) @ pc
    mxu = e[:n, n:n + ns].copy()
    mxd = e[:n, n + ns:].copy() if slope else None
    q = None
    if temperature is not None:
        q = 2.0 * q2 - q1
        q = 0.5 * (q + q.T)
    if not (np.all(np.isfinite(mxx)) and np.all(np.isfinite(mxu))):
        raise SimulationError(f"non-finite phase map for circuit {sys.circuit.title!r} "
                              f"(closed={sorted(closed)}, duration={duration!r} s)")
    return PhaseMap(mxx, mxu, mxd, q, mproj, k)
