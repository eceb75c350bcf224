"""Source waveforms for the engine: values, breakpoints and their exact per-phase form.

Within a phase (between breakpoints) every source is

    u(t) = u0 + du·(t − t0) + Σ_j s_j(t),     s_j = output of a linear generator mode,

where a mode (σ, ω) is the two-state system c' = σc − ωs, s' = ωc + σs started at
(c_j, s_j)(t0).  PULSE and PWL have no modes (affine pieces); SIN after its delay is one
damped oscillator (σ = −θ, ω = 2πf), EXP one or two decaying exponentials (ω = 0), SFFM
the Jacobi–Anger sum Σ_n J_n(m)·sin((ωc + nωs)·t + φc + nφs) truncated where the Bessel
weights fall below 1e-15.  The generator is appended to the MNA state in the phase map
(:mod:`.phasemap`), so the response to these sources is exact like the response to ramps.

Breakpoint counts are computed before anything is allocated (:func:`count_breakpoints`),
so a 10 ns clock over ``.tran 1n 1`` is refused instead of building 4e8 times.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from ..errors import ParameterError, SimulationError
from ..netlist.circuit import Dc, Exp, Pulse, Pwl, Sffm, Sin

MODAL = (Sin, Exp, Sffm)
BESSEL_TOL = 1e-15        # SFFM: drop sidebands with |J_n(m)| below this
MAX_MODES = 256           # generator modes (2 states each) of one circuit
OSC_PHASE = math.pi / 8   # longest phase of an oscillating mode: ω·T <= π/8


def _deg(x: float) -> float:
    return x * math.pi / 180.0


# ------------------------------------------------------------------ values

def _pulse_value(w: Pulse, t: float) -> float:
    tt = t - w.td
    if tt <= 0:
        return float(w.v1)
    if w.npulses > 0 and w.per > 0 and tt > w.npulses * w.per:
        return float(w.v1)
    if w.per > 0:
        tt = math.fmod(tt, w.per)
    if tt < w.tr:
        return w.v1 + (w.v2 - w.v1) * tt / w.tr
    tt -= w.tr
    if tt <= w.pw:
        return float(w.v2)
    tt -= w.pw
    if tt < w.tf:
        return w.v2 + (w.v1 - w.v2) * tt / w.tf
    return float(w.v1)


def pwl_local_time(w: Pwl, t: float) -> float:
    """The time within the PWL point list that ``t`` maps to (delay and repetition)."""
    tl = t - w.td
    end = w.times[-1]
    if w.r is not None and tl > end:
        per = end - w.r
        tl = w.r + (tl - end) % per
    return tl


def _pwl_value(w: Pwl, t: float) -> float:
    ts, vs = w.times, w.values
    tl = pwl_local_time(w, t)
    if tl <= ts[0]:
        return float(vs[0])
    i = bisect.bisect_left(ts, tl)          # O(log P): ts[i-1] < tl <= ts[i]
    if i >= len(ts):
        return float(vs[-1])
    return vs[i - 1] + (vs[i] - vs[i - 1]) * (tl - ts[i - 1]) / (ts[i] - ts[i - 1])


def _sin_value(w: Sin, t: float) -> float:
    tt = t - w.td
    if tt <= 0:
        return w.vo + w.va * math.sin(_deg(w.phase))
    return w.vo + w.va * math.sin(2 * math.pi * w.freq * tt + _deg(w.phase)) * math.exp(-tt * w.theta)


def _exp_value(w: Exp, t: float) -> float:
    if t <= w.td1:
        return float(w.v1)
    v = w.v1 + (w.v2 - w.v1) * (1 - math.exp(-(t - w.td1) / w.tau1))
    if t > w.td2:
        v += (w.v1 - w.v2) * (1 - math.exp(-(t - w.td2) / w.tau2))
    return v


def _sffm_value(w: Sffm, t: float) -> float:
    return w.vo + w.va * math.sin(2 * math.pi * w.fc * t + _deg(w.phasec)
                                  + w.mdi * math.sin(2 * math.pi * w.fs * t + _deg(w.phases)))


def value_at(wave, t: float) -> float:
    """Value of any waveform at time ``t`` (s), ngspice semantics."""
    if isinstance(wave, Dc):
        return float(wave.value)
    for cls, fn in ((Pulse, _pulse_value), (Pwl, _pwl_value), (Sin, _sin_value),
                    (Exp, _exp_value), (Sffm, _sffm_value)):
        if isinstance(wave, cls):
            return fn(wave, t)
    raise ParameterError(f"unsupported waveform {wave!r}")


def values_at(wave, t: np.ndarray) -> np.ndarray:
    """Vectorised :func:`value_at` for Dc, Pulse and Pwl (O(log P) per time for PWL)."""
    t = np.asarray(t, dtype=float)
    if isinstance(wave, Dc):
        return np.full(t.shape, float(wave.value))
    if isinstance(wave, Pulse):
        tt = t - wave.td
        per = wave.per if wave.per > 0 else math.inf
        loc = np.where(tt > 0, np.fmod(np.maximum(tt, 0.0), per) if math.isfinite(per) else tt, 0.0)
        knots = [0.0, wave.tr, wave.tr + wave.pw, wave.tr + wave.pw + wave.tf]
        if wave.tr == 0 or wave.tf == 0:     # ideal edges: evaluate point by point
            return np.array([_pulse_value(wave, float(x)) for x in t.ravel()]).reshape(t.shape)
        v = np.interp(loc, knots, [wave.v1, wave.v2, wave.v2, wave.v1])
        v = np.where(tt <= 0, wave.v1, v)
        if wave.npulses > 0 and math.isfinite(per):
            v = np.where(tt > wave.npulses * per, wave.v1, v)
        return v
    if isinstance(wave, Pwl):
        tl = t - wave.td
        end = wave.times[-1]
        if wave.r is not None:
            per = end - wave.r
            tl = np.where(tl > end, wave.r + np.mod(tl - end, per), tl)
        return np.interp(tl, np.asarray(wave.times), np.asarray(wave.values))
    return np.array([value_at(wave, float(x)) for x in t.ravel()]).reshape(t.shape)


# ------------------------------------------------------------------ breakpoints

def _pulse_periods(w: Pulse, tstop: float) -> int:
    if w.td >= tstop:
        return 0
    if w.per <= 0:
        return 1
    n = math.floor((tstop - w.td) / w.per) + 1
    if w.npulses > 0:
        n = min(n, math.ceil(w.npulses))
    return n


def _pwl_repeats(w: Pwl, tstop: float) -> int:
    if w.r is None:
        return 0
    end = w.td + w.times[-1]
    return max(0, math.floor((tstop - end) / (w.times[-1] - w.r)) + 1)


def count_breakpoints(wave, tstop: float) -> int:
    """How many breakpoints ``wave`` has in [0, tstop], computed without listing them."""
    if isinstance(wave, Pulse):
        return 4 * _pulse_periods(wave, tstop) + (1 if wave.npulses > 0 else 0)
    if isinstance(wave, Pwl):
        k = bisect.bisect_left(wave.times, wave.r) if wave.r is not None else len(wave.times)
        return len(wave.times) + _pwl_repeats(wave, tstop) * (len(wave.times) - k)
    if isinstance(wave, Sin):
        return 1
    if isinstance(wave, Exp):
        return 2
    return 0


def breakpoints(wave, tstop: float) -> np.ndarray:
    """Times in [0, tstop) where ``wave`` changes its form (slope steps, delays)."""
    if isinstance(wave, Pulse):
        k = np.arange(_pulse_periods(wave, tstop), dtype=float)
        start = wave.td + k * (wave.per if wave.per > 0 else 0.0)
        offs = np.array([0.0, wave.tr, wave.tr + wave.pw, wave.tr + wave.pw + wave.tf])
        pts = (start[:, None] + offs[None, :]).ravel()
        if wave.npulses > 0 and wave.per > 0:
            pts = np.append(pts, wave.td + wave.npulses * wave.per)
    elif isinstance(wave, Pwl):
        ts = np.asarray(wave.times)
        pts = wave.td + ts
        reps = _pwl_repeats(wave, tstop)
        if reps:
            seg = ts[ts >= wave.r] - wave.r
            per = ts[-1] - wave.r
            base = wave.td + ts[-1] + per * np.arange(reps, dtype=float)
            pts = np.concatenate([pts, (base[:, None] + seg[None, :]).ravel()])
    elif isinstance(wave, Sin):
        pts = np.array([wave.td])
    elif isinstance(wave, Exp):
        pts = np.array([wave.td1, wave.td2])
    else:
        pts = np.zeros(0)
    return pts[(pts > 0.0) & (pts < tstop)]


# ------------------------------------------------------------------ generator modes

def _sffm_sidebands(w: Sffm) -> list[tuple[int, float]]:
    """(n, J_n(mdi)) of the Jacobi–Anger expansion with |J_n| >= BESSEL_TOL."""
    from scipy.special import jv
    if w.mdi == 0:
        return [(0, 1.0)]
    n_max = int(math.ceil(w.mdi)) + 1
    while abs(jv(n_max, w.mdi)) > BESSEL_TOL or n_max <= w.mdi:
        n_max += 1
        if n_max > 4 * MAX_MODES:
            break
    out = []
    for n in range(-n_max, n_max + 1):
        j = float(jv(n, w.mdi))
        if abs(j) >= BESSEL_TOL:
            out.append((n, j))
    return out


def wave_modes(wave) -> list[tuple[float, float]]:
    """The generator modes (σ 1/s, ω rad/s) a waveform can use, in a fixed order."""
    if isinstance(wave, Sin):
        return [(-wave.theta, 2 * math.pi * wave.freq)]
    if isinstance(wave, Exp):
        return [(-1.0 / wave.tau1, 0.0), (-1.0 / wave.tau2, 0.0)]
    if isinstance(wave, Sffm):
        wc, ws = 2 * math.pi * wave.fc, 2 * math.pi * wave.fs
        return [(0.0, wc + n * ws) for n, _ in _sffm_sidebands(wave)]
    return []


def max_phase(wave) -> float:
    """Longest phase (s) for which the generator of ``wave`` stays accurate (ω·T <= π/8,
    also for growing modes σ·T <= π/8); inf for affine waves and pure decays."""
    rate = max([max(abs(om), sg) for sg, om in wave_modes(wave)] or [0.0])
    return OSC_PHASE / rate if rate > 0 else math.inf


def segment(wave, t0: float, t1: float) -> tuple[float, float, list[tuple[float, float]]]:
    """(u0, du, [(c, s) per mode of :func:`wave_modes`]) of ``wave`` on the phase (t0, t1):
    u(t) = u0 + du·(t − t0) + Σ s_j(t)."""
    if isinstance(wave, Sin):
        tau = t0 - wave.td
        if tau < 0 or (tau == 0 and t1 <= wave.td):
            return wave.vo + wave.va * math.sin(_deg(wave.phase)), 0.0, [(0.0, 0.0)]
        amp = wave.va * math.exp(-wave.theta * tau)
        psi = 2 * math.pi * math.fmod(wave.freq * tau, 1.0) + _deg(wave.phase)
        return wave.vo, 0.0, [(amp * math.cos(psi), amp * math.sin(psi))]
    if isinstance(wave, Exp):
        mid = 0.5 * (t0 + t1)
        if mid <= wave.td1:
            return wave.v1, 0.0, [(0.0, 0.0), (0.0, 0.0)]
        d = wave.v2 - wave.v1
        e1 = -d * math.exp(-(t0 - wave.td1) / wave.tau1)
        if mid <= wave.td2:
            return wave.v2, 0.0, [(0.0, e1), (0.0, 0.0)]
        return wave.v1, 0.0, [(0.0, e1), (0.0, d * math.exp(-(t0 - wave.td2) / wave.tau2))]
    if isinstance(wave, Sffm):
        out = []
        for n, j in _sffm_sidebands(wave):
            f = wave.fc + n * wave.fs
            psi = 2 * math.pi * math.fmod(f * t0, 1.0) + _deg(wave.phasec) + n * _deg(wave.phases)
            out.append((wave.va * j * math.cos(psi), wave.va * j * math.sin(psi)))
        return wave.vo, 0.0, out
    raise ParameterError(f"segment: {wave!r} has no generator modes")


def check_modes(total: int, owner: str) -> None:
    if total > MAX_MODES:
        raise SimulationError(f"sources need {total} generator modes (sinusoids/exponentials); "
                              f"at most {MAX_MODES} are supported ({owner})")
