"""B sources against ngspice: the slew-limited, clamped follower of tests/engine (the
bundled op-amp's slew and saturation cards) on the same exported netlist, within 200 uV;
a 2 % slower slew rate is seen (negative control)."""

import numpy as np
import pytest

from dgcq_sim.engine import simulate
from dgcq_sim.netlist import parse_netlist
from dgcq_sim.spice import ngspice_tran, to_spice

from tests.engine.test_nonlinear import FOLLOWER

TOL = 200e-6
NODES = ["opb", "y"]


def deviation(c_engine, c_ngspice, t):
    eng = simulate(c_engine, probes=NODES, at=t)
    ng = ngspice_tran(c_ngspice, t, nodes=NODES, tmax=c_ngspice.tran.tstop / 20000)
    return max(float(np.abs(eng.v[n][0] - ng.v[n]).max()) for n in NODES)


@pytest.mark.ngspice
@pytest.mark.parametrize("sr", [0.5e9, 1e9, 3e9])
def test_slew_and_clamp_match_ngspice(sr):
    c = parse_netlist(FOLLOWER, params={"SR": sr})
    t = np.linspace(0.2e-9, 4e-9, 39)
    # the exported text reads back to the same B programs (ngspice gets what we simulate)
    again = parse_netlist(to_spice(c))
    assert again.element("bsr").expr.ops == c.element("bsr").expr.ops
    dev = deviation(c, c, t)
    print(f"SR = {sr:g} V/s: max |engine - ngspice| = {dev * 1e6:.2f} uV")
    assert dev < TOL


@pytest.mark.ngspice
def test_the_tolerance_sees_a_two_percent_slew_error():
    t = np.linspace(0.2e-9, 4e-9, 39)
    c = parse_netlist(FOLLOWER, params={"SR": 1e9})
    slower = parse_netlist(FOLLOWER, params={"SR": 0.98e9})
    assert deviation(c, slower, t) > TOL
