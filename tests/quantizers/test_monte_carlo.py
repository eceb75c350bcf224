"""Mismatch instances, reproducibility, thread-count independence, hardware spec."""

import subprocess
import sys

import numpy as np
import pytest

from dgcq_sim.cost.spec import HardwareSpec
from dgcq_sim.netlist import Capacitor
from dgcq_sim.quantizers import load_quantizer

V = np.linspace(0.0003, 0.9997, 6000)


def test_instances_differ_and_are_reproducible():
    q = load_quantizer("dgcq", {"NC": 3, "NF": 8, "KC": 0.02}, seed=11)
    a1, a2, b = q.instance(1), q.instance(1), q.instance(2)
    caps = lambda x: np.array([e.c for e in x.circuit.of_type(Capacitor)])
    np.testing.assert_array_equal(caps(a1), caps(a2))
    assert np.any(caps(a1) != caps(b)) and np.any(caps(a1) != caps(q))
    # parasitics are not mismatched
    par = [e.name for e in q.circuit.of_type(Capacitor) if e.name.startswith("cp")]
    assert par and all(a1.circuit.element(n).c == q.circuit.element(n).c for n in par)
    ca, cb = a1.convert(V, noise=False).codes, b.convert(V, noise=False).codes
    np.testing.assert_array_equal(ca, a2.convert(V, noise=False).codes)
    assert np.any(ca != cb)
    # same seed in a fresh load -> same instance; another seed -> another instance
    again = load_quantizer("dgcq", {"NC": 3, "NF": 8, "KC": 0.02}, seed=11).instance(1)
    np.testing.assert_array_equal(caps(again), caps(a1))
    other = load_quantizer("dgcq", {"NC": 3, "NF": 8, "KC": 0.02}, seed=12).instance(1)
    assert np.any(caps(other) != caps(a1))


def test_mismatch_spread_follows_pelgrom():
    q = load_quantizer("sar", {"NBITS": 6, "KC": 0.01, "CU": 4e-15})
    rel = []
    for k in range(200):
        c = q.instance(k).circuit.element("cdac5").c
        rel.append(c / (32 * 4e-15) - 1)
    expect = 0.01 * np.sqrt(1e-15 / (32 * 4e-15))
    assert np.std(rel) == pytest.approx(expect, rel=0.15)


def test_noise_reproducible_with_seed_and_generator():
    q = load_quantizer("dgcq", {})
    a = q.convert(V, rng=np.random.default_rng(4)).codes
    b = q.convert(V, rng=np.random.default_rng(4)).codes
    np.testing.assert_array_equal(a, b)
    c1 = load_quantizer("dgcq", {}, seed=3).convert(V).codes
    c2 = load_quantizer("dgcq", {}, seed=3).convert(V).codes
    np.testing.assert_array_equal(c1, c2)
    assert np.any(c1 != q.convert(V, noise=False).codes)


SCRIPT = """
import numba, numpy as np
from dgcq_sim.quantizers import load_quantizer
numba.set_num_threads({threads})
q = load_quantizer("dgcq", {{"NC": 3, "NF": 8}})
v = np.linspace(0, 1, 20011)
a = q.convert(v, rng=np.random.default_rng(5), method="response").codes
b = q.convert(v, rng=np.random.default_rng(5), method="stepping").codes
np.save("{out}", np.stack([a, b]))
"""


def test_same_seed_same_codes_with_one_and_two_threads(tmp_path):
    out = {}
    for threads in (1, 2):
        path = tmp_path / f"t{threads}.npy"
        subprocess.run([sys.executable, "-c", SCRIPT.format(threads=threads, out=path)],
                       check=True)
        out[threads] = np.load(path)
    np.testing.assert_array_equal(out[1], out[2])


@pytest.mark.parametrize("name,params", [("dgcq", {}), ("sar", {"NBITS": 9}), ("coarse", {})])
def test_hardware_spec_is_filled_from_params_and_schedule(name, params):
    q = load_quantizer(name, params)
    hw = q.hardware()
    assert isinstance(hw, HardwareSpec) and hw.architecture == name
    assert 2 ** hw.bits == q.n_codes
    assert hw.latency == pytest.approx(sum(ph.duration for ph in q.schedule.phases))
    assert hw.comparator_decisions == len(q.schedule.decisions)
    caps = {c.name: c for c in hw.caps}
    if name == "dgcq":
        assert caps["sar_switching"].capacitance == pytest.approx(256e-15)
        assert caps["coarse_caps"].events == 8 and hw.comparators == 2 and hw.opamps == 1
        assert hw.logic_bits == 8 + 4            # SAR register + 4-bit counter (0..8)
        # 8 coarse periods + final subtract + SAR sample + 8 trials
        assert hw.cycles == 18
        assert hw.latency == pytest.approx(9 * 2e-9 + 2e-9 + 8 * 1e-9)
    elif name == "sar":
        assert "coarse_caps" not in caps and hw.opamps == 0 and hw.logic_bits == 9
        assert caps["sar_switching"].capacitance == pytest.approx(512e-15)
    else:
        assert "sar_switching" not in caps and hw.opamps == 1
        assert caps["coarse_caps"].capacitance == pytest.approx(3e-13)


def test_comparator_offsets_are_drawn_per_physical_comparator():
    """SIGMA_VOS: one draw per comparator, shared by all its decisions (a SAR's bits),
    independent between a flash's comparators; reproducible from (seed, k)."""
    sar = load_quantizer("sar", {"NBITS": 6, "SIGMA_VOS": 2e-3}, ideal=True, seed=7)
    offs = {d.offset for d in sar.instance(1).schedule.decisions}
    assert len(offs) == 1 and offs != {0.0}
    fl = load_quantizer("flash", {"NBITS": 5, "SIGMA_VOS": 2e-3}, ideal=True, seed=7)
    o = np.array([d.offset for d in fl.instance(1).schedule.decisions])
    assert len(np.unique(o)) == 31
    # 31 draws of N(0, 2 mV): sample std within a loose chi bound
    assert 1e-3 < np.std(o) < 3e-3
    np.testing.assert_array_equal(o, [d.offset for d in fl.instance(1).schedule.decisions])
    assert not np.array_equal(o, [d.offset for d in fl.instance(2).schedule.decisions])
    # the nominal design keeps its systematic offsets only
    assert {d.offset for d in fl.schedule.decisions} == {0.0}


def test_enob_spread_comes_from_offset_sigma():
    """Monte Carlo ENOB of an otherwise ideal flash: no spread with SIGMA_VOS = 0, a spread
    with 2 mV, more with 10 mV (a 4-bit LSB is 62.5 mV)."""
    from dgcq_sim.evaluate import evaluate_quantizer

    spread = {}
    for s in (0.0, 2e-3, 10e-3):
        q = load_quantizer("flash", {"SIGMA_VOS": s}, ideal=True, seed=1)
        m = evaluate_quantizer(q, rng=np.random.default_rng(0), n_sine=4096, mc=12)
        spread[s] = m["enob_sine"]["p95"] - m["enob_sine"]["p5"]
    assert spread[0.0] == 0.0
    assert 0 < spread[2e-3] < spread[10e-3]


def test_flash_decides_many_comparators_in_one_step_on_both_kernels():
    """63 decisions at the end of one step: both kernels keep every one (the old stepping
    kernel kept only the last and returned [0 0 0 0 0 0 1])."""
    q = load_quantizer("flash", {"NBITS": 6}, ideal=True)
    v = np.linspace(0, 1, 7)[:-1] + 1e-3
    want = np.floor(v * 64).astype(np.int64)
    for method in ("response", "stepping"):
        np.testing.assert_array_equal(q.convert(v, noise=False, method=method).codes, want)
