"""The ``pipeline`` architecture: 1.5-bit/stage flip-around MDACs + 2-bit flash.

Ideal staircase and ENOB, both kernels, ngspice on the exported schedule, the closed-form
stage gain with finite AOL and CPAR, the redundancy against sub-ADC offsets (and not
against MDAC gain errors), resources, and parameter checks.
"""

import copy
import time

import numpy as np
import pytest

from dgcq_sim.cost import estimate
from dgcq_sim.engine import apply_program
from dgcq_sim.errors import ParameterError
from dgcq_sim.evaluate import evaluate_quantizer
from dgcq_sim.paths import bundled_netlist
from dgcq_sim.quantizers import load_quantizer
from dgcq_sim.quantizers.archs.pipeline import stage_block
from dgcq_sim.quantizers.stepping import step_numpy
from dgcq_sim.spice import ngspice_tran, run_netlist

QUIET = {"TEMP": 0.0, "VNOISE": 0.0}


def grid(n_codes: int, per_code: int, vref: float = 1.0) -> np.ndarray:
    """Inputs strictly inside every code bin (>= 1e-3 LSB from the transitions)."""
    frac = np.linspace(1e-3, 1 - 1e-3, per_code)
    return ((np.arange(n_codes)[:, None] + frac[None, :]) * vref / n_codes).ravel()


def floor_codes(v, n_codes, vref=1.0):
    return np.clip(np.floor(np.asarray(v) / vref * n_codes), 0, n_codes - 1).astype(np.int64)


def run_steps(q, vin):
    """Engine probes (K, P) and node voltages per step end for one noise-free input."""
    d = q.decisions(vin)
    u = q.schedule.source_values(vin, d)
    prog = q.program
    z = z0 = prog.initial_state(u[0])
    nodes = []
    for k in range(q.schedule.n_steps):
        nodes.append(prog.node_voltages(z, u[k], k))
        z = prog.phi[k] @ z + prog.gam[k] @ u[k]
    _, probes = apply_program(prog, z0, u)
    return d, probes[0], nodes


def with_offsets(q, extra):
    """``q`` with ``extra`` (D,) volts added to its decisions' offsets (stepping kernel)."""
    q2 = copy.copy(q)
    q2.schedule = q.schedule.with_offsets(np.asarray(extra, float))
    return q2


# ------------------------------------------------------------------ ideal staircase
@pytest.mark.parametrize("n,per_code", [(2, 101), (8, 9)])
def test_ideal_staircase_is_floor(n, per_code):
    q = load_quantizer("pipeline", {"NSTAGES": n, "VREF": 0.9}, ideal=True)
    assert (q.n_codes, q.bits, q.vmax) == (2 ** (n + 2), n + 2, 0.9)
    assert q.stages == tuple(f"stage {i}" for i in range(1, n + 1)) + ("flash",)
    v = grid(q.n_codes, per_code, 0.9)
    r = q.convert(v, noise=False)
    np.testing.assert_array_equal(r.codes, floor_codes(v, q.n_codes, 0.9))
    # stage digits D_i in {0, 1, 2}, flash 0..3, and the code is their weighted sum
    total = np.zeros_like(r.codes)
    for i in range(1, n + 1):
        digit = r.stages[f"stage {i}"]
        assert digit.min() >= 0 and digit.max() == 2
        total += digit * 2 ** (n + 1 - i)
    assert r.stages["flash"].min() == 0 and r.stages["flash"].max() == 3
    np.testing.assert_array_equal(total + r.stages["flash"], r.codes)


def test_ideal_10bit_enob_and_linearity():
    q = load_quantizer("pipeline", ideal=True)
    assert q.bits == 10 and q.params["nstages"] == 8
    m = evaluate_quantizer(q, rng=np.random.default_rng(0), progress=False)
    assert m["enob_sine"] == pytest.approx(10.0, abs=0.05)
    assert m["dnl_max"] == 0.0 and m["inl_max"] == 0.0 and m["missing_codes"] == 0


# ------------------------------------------------------------------ kernels
def test_kernels_agree_with_default_parasitics():
    q = load_quantizer("pipeline")
    v = np.random.default_rng(7).uniform(0.0, 1.0, 100_000)
    a = q.convert(v, noise=False, method="response")
    b = q.convert(v, noise=False, method="stepping")
    np.testing.assert_array_equal(a.codes, b.codes)
    sums, _ = step_numpy(q, v)
    np.testing.assert_array_equal(q.schedule.assemble(sums), a.codes)
    # the parasitics matter (else this test would not test them)
    assert np.mean(a.codes != floor_codes(v, q.n_codes)) > 0.05


def test_load_time_and_small_state():
    t0 = time.perf_counter()
    q = load_quantizer("pipeline", {"NSTAGES": 8})
    q.tables
    elapsed = time.perf_counter() - t0
    assert elapsed < 4.0, elapsed                      # ~0.1 s measured; slack for busy CI
    assert q.program.n_state <= 2 * 8 + 3              # a few charges per stage, not all nodes
    assert len(set(q.schedule.phases)) == 8 + 1


# ------------------------------------------------------------------ ngspice
@pytest.mark.ngspice
@pytest.mark.parametrize("params,vin", [
    ({}, 0.6180),                                       # default parasitics
    ({"TCLK": 0.8e-9, "VOS": 0.04, "CS": 260e-15}, 0.3141),   # incomplete settling, gain error
])
def test_engine_matches_ngspice_three_stages(params, vin):
    q = load_quantizer("pipeline", {**QUIET, "NSTAGES": 3, **params})
    d, probes, _ = run_steps(q, vin)
    if "TCLK" in params:
        # the sampled residues really are short of settled (by ~1 mV, i.e. ~1 LSB)
        _, settled, _ = run_steps(load_quantizer(
            "pipeline", {**QUIET, "NSTAGES": 3, **params, "RON": 1.0}), vin)
        err = max(abs(probes[dec.step, dec.probe] - settled[dec.step, dec.probe])
                  for dec in q.schedule.decisions)
        assert err > 5e-4, err
    overrides, tran = q.spice_overrides(vin)
    ends = q.step_times()[1:] * (1 - 1e-9)
    nodes = sorted({n for p in q.schedule.probes for n in ((p,) if isinstance(p, str) else p)}
                   | {f"o{i}" for i in (1, 2, 3)})
    res = ngspice_tran(q.circuit, ends, nodes=nodes, overrides=overrides, tstop=tran.tstop,
                       tmax=tran.tmax)
    for i, p in enumerate(q.schedule.probes):
        spice = res.v[p] if isinstance(p, str) else res.v[p[0]] - res.v[p[1]]
        np.testing.assert_allclose(spice, probes[:, i], atol=1e-4, err_msg=str(p))
    for j, dec in enumerate(q.schedule.decisions):
        p = q.schedule.probes[dec.probe]
        v = res.v[p][dec.step] if isinstance(p, str) else \
            res.v[p[0]][dec.step] - res.v[p[1]][dec.step]
        margin = v + dec.offset - dec.threshold
        if abs(margin) > 1e-3:
            assert int(margin >= 0) == d[j], (j, margin)


def test_netlist_shipped_block_and_switch_controls():
    text = bundled_netlist("pipeline.cir").read_text()
    assert text.startswith("* pipeline:")
    assert "\n".join(stage_block(8)) in text                       # the shipped block is the generated one
    q = load_quantizer("pipeline", {"NSTAGES": 3})
    names = {el.name for el in q.circuit.elements}
    assert "s4a" not in names and {"s3a", "s3f", "cs3", "cf3", "cpar3", "eamp3"} <= names
    text3 = q.export_spice(0.4)
    assert text3.strip().lower().endswith(".end") and "pwl" in text3.lower()


@pytest.mark.ngspice
def test_shipped_netlist_runs_in_ngspice_as_is():
    """The plain run (vc* clocks, VDAC = 0): stage i amplifies from i*TCLK/2, o_i = G^i VIN."""
    text = bundled_netlist("pipeline.cir").read_text()
    tr = run_netlist(text)
    g = stage_gain(250e-15, 250e-15, 20e-15, 3000.0)
    t_end = 9 * 4e-9 / 2 * (1 - 1e-6)
    got = tr.at([t_end], ["o1", "o2", "o8"])
    for i in (1, 2, 8):
        assert got[f"o{i}"][0] == pytest.approx(0.3 * g ** i, rel=1e-4), i


# ------------------------------------------------------------------ closed form
def stage_gain(cs, cf, cpar, aol):
    """Flip-around MDAC with op-amp out = -AOL*v(g).  Sampling: v(g) = 0, both bottom
    plates at x, top-plate charge Q = -(CS + CF) x.  Amplify: v(a) = VDAC, v(b) = out,
    v(g) = -out/AOL, Q = (CS + CF + CPAR) v(g) - CS VDAC - CF out.  Equating:
        out = [(1 + CS/CF) x - (CS/CF) VDAC] / (1 + (CS + CF + CPAR)/(CF AOL))."""
    return (1 + cs / cf) / (1 + (cs + cf + cpar) / (cf * aol))


def test_closed_form_stage_gain_with_finite_aol_and_cpar():
    cs, cf, cpar, aol = 275e-15, 250e-15, 80e-15, 400.0
    q = load_quantizer("pipeline", {**QUIET, "NSTAGES": 2, "AOL": aol, "CPAR": cpar, "CS": cs,
                                    "CF": cf, "RON": 10.0, "ROFF": 1e14, "VOS": 0.0})
    g = stage_gain(cs, cf, cpar, aol)
    for x in (0.05, 0.2, 0.33, 0.45, 0.55, 0.7, 0.9):
        d, _, nodes = run_steps(q, x)
        digit = int(d[0] + d[1])
        assert digit == (x >= 3 / 8) + (x >= 5 / 8)
        out = nodes[1]["o1"]                            # stage 1 residue, end of its amplify
        expect = g * (x - cs / (cs + cf) * digit * 0.5)
        assert out == pytest.approx(expect, rel=1e-7, abs=1e-9), x
        # (1 + CS/CF)/(1 + (1 + (CS+CF+CPAR)/CF)/AOL) would be 1/AOL (2.5e-3) off
        alt = (1 + cs / cf) / (1 + (1 + (cs + cf + cpar) / cf) / aol)
        assert abs(alt / g - 1) > 1e-3


def test_redundancy_absorbs_sub_adc_offsets_but_not_gain_errors():
    n = 6
    q = load_quantizer("pipeline", {"NSTAGES": n}, ideal=True)
    v = grid(q.n_codes, 5)
    ideal = floor_codes(v, q.n_codes)
    stage = np.array([d.stage != "flash" for d in q.schedule.decisions])
    rng = np.random.default_rng(3)
    for pattern in (np.ones(stage.size), -np.ones(stage.size),
                    rng.choice([-1.0, 1.0], stage.size)):
        off = 0.1 * pattern * stage                     # VREF/10 on every stage comparator
        q2 = with_offsets(q, off)
        r = q2.convert(v, noise=False, method="stepping")
        np.testing.assert_array_equal(r.codes, ideal)
        np.testing.assert_array_equal(q2.schedule.assemble(step_numpy(q2, v)[0]), ideal)
        # ... the stage digits did change, the redundancy corrected them
        assert np.any(r.stages["stage 1"] != q.convert(v, noise=False).stages["stage 1"])
    # the final flash has no redundancy: VREF/10 there moves transitions by 0.4 LSB
    q3 = with_offsets(q, 0.1 * ~stage)
    assert np.mean(q3.convert(v, noise=False, method="stepping").codes != ideal) > 0.05
    # an MDAC gain error (CS 1 % larger than CF) is not corrected
    qg = load_quantizer("pipeline", {"NSTAGES": n, "CS": 252.5e-15}, ideal=True)
    bad = np.mean(qg.convert(v, noise=False).codes != ideal)
    assert bad > 0.02, bad
    # nor is the finite-gain error of a low-gain op-amp
    qa = load_quantizer("pipeline", {"NSTAGES": n, "AOL": 100.0}, ideal=True)
    assert np.mean(qa.convert(v, noise=False).codes != ideal) > 0.02


def test_monte_carlo_offsets_one_per_comparator():
    q = load_quantizer("pipeline", {"NSTAGES": 4, "SIGMA_VOS": 0.01}, seed=5)
    names = q.schedule.comparators
    assert len(names) == 2 * 4 + 3 and len(set(names)) == len(names)
    assert names[:2] == ("s1.lo", "s1.hi") and names[-3:] == ("flash.1", "flash.2", "flash.3")
    inst = q.instance(2)
    extra = np.array([d.offset for d in inst.schedule.decisions]) - q.params["vos"]
    assert np.all(extra != 0) and len(np.unique(extra)) == len(names)
    # Pelgrom mismatch on the designed caps, none on the parasitics
    c0 = {el.name: el.c for el in q.circuit.elements if el.name.startswith("c")}
    c1 = {el.name: el.c for el in inst.circuit.elements if el.name.startswith("c")}
    assert c1["cs1"] != c0["cs1"] and c1["cf1"] != c0["cf1"] and c1["cpar1"] == c0["cpar1"]


def test_resources():
    n = 8
    q = load_quantizer("pipeline")
    hw = q.hardware()
    assert (hw.bits, hw.comparators, hw.comparator_decisions, hw.opamps) == \
        (n + 2, 2 * n + 3, 2 * n + 3, n)
    assert hw.logic_bits == n + 2 and hw.logic_bit_cycles == (n + 2) * hw.cycles
    assert hw.opamp_seconds == pytest.approx(n * q.params["tclk"])
    assert hw.latency == pytest.approx((n + 1) * q.params["tclk"] / 2)
    assert hw.total_capacitance == pytest.approx(n * (q.params["cs"] + q.params["cf"]))
    assert sum(hw.stages.values()) == n + 2
    cost = estimate(hw)
    assert cost.energy_j > 0 and cost.area_um2 > 0


@pytest.mark.parametrize("value", [0, 13, 2.5])
def test_bad_nstages_names_the_parameter(value):
    with pytest.raises(ParameterError, match="NSTAGES"):
        load_quantizer("pipeline", {"NSTAGES": value})
