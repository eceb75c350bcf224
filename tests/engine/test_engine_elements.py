"""Engine against closed forms: L (RL time constant, LC period with UIC), G/F/H gains in
resistive networks, .ic with and without UIC, switch ON initial state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dgcq_sim.engine import simulate
from dgcq_sim.netlist import parse_netlist


def test_rl_time_constant():
    c = parse_netlist("rl\nV1 in 0 PULSE(0 1 0 1f 1f 1 2)\nR1 in a 1k\nL1 a 0 1m\n.tran 1n 5u\n")
    t = np.linspace(0.1e-6, 5e-6, 50)
    v = simulate(c, at=t).v["a"][0]
    assert np.max(np.abs(v - np.exp(-t / 1e-6))) < 1e-9


@pytest.mark.parametrize("periods", [1, 5])
def test_lc_oscillation_period_with_uic(periods):
    lv, cv = 1e-6, 1e-9
    period = 2 * math.pi * math.sqrt(lv * cv)
    c = parse_netlist(f"lc\nL1 a 0 {lv}\nC1 a 0 {cv} ic=1\nR1 a 0 1e15\n.tran 1n {periods * period} uic\n")
    t = np.linspace(0, periods * period, 16 * periods + 1)
    v = simulate(c, at=t).v["a"][0]
    assert np.max(np.abs(v - np.cos(2 * math.pi * t / period))) < 1e-9
    # one phase spanning every period (no output inside): the map's error for an undamped
    # mode grows like (wT)^3 / 2^40 (BE + Richardson, 2^20 steps): 6e-8 at 5 periods
    end = simulate(c, at=[0.0, periods * period]).v["a"][0][-1]
    assert end == pytest.approx(1.0, abs=1e-9 * (2 * math.pi * periods) ** 3 / 30)


def test_inductor_initial_current_with_uic():
    lv, cv = 1e-6, 1e-9
    w = 1 / math.sqrt(lv * cv)
    c = parse_netlist(f"lc\nL1 a 0 {lv} ic=1m\nC1 a 0 {cv}\n.tran 1n 1u uic\n")
    t = np.linspace(0, 1e-6, 21)
    v = simulate(c, at=t).v["a"][0]
    # the current 1 mA flows from a through L1 to ground, discharging C1: v = -i0/(wC) sin(wt)
    assert np.max(np.abs(v + 1e-3 / (w * cv) * np.sin(w * t))) < 1e-9


def test_controlled_sources_in_a_resistive_network():
    c = parse_netlist("gfh\nV1 in 0 2\nR1 in a 1k\nRa a 0 1k\nG1 0 b a 0 1m\nRb b 0 2k\n"
                      "Vs b c 0\nRc c 0 1k\nF1 0 d Vs 3\nRd d 0 500\nH1 e 0 Vs 200\nRe e 0 1k\n"
                      ".tran 1n 10n\n")
    v = {k: x[0][-1] for k, x in simulate(c, at=[10e-9]).v.items()}
    va = 1.0
    ib = 1e-3 * va                                # G drives 1 mA into b (from 0 to b)
    vb = ib * (2e3 * 1e3 / 3e3)                   # into Rb || Rc
    i_vs = vb / 1e3                               # through Vs from b to c
    assert v["a"] == pytest.approx(va, rel=1e-12)
    assert v["b"] == pytest.approx(vb, rel=1e-9)
    assert v["d"] == pytest.approx(3 * i_vs * 500, rel=1e-9)
    assert v["e"] == pytest.approx(200 * i_vs, rel=1e-9)


def test_ic_holds_the_node_during_the_operating_point_only():
    c = parse_netlist("ic\nV1 in 0 1\nR1 in a 1k\nC1 a 0 1n\n.ic v(a)=0.2\n.tran 1n 3u\n")
    t = np.array([0.0, 1e-6, 3e-6])
    v = simulate(c, at=t).v["a"][0]
    assert np.max(np.abs(v - (1 - 0.8 * np.exp(-t / 1e-6)))) < 1e-9


def test_uic_capacitor_voltages_from_ic_and_dot_ic():
    # C1 from .ic v(a) (0.2 V), C2 from its own ic= (0.3 V across a-b): both discharge
    c = parse_netlist("ic\nR1 a 0 1k\nC1 a 0 1n\nC2 a b 1n ic=0.3\nR2 b 0 1meg\n"
                      ".ic v(a)=0.2 v(b)=5\n.tran 1n 3u uic\n")
    r = simulate(c, at=[0.0, 1e-9])
    assert r.v["a"][0][0] == pytest.approx(0.2, abs=1e-9)
    assert r.v["b"][0][0] == pytest.approx(0.2 - 0.3, abs=1e-9)


def test_switch_on_keyword_sets_the_state_inside_the_hysteresis_band():
    text = ("on\nVc c 0 0.5\nV1 in 0 1\nS1 in a c 0 sm{}\nR1 a 0 1k\nC1 a 0 1p\n"
            ".model sm SW(RON=10 ROFF=1g VT=0.5 VH=0.2)\n.tran 1n 100n\n")
    on = simulate(parse_netlist(text.format(" ON")), at=[100e-9]).v["a"][0][-1]
    off = simulate(parse_netlist(text.format("")), at=[100e-9]).v["a"][0][-1]
    assert on == pytest.approx(1000 / 1010, rel=1e-9) and off == pytest.approx(1000 / (1e9 + 1e3), rel=1e-6)


def test_flattened_subcircuit_simulates_like_the_written_out_circuit():
    sub = parse_netlist("s\n.subckt rc a b params: r=1k\nR1 a m {r}\nC1 m b 1p\n.ends\n"
                        "V1 in 0 PULSE(0 1 1n 10p 10p 5n 10n)\nX1 in 0 rc r=2k\n.tran 10p 10n\n")
    flat = parse_netlist("f\nV1 in 0 PULSE(0 1 1n 10p 10p 5n 10n)\nR1 in m 2k\nC1 m 0 1p\n.tran 10p 10n\n")
    t = [2e-9, 6e-9, 10e-9]
    assert np.array_equal(simulate(sub, at=t).v["x1.m"], simulate(flat, at=t).v["m"])
