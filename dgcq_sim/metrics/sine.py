"""Dynamic metrics from a sine record: IEEE 1241 four-parameter fit, ENOB, SINAD (fit and FFT).

Two SINAD/ENOB numbers are reported and they answer different questions:

* ``enob`` (IEEE Std 1241-2010, 4.5.3 / 9.3): relative to the converter's full-scale range,
  ENOB = log2(FSR / (sqrt(12) * rms_residual)), where rms_residual is the rms error left after
  the four-parameter sine fit.  It does not depend on the test amplitude: an ideal n-bit
  quantizer gives n for any sine that spans most codes.
* ``enob_sinad`` = (SINAD - 1.76) / 6.02 with SINAD measured against the *test signal's* power
  (fit SINAD: fitted amplitude vs residual; FFT SINAD: coherent, unwindowed spectrum, signal
  bin vs every other bin except DC).  It depends on the amplitude: a -6 dBFS sine loses a bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, ParameterError
from ._checks import as_finite_1d, check_range

MIN_SINE_SAMPLES = 16
_MAX_ITER = 50


@dataclass(frozen=True)
class SineFit:
    """Result of a four-parameter sine fit y[n] ~ offset + amplitude*cos(2*pi*frequency*n + phase).

    amplitude: peak amplitude (units of the data, V for estimates).
    phase: phase at n = 0, rad.
    offset: DC offset (units of the data).
    frequency: cycles per sample (0 < f < 0.5).
    rms_residual: rms of data minus fit.
    iterations: Gauss-Newton iterations used.
    """

    amplitude: float
    phase: float
    offset: float
    frequency: float
    rms_residual: float
    iterations: int

    def evaluate(self, n_samples: int) -> np.ndarray:
        """The fitted sine at sample indices 0..n_samples-1."""
        t = np.arange(n_samples, dtype=np.float64)
        return self.offset + self.amplitude * np.cos(2 * np.pi * self.frequency * t + self.phase)


def _fft_peak_frequency(y: np.ndarray) -> float:
    """Frequency (cycles/sample) of the largest non-DC spectral line, refined by interpolation."""
    n = y.size
    spec = np.abs(np.fft.rfft(y - y.mean()))
    k = int(np.argmax(spec[1:])) + 1
    if spec[k] <= 0.0:
        raise InputError("no sine found in the record: it is constant")
    if 1 <= k < spec.size - 1:
        # Jacobsen-style three-point refinement on the magnitude spectrum.
        a, b, c = spec[k - 1], spec[k], spec[k + 1]
        denom = a - 2 * b + c
        delta = 0.5 * (a - c) / denom if denom != 0 else 0.0
        delta = float(np.clip(delta, -0.5, 0.5))
    else:
        delta = 0.0
    return (k + delta) / n


def fit_sine(y, frequency: float | None = None, tol: float = 1e-12) -> SineFit:
    """IEEE 1241 four-parameter least-squares sine fit.

    y: samples (1-D, finite, >= 16).
    frequency: starting frequency in cycles/sample (None: FFT peak).
    tol: stop when the frequency update is below tol (cycles/sample).
    The three-parameter fit at the starting frequency seeds a Gauss-Newton iteration on
    (A, B, C, f) of y = A cos(wt) + B sin(wt) + C, with t centred in the record for conditioning.
    """
    y = as_finite_1d(y, "sine record", MIN_SINE_SAMPLES)
    n = y.size
    f = _fft_peak_frequency(y) if frequency is None else float(frequency)
    if not 0.0 < f < 0.5:
        raise ParameterError(f"frequency must be in (0, 0.5) cycles/sample, got {f}")
    t0 = 0.5 * (n - 1)
    t = np.arange(n, dtype=np.float64) - t0
    ones = np.ones(n)

    def three_param(freq):
        w = 2 * np.pi * freq * t
        m = np.column_stack((np.cos(w), np.sin(w), ones))
        sol, *_ = np.linalg.lstsq(m, y, rcond=None)
        return sol, w

    (a, b, c), w = three_param(f)
    it = 0
    for it in range(1, _MAX_ITER + 1):
        cw, sw = np.cos(w), np.sin(w)
        dw = 2 * np.pi * t * (-a * sw + b * cw)
        m = np.column_stack((cw, sw, ones, dw))
        sol, *_ = np.linalg.lstsq(m, y, rcond=None)
        a, b, c, df = sol
        f_new = f + df
        if not 0.0 < f_new < 0.5:
            break
        f = f_new
        w = 2 * np.pi * f * t
        if abs(df) < tol:
            break
    (a, b, c), w = three_param(f)
    resid = y - (a * np.cos(w) + b * np.sin(w) + c)
    amp = math.hypot(a, b)
    if amp == 0.0:
        raise InputError("no sine found in the record: fitted amplitude is zero")
    # a cos(w) + b sin(w) = amp cos(w - atan2(b, a)); shift the phase from t = 0 to n = 0.
    phase = -math.atan2(b, a) - 2 * np.pi * f * t0
    phase = (phase + np.pi) % (2 * np.pi) - np.pi
    return SineFit(amp, float(phase), float(c), float(f), float(np.sqrt(np.mean(resid ** 2))), it)


def fft_sinad_db(y) -> float:
    """SINAD (dB) of a coherently sampled sine from its unwindowed spectrum.

    Signal: the largest non-DC bin only (the record must hold a whole number of cycles, else
    leakage counts as noise).  Noise + distortion: every other bin except DC.
    """
    y = as_finite_1d(y, "sine record", MIN_SINE_SAMPLES)
    n = y.size
    p = np.abs(np.fft.rfft(y)) ** 2
    weight = np.full(p.size, 2.0)  # one-sided spectrum: bins 1..n/2-1 stand for two
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    p = p * weight
    k = int(np.argmax(p[1:])) + 1
    noise = p[1:].sum() - p[k]
    if p[k] <= 0.0:
        raise InputError("no sine found in the record: it is constant")
    if noise <= 0.0:
        return math.inf
    return float(10 * np.log10(p[k] / noise))


@dataclass(frozen=True)
class SineMetrics:
    """Dynamic metrics of a quantizer from one sine record.

    enob: IEEE 1241 ENOB relative to the full-scale range (bits; amplitude-independent).
    sinad_db: SINAD from the four-parameter fit, dB (fitted signal power / residual power).
    enob_sinad: (sinad_db - 1.76) / 6.02 (bits; depends on the test amplitude).
    sinad_fft_db: SINAD from the coherent unwindowed FFT, dB.
    enob_fft: (sinad_fft_db - 1.76) / 6.02 (bits).
    fit: the :class:`SineFit`.
    """

    enob: float
    sinad_db: float
    enob_sinad: float
    sinad_fft_db: float
    enob_fft: float
    fit: SineFit


def _enob_from_rms(fsr: float, rms: float) -> float:
    return math.inf if rms == 0.0 else math.log2(fsr / (math.sqrt(12.0) * rms))


def sine_metrics(estimate, vmin: float, vmax: float, frequency: float | None = None) -> SineMetrics:
    """ENOB and SINAD of a quantizer from its input estimates (V) for a sine input.

    estimate: the quantizer's reconstructed input values, V (code -> volts), 1-D.
    vmin, vmax: the quantizer's full-scale range, V.
    frequency: sine frequency in cycles/sample if known (None: found from the FFT).
    """
    lo, hi = check_range(vmin, vmax)
    y = as_finite_1d(estimate, "estimate", MIN_SINE_SAMPLES)
    # estimates of a quantizer lie near its range; values 1e6 full scales away would only
    # overflow the fit (found by the fuzzer: 1.5e154 among zeros)
    span = (hi - lo) * 1e6 + abs(lo) + abs(hi)
    if np.max(np.abs(y)) > span:
        raise InputError(f"estimate holds a value {float(np.max(np.abs(y))):g} V, more than a "
                         f"million full scales from the range [{lo:g}, {hi:g}] V")
    fit = fit_sine(y, frequency)
    rms = fit.rms_residual
    if not (math.isfinite(fit.amplitude) and fit.amplitude > 0):
        raise InputError(f"no sine in the estimates: the fitted amplitude is "
                         f"{fit.amplitude:g} V (a constant record has no SINAD)")
    sinad = math.inf if rms == 0.0 else 20 * math.log10(fit.amplitude / math.sqrt(2) / rms)
    sinad_fft = fft_sinad_db(y)
    return SineMetrics(
        enob=_enob_from_rms(hi - lo, rms), sinad_db=sinad, enob_sinad=(sinad - 1.76) / 6.02,
        sinad_fft_db=sinad_fft, enob_fft=(sinad_fft - 1.76) / 6.02, fit=fit)


def static_enob(estimate, inputs, vmin: float, vmax: float) -> float:
    """Static ENOB for inputs spread uniformly over full scale (bits).

    ENOB = log2(FS / (sqrt(12) * rms(estimate - input))); an ideal n-bit quantizer gives n.
    estimate, inputs: same-length 1-D arrays, V.
    """
    lo, hi = check_range(vmin, vmax)
    e = as_finite_1d(estimate, "estimate", 2)
    x = as_finite_1d(inputs, "inputs", 2)
    if e.shape != x.shape:
        raise InputError(f"estimate and inputs differ in length: {e.size} vs {x.size}")
    return _enob_from_rms(hi - lo, float(np.sqrt(np.mean((e - x) ** 2))))
