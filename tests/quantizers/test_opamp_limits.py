"""Op-amp slew rate (SR) and output swing (VOUT_MIN, VOUT_MAX): B sources around the GBW
pole, time-stepped.  Defaults leave every design linear and bit-identical; the slew
closed form on the exported coarse integrator; the clamp; ngspice on the same netlist;
typed errors."""

import numpy as np
import pytest

from dgcq_sim.engine import simulate
from dgcq_sim.errors import ParameterError
from dgcq_sim.netlist import parse_netlist
from dgcq_sim.quantizers import load_quantizer

CLEAN = dict(TEMP=0)
TOL_NGSPICE = 200e-6


@pytest.mark.parametrize("name", ["coarse", "dgcq", "ramp", "pipeline"])
def test_defaults_keep_the_linear_op_amp_and_bit_identical_codes(name):
    q = load_quantizer(name)
    assert q.params["sr"] == 0 and q.params["vout_min"] == 0 and q.params["vout_max"] == 0
    assert q.method in ("response", "stepping") and q.nonlinear is None
    assert not any(el.name.startswith("bs") for el in q.circuit.elements)
    # GBW > 0 with the limits off: the same cards as before (no B source)
    q1 = load_quantizer(name, {"GBW": 5e9})
    assert q1.nonlinear is None
    v = np.random.default_rng(0).uniform(q.vmin, q.vmax, 2000)
    again = load_quantizer(name, {"SR": 0, "VOUT_MIN": 0, "VOUT_MAX": 0})
    np.testing.assert_array_equal(again.convert(v, noise=False).codes,
                                  q.convert(v, noise=False).codes)


@pytest.mark.parametrize("name", ["dgcq", "coarse", "ramp", "pipeline"])
def test_a_fast_slew_rate_and_wide_swing_give_the_linear_codes(name):
    base = {**CLEAN, "GBW": 10e9}
    lin = load_quantizer(name, base)
    nl = load_quantizer(name, {**base, "SR": 1e13, "VOUT_MIN": -50, "VOUT_MAX": 50})
    assert nl.method == "nonlinear"
    names = {el.name for el in nl.circuit.elements}
    assert any(n.startswith("bsr") for n in names) and any(n.startswith("bsat") for n in names)
    v = np.random.default_rng(1).uniform(lin.vmin, lin.vmax, 300)
    np.testing.assert_array_equal(nl.convert(v, noise=False).codes,
                                  lin.convert(v, noise=False).codes)
    # the op-amp never leaves its linear range: every phase takes the 4 coarsest trial
    # steps of the stepper
    assert nl.nonlinear.last_trial_steps == 4 * nl.schedule.n_steps


def test_a_slow_slew_rate_costs_codes_and_time_steps():
    base = {**CLEAN, "GBW": 10e9}
    v = np.random.default_rng(2).uniform(0, 1, 200)
    ref = load_quantizer("dgcq", base).convert(v, noise=False).codes
    q = load_quantizer("dgcq", {**base, "SR": 2e8})
    got = q.convert(v, noise=False).codes
    assert np.mean(got != ref) > 0.5
    assert q.nonlinear.last_trial_steps > 10 * 4 * q.schedule.n_steps


def exported(q, vin):
    """The exported conversion of ``vin`` as a parsed circuit, its step end times and the
    engine's probe values at them (time-stepped quantizer kernel, the exported decisions)."""
    d = q.decisions(vin)
    u = q.schedule.source_values(vin, d)
    _, _, probes = q.nonlinear.run(np.array([vin]), False, 0, forced_u=u)
    return parse_netlist(q.export_spice(vin, d)), q.step_times(), probes[0]


def test_the_integrator_output_slews_at_sr_then_settles():
    """Coarse integrator, first integrate phase: v(out) moves at exactly -SR... +SR while
    the current into the pole capacitor is clamped (closed form: a step of dV takes
    dV/SR), then settles to the charge-transfer value."""
    sr = 2e8
    q = load_quantizer("coarse", {**CLEAN, "NITER": 2, "GBW": 5e9, "SR": sr, "TEDGE": 1e-14})
    vin = 0.7
    c, t, probes = exported(q, vin)
    t0 = t[1]                                  # the integrate phase starts
    dur = t[2] - t[1]
    times = t0 + np.array([0.1, 0.2, 0.3, 0.4]) * dur
    r = simulate(c, probes=["out"], at=times)
    slope = np.diff(r.v["out"][0]) / np.diff(times)
    assert np.allclose(np.abs(slope), sr, rtol=1e-3), slope
    # the whole change dV = GAIN*vin*CS/CF = 0.35 V... takes dV/SR = 1.75 ns > half a phase:
    # the phase ends still slewing, short of the linear result by SR*(dV/SR - T)
    lin = load_quantizer("coarse", {**CLEAN, "NITER": 2, "GBW": 5e9, "TEDGE": 1e-14})
    i_out = list(q.schedule.probes).index("out")
    from dgcq_sim.engine import apply_program
    u = lin.schedule.source_values(vin, lin.decisions(vin))
    _, lp = apply_program(lin.program, lin.program.initial_state(u[0]), u)
    dv = lp[0, 1, i_out] - lp[0, 0, i_out]
    assert abs(probes[1, i_out] - probes[0, i_out]) == pytest.approx(
        min(abs(dv), sr * dur), rel=2e-2)


def test_saturation_clamps_the_integrator_output():
    q = load_quantizer("coarse", {**CLEAN, "NITER": 4, "GBW": 5e9, "VOUT_MIN": 0.1,
                                  "VOUT_MAX": 0.6})
    assert q.nonlinear is not None and "bsat" in {el.name for el in q.circuit.elements}
    i_out = list(q.schedule.probes).index("out")
    for vin in (0.05, 0.9):
        d = q.decisions(vin)
        u = q.schedule.source_values(vin, d)
        _, _, probes = q.nonlinear.run(np.array([vin]), False, 0, forced_u=u)
        out = probes[0, :, i_out]
        # the rail clamp holds within I/GCLAMP (< 3 uV, opamp_limits.py)
        assert out.max() <= 0.6 + 3e-6 and out.min() >= 0.1 - 3e-6
        assert out.max() > 0.6 - 1e-3 or out.min() < 0.1 + 1e-3      # it did saturate
    # a swing that the loop never reaches changes nothing
    wide = load_quantizer("coarse", {**CLEAN, "NITER": 4, "GBW": 5e9, "VOUT_MIN": -5,
                                     "VOUT_MAX": 5})
    lin = load_quantizer("coarse", {**CLEAN, "NITER": 4, "GBW": 5e9})
    v = np.linspace(0, 1, 101)
    np.testing.assert_array_equal(wide.convert(v, noise=False).codes,
                                  lin.convert(v, noise=False).codes)


@pytest.mark.ngspice
@pytest.mark.parametrize("name, params, vin", [
    ("coarse", {"NITER": 4, "GBW": 3e9, "SR": 3e8}, 0.3719),
    # settles below the rail twice, then sits on it (0.85 V + I/GCLAMP)
    ("coarse", {"NITER": 4, "GBW": 3e9, "SR": 1e9, "VOUT_MIN": -0.1, "VOUT_MAX": 0.85}, 0.8123),
    ("dgcq", {"NC": 2, "NF": 4, "GBW": 5e9, "SR": 5e8}, 0.6180),
    # finite gain and a fast pole into the clamp: the stepper once gave up here (steps at
    # T/2^22 missed their allowance); T/2^26 resolves the kink
    ("coarse", {"NITER": 4, "AOL": 3000, "GBW": 2e10, "VOUT_MIN": -0.2, "VOUT_MAX": 0.9}, 0.5),
])
def test_slew_and_saturation_match_ngspice_on_the_exported_netlist(name, params, vin):
    from dgcq_sim.spice import ngspice_tran

    q = load_quantizer(name, {**CLEAN, "TEDGE": 1e-13, **params})
    c, t, probes = exported(q, vin)
    overrides, tran = q.spice_overrides(vin)
    ends = t[1:] * (1 - 1e-9)
    nodes = sorted({n for p in q.schedule.probes for n in ((p,) if isinstance(p, str) else p)
                    if n != "0"})
    res = ngspice_tran(q.circuit, ends, nodes=nodes, overrides=overrides, tstop=tran.tstop,
                       tmax=tran.tmax / 4)
    worst = 0.0
    for i, p in enumerate(q.schedule.probes):
        pos, neg = (p, "0") if isinstance(p, str) else p
        got = res.v[pos] - (res.v[neg] if neg != "0" else 0.0)
        worst = max(worst, float(np.max(np.abs(got - probes[:, i]))))
    print(f"{name} {params} vin={vin}: max |engine - ngspice| = {worst * 1e6:.1f} uV")
    assert worst < TOL_NGSPICE


@pytest.mark.parametrize("params, fragment", [
    ({"SR": -1e9}, "SR = -1e\\+09"),
    ({"SR": 1e9}, "SR needs a finite op-amp bandwidth GBW > 0"),
    ({"VOUT_MIN": 0.1, "VOUT_MAX": 0.9}, "VOUT_MIN/VOUT_MAX needs a finite op-amp bandwidth"),
    ({"GBW": 5e9, "VOUT_MIN": 0.9, "VOUT_MAX": 0.1}, "VOUT_MIN = 0.9 V must be below VOUT_MAX"),
    ({"GBW": 5e9, "VOUT_MIN": 0.5, "VOUT_MAX": 0.5}, "must be below VOUT_MAX"),
    ({"GBW": 5e9, "SR": 1.0}, "outside the physical range"),
])
def test_bad_limits_are_typed_errors(params, fragment):
    with pytest.raises(ParameterError, match=fragment):
        load_quantizer("coarse", params)


def test_the_nonlinear_quantizer_has_no_affine_tables():
    from dgcq_sim.errors import QuantizerError

    q = load_quantizer("coarse", {**CLEAN, "NITER": 2, "GBW": 5e9, "SR": 1e9})
    with pytest.raises(QuantizerError, match="affine in the decisions"):
        q.tables
    with pytest.raises(ParameterError, match="does not apply"):
        q.convert([0.5], method="response")


def test_thermal_noise_in_time_stepped_phases_is_the_linear_circuits():
    """While the op-amp stays linear, a time-stepped quantizer's noise (kT/C of the
    linearized circuit added per step) is the linear quantizer's: same code-error spread."""
    base = {"TEMP": 300, "GBW": 10e9, "VNOISE": 0, "VNOISE_C": 0, "KC": 0}
    lin = load_quantizer("dgcq", base)
    nl = load_quantizer("dgcq", {**base, "SR": 1e13})
    assert nl.has_noise and nl.nonlinear.has_thermal_noise
    v = np.random.default_rng(4).uniform(0.05, 0.95, 3000)
    ref = lin.convert(v, noise=False).codes
    np.testing.assert_array_equal(nl.convert(v, noise=False).codes, ref)
    e_lin = lin.convert(v, rng=np.random.default_rng(5)).codes - ref
    e_nl = nl.convert(v, rng=np.random.default_rng(6)).codes - ref
    assert np.std(e_lin) > 0.3                      # kT/C is visible at 11 bits
    assert np.std(e_nl) == pytest.approx(np.std(e_lin), rel=0.1)
