"""Time-stepped phases of circuits with B sources: the slew closed form, the saturation
clamp, the DC operating point, the error allowance, and typed errors."""

import numpy as np
import pytest

from dgcq_sim.engine import Phase, compile_program, simulate
from dgcq_sim.engine.nonlinear import is_nonlinear
from dgcq_sim.engine.nonlinear_tran import simulate_nonlinear
from dgcq_sim.errors import SimulationError
from dgcq_sim.netlist import parse_netlist

# a one-pole op-amp follower (GBW = AOL/(2 pi R C) = 1.6 GHz) whose pole capacitor is
# charged by a current clamped to SR*C (the bundled op-amp's slew model) and a clamp
# B source after it (saturation)
FOLLOWER = """slew-limited follower
.param SR=1e9 C=100p AOL=1000 ISR={SR*C} VSTEP=1
vin in 0 PULSE(0 {VSTEP} 1n 1f 1f 10n 20n)
eamp opa 0 in opb {AOL}
rgbw opa opb 1k
bsr opa opb I = max(min(V(opa,opb)/1k, ISR), -ISR) - V(opa,opb)/1k
cgbw opb 0 {C}
bsat y 0 V = max(min(V(opb), 0.8), 0.2)
ry y 0 1k
.tran 1p 4n
.end
"""


def follower(**params):
    return parse_netlist(FOLLOWER, params=params or None)


@pytest.mark.parametrize("sr, vstep", [(1e9, 1.0), (2.5e9, 1.0), (0.5e9, 0.6)])
def test_a_step_slews_at_sr_then_settles_linearly(sr, vstep):
    """While slewing, v(opb) = SR*(t - t0) exactly (the clamped current into C); the slew
    takes (vstep - SR*tau)/SR (the op-amp leaves the clamp once the linear current
    AOL*(vin - v)/R falls to SR*C, i.e. at vin - v = SR*tau, tau = R*C/AOL), then the
    remainder settles with tau."""
    c = follower(SR=sr, VSTEP=vstep)
    t0 = 1e-9                                # the input steps within 1 fs
    tau = 1e3 * 100e-12 / 1000               # R*C/AOL = 100 ps (closed loop, AOL >> 1)
    t_slew = (vstep - sr * tau) / sr
    during = t0 + np.array([0.1, 0.5, 0.9]) * t_slew
    after = t0 + t_slew + np.array([1, 3, 6]) * tau
    r = simulate(c, probes=["opb"], at=np.concatenate([during, after]))
    v = r.v["opb"][0]
    assert np.abs(v[:3] - sr * (during - t0)).max() < 2e-5
    # after the slew: v = vfinal - SR*tau*exp(-(t - t_end)/tau), vfinal = AOL/(AOL+1)*vstep
    vfinal = 1000 / 1001 * vstep
    tau_cl = tau * 1000 / 1001
    expected = vfinal - (vfinal - sr * t_slew) * np.exp(-(after - t0 - t_slew) / tau_cl)
    assert np.abs(v[3:] - expected).max() < 2e-3 * vstep
    # the time to reach half the step is vstep/(2 SR): pure slewing
    t_half = t0 + 0.5 * vstep / sr
    assert simulate(c, probes=["opb"], at=[t_half]).v["opb"][0, 0] == \
        pytest.approx(0.5 * vstep, abs=2e-5)


def test_saturation_clamps_at_the_rails_and_follows_in_between():
    c = follower(SR=1e12)                    # fast enough to be a plain follower
    t = np.array([1.05e-9, 1.15e-9, 1.5e-9, 3e-9])
    r = simulate(c, probes=["opb", "y"], at=t)
    opb, y = r.v["opb"][0], r.v["y"][0]
    assert np.abs(np.clip(opb, 0.2, 0.8) - y).max() < 1e-9      # the clamp (y from the step's end)
    assert y[-1] == 0.8 and opb[-1] > 0.99


def test_dc_operating_point_solves_the_b_equations():
    c = parse_netlist("t\nv1 a 0 DC 0.9\nr1 a 0 1k\nb1 y 0 V={max(min(V(a), 0.8), 0.2)}\n"
                      "r2 y z 1k\nc2 z 0 1p\nb2 0 w I={1m*V(y)}\nr3 w 0 1k\n.tran 1p 1n\n")
    r = simulate(c, probes=["y", "z", "w"], at=[0.0, 1e-9])
    assert r.v["y"][0, 0] == 0.8 and r.v["z"][0, 0] == pytest.approx(0.8, abs=1e-12)
    assert r.v["w"][0, 0] == pytest.approx(0.8, rel=1e-12)


def test_an_algebraic_loop_through_a_b_source_is_solved():
    # y = 1 - 2*y  ->  y = 1/3 (Newton on the B equations, no capacitor in the loop)
    c = parse_netlist("t\nb1 y 0 V={1 - 2*V(y)}\nr1 y 0 1k\nc1 y 0 1p\n.tran 1p 1n\n")
    assert simulate(c, probes=["y"], at=[1e-9]).v["y"][0, 0] == pytest.approx(1 / 3, rel=1e-12)


def test_equations_without_a_solution_are_a_simulation_error():
    c = parse_netlist("t\nb1 y 0 V={abs(V(y)) + 1}\nr1 y 0 1k\n.tran 1p 1n\n")
    with pytest.raises(SimulationError, match="did not converge"):
        simulate(c, probes=["y"], at=[1e-9])


def test_the_error_allowance_bounds_the_difference_to_a_tighter_run():
    c = follower(SR=1e9)
    t = np.linspace(0.5e-9, 4e-9, 15)
    ref = simulate_nonlinear(c, probes=["opb"], at=t, tol=1e-6).v["opb"][0]
    for tol in (1e-3, 1e-4):
        got = simulate_nonlinear(c, probes=["opb"], at=t, tol=tol).v["opb"][0]
        assert np.abs(got - ref).max() < tol
    coarse = simulate_nonlinear(c, probes=["opb"], at=t, tol=1e-2).v["opb"][0]
    assert np.abs(coarse - ref).max() > 1e-6       # the allowance is what limits it


def test_a_sweep_gives_each_sample_its_own_slew():
    c = parse_netlist(FOLLOWER.replace("PULSE(0 {VSTEP} 1n 1f 1f 10n 20n)", "DC 0")
                      .replace(".tran 1p 4n", ".tran 1p 4n") + "")
    amps = np.array([0.0, 0.25, 0.5])
    r = simulate(c, probes=["opb"], at=[1e-9], sweep={"vin": amps})
    # DC start at the swept value, the follower gain AOL/(AOL+1)
    assert np.allclose(r.v["opb"][:, 0], amps * 1000 / 1001, atol=1e-9)


def test_linear_circuits_keep_the_exact_maps_and_b_circuits_have_none():
    lin = parse_netlist("t\nv1 a 0 DC 1\nr1 a b 1k\nc1 b 0 1p\n.tran 1p 1n\n")
    assert not is_nonlinear(lin)
    compile_program(lin, [Phase(1e-9)], ["v1"], ["b"])
    c = follower()
    assert is_nonlinear(c)
    with pytest.raises(SimulationError, match="B .behavioural. sources"):
        compile_program(c, [Phase(1e-9)], ["vin"], ["opb"])


def test_unsupported_combinations_are_named():
    uic = parse_netlist(FOLLOWER.replace(".tran 1p 4n", ".tran 1p 4n uic"))
    with pytest.raises(SimulationError, match="UIC"):
        simulate(uic)
    sine = parse_netlist(FOLLOWER.replace("PULSE(0 {VSTEP} 1n 1f 1f 10n 20n)",
                                          "SIN(0 0.1 1g)"))
    with pytest.raises(SimulationError, match="SIN/EXP/SFFM"):
        simulate(sine)
