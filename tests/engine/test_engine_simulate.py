"""simulate(): transient with PULSE/PWL phases, switch thresholds/hysteresis, sweeps."""

import numpy as np
import pytest
from engine_circuits import (Capacitor, Dc, Pulse, Pwl, Resistor, Switch, Tran, Vcvs, VSource,
                             circuit, model)

from dgcq_sim.engine import simulate
from dgcq_sim.errors import InputError, ParameterError, SimulationError


def test_pwl_ramp_into_rc_matches_analytic():
    r, c, slope, t1 = 1e3, 1e-12, 1e9, 2e-9
    tau = r * c
    ckt = circuit(VSource("v", "in", "0", Pwl((0.0, t1), (0.0, slope * t1))),
                  Resistor("r", "in", "o", r), Capacitor("c", "o", "0", c), tran=Tran(1e-10, 6e-9))
    ts = np.linspace(0, 6e-9, 25)
    res = simulate(ckt, probes=["o", "in"], at=ts)

    def exact(t):
        if t <= t1:
            return slope * (t - tau * -np.expm1(-t / tau))
        return slope * t1 + (exact(t1) - slope * t1) * np.exp(-(t - t1) / tau)
    np.testing.assert_allclose(res.v["o"][0], [exact(t) for t in ts], rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.v["in"][0], np.minimum(ts, t1) * slope, atol=1e-12)
    assert abs(res.at("o", 3e-9)[0] - exact(3e-9)) < 1e-9
    with pytest.raises(InputError, match="not an output time"):
        res.at("o", 3.1e-9)


def clocked_sharing(c1=1e-12, c2=3e-12):
    m = model(ron=10.0, roff=1e15, vt=0.5)
    return circuit(VSource("va", "in_a", "0", Dc(0.8)), VSource("vb", "in_b", "0", Dc(0.1)),
                   VSource("p1", "ph1", "0", Pulse(0, 1, 0, 1e-11, 1e-11, 5e-9, 0)),
                   VSource("p2", "ph2", "0", Pulse(0, 1, 6e-9, 1e-11, 1e-11, 5e-9, 0)),
                   Switch("sa", "in_a", "a", "ph1", "0", m), Switch("sb", "in_b", "b", "ph1", "0", m),
                   Switch("s", "a", "b", "ph2", "0", m),
                   Capacitor("c1", "a", "0", c1), Capacitor("c2", "b", "0", c2),
                   tran=Tran(1e-10, 12e-9))


def test_clocked_charge_sharing_with_sweep():
    va = np.linspace(-1.0, 1.0, 7)
    res = simulate(clocked_sharing(), probes=["a", "b", "ph2"], at=[4e-9, 12e-9], sweep={"va": va})
    assert res.v["a"].shape == (7, 2)
    np.testing.assert_allclose(res.v["a"][:, 0], va, atol=1e-9)
    np.testing.assert_allclose(res.v["a"][:, 1], (1e-12 * va + 3e-12 * 0.1) / 4e-12, atol=1e-9)
    np.testing.assert_allclose(res.v["b"][:, 1], res.v["a"][:, 1], atol=1e-9)
    np.testing.assert_allclose(res.v["ph2"][:, 0], 0.0)


def test_pulse_edge_on_cap_bottom_plate_redistributes_charge():
    c, cp = 1e-13, 4e-14
    m = model(ron=10.0, roff=1e15, vt=0.5)
    ckt = circuit(VSource("vbot", "bot", "0", Pulse(0.0, 1.0, 2e-9, 1e-10, 1e-10, 5e-9, 0)),
                  VSource("vcm", "cm", "0", Dc(0.5)),
                  VSource("clk", "ck", "0", Pulse(1.0, 0.0, 1e-9, 1e-11, 1e-11, 1e-8, 0)),
                  Switch("srst", "cm", "top", "ck", "0", m),
                  Capacitor("c", "bot", "top", c), Capacitor("cp", "top", "0", cp),
                  tran=Tran(1e-10, 4e-9))
    res = simulate(ckt, probes=["top"], at=[0.5e-9, 4e-9])
    assert abs(res.v["top"][0, 0] - 0.5) < 1e-9
    # the reset switch leaks through ROFF = 1e15 ohm over ~2 ns: < 1e-12 V
    assert abs(res.v["top"][0, 1] - (0.5 + c / (c + cp))) < 1e-9


def test_switch_hysteresis_keeps_state_between_thresholds():
    """VT=0.5, VH=0.2: on above 0.7, off below 0.3, unchanged in between."""
    m = model(ron=10.0, roff=1e15, vt=0.5, vh=0.2)
    ctrl = Pwl((0, 1e-9, 2e-9, 3e-9, 4e-9, 5e-9, 6e-9), (0, 0.6, 0, 1.0, 0.4, 0.4, 0.0))
    ckt = circuit(VSource("v", "in", "0", Dc(1.0)), VSource("vc", "c", "0", ctrl),
                  Switch("s", "in", "o", "c", "0", m), Resistor("rl", "o", "0", 1e3),
                  Capacitor("co", "o", "0", 1e-15), tran=Tran(1e-10, 6e-9))
    res = simulate(ckt, probes=["o"], at=[1e-9, 2e-9, 3.5e-9, 5e-9, 6e-9])
    on = 1e3 / (1e3 + 10.0)
    np.testing.assert_allclose(res.v["o"][0], [0, 0, on, on, 0], atol=1e-9)


def test_sc_integrator_clocked_by_pulses():
    """Two-phase SC integrator (E gain 1e4) clocked by PULSE sources, 3 cycles."""
    cs, cf, cp, gain, vin = 1e-13, 2e-13, 3e-14, 1e4, 0.3
    m = model(ron=100.0, roff=1e15, vt=0.5)
    per = 2e-8
    p1 = Pulse(0, 1, 0, 1e-10, 1e-10, 0.8e-8, per)
    p2 = Pulse(0, 1, 1e-8, 1e-10, 1e-10, 0.8e-8, per)
    ckt = circuit(VSource("vin", "in", "0", Dc(vin)), VSource("c1", "ph1", "0", p1),
                  VSource("c2", "ph2", "0", p2),
                  Switch("s1", "in", "a", "ph1", "0", m), Switch("s2", "b", "0", "ph1", "0", m),
                  Switch("s3", "a", "0", "ph2", "0", m), Switch("s4", "b", "vg", "ph2", "0", m),
                  Resistor("rdc", "vg", "out", 1e15),
                  Capacitor("cs", "a", "b", cs), Capacitor("cf", "vg", "out", cf),
                  Capacitor("cp", "vg", "0", cp), Vcvs("e", "out", "0", "0", "vg", gain),
                  tran=Tran(1e-10, 3 * per))
    res = simulate(ckt, probes=["out"], at=[per * (k + 1) - 1e-9 for k in range(3)])
    beta = (cs / cf) / (1 + (1 + (cs + cp) / cf) / gain)
    lam = (cp + cf * (1 + gain)) / (cs + cp + cf * (1 + gain))
    out, expect = 0.0, []
    for _ in range(3):
        out = lam * out + beta * vin
        expect.append(out)
    # rdc (1e15 ohm DC path for the virtual ground) leaks ~1e-12 V over the run
    np.testing.assert_allclose(res.v["out"][0], expect, atol=1e-9)


def test_simulate_errors():
    ckt = clocked_sharing()
    with pytest.raises(InputError, match="non-finite"):
        simulate(ckt, sweep={"va": [0.0, np.inf]})
    with pytest.raises(InputError, match="equal lengths"):
        simulate(ckt, sweep={"va": [0.0, 1.0], "vb": [0.0]})
    with pytest.raises(ParameterError, match="p1"):
        simulate(ckt, sweep={"p1": [0.0]})
    with pytest.raises(ParameterError, match="nowhere"):
        simulate(ckt, probes=["nowhere"])
    with pytest.raises(InputError, match="output times"):
        simulate(ckt, at=[-1e-9])
    no_tran = circuit(VSource("v", "in", "0", Dc(1.0)), Resistor("r", "in", "0", 1e3))
    with pytest.raises(SimulationError, match=r"\.tran"):
        simulate(no_tran)
    m = model()
    internal = circuit(VSource("v", "in", "0", Dc(1.0)), Resistor("r", "in", "mid", 1e3),
                       Resistor("r2", "mid", "0", 1e3), Switch("sx", "in", "o", "mid", "0", m),
                       Capacitor("c", "o", "0", 1e-12), tran=Tran(1e-9, 1e-8))
    with pytest.raises(SimulationError, match="'sx'.*independent source"):
        simulate(internal)
    floating = circuit(VSource("v", "in", "0", Dc(1.0)), Resistor("r", "in", "mid", 1e3),
                       Capacitor("c", "mid", "top", 1e-12), Capacitor("c2", "top", "0", 1e-12),
                       tran=Tran(1e-9, 1e-8))
    with pytest.raises(SimulationError, match="node 'top' has no DC path to ground"):
        simulate(floating)


def test_current_ramp_into_capacitor():
    """PWL current 0 -> I0 over T into C: v = I0·t²/(2·T·C), then I0·(t − T/2)/C."""
    from engine_circuits import ISource
    i0, t_ramp, c = 2e-6, 4e-9, 1e-12
    # the source pushes current out of 'top' into ground, so drive it from ground to top
    ckt = circuit(ISource("ir", "0", "top", Pwl((0.0, t_ramp), (0.0, i0))),
                  Capacitor("c", "top", "0", c), Resistor("rdc", "top", "0", 1e18),
                  tran=Tran(1e-10, 8e-9))
    ts = np.array([1e-9, 2.5e-9, 4e-9, 6e-9, 8e-9])
    res = simulate(ckt, at=ts)
    exact = np.where(ts <= t_ramp, i0 * ts**2 / (2 * t_ramp * c), i0 * (ts - t_ramp / 2) / c)
    np.testing.assert_allclose(res.v["top"][0], exact, rtol=1e-9)


def test_zero_rise_time_uses_tstep_like_ngspice():
    """PULSE with tr = 0: ngspice ramps over TSTEP; the source is at mid-swing half a TSTEP
    after the delay."""
    ckt = circuit(VSource("v", "in", "0", Pulse(0.0, 1.0, 1e-9, 0.0, 0.0, 5e-9, 0.0)),
                  Resistor("r", "in", "0", 1e3), tran=Tran(2e-10, 3e-9))
    res = simulate(ckt, probes=["in"], at=[1e-9, 1.1e-9, 1.2e-9, 2e-9])
    np.testing.assert_allclose(res.v["in"][0], [0.0, 0.5, 1.0, 1.0], atol=1e-12)


def test_output_times_equal_up_to_rounding_are_one_phase_end():
    """Two requested times that differ by float rounding give one output, never a zero column."""
    from dgcq_sim.netlist import load_netlist
    from dgcq_sim.paths import bundled_netlist
    c = load_netlist(bundled_netlist("xval_two_clocks"))
    t1 = 1.578e-08
    r = simulate(c, probes=["in"], at=[t1, np.nextafter(t1, 1.0), 2e-8])
    assert r.t.size == 2
    ref = simulate(c, probes=["in"], at=[t1, 2e-8])
    np.testing.assert_array_equal(r.v["in"], ref.v["in"])
    assert np.all(r.v["in"] != 0.0)
