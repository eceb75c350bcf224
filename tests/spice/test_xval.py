"""Engine vs ngspice on the six cross-validation circuits (dgcq_sim/netlists/xval_*.cir).

Comparison times: the end of every flat stretch of the sources (each phase end just before
the next clock or control edge, plus t = 0 and tstop) for every node that holds circuit
state; source-driven nodes (clocks, bit controls) at the middle of every flat stretch (see
dgcq_sim.spice.flat_mid_times for why).  Tolerance: 100 uV on a 1 V scale.
"""

from __future__ import annotations

import numpy as np
import pytest

from dgcq_sim.engine import simulate
from dgcq_sim.spice import flat_end_times, flat_mid_times, ngspice_tran, source_driven_nodes

from xval_helpers import XVAL, xval_circuit

pytestmark = pytest.mark.ngspice

TOL = 100e-6   # V, engine vs ngspice, on 1 V signals


def _compare(engine_circuit, spice_circuit):
    """Max |engine - ngspice| over all nodes and comparison times, with where it occurred."""
    ends, mids = flat_end_times(spice_circuit), flat_mid_times(spice_circuit)
    times = np.unique(np.concatenate([ends, mids]))
    ng = ngspice_tran(spice_circuit, times)
    res = simulate(engine_circuit, at=times)
    assert np.allclose(res.t, times, rtol=0, atol=1e-21)
    driven = source_driven_nodes(spice_circuit)
    worst = (0.0, "", 0.0)
    compared = 0
    for node, v_ng in ng.v.items():
        sel = np.isin(times, mids) if node in driven else np.isin(times, ends)
        diff = np.abs(res.v[node][0] - v_ng)[sel]
        compared += diff.size
        k = int(np.argmax(diff))
        if diff[k] > worst[0]:
            worst = (float(diff[k]), node, float(times[sel][k]))
    return worst, compared, ng, res


@pytest.mark.parametrize("name", XVAL)
def test_engine_agrees_with_ngspice(name):
    c = xval_circuit(name)
    (err, node, t), compared, ng, res = _compare(c, c)
    assert compared >= 10
    assert err <= TOL, (f"{name}: max |engine - ngspice| = {err * 1e6:.2f} uV at node {node!r}, "
                        f"t = {t * 1e9:.4g} ns (tolerance {TOL * 1e6:.0f} uV)")


@pytest.mark.parametrize("gain", [100.0, 1000.0])
def test_sc_integrator_finite_gain_agrees_with_ngspice(gain):
    c = xval_circuit("xval_sc_integrator", a=gain)
    (err, node, t), _, ng, res = _compare(c, c)
    assert err <= TOL, (f"A = {gain:g}: max |engine - ngspice| = {err * 1e6:.2f} uV at node "
                        f"{node!r}, t = {t * 1e9:.4g} ns (tolerance {TOL * 1e6:.0f} uV)")
    # the finite gain is visible: the ideal (A -> inf) loop ends at 8 * VS/2 - VREF = 0.8 V
    loss = 0.8 - ng.v["out"][-1]
    assert loss > 1e-3, f"out = {ng.v['out'][-1]!r} V: finite gain A = {gain:g} should lose > 1 mV"


@pytest.mark.parametrize("name, param, value", [
    ("xval_sc_integrator", "a", 900.0),        # 10 % op-amp gain error
    ("xval_settling", "ron", 1050.0),          # 5 % switch resistance error
    ("xval_charge_share", "cp", 10e-15),       # parasitic doubled
    ("xval_cdac5", "cpt", 33e-15),             # top-plate parasitic +10 %
])
def test_tolerance_is_tight_enough_to_see_a_small_parameter_error(name, param, value):
    """The 100 uV bar is meaningful: a slightly different circuit fails it."""
    (err, node, t), _, _, _ = _compare(xval_circuit(name, **{param: value}), xval_circuit(name))
    assert err > 2 * TOL, (f"{name} with {param}={value:g} differs from ngspice by only "
                           f"{err * 1e6:.1f} uV: the comparison could not tell them apart")


def test_overridden_decision_sequence_agrees_with_ngspice():
    """The quantizer use: export the analog part for one input and one decision sequence."""
    from dgcq_sim.netlist import Dc, Pwl, parse_netlist
    from dgcq_sim.spice import to_spice

    c = xval_circuit("xval_sc_integrator", a=300)
    # subtract VREF in iterations 3 and 7 (phi2 windows start at 25.5 ns and 65.5 ns)
    t, v = [0.0], [0.0]
    for start in (26e-9, 66e-9):
        t += [start, start + 0.1e-9, start + 4e-9, start + 4.1e-9]
        v += [0.0, 1.0, 1.0, 0.0]
    overrides = {"vdec": Pwl(tuple(t), tuple(v)), "vin": Dc(0.3)}
    exported = parse_netlist(to_spice(c, overrides=overrides), path="<export>")
    ends = flat_end_times(c, overrides=overrides)
    ng = ngspice_tran(c, ends, nodes=["out", "vg"], overrides=overrides)
    res = simulate(exported, probes=["out", "vg"], at=ends)
    err = max(np.max(np.abs(res.v[n][0] - ng.v[n])) for n in ("out", "vg"))
    assert err <= TOL, f"max |engine - ngspice| = {err * 1e6:.2f} uV (tolerance {TOL * 1e6:.0f} uV)"
    # two subtractions of CR/CF * VREF = 1 V from 8 * 0.15 V: about -0.8 V at the end
    assert ng.v["out"][-1] == pytest.approx(8 * 0.15 - 2.0, abs=0.05)


def test_pulse_with_zero_edges_uses_tstep_in_both():
    """PULSE tr = tf = 0 means TSTEP in ngspice; the engine and the comparison times agree."""
    from dgcq_sim.netlist import parse_netlist

    c = parse_netlist("zero-edge clock\nvin in 0 DC 0.7\nvclk clk 0 PULSE(0 1 1n 0 0 2n 5n)\n"
                      "s1 in x clk 0 sw\nc1 x 0 1p\nr1 x 0 1meg\n"
                      ".model sw SW(RON=1k ROFF=1e13 VT=0.5 VH=0)\n.tran 20p 20n\n.end\n")
    ends = flat_end_times(c)
    assert 3.02e-9 == pytest.approx(ends[2], abs=1e-21)     # fall starts after 20 ps rise + 2 ns
    ng = ngspice_tran(c, ends, nodes=["x"])
    res = simulate(c, probes=["x"], at=ends)
    err = np.max(np.abs(res.v["x"][0] - ng.v["x"]))
    assert err <= TOL, f"max |engine - ngspice| = {err * 1e6:.2f} uV (tolerance {TOL * 1e6:.0f} uV)"
