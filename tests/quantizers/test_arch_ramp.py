"""The ``ramp`` architecture (single-slope ADC, dgcq_sim/netlists/ramp.cir): ideal staircase,
ENOB, kernel agreement, ngspice agreement, closed-form ramp bow and comparator-delay offset,
parameter checks."""

import numpy as np
import pytest

from dgcq_sim.engine import apply_program
from dgcq_sim.errors import ParameterError
from dgcq_sim.evaluate import evaluate_quantizer
from dgcq_sim.quantizers import load_quantizer
from dgcq_sim.quantizers.archs.ramp import ramp_voltage, transition_levels
from dgcq_sim.quantizers.stepping import step_numpy

QUIET = {"TEMP": 0.0, "VNOISE": 0.0}


def interior(q, frac) -> np.ndarray:
    """Inputs at fractions ``frac`` of every ideal code bin."""
    return q.vmin + ((np.arange(q.n_codes)[:, None] + np.asarray(frac)[None, :]) * q.lsb).ravel()


def endpoint_inl(levels: np.ndarray) -> float:
    """Largest |deviation| (LSB) of transition levels from the line through the end ones."""
    k = np.arange(levels.size)
    line = levels[0] + (levels[-1] - levels[0]) * k / (levels.size - 1)
    lsb = (levels[-1] - levels[0]) / (levels.size - 1)
    return float(np.max(np.abs(levels - line)) / lsb)


@pytest.mark.parametrize("nbits", [3, 6])
def test_ideal_staircase_is_floor(nbits):
    q = load_quantizer("ramp", {"NBITS": nbits}, ideal=True)
    assert q.n_codes == 2 ** nbits and q.bits == nbits
    assert len(q.schedule.decisions) == 2 ** nbits - 1 and q.stages == ("count",)
    v = interior(q, np.linspace(1e-3, 1 - 1e-3, 41))
    want = np.floor(v / q.params["vref"] * 2 ** nbits).astype(np.int64)
    for method in ("response", "stepping"):
        res = q.convert(v, noise=False, method=method)
        np.testing.assert_array_equal(res.codes, want, err_msg=method)
        np.testing.assert_array_equal(res.stages["count"], want, err_msg=method)


def test_ideal_enob_dnl_inl():
    q = load_quantizer("ramp", ideal=True)
    r = evaluate_quantizer(q, rng=np.random.default_rng(0), n_sine=2 ** 13)
    assert r["enob_sine"] == pytest.approx(6.0, abs=0.05)
    assert r["dnl_max"] == 0.0 and r["inl_max"] == 0.0 and r["missing_codes"] == 0


def test_kernels_and_numpy_reference_agree_with_default_parasitics():
    q = load_quantizer("ramp")
    v = np.random.default_rng(5).uniform(q.vmin, q.vmax, 100_000)
    a = q.convert(v, noise=False, method="response").codes
    b = q.convert(v, noise=False, method="stepping").codes
    np.testing.assert_array_equal(a, b)
    sums, d = step_numpy(q, v)
    np.testing.assert_array_equal(q.schedule.assemble(sums), a)
    np.testing.assert_array_equal(d.sum(axis=1), a)     # the counter counts the ones
    assert len(np.unique(a)) == q.n_codes
    # default parasitics do move codes (offset, delay, coupling), so the check is not vacuous
    assert np.mean(a != np.floor(v / q.lsb)) > 0.05


@pytest.mark.ngspice
@pytest.mark.parametrize("params,vin", [
    ({}, 0.4321),
    ({"NBITS": 4, "AOL": 30, "TDCMP": 0.3e-9, "CPC": 50e-15}, 0.7707),
])
def test_engine_matches_ngspice_on_exported_schedule(params, vin):
    from dgcq_sim.spice import ngspice_tran

    q = load_quantizer("ramp", {**QUIET, **params})
    d = q.decisions(vin)
    overrides, tran = q.spice_overrides(vin)
    u = q.schedule.source_values(vin, d)
    _, probes = apply_program(q.program, q.program.initial_state(u[0]), u)
    ends = q.step_times()[1:] * (1 - 1e-9)
    res = ngspice_tran(q.circuit, ends, nodes=["hold", "out"], overrides=overrides,
                       tstop=tran.tstop, tmax=tran.tmax)
    got = res.v["hold"] - res.v["out"]
    np.testing.assert_allclose(got, probes[0, :, 0], atol=1e-4)
    for j, dec in enumerate(q.schedule.decisions):
        margin = got[dec.step] + dec.offset - dec.threshold
        if abs(margin) > 1e-3:
            assert int(margin >= 0) == d[j], (j, margin)


@pytest.mark.parametrize("params", [{}, {"AOL": 30, "CPAR": 0.2e-12, "CPC": 40e-15}])
def test_comparator_input_is_the_closed_form_ramp(params):
    q = load_quantizer("ramp", {**QUIET, **params})
    p = q.params
    steps = np.array([dec.step for dec in q.schedule.decisions])
    t_end = q.step_times()[steps + 1] - p["tsamp"]         # decision times from ramp start
    np.testing.assert_allclose(t_end, np.arange(1, q.n_codes) * p["tclk"] - p["tdcmp"],
                               rtol=1e-12)
    alpha = p["cpc"] / (p["ch"] + p["cpc"])
    want_c = p["vos"] - (1 - alpha) * ramp_voltage(t_end, p)
    tb = q.tables
    np.testing.assert_allclose(tb.a, 1.0, atol=1e-9)
    np.testing.assert_allclose(tb.c, want_c, atol=1e-8)
    # with low gain the ramp visibly bows below the straight line (not a vacuous check)
    if p["aol"] < 100:
        lin = p["vref"] * t_end / (p["rramp"] * p["cf"])
        assert np.max(lin - ramp_voltage(t_end, p)) > 5e-3


def test_code_transitions_and_inl_follow_the_closed_form():
    q = load_quantizer("ramp", {**QUIET, "AOL": 50, "ROFF": 1e15})
    levels = transition_levels(q.params)
    eps = 1e-6
    below = q.convert(levels - eps, noise=False).codes
    above = q.convert(levels + eps, noise=False).codes
    k = np.arange(1, q.n_codes)
    np.testing.assert_array_equal(below, k - 1)
    np.testing.assert_array_equal(above, k)
    # finite-gain bow of the RC ramp, out ~ s*t*(1 - t/(2*AOL*RRAMP*CF)): over the
    # transitions 1 .. 2^N-1 (2^N - 2 periods apart) the endpoint INL is about
    # (2^N - 2)^2 / (8 * AOL * 2^N) LSB (ramp time 2^N*TCLK = RRAMP*CF)
    n = q.n_codes
    assert endpoint_inl(levels) == pytest.approx((n - 2) ** 2 / (8 * 50 * n), rel=0.05)


def test_comparator_delay_shifts_codes_by_tdcmp_over_tclk():
    frac = 0.3
    q = load_quantizer("ramp", {"TDCMP": frac * 1e-9, "TCLK": 1e-9}, ideal=True)
    v = interior(q, np.r_[np.linspace(0.01, 0.69, 20), np.linspace(0.71, 0.99, 9)])
    want = np.clip(np.floor(v / q.lsb + frac), 0, q.n_codes - 1).astype(np.int64)
    np.testing.assert_array_equal(q.convert(v, noise=False).codes, want)
    # in volts: the transitions move down by TDCMP * slope
    p = q.params
    slope = p["vref"] / (p["rramp"] * p["cf"])
    np.testing.assert_allclose(transition_levels(p), np.arange(1, q.n_codes) * q.lsb
                               - p["tdcmp"] * slope, atol=1e-9)


def test_hardware_spec():
    q = load_quantizer("ramp")
    hw = q.hardware()
    assert hw.comparators == 1 and hw.comparator_decisions == 63 and hw.opamps == 1
    assert hw.latency == pytest.approx(2e-9 + 63e-9) == hw.opamp_seconds
    assert hw.logic_bits == 6 and hw.logic_bit_cycles == 6 * 63
    assert hw.total_capacitance == pytest.approx(2e-12)


@pytest.mark.parametrize("params,name", [
    ({"NBITS": 0}, "NBITS"), ({"NBITS": 13}, "NBITS"), ({"NBITS": 2.5}, "NBITS"),
    ({"TDCMP": -1e-12}, "TDCMP"), ({"TDCMP": 1e-9}, "TDCMP"), ({"TDCMP": 3e-9}, "TDCMP"),
])
def test_bad_parameters_are_named(params, name):
    with pytest.raises(ParameterError, match=name):
        load_quantizer("ramp", params)
