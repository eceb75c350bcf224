"""Finite op-amp gain-bandwidth (GBW, one pole at GBW/AOL): closed-form single-pole
settling of the SC integrator, the same exported netlist in ngspice, GBW = 0 = ideal."""

import math

import numpy as np
import pytest

from dgcq_sim.quantizers import load_quantizer
from dgcq_sim.quantizers.behavioral import effective_coarse_coefficients

# fast switches, high DC gain, no leakage: the op-amp pole is the only slow thing
CLEAN = dict(TEMP=0, RON=1, AOL=1e6, RLEAK=1e15, ILEAK=0, ROFF=1e15, CPAR=20e-15)


@pytest.mark.parametrize("gbw", [2e9, 2.5e9, 3e9])
def test_integrator_settling_error_is_the_single_pole_closed_form(gbw):
    """Charge transfer in an integrate phase of T = TCLK/2 = 1 ns is incomplete by
    exp(-T/tau), tau = 1/(2 pi beta GBW), beta = CF/(CF + CS + CREF + CPAR)."""
    b_ideal = effective_coarse_coefficients(load_quantizer("coarse", CLEAN))["beta"]
    b = effective_coarse_coefficients(load_quantizer("coarse", {**CLEAN, "GBW": gbw}))["beta"]
    beta_fb = 100e-15 / (100e-15 + 100e-15 + 100e-15 + 20e-15)
    expected = -math.exp(-1e-9 * 2 * math.pi * beta_fb * gbw)
    assert b / b_ideal - 1 == pytest.approx(expected, rel=0.05)


def test_gbw_zero_is_the_ideal_bandwidth_element():
    q0 = load_quantizer("dgcq")
    assert q0.params["gbw"] == 0 and "cgbw" not in {e.name for e in q0.circuit.elements}
    q = load_quantizer("dgcq", {"GBW": 1e12})
    assert {"cgbw", "rgbw", "ebuf"} <= {e.name for e in q.circuit.elements}
    v = np.random.default_rng(0).uniform(0, 1, 20000)
    # 1 THz is far above what the 1 ns phases need: the same codes but for a few edges
    same = np.mean(q0.convert(v, noise=False).codes == q.convert(v, noise=False).codes)
    assert same > 0.99


def test_enob_falls_once_gbw_is_too_small():
    from dgcq_sim.evaluate import evaluate_quantizer

    def enob(gbw):
        q = load_quantizer("dgcq", {"GBW": gbw, "TEMP": 0})
        return evaluate_quantizer(q, rng=np.random.default_rng(0), n_sine=4096,
                                  progress=False)["enob_static"]

    assert enob(1e9) < enob(3e9) - 1 and enob(3e9) < enob(0) - 1


@pytest.mark.ngspice
@pytest.mark.parametrize("name,params", [("coarse", {"NITER": 4, "GBW": 3e9}),
                                         ("pipeline", {"NSTAGES": 2, "GBW": 5e9})])
def test_finite_gbw_matches_ngspice(name, params):
    from tests.quantizers.test_contract import ngspice_deviation

    # TEDGE 0.1 ps: the exporter moves data sources one edge after the switches, and with
    # a slow op-amp 1 ps of shifted reference timing is already ~100 uV at the output
    q = load_quantizer(name, {"TEMP": 0, "VNOISE": 0, "TEDGE": 1e-13, **params})
    assert ngspice_deviation(q, 0.3719) < 1e-4


@pytest.mark.parametrize("gbw", [1e9, 3e9])
def test_opamp_noise_of_a_follower_is_vn_squared_times_the_noise_bandwidth(gbw):
    """During the reset phase the op-amp is a unity-gain follower (CF shorted, RON = 1 ohm):
    output noise variance = VN^2 * (pi/2) * GBW (one-pole noise bandwidth), on top of the
    switches' own noise."""
    vn = 20e-9

    def var_out(vn_opamp):
        q = load_quantizer("coarse", {"GBW": gbw, "TEMP": 300, "AOL": 1e5, "RON": 1,
                                      "VN_OPAMP": vn_opamp})
        i = list(q.program.probes).index("out")
        return float(np.sum(q.program.noise_probe[0, i, :q.program.noise_rank[0]] ** 2))

    assert math.sqrt(var_out(vn) - var_out(0.0)) == pytest.approx(
        vn * math.sqrt(math.pi / 2 * gbw), rel=1e-3)


def test_opamp_noise_needs_a_bandwidth_and_reaches_the_codes():
    from dgcq_sim.errors import ParameterError

    with pytest.raises(ParameterError, match="VN_OPAMP .*GBW"):
        load_quantizer("dgcq", {"VN_OPAMP": 10e-9})
    v = np.random.default_rng(0).uniform(0, 1, 20000)

    def code_noise(vn):
        q = load_quantizer("dgcq", {"GBW": 20e9, "VN_OPAMP": vn})
        ref = q.convert(v, noise=False).codes
        return np.std(q.convert(v, rng=np.random.default_rng(1)).codes - ref)

    assert code_noise(200e-9) > 1.3 * code_noise(0.0)
