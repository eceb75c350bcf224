"""Temperature: RON = RON*(1 + TCRON*(TEMP - TNOM)), ILEAK doubles every ILEAK_DT kelvin,
kT/C follows TEMP; TEMP = 0 is noise-free with the TNOM device values."""

import numpy as np
import pytest

from dgcq_sim.quantizers import load_quantizer
from dgcq_sim.quantizers.behavioral import effective_coarse_coefficients


def ron(q):
    return q.circuit.models["swm"].ron


@pytest.mark.parametrize("name", ["coarse", "dgcq", "sar", "flash", "ramp", "pipeline"])
def test_switch_resistance_follows_its_temperature_coefficient(name):
    base = load_quantizer(name, {"TEMP": 300})
    p = base.params
    for t in (250.0, 350.0, 400.0):
        q = load_quantizer(name, {"TEMP": t})
        assert ron(q) == pytest.approx(p["ron"] * (1 + p["tcron"] * (t - p["tnom"])))
    assert ron(load_quantizer(name, {"TEMP": 0})) == pytest.approx(p["ron"])


def test_leakage_doubles_every_ileak_dt_kelvin():
    """Coarse drift per period delta = -ILEAK(T)*T/CF (closed form, ideal otherwise)."""
    clean = {"AOL": 1e9, "RLEAK": 1e15, "ROFF": 1e15, "VNOISE": 0, "TCRON": 0}
    d = {}
    for t in (300.0, 310.0, 330.0):
        q = load_quantizer("coarse", {**clean, "TEMP": t, "ILEAK": 10e-12})
        d[t] = effective_coarse_coefficients(q)["delta"]
    per_period = 10e-12 * 2e-9 / 100e-15                 # ILEAK * TCLK / CF = 0.2 mV
    assert abs(d[300.0]) == pytest.approx(per_period, rel=1e-3)
    assert d[310.0] / d[300.0] == pytest.approx(2.0, rel=1e-3)
    assert d[330.0] / d[300.0] == pytest.approx(8.0, rel=1e-3)


@pytest.mark.ngspice
def test_hot_design_matches_ngspice():
    from tests.quantizers.test_contract import ngspice_deviation

    # ILEAK(380 K) = 1 pA * 2^8 = 0.26 nA: 5 mV of drift per period, RON = 620 ohm; ngspice
    # needs a 4x finer step than the export's default here (slower settling)
    q = load_quantizer("coarse", {"NITER": 4, "TEMP": 380, "VNOISE": 0})
    assert ngspice_deviation(q, 0.41, tmax_divisor=4) < 1e-4
