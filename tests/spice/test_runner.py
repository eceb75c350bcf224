"""The ngspice runner against closed forms, and its error reporting.

These run ngspice on the bundled cross-validation netlists and compare with hand-derived
solutions, so they check the runner (options, forced breakpoints, sampling at requested
times) independently of our engine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dgcq_sim.errors import SpiceError
from dgcq_sim.spice import flat_end_times, ngspice_tran, run_netlist

from xval_helpers import xval_circuit

pytestmark = pytest.mark.ngspice

TOL = 20e-6   # V: closed form vs ngspice; the closed forms neglect only ROFF paths (< 1 uV)


def _on_interval(td, tedge, pw, k, per):
    """On-time of a switch driven by PULSE(0 1 td tedge tedge pw per) with VT = 0.5, VH = 0."""
    start = td + k * per + tedge / 2
    return start, start + tedge / 2 + pw + tedge / 2


def test_incomplete_settling_matches_the_exponential():
    c = xval_circuit("xval_settling")
    p = c.params
    vin, ron, c1 = p["vin"], p["ron"], p["c1"]
    # DC operating point: all switches off, in -ROFF- x -ROFF- y -ROFF- 0
    x0 = vin * 2 / 3
    on, off = _on_interval(0.5e-9, p["tedge"], p["tpw1"], 0, p["tclk"])
    want = vin + (x0 - vin) * math.exp(-(off - on) / (ron * c1))
    res = ngspice_tran(c, [5.5e-9], nodes=["x"])
    got = res.v["x"][0]
    assert abs(got - want) < TOL, f"x = {got!r} V, closed form {want!r} V, |diff| = {abs(got-want):.3g} V"


def test_droop_matches_the_rc_plus_current_solution():
    c = xval_circuit("xval_droop")
    p = c.params
    vin, ron, r, ch, i = p["vin"], p["ron"], p["rleak"], p["ch"], p["ileak"]
    # while sampling (settled, RON*CH = 10 ps << 3 ns): Thevenin of vin/RON, RLEAK, ILEAK
    v0 = (vin / ron - i) / (1 / ron + 1 / r)
    _, t_open = _on_interval(1e-9, p["tedge"], p["tpw"], 0, p["tclk"])
    t_next = 1e-9 + p["tclk"]                       # next sampling edge starts
    times = np.array([t_next - 20e-9, t_next])
    want = -i * r + (v0 + i * r) * np.exp(-(times - t_open) / (r * ch))
    got = ngspice_tran(c, times, nodes=["h"]).v["h"]
    err = np.max(np.abs(got - want))
    assert err < TOL, f"droop: ngspice {got} V, closed form {want} V, max |diff| {err:.3g} V"
    assert want[0] - want[1] > 10e-3                 # the droop itself is large (mV), not noise


def test_cdac_top_plate_follows_charge_redistribution():
    c = xval_circuit("xval_cdac5")
    p = c.params
    cu, cpt, vin, vref = p["cu"], p["cpt"], p["vin"], p["vref"]
    ct = 32 * cu
    # bits at the end of each trial (just before the next trial's edge), MSB first; see netlist
    trials = {6e-9: [1, 0, 0, 0, 0], 9e-9: [0, 1, 0, 0, 0], 12e-9: [0, 1, 1, 0, 0],
              15e-9: [0, 1, 0, 1, 0], 18e-9: [0, 1, 0, 0, 1]}
    times = np.array(sorted(trials))
    want = np.array([(sum(b * w * cu for b, w in zip(trials[t], (16, 8, 4, 2, 1))) * vref
                      - ct * vin) / (ct + cpt) for t in times])
    got = ngspice_tran(c, times, nodes=["top"]).v["top"]
    err = np.max(np.abs(got - want))
    assert err < TOL, f"top plate: ngspice {got} V, closed form {want} V, max |diff| {err:.3g} V"


def test_charge_sharing_recursion_with_leakage():
    c = xval_circuit("xval_charge_share")
    p = c.params
    vs, cs, ca, cp, r = p["vs"], p["cs"], p["ca"], p["cp"], p["rleak"]
    roff = p["roff"]
    # DC point, all off: in -ROFF- s -ROFF- acc -RLEAK- 0
    acc = vs * r / (2 * roff + r)
    s = vs * (roff + r) / (2 * roff + r)
    t = 0.0
    want, times = [], []
    for k in range(8):
        on1, off1 = _on_interval(0.5e-9, p["tedge"], p["tpw"], k, p["tclk"])
        on2, off2 = _on_interval(5.5e-9, p["tedge"], p["tpw"], k, p["tclk"])
        acc *= math.exp(-(on2 - t) / (r * ca))        # acc alone, leaking
        s = vs                                         # settled on the input (tau = 10 ps)
        ctot = ca + cs + cp
        acc = s = (ca * acc + (cs + cp) * s) / ctot    # fast charge sharing (tau ~ 8 ps)
        acc *= math.exp(-(off2 - on2) / (r * ctot))    # shared, leaking
        t = off2
        t_obs = 10.5e-9 + k * p["tclk"]                # before the next phi1 edge
        times.append(min(t_obs, c.tran.tstop))
        want.append(acc * math.exp(-(times[-1] - t) / (r * ca)))
    got = ngspice_tran(c, times, nodes=["acc"]).v["acc"]
    err = np.max(np.abs(got - np.array(want)))
    assert err < TOL, f"acc: ngspice {got} V, recursion {want} V, max |diff| {err:.3g} V"


def test_flat_end_times_are_ngspice_time_points():
    c = xval_circuit("xval_settling")
    times = flat_end_times(c)
    res = ngspice_tran(c, times)
    for t in times:
        assert np.min(np.abs(res.traces.t - t)) < 1e-18, f"no ngspice time point at {t!r} s"


def test_flat_end_times_of_a_two_phase_clock():
    c = xval_circuit("xval_settling")
    want = [0.0] + sorted([0.5e-9 + k * 10e-9 for k in range(4)] + [0.5e-9 + 4.05e-9 + k * 10e-9 for k in range(4)]
                          + [5.5e-9 + k * 10e-9 for k in range(4)] + [5.5e-9 + 1.55e-9 + k * 10e-9 for k in range(4)]) + [40e-9]
    assert np.allclose(flat_end_times(c), want, rtol=0, atol=1e-18)


def test_broken_netlist_raises_spice_error_with_ngspice_message():
    text = "broken\nv1 in 0 DC 1\nr1 in out 1k\ns1 out 0 in 0 nomodel\n.tran 1p 1n\n.end\n"
    with pytest.raises(SpiceError, match="nomodel"):
        run_netlist(text)


def test_missing_ngspice_raises_spice_error_naming_the_fix(monkeypatch):
    monkeypatch.setenv("DGCQ_NGSPICE", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SpiceError, match="apt-get install ngspice"):
        run_netlist("t\nr1 a 0 1\n.tran 1p 1n\n.end\n")
