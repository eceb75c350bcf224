"""The exported analog netlist, run by ngspice, agrees with the engine at every step."""

import numpy as np
import pytest

from dgcq_sim.engine import apply_program
from dgcq_sim.quantizers import load_quantizer
from dgcq_sim.spice import ngspice_tran, run_netlist

QUIET = {"TEMP": 0.0, "VNOISE": 0.0}


@pytest.mark.ngspice
@pytest.mark.parametrize("name,params,vin", [
    ("dgcq", {"NC": 2, "NF": 4, "VNOISE_C": 0.0}, 0.4321),
    ("dgcq", {"NC": 1, "NF": 3, "OVERRANGE": 1, "VNOISE_C": 0.0, "VOS_C": 0.03}, 0.7707),
    ("sar", {"NBITS": 5}, 0.6180),
    ("coarse", {"NITER": 6}, 0.555),
])
def test_engine_matches_ngspice_on_exported_schedule(name, params, vin):
    q = load_quantizer(name, {**QUIET, **params})
    d = q.decisions(vin)
    overrides, tran = q.spice_overrides(vin)
    u = q.schedule.source_values(vin, d)
    _, probes = apply_program(q.program, q.program.initial_state(u[0]), u)
    ends = q.step_times()[1:] * (1 - 1e-9)
    res = ngspice_tran(q.circuit, ends, nodes=list(q.schedule.probes), overrides=overrides,
                       tstop=tran.tstop, tmax=tran.tmax)
    for i, node in enumerate(q.schedule.probes):
        np.testing.assert_allclose(res.v[node], probes[0, :, i], atol=1e-4, err_msg=node)
    # ngspice's comparator inputs give the same decisions (none within 1 mV of threshold)
    for j, dec in enumerate(q.schedule.decisions):
        v = res.v[q.schedule.probes[dec.probe]][dec.step]
        margin = v + dec.offset - dec.threshold
        if abs(margin) > 1e-3:
            assert int(margin >= 0) == d[j], (j, margin)


@pytest.mark.ngspice
def test_export_spice_text_runs_in_ngspice():
    q = load_quantizer("dgcq", {"NC": 1, "NF": 2}, ideal=True)
    text = q.export_spice(0.3)
    assert "pwl" in text.lower() and text.strip().lower().endswith(".end")
    tr = run_netlist(text)
    # ideal: after the final subtraction out = 2*0.3 - 0 = 0.6 V, sampled onto the top plate
    t_end_sub = q.step_times()[q.schedule.labels.index("final subtract") + 1]
    assert tr.at([t_end_sub * (1 - 1e-9)], ["out"])["out"][0] == pytest.approx(0.6, abs=1e-4)


@pytest.mark.ngspice
@pytest.mark.parametrize("name,change", [
    ("dgcq", {"CPTOP": 2.2e-15}),        # 10 % more top-plate parasitic: DAC gain error
    ("dgcq", {"CF": 101e-15}),           # 1 % integration-cap error: coarse gain error
    ("dgcq", {"RON": 600}),              # 20 % slower switches: settling
    ("sar", {"CPTOP": 2.2e-15}),         # 10 % more CPTOP: 182 uV at 0.9 V
    ("pipeline", {"CPAR": 40e-15}),      # doubled virtual-ground parasitic: stage gain
])
def test_negative_controls_exceed_the_tolerance(name, change):
    """The 100 uV bar catches the effects it is meant to: ngspice on a circuit with one
    element changed disagrees with the engine of the unchanged design by more than it."""
    from tests.quantizers.test_contract import ngspice_deviation

    q = load_quantizer(name, {**QUIET})
    other = load_quantizer(name, {**QUIET, **change})
    vin = q.vmin + 0.9012 * (q.vmax - q.vmin)
    assert ngspice_deviation(q, vin) < 1e-4
    assert ngspice_deviation(q, vin, circuit=other.circuit) > 1e-4, change
