"""Engine vs ngspice for L, G, F, H, .ic, UIC, switch ON and subcircuits (100 uV)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dgcq_sim.engine import simulate
from dgcq_sim.netlist import parse_netlist
from dgcq_sim.spice import ngspice_tran

pytestmark = pytest.mark.ngspice

TOL = 100e-6
LC_T = 2 * math.pi * math.sqrt(1e-6 * 1e-9)

CASES = {
    "lc_uic": (f"lc\nL1 a 0 1u\nC1 a 0 1n ic=1\nR1 a 0 1g\n.tran 1n {3 * LC_T} uic\n",
               np.linspace(LC_T / 7, 3 * LC_T, 30), ["a"]),
    "rl_step": ("rl\nV1 in 0 PULSE(0 1 10n 1n 1n 5u 10u)\nR1 in a 1k\nL1 a 0 1m\n.tran 1n 4u\n",
                np.linspace(0.5e-6, 4e-6, 20), ["a"]),
    "gfh": ("gfh\nV1 in 0 PULSE(0 1 10n 1n 1n 5u 10u)\nR1 in a 1k\nRa a 0 1k\nG1 0 b a 0 1m\n"
            "Rb b 0 2k\nVs b c 0\nRc c 0 1k\nF1 0 d Vs 3\nRd d 0 500\nH1 e 0 Vs 200\nRe e 0 1k\n"
            "Ce e 0 1p\nCd d 0 1p\n.tran 1n 1u\n", np.array([5e-9, 0.3e-6, 1e-6]), ["a", "b", "d", "e"]),
    "subckt": ("sub\n.subckt rc a b params: r=1k\nR1 a m {r}\nC1 m b 1p\n.ends\n"
               "V1 in 0 PULSE(0 1 1n 10p 10p 5n 10n)\nX1 in 0 rc r=2k\nX2 in 0 rc\n.tran 10p 10n\n",
               np.array([1e-9, 6.01e-9, 10e-9]), ["x1.m", "x2.m"]),
    "ic": ("ic\nV1 in 0 1\nR1 in a 1k\nC1 a 0 1n\n.ic v(a)=0.2\n.tran 1n 3u\n",
           np.array([0.5e-6, 1e-6, 3e-6]), ["a"]),
    "ic_uic": ("ic\nV1 in 0 1\nR1 in a 1k\nC1 a 0 1n\nC2 a b 1n ic=0.3\nR2 b 0 1k\n.ic v(a)=0.2\n"
               ".tran 1n 3u uic\n", np.array([0.5e-6, 1e-6, 3e-6]), ["a", "b"]),
    "switch_on": ("on\nVc c 0 0.5\nV1 in 0 1\nS1 in a c 0 sm ON\nR1 a 0 1k\nC1 a 0 1p\n"
                  ".model sm SW(RON=10 ROFF=1g VT=0.5 VH=0.2)\n.tran 1n 100n\n",
                  np.array([50e-9, 100e-9]), ["a"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_ngspice(name):
    text, times, nodes = CASES[name]
    c = parse_netlist(text)
    ng = ngspice_tran(c, times, nodes=nodes)
    res = simulate(c, at=times, probes=nodes)
    err = max(float(np.max(np.abs(res.v[n][0] - ng.v[n]))) for n in nodes)
    assert err <= TOL, f"{name}: max |engine - ngspice| = {err * 1e6:.3f} uV"
    assert max(float(np.max(np.abs(ng.v[n]))) for n in nodes) > 1e-3     # not a trivial 0 = 0


HIERARCHICAL = """hierarchical deck, run by ngspice as written
.param rr=2k
.subckt cell a b c params: ron=10
S1 a m c 0 smod
Rm m b {rr}
Cm m b 1p
.model smod sw(ron={ron} roff=1g vt=0.5)
X9 m b inner
.ends
.subckt inner p q
L1 p k 1u
Rk k q 500
.ends
V1 in 0 DC 1
Vc c 0 PULSE(0 1 1n 10p 10p 3n 10n)
X1 in 0 c cell
X2 in 0 c cell ron=100
.tran 10p 10n
"""


def test_subcircuit_deck_as_ngspice_runs_it():
    """ngspice flattens the deck itself: same node names, same voltages."""
    from dgcq_sim.spice import DEFAULT_OPTIONS, run_netlist

    c = parse_netlist(HIERARCHICAL)
    tr = run_netlist(HIERARCHICAL.replace(".tran 10p 10n", f".tran 10p 10n 0 0.5p\n.options {DEFAULT_OPTIONS}"))
    times = np.array([1e-9, 4.0e-9, 8e-9, 10e-9])       # flat ends of the clock
    res = simulate(c, at=times)
    for node in ("x1.m", "x2.m", "x1.x9.k", "x2.x9.k"):
        err = float(np.max(np.abs(res.v[node][0] - np.interp(times, tr.t, tr.v[node]))))
        assert err <= TOL, f"{node}: max |engine - ngspice| = {err * 1e6:.3f} uV"
