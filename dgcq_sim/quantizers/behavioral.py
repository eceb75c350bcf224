"""Plain numpy behavioural reference of the quantizers (DESIGN section 1, non-ideal form).

Closed-form cross-check of the circuit-level quantizers: it takes the per-iteration
coefficients as inputs, whereas the circuit produces them.  Loop timing follows the
bundled coarse stage (decision at the end of iteration k, its reference subtraction lands
with the input charge of iteration k+1, plus one subtract-only period in a DGCQ):

    W_k = lam * W_{k-1} + beta * Vs - gamma * VREF * d_{k-1} + delta      (W_0 = 0, d_0 = 0)
    d_k = [W_k + Vos + n_cmp >= VREF],   count = sum_k d_k
    residue (DGCQ) = lam * W_N - gamma * VREF * d_N + delta

A fine SAR of ``bits`` bits with gain ``sar_gain`` (e.g. CT/(CT+Cp)) reads the residue.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, ParameterError


def _check(vs) -> np.ndarray:
    v = np.asarray(vs, dtype=np.float64)
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise InputError("behavioural model inputs must be a non-empty finite array")
    return v


def coarse_behavioral(vs, n_iter: int, vref: float = 1.0, lam: float = 1.0, beta: float = 1.0,
                      gamma: float = 1.0, delta: float = 0.0, vos: float = 0.0,
                      cmp_noise: float = 0.0, ktc_noise: float = 0.0,
                      rng: np.random.Generator | None = None, final_subtract: bool = False):
    """Counts and final integrator voltage of the coarse loop for inputs ``vs`` (V).

    lam, beta, gamma: retention, input gain, reference gain per iteration (1 = ideal).
    delta: drift per iteration (V).  vos: comparator offset (V).  cmp_noise, ktc_noise:
    rms noise (V) per decision and per iteration (need ``rng``).
    Returns (count int64 array, residue float array in V), shaped like ``vs``.
    """
    v = _check(vs)
    if int(n_iter) != n_iter or n_iter < 1:
        raise ParameterError(f"n_iter must be a positive integer, got {n_iter!r}")
    if (cmp_noise > 0 or ktc_noise > 0) and rng is None:
        raise ParameterError("noise needs an explicit numpy Generator rng")
    w = np.zeros_like(v)
    d = np.zeros_like(v)
    count = np.zeros(v.shape, dtype=np.int64)
    for _ in range(int(n_iter)):
        w = lam * w + beta * v - gamma * vref * d + delta
        if ktc_noise > 0:
            w = w + ktc_noise * rng.standard_normal(v.shape)
        n = cmp_noise * rng.standard_normal(v.shape) if cmp_noise > 0 else 0.0
        d = (w + vos + n >= vref).astype(np.float64)
        count += d.astype(np.int64)
    if final_subtract:
        w = lam * w - gamma * vref * d + delta
    return count, w


def sar_behavioral(v, bits: int, vref: float = 1.0, gain: float = 1.0, offset: float = 0.0,
                   vos: float = 0.0):
    """Trial-and-restore SAR code of ``v`` (V): bit k kept if
    gain*(v + offset - (code + 2^k) * vref/2^bits) + vos >= 0, MSB first."""
    x = _check(v)
    lsb = vref / 2 ** int(bits)
    code = np.zeros(x.shape, dtype=np.int64)
    for k in range(int(bits) - 1, -1, -1):
        trial = code + (1 << k)
        keep = gain * (x + offset - trial * lsb) + vos >= 0
        code = np.where(keep, trial, code)
    return code


def dgcq_behavioral(vs, nc: int, nf: int, vref: float = 1.0, overrange: bool = False,
                    sar_gain: float = 1.0, levels: int | None = None, **coarse):
    """DGCQ output codes: coarse loop (``coarse_behavioral`` keywords) + fine SAR.

    With ``overrange`` the SAR has nf+1 bits on [-VREF/2, 3 VREF/2) and the code is
    count*2^nf + fine - 2^(nf-1).  Codes are clipped to [0, levels*2^nf - 1]; levels is
    the nominal number of coarse levels N*GAIN (default N = 2^nc, i.e. GAIN = 1).
    Returns (codes, count, fine).
    """
    n_iter = 2 ** int(nc)
    levels = n_iter if levels is None else int(levels)
    count, res = coarse_behavioral(vs, n_iter, vref=vref, final_subtract=True, **coarse)
    if overrange:
        fine = sar_behavioral(res, nf + 1, 2 * vref, sar_gain, offset=vref / 2)
        code = count * 2 ** nf + fine - 2 ** (nf - 1)
    else:
        fine = sar_behavioral(res, nf, vref, sar_gain)
        code = count * 2 ** nf + fine
    return np.clip(code, 0, levels * 2 ** nf - 1), count, fine


def effective_coarse_coefficients(q) -> dict[str, float]:
    """lam, beta, gamma, delta of a coarse/DGCQ quantizer's circuit, read from its
    decision-response tables (noise-free): W_1 = beta*Vs + delta, W_2 = (1+lam)*beta*Vs
    + ..., dW_2/dd_1 = -gamma*VREF, delta = W_2(0) - lam*W_1(0).  Exact when the loop is
    first order (well settled).  (The circuit's first iteration drifts only half a period,
    since CF is shorted during the reset half; the model uses delta throughout.)"""
    t = q.tables
    idx = np.flatnonzero(t.stage == q.stages.index("coarse")) if "coarse" in q.stages else []
    if len(idx) < 2:
        raise ParameterError("effective coefficients need a quantizer with a 'coarse' stage of "
                             ">= 2 iterations")
    j1, j2 = int(idx[0]), int(idx[1])
    vref = q.params["vref"]
    thr_off = q.schedule.decisions[j1].offset - q.schedule.decisions[j1].threshold
    beta = t.a[j1]
    lam = t.a[j2] / beta - 1.0
    gamma = -t.b[j2, j1] / vref
    # constant parts: W_1 = c1 (reset then half a period of drift), W_2 = lam*c1 + delta
    c1, c2 = t.c[j1] - thr_off, t.c[j2] - thr_off
    return {"lam": float(lam), "beta": float(beta), "gamma": float(gamma),
            "delta": float(c2 - lam * c1)}
