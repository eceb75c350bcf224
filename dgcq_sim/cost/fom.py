"""Figures of merit of A/D converters and the thermal-noise bound on energy per conversion."""

from __future__ import annotations

import math

from ..errors import ParameterError
from ..display import show

BOLTZMANN = 1.380649e-23  # J/K (exact, SI 2019)


def _positive(value, name: str) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ParameterError(f"{name} must be a positive finite number, got {show(value)}")
    return v


def _finite(value, name: str) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise ParameterError(f"{name} must be finite, got {show(value)}")
    return v


def walden_fom(energy_per_conversion: float, enob: float) -> float:
    """Walden figure of merit E / 2^ENOB = P / (fs * 2^ENOB), J per conversion step."""
    return _positive(energy_per_conversion, "energy_per_conversion") / 2.0 ** _finite(enob, "enob")


def schreier_fom(sndr_db: float, power_w: float, fs_hz: float) -> float:
    """Schreier figure of merit SNDR + 10*log10((fs/2) / P), dB (Nyquist bandwidth fs/2)."""
    p = _positive(power_w, "power_w")
    fs = _positive(fs_hz, "fs_hz")
    return _finite(sndr_db, "sndr_db") + 10.0 * math.log10(fs / 2.0 / p)


def sndr_from_enob(enob: float) -> float:
    """SNDR (dB) of a full-scale sine for a given ENOB: 6.02*ENOB + 1.76."""
    return 6.02 * _finite(enob, "enob") + 1.76


def thermal_limit_energy(enob: float, temperature: float = 300.0) -> float:
    """Thermal-noise bound on energy per conversion for a given ENOB, J: E_min = 8*k*T*SNR.

    The bound B. Murmann draws under his ADC performance survey ("A/D converter trends: power
    dissipation, scaling and digitally assisted architectures", CICC 2008; "The race for the
    extra decibel", IEEE SSC Magazine 2015).  It follows from sampling alone: a full-scale sine
    of peak-to-peak VFS = VDD has power VDD^2/8; its kT/C noise must be SNR times smaller, so
    C = 8*k*T*SNR / VDD^2, and charging C to VDD from the supply costs C*VDD^2 = 8*k*T*SNR per
    sample.  SNR = 10^((6.02*ENOB + 1.76)/10).
    """
    t = _positive(temperature, "temperature")
    snr = 10.0 ** (sndr_from_enob(enob) / 10.0)
    return 8.0 * BOLTZMANN * t * snr
