"""Charge injection (CCH_SW, QINJ, VTH_SW) and clock feedthrough (CGD_SW) of the switches.

Closed form for a switch that opens onto a node of capacitance C_b (sample-and-hold):

    V' = V*(1 + g) - off,   g = QINJ*CCH_SW/C_b,
    off = (CGD_SW*VDD + QINJ*CCH_SW*(VDD - VTH_SW))/C_b

(the channel's share of electrons QINJ*CCH_SW*(VDD - VTH_SW - V) and the gate's VDD fall
through CGD_SW); C_b includes the overlap capacitances that stay on the node.
"""

import numpy as np
import pytest

from dgcq_sim.netlist import Switch
from dgcq_sim.quantizers import load_quantizer
from dgcq_sim.quantizers.behavioral import effective_coarse_coefficients
from dgcq_sim.quantizers.params import DesignParameterError
from dgcq_sim.quantizers.switch_charge import follow_controls

QUIET = {"VOS": 0.0, "VNOISE": 0.0, "TEMP": 0.0, "KC": 0.0, "RON": 10.0, "ROFF": 1e15}
INJ = {"CCH_SW": 3e-15, "CGD_SW": 0.4e-15, "QINJ": 0.3, "VTH_SW": 0.4}


def transitions(q, n: int) -> np.ndarray:
    """Input (V) of every code transition 1..n-1, bisected to ~1e-13 V."""
    lo, hi, k = np.full(n - 1, q.vmin), np.full(n - 1, q.vmax), np.arange(1, n)
    for _ in range(45):
        mid = (lo + hi) / 2
        up = q.convert(mid, noise=False).codes >= k
        hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
    return (lo + hi) / 2


def held(v, cb, cch, cgd, qinj, vth, vdd=1.0):
    g = qinj * cch / cb
    return v * (1 + g) - (cgd * vdd + qinj * cch * (vdd - vth)) / cb


@pytest.mark.parametrize("inj", [INJ, {"CCH_SW": 2e-15}, {"CGD_SW": 1e-15},
                                 {"CCH_SW": 2e-15, "QINJ": 0.8, "VTH_SW": 0.25}])
def test_flash_track_and_hold_matches_the_closed_form(inj):
    """The flash's hold capacitor is a plain track-and-hold: transition k sits where the
    held voltage V' crosses tap k*VREF/16."""
    p = {**{k: v for k, v in QUIET.items() if k != "KC"}, "CPHOLD": 5e-15, **inj}
    q = load_quantizer("flash", p)
    full = {**{"CCH_SW": 0.0, "CGD_SW": 0.0, "QINJ": 0.5, "VTH_SW": 0.35}, **inj}
    cb = 200e-15 + 5e-15 + full["CGD_SW"]        # CH + CPHOLD + ssamp's overlap at hold
    tr = transitions(q, 16)
    taps = np.arange(1, 16) / 16
    got = held(tr, cb, full["CCH_SW"], full["CGD_SW"], full["QINJ"], full["VTH_SW"])
    assert np.abs(got - taps).max() < 1e-9
    # and it is a visible error: the transitions moved by millivolts
    assert np.abs(tr - taps).max() > 1e-3


def test_sar_top_plate_sampling_has_gain_and_offset_error():
    """Top-plate sampling: ssamp opens onto the top plate, whose voltage is the input, so
    the injected charge depends on it: gain 1 + g and offset, to 1e-9 V on every one of
    the 63 transitions of a 6-bit SAR."""
    q = load_quantizer("sar", {**QUIET, "NBITS": 6, "CPTOP": 2e-15, **INJ})
    cu, ct = 1e-15, 64e-15
    cb = ct + 2e-15 + 2 * INJ["CGD_SW"]            # overlap of ssamp and of strst at top
    tr = transitions(q, 64)
    v_held = held(tr, cb, INJ["CCH_SW"], INJ["CGD_SW"], INJ["QINJ"], INJ["VTH_SW"])
    assert np.abs(v_held - np.arange(1, 64) * cu / cb).max() < 1e-9
    gain = np.polyfit(np.arange(1, 64), tr, 1)[0] * 64
    assert gain == pytest.approx(ct / cb / (1 + INJ["QINJ"] * INJ["CCH_SW"] / cb), rel=1e-9)


def test_bottom_plate_sampling_cancels_the_signal_dependent_charge():
    """The coarse integrator samples on CS's bottom plate x (s1x to ground, then to the
    virtual ground): the charge that reaches CF does not depend on the input, so the
    integrator's gain beta (and lam, gamma, delta) is that of the circuit without
    injection, while the top-plate SAR with the same switches loses g = QINJ*CCH/C_b of
    gain (test above).  With every switch sized alike, the constant charges of s1x and s2x
    at 0 V also cancel over a period (s2x's channel forms from what s1x released)."""
    clean = {**QUIET, "RLEAK": 1e18, "ILEAK": 0.0, "AOL": 1e9}
    ref = effective_coarse_coefficients(load_quantizer("coarse", clean))
    for inj in (INJ, {"CCH_SW": 5e-15, "QINJ": 0.9}):
        got = effective_coarse_coefficients(load_quantizer("coarse", {**clean, **inj}))
        for key in ("lam", "beta", "gamma", "delta"):
            assert got[key] == pytest.approx(ref[key], abs=1e-7), (inj, key)
    # the injection is there: within the sample phase the output has moved
    q = load_quantizer("coarse", {**clean, **INJ, "NITER": 3})
    from dgcq_sim.engine import apply_program

    u = q.schedule.source_values(0.3, q.decisions(0.3))
    _, pr = apply_program(q.program, q.program.initial_state(u[0]), u)
    assert abs(pr[0, 2, 0] - pr[0, 1, 0]) > 1e-3        # "sample 2" vs "integrate 1" end


def test_bottom_plate_pipeline_stage_has_offset_only():
    """The pipeline's MDAC samples on the bottom plate too (s<i>g grounds g<i>, then g<i>
    is the virtual ground): every code transition of a 3-stage pipeline moves by the same
    input-referred offset (spread < 1e-8 V, slope 1 to 1e-7), no gain error."""
    p = {**QUIET, "NSTAGES": 3, "AOL": 1e9, "SIGMA_VOS": 0.0}
    ref = transitions(load_quantizer("pipeline", p), 32)
    got = transitions(load_quantizer("pipeline", {**p, **INJ}), 32)
    shift = got - ref
    assert abs(shift.mean()) > 1e-3 and shift.std() < 1e-8
    assert np.polyfit(ref, got, 1)[0] == pytest.approx(1.0, abs=1e-7)


def test_defaults_add_nothing_and_ideal_turns_it_off():
    for name in ("sar", "dgcq", "coarse"):
        q = load_quantizer(name)
        assert q.params["cch_sw"] == 0 and q.params["cgd_sw"] == 0
        assert not [el for el in q.circuit.elements if el.name.startswith(("cpqi", "cpgd"))]
    q = load_quantizer("sar", {"CCH_SW": 1e-15, "CGD_SW": 1e-16})
    assert {"cpqi_ssamp_2", "cpgd_ssamp_2", "sqo_ssamp_2"} <= {el.name for el in q.circuit.elements}
    ideal = load_quantizer("sar", {"CGD_SW": 1e-16}, ideal=True)   # CCH_SW off, CGD_SW kept
    names = {el.name for el in ideal.circuit.elements}
    assert "cpgd_ssamp_2" in names and "cpqi_ssamp_2" not in names


def test_budget_lists_the_switch_charge_items():
    from dgcq_sim.budget import budget_items

    q = load_quantizer("sar", {"CCH_SW": 1e-15, "CGD_SW": 1e-16})
    names = [n for n, _, _ in budget_items(q, {})]
    assert "CCH_SW" in names and "CGD_SW" in names and len(set(names)) == len(names)
    assert not {"CCH_SW", "CGD_SW"} & {n for n, _, _ in budget_items(load_quantizer("sar"), {})}


@pytest.mark.parametrize("name,value", [("CCH_SW", -1e-15), ("CGD_SW", -1e-16), ("QINJ", 1.5),
                                        ("VTH_SW", -0.1)])
def test_bad_values_name_the_parameter(name, value):
    with pytest.raises(DesignParameterError, match=name):
        load_quantizer("sar", {name: value})


def test_companions_follow_their_switch():
    q = load_quantizer("sar", {**QUIET, "NBITS": 3, **INJ})
    for ph in q.schedule.phases:
        on = "ssamp" in ph.closed
        assert ("sqi_ssamp_2" in ph.closed) == on and ("sqo_ssamp_2" in ph.closed) == (not on)
        assert ("sgh_ssamp" in ph.closed) == on and ("sgl_ssamp" in ph.closed) == (not on)
    # a schedule without followers is returned as it is
    plain = load_quantizer("sar", {**QUIET, "NBITS": 3})
    assert follow_controls(plain.schedule, plain.circuit, 1.0) is plain.schedule
    reversed_ = [sw for sw in q.circuit.of_type(Switch) if sw.cp == "0"]
    assert reversed_ and all(sw.model.vt == -0.5 for sw in reversed_)


@pytest.mark.ngspice
@pytest.mark.parametrize("name,params", [
    ("sar", {"NBITS": 6}),
    ("flash", {}),
    ("dgcq", {"NC": 2, "NF": 4, "VNOISE_C": 0.0}),
    ("coarse", {"NITER": 6}),
])
def test_switch_charge_matches_ngspice(name, params):
    """ngspice runs the same elements (exported with the companions' controls): every
    probe at every step end within 100 uV; the unmodelled engine is off by far more."""
    from tests.quantizers.test_contract import ngspice_deviation

    base = {"TEMP": 0.0, "VNOISE": 0.0, **params}
    inj = {"CCH_SW": 2e-15, "CGD_SW": 0.5e-15}
    q = load_quantizer(name, {**base, **inj})
    vin = q.vmin + 0.618 * (q.vmax - q.vmin)
    assert ngspice_deviation(q, vin) < 1e-4
    plain = load_quantizer(name, base)
    assert ngspice_deviation(plain, vin, circuit=q.circuit) > 1e-3


def test_exported_netlist_reads_back_and_simulates_the_same():
    """The export (companions on reversed controls, RREF's H elements) parses back, and the
    engine's own transient of it -- switches set by their control voltages, not by the
    controller's names -- agrees with the compiled quantizer within 10 nV (TEDGE = 10 fs,
    so the export's break-before-make delay does not matter)."""
    from dgcq_sim.engine import apply_program, simulate
    from dgcq_sim.netlist import parse_netlist

    q = load_quantizer("sar", {"TEMP": 0.0, "VNOISE": 0.0, "NBITS": 6, "CCH_SW": 2e-15,
                               "CGD_SW": 0.5e-15, "RREF": 5e3, "TEDGE": 1e-14})
    vin = 0.618
    u = q.schedule.source_values(vin, q.decisions(vin))
    _, probes = apply_program(q.program, q.program.initial_state(u[0]), u)
    back = parse_netlist(q.export_spice(vin))
    sim = simulate(back, probes=["top"], at=q.step_times()[1:] * (1 - 1e-9))
    assert np.abs(sim.v["top"][0] - probes[0, :, 0]).max() < 1e-8
    assert np.ptp(probes[0, :, 0]) > 0.1


@pytest.mark.parametrize("first_open,gain_error", [(None, 0.0), ("s1x", 0.0), ("s1a", 1.0)])
def test_bottom_plate_switch_must_open_first(first_open, gain_error):
    """The known cancellation and its condition, on the bundled coarse integrator: one
    sample + integrate with a 100 ps step in between where only one sampling switch has
    opened.  Bottom-plate switch s1x first (or both at once): out = VIN exactly (GAIN = 1).
    Input switch s1a first: its signal-dependent charge is trapped on CS while x is still
    grounded, out = VIN*(1 + QINJ*CCH/CS) - QINJ*CCH*(VDD - VTH)/CS, the top-plate error."""
    import dataclasses

    from dgcq_sim.engine import Phase, apply_program, compile_program

    p = {**QUIET, "RLEAK": 1e18, "ILEAK": 0.0, "AOL": 1e9, "NITER": 2, "CCH_SW": 3e-15,
         "QINJ": 0.5, "VTH_SW": 0.35}
    q = load_quantizer("coarse", p)
    sc = q.schedule
    own = [dataclasses.replace(ph, closed=frozenset(s for s in ph.closed if s in
                                                    {"srst", "s1a", "s1x", "s2a", "s2x"}))
           for ph in sc.phases[:2]]                     # reset + sample, integrate 1
    uc, uv = sc.u_const[:2], sc.u_vin[:2]
    if first_open is not None:
        still = {"s1a", "s1x"} - {first_open}
        own.insert(1, Phase(100e-12, frozenset(still)))   # >> RON*CREF = 1 ps
        uc, uv = np.insert(uc, 1, uc[0], axis=0), np.insert(uv, 1, uv[0], axis=0)
    mini = dataclasses.replace(sc, phases=tuple(own), u_const=uc, u_vin=uv,
                               dec_ptr=np.zeros(len(own) + 1, np.int64), decisions=())
    mini = follow_controls(mini, q.circuit, 1.0)
    prog = compile_program(q.circuit, mini.phases, mini.inputs, mini.probes)
    cs, qc = 100e-15, 0.5 * 3e-15
    for vin in (0.2, 0.6):
        u = mini.u_const + mini.u_vin * vin
        _, probes = apply_program(prog, prog.initial_state(u[0]), u)
        expect = vin + gain_error * (qc * vin - qc * (1.0 - 0.35)) / cs
        # 1e-8: AOL = 1e9 leaves out*(CF+CS+CREF+CPAR)/(CF*AOL) ~ 2e-9
        assert probes[0, -1, 0] == pytest.approx(expect, abs=1e-8), (first_open, vin)
