"""compile_program/apply_program against closed forms (charge sharing, RC, SC integrator)."""

import numpy as np
import pytest
from engine_circuits import Capacitor, Dc, ISource, Resistor, Switch, Vcvs, VSource, circuit, model

from dgcq_sim.engine import Phase, apply_program, compile_program
from dgcq_sim.errors import InputError, ParameterError, SimulationError


def run(prog, u, z0=None):
    z0 = prog.initial_state(np.asarray(u, float)[0]) if z0 is None else z0
    return apply_program(prog, z0, u)


def sharing_circuit(c1, c2, cp=0.0, ron=10.0, roff=1e15):
    m = model(ron=ron, roff=roff)
    els = [VSource("va", "in_a", "0", Dc(0.0)), VSource("vb", "in_b", "0", Dc(0.0)),
           Switch("sa", "in_a", "a", "x", "0", m), Switch("sb", "in_b", "b", "x", "0", m),
           Switch("s", "a", "b", "x", "0", m),
           Capacitor("c1", "a", "0", c1), Capacitor("c2", "b", "0", c2)]
    if cp:
        els.append(Capacitor("cp", "b", "0", cp))
    return circuit(*els)


SAMPLE = Phase(1e-8, frozenset({"sa", "sb"}))
SHARE = Phase(1e-8, frozenset({"s"}))


@pytest.mark.parametrize("c1,c2,cp", [(1e-12, 3e-12, 0.0), (2e-13, 5e-13, 7e-14)])
def test_charge_sharing_conserves_charge(c1, c2, cp):
    prog = compile_program(sharing_circuit(c1, c2, cp), [SAMPLE, SHARE], ["va", "vb"], ["a", "b"])
    v1, v2 = 0.9, -0.35
    _, pv = run(prog, [[v1, v2], [0.0, 0.0]])
    expect = (c1 * v1 + (c2 + cp) * v2) / (c1 + c2 + cp)
    assert abs(pv[0, 0, 0] - v1) < 1e-9 and abs(pv[0, 0, 1] - v2) < 1e-9
    assert abs(pv[0, 1, 0] - expect) < 1e-9
    assert abs(pv[0, 1, 1] - expect) < 1e-9


def test_extreme_scales_in_one_circuit():
    """RON 10 ohm, ROFF 1e15 ohm, 0.1 fF and 10 pF: sharing is exact, the held node droops
    exactly as its ROFF leakage says."""
    c1, c2 = 1e-16, 1e-11
    prog = compile_program(sharing_circuit(c1, c2), [SAMPLE, SHARE], ["va", "vb"], ["a", "b"])
    _, pv = run(prog, [[1.0, 0.25], [0.0, 0.0]])
    expect = (c1 * 1.0 + c2 * 0.25) / (c1 + c2)
    # after SHARE, sa/sb are open: a and b leak to the 0 V sources through 2 x ROFF (1e15 ohm)
    # in parallel with their caps; the droop over 10 ns is 5e-12 relative, so exact value:
    tau = 1e15 / 2 * (c1 + c2)
    assert abs(pv[0, 1, 0] - expect * np.exp(-1e-8 / tau)) < 1e-12 * expect
    assert abs(pv[0, 1, 1] - pv[0, 1, 0]) < 1e-12


def test_cap_on_stepping_source_redistributes_charge():
    """Top plate floating, bottom plate on a V source that steps: dV_top = dV·C/(C+Cp)."""
    c, cp, vcm = 1e-13, 2.5e-14, 0.45
    m = model()
    ckt = circuit(VSource("vbot", "bot", "0", Dc(0.0)), VSource("vcm", "cm", "0", Dc(vcm)),
                  Switch("srst", "cm", "top", "x", "0", m),
                  Capacitor("c", "bot", "top", c), Capacitor("cp", "top", "0", cp))
    phases = [Phase(1e-9, frozenset({"srst"})), Phase(1e-9, frozenset()), Phase(1e-9, frozenset())]
    prog = compile_program(ckt, phases, ["vbot"], ["top", ("top", "bot")])
    _, pv = run(prog, [[0.2], [1.0], [-0.3]])
    assert abs(pv[0, 0, 0] - vcm) < 1e-9
    assert abs(pv[0, 1, 0] - (vcm + 0.8 * c / (c + cp))) < 1e-9
    assert abs(pv[0, 2, 0] - (vcm - 0.5 * c / (c + cp))) < 1e-9
    assert abs(pv[0, 2, 1] - (pv[0, 2, 0] + 0.3)) < 1e-12


def test_sar_like_array_reduces_to_top_plate_state():
    """Five caps with source-driven bottom plates: the only memory is the top plate."""
    m = model()
    els = [VSource("vcm", "cm", "0", Dc(0.5)), Switch("srst", "cm", "top", "x", "0", m),
           Capacitor("cp", "top", "0", 3e-15)]
    names = []
    for i, w in enumerate([1, 1, 2, 4, 8]):
        els += [VSource(f"vb{i}", f"b{i}", "0", Dc(0.0)), Capacitor(f"c{i}", f"b{i}", "top", w * 1e-14)]
        names.append(f"vb{i}")
    prog = compile_program(circuit(*els), [Phase(1e-9, frozenset({"srst"}))]
                           + [Phase(1e-9, frozenset())] * 5, names, ["top"])
    assert prog.n_state <= 2
    u = np.zeros((6, 5))
    u[1:, 4] = 1.0       # MSB bottom plate 0 -> 1 V after sampling
    _, pv = run(prog, u)
    ctot = 16e-14 + 3e-15
    assert abs(pv[0, 1, 0] - (0.5 + 8e-14 / ctot)) < 1e-9


@pytest.mark.parametrize("t_over_rc", [3.0, 5.0, 1e-4, 1e4])
def test_rc_settling(t_over_rc):
    r, c = 2.2e3, 0.7e-12
    ckt = circuit(VSource("v", "in", "0", Dc(0.0)), Resistor("r", "in", "o", r),
                  Capacitor("c", "o", "0", c))
    prog = compile_program(ckt, [Phase(t_over_rc * r * c)], ["v"], ["o"])
    z0 = prog.initial_state([0.0])
    _, pv = apply_program(prog, z0, [[1.3]])
    exact = -1.3 * np.expm1(-t_over_rc)
    assert abs(pv[0, 0, 0] - exact) <= 1e-9 * abs(exact)


def test_leakage_droop_resistor_and_current_source():
    """Held cap with a leak resistor and a DC current source: exact exponential droop,
    which for I alone reduces to I·T/C."""
    c, rl, i_leak, v0, t = 1e-13, 1e12, 2e-12, 0.8, 1e-6
    m = model(ron=10.0, roff=1e18)
    ckt = circuit(VSource("vin", "in", "0", Dc(0.0)), Switch("s", "in", "h", "x", "0", m),
                  Capacitor("c", "h", "0", c), Resistor("rl", "h", "0", rl),
                  ISource("il", "h", "0", Dc(i_leak)))
    prog = compile_program(ckt, [Phase(1e-9, frozenset({"s"})), Phase(t, frozenset())], ["vin"], ["h"])
    _, pv = run(prog, [[v0], [v0]])
    # held: h leaks through rl to 0 V, through ROFF towards vin = v0, and loses I
    r_eff = 1.0 / (1.0 / rl + 1.0 / 1e18)
    v_inf = (v0 / 1e18 - i_leak) * r_eff
    # sampled value: node equation through RON = 10 ohm
    v_s = (v0 / 10.0 - i_leak) / (1.0 / 10.0 + 1.0 / rl)
    exact = v_inf + (v_s - v_inf) * np.exp(-t / (r_eff * c))
    assert abs(pv[0, 0, 0] - v_s) < 1e-12
    assert abs(pv[0, 1, 0] - exact) < 1e-9 * abs(v_s - exact)
    # current source only: linear droop I·T/C (leak resistor removed)
    ckt2 = circuit(VSource("vin", "in", "0", Dc(0.0)), Switch("s", "in", "h", "x", "0", m),
                   Capacitor("c", "h", "0", c), ISource("il", "h", "0", Dc(i_leak)))
    prog2 = compile_program(ckt2, [Phase(1e-9, frozenset({"s"})), Phase(t, frozenset())], ["vin"], ["h"])
    _, pv2 = run(prog2, [[v0], [v0]])
    droop = pv2[0, 0, 0] - pv2[0, 1, 0]
    tau = 1e18 * c
    v_s2 = v0 - i_leak * 10.0
    exact_droop = (v_s2 - (v0 - i_leak * 1e18)) * -np.expm1(-t / tau)
    assert abs(droop - i_leak * t / c) < 1e-6 * i_leak * t / c
    assert abs(droop - exact_droop) < 1e-9 * exact_droop


def sc_integrator(gain, cs=1e-13, cf=2e-13, cp=3e-14):
    m = model(ron=100.0, roff=1e15)
    return circuit(VSource("vin", "in", "0", Dc(0.0)),
                   Switch("s1", "in", "a", "x", "0", m), Switch("s2", "b", "0", "x", "0", m),
                   Switch("s3", "a", "0", "x", "0", m), Switch("s4", "b", "vg", "x", "0", m),
                   Switch("srst", "vg", "out", "x", "0", m),
                   Capacitor("cs", "a", "b", cs), Capacitor("cf", "vg", "out", cf),
                   Capacitor("cp", "vg", "0", cp), Vcvs("e", "out", "0", "0", "vg", gain))


@pytest.mark.parametrize("gain", [100.0, 1000.0, 1e6])
def test_sc_integrator_finite_gain(gain):
    """Per cycle out <- λ·out + β·vin with β = (Cs/Cf)/(1+(1+(Cs+Cp)/Cf)/A) and
    λ = (Cp+Cf(1+A))/(Cs+Cp+Cf(1+A)) (charge conservation at the virtual ground)."""
    cs, cf, cp = 1e-13, 2e-13, 3e-14
    ckt = sc_integrator(gain, cs, cf, cp)
    sample, transfer = Phase(2e-8, frozenset({"s1", "s2"})), Phase(2e-8, frozenset({"s3", "s4"}))
    phases = [Phase(2e-8, frozenset({"srst", "s2", "s3"}))] + [sample, transfer] * 4
    prog = compile_program(ckt, phases, ["vin"], ["out"])
    vins = [0.3, 0.5, -0.2, 0.7]
    u = np.array([[0.0]] + [[v] for v in vins for _ in range(2)])
    _, pv = run(prog, u)
    beta = (cs / cf) / (1 + (1 + (cs + cp) / cf) / gain)
    lam = (cp + cf * (1 + gain)) / (cs + cp + cf * (1 + gain))
    out = 0.0
    for i, v in enumerate(vins):
        out = lam * out + beta * v
        assert abs(pv[0, 2 + 2 * i, 0] - out) < 1e-9
        assert abs(pv[0, 1 + 2 * i, 0] - pv[0, 2 * i, 0]) < 1e-9   # sampling holds the output


def test_batch_broadcast_and_shapes():
    prog = compile_program(sharing_circuit(1e-12, 1e-12), [SAMPLE, SHARE], ["va", "vb"], ["a"])
    rng = np.random.default_rng(0)
    u = rng.uniform(-1, 1, (1000, 2, 2))
    z_end, pv = apply_program(prog, prog.initial_state([0, 0]), u)
    assert z_end.shape == (1000, prog.n_state) and pv.shape == (1000, 2, 1)
    np.testing.assert_allclose(pv[:, 1, 0], 0.5 * (u[:, 0, 0] + u[:, 0, 1]), atol=1e-9)
    _, pv1 = apply_program(prog, np.tile(prog.initial_state([0, 0]), (1000, 1)), u[7])
    np.testing.assert_allclose(pv1[:, 1, 0], pv[7, 1, 0], atol=0)


def test_errors_name_the_problem():
    ckt = sharing_circuit(1e-12, 1e-12)
    with pytest.raises(ParameterError, match="vzz"):
        compile_program(ckt, [SAMPLE], ["va", "vzz"], ["a"])
    with pytest.raises(ParameterError, match="nowhere"):
        compile_program(ckt, [SAMPLE], ["va"], ["nowhere"])
    with pytest.raises(ParameterError, match="s9"):
        compile_program(ckt, [Phase(1e-9, frozenset({"s9"}))], ["va"], ["a"])
    with pytest.raises(ParameterError, match="duration"):
        Phase(-1e-9, frozenset())
    with pytest.raises(ParameterError, match="noise_temperature"):
        compile_program(ckt, [SAMPLE], ["va"], ["a"], noise_temperature=-3.0)
    prog = compile_program(ckt, [SAMPLE], ["va", "vb"], ["a"])
    with pytest.raises(InputError, match="non-finite"):
        apply_program(prog, prog.initial_state([0, 0]), [[np.nan, 0.0]])
    with pytest.raises(InputError, match="shape"):
        apply_program(prog, prog.initial_state([0, 0]), [[0.0, 0.0, 1.0]])
    floating = circuit(VSource("v", "in", "0", Dc(1.0)), Resistor("r", "in", "mid", 1e3),
                       Capacitor("c", "mid", "top", 1e-12), Capacitor("c2", "top", "0", 1e-12))
    prog2 = compile_program(floating, [Phase(1e-9)], ["v"], ["top"])
    with pytest.raises(SimulationError, match="node 'top' has no DC path"):
        prog2.initial_state([1.0])


def test_node_voltages_helper_and_const_state():
    """A fixed (non-input) source adds the constant state; node_voltages shows all nodes."""
    c, cp, vcm = 1e-13, 2.5e-14, 0.45
    m = model()
    ckt = circuit(VSource("vbot", "bot", "0", Dc(0.0)), VSource("vcm", "cm", "0", Dc(vcm)),
                  Switch("srst", "cm", "top", "x", "0", m),
                  Capacitor("c", "bot", "top", c), Capacitor("cp", "top", "0", cp))
    prog = compile_program(ckt, [Phase(1e-9, frozenset({"srst"})), Phase(1e-9)], ["vbot"], ["top"])
    assert prog.const_index == prog.n_state - 1
    z0 = prog.initial_state([0.0])
    assert z0[prog.const_index] == 1.0
    v0 = prog.node_voltages(z0, [0.0], 0)
    assert abs(v0["top"] - vcm) < 1e-9 and abs(v0["cm"] - vcm) < 1e-12
    # state at the start of step 1 = after step 0; the bottom plate steps to 1 V in step 1
    z1 = prog.phi[0] @ z0 + prog.gam[0] @ [0.0]
    v1 = prog.node_voltages(z1, [1.0], 1)
    assert abs(v1["top"] - (vcm + c / (c + cp))) < 1e-9 and abs(v1["bot"] - 1.0) < 1e-12
    with pytest.raises(ParameterError, match="switch controls"):
        compile_program(circuit(VSource("vx", "x", "0", Dc(1.0)), *ckt.elements),
                        [Phase(1e-9)], ["vx"], ["top"])


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("temperature", [None, 300.0])
def test_overflowing_phase_is_a_simulation_error(temperature):
    """Positive feedback (a gain-3 VCVS driving the RC's own node through R) makes x grow
    as exp(2t/RC): over 1e3 time constants the map overflows float64, and the run stops
    with a SimulationError naming the phase (no numpy RuntimeWarning on the way, no inf
    passed along)."""
    unstable = circuit(VSource("v", "in", "0", Dc(1.0)), Resistor("r0", "in", "x", 1e6),
                       Resistor("r", "e", "x", 1e3), Capacitor("c", "x", "0", 1e-12),
                       Vcvs("g", "e", "0", "x", "0", 3.0))
    with pytest.raises(SimulationError, match="non-finite phase map.*duration=1e-06"):
        compile_program(unstable, [Phase(1e-6)], ["v"], ["x"], noise_temperature=temperature)
