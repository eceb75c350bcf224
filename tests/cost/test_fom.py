import math

import pytest

from dgcq_sim.cost import BOLTZMANN, schreier_fom, thermal_limit_energy, walden_fom
from dgcq_sim.errors import ParameterError


def test_walden_by_hand():
    # 1 pJ per conversion at 10 ENOB -> 1e-12 / 1024 J per step
    assert walden_fom(1e-12, 10) == pytest.approx(1e-12 / 1024)


def test_schreier_by_hand():
    # 62 dB, 1 mW, 100 MS/s: 62 + 10 log10(50e6 / 1e-3) = 62 + 106.99
    assert schreier_fom(62.0, 1e-3, 100e6) == pytest.approx(62 + 10 * math.log10(5e10))


def test_thermal_limit_is_8kT_snr_and_quadruples_per_bit():
    e10 = thermal_limit_energy(10, temperature=300)
    snr = 10 ** ((6.02 * 10 + 1.76) / 10)
    assert e10 == pytest.approx(8 * BOLTZMANN * 300 * snr)
    assert thermal_limit_energy(11) / e10 == pytest.approx(10 ** 0.602, rel=1e-9)


def test_fom_refuses_bad_values():
    with pytest.raises(ParameterError):
        walden_fom(-1.0, 8)
    with pytest.raises(ParameterError):
        schreier_fom(60, 0.0, 1e6)
    with pytest.raises(ParameterError):
        thermal_limit_energy(float("nan"))
