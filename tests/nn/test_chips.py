"""Per-column converter banks and chip Monte Carlo: equality with the shared converter,
reproducible chips, the column map as a pure function of (seed, chip), the bank cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dgcq_sim.errors import InputError, ParameterError
from dgcq_sim.nn.chips import characterize_bank, column_maps, summarize_chips
from dgcq_sim.nn.cim import CimConfig, CimModel
from dgcq_sim.nn.evaluate import evaluate
from dgcq_sim.transfer import TransferBank, TransferFunction


def _noisy(tf, sigma=1.5e-3):
    return tf.with_noise(np.array([0.0, 1.0]), np.array([sigma, sigma]))


def _shifted(bits, shift):
    t = TransferFunction.ideal(bits, 0.0, 1.0)
    e = np.clip(t.edges + shift, 1e-9, 1 - 1e-9)
    return TransferFunction(0.0, 1.0, bits, e, t.codes)


class FakeQuantizer:
    """Duck-typed quantizer: instance k has its edges shifted by a 'mismatch' of k."""

    kind, params, ideal, path = "fake", {"bits": 6}, False, None

    def __init__(self, seed=0):
        self.seed, self.calls = seed, 0

    def instance(self, k):
        outer = self

        class Inst:
            def characterize(self, rng=None, **effort):
                outer.calls += 1
                shift = 0.004 * np.random.default_rng([outer.seed, k]).standard_normal()
                return _noisy(_shifted(6, shift))
        return Inst()


@pytest.fixture(scope="module")
def cim_shared(qm, calib):
    tf = _noisy(TransferFunction.ideal(6, 0.0, 1.0))
    cm = CimModel(qm, tf, CimConfig(calib_images=8))
    cm.calibrate(calib.x)
    return cm


def test_bank_of_identical_instances_equals_the_shared_converter(cim_shared, test_set):
    x = test_set.x[::100]
    tf = cim_shared.tf
    ref_nf = cim_shared.predict(x)
    ref_noisy = cim_shared.predict(x, rng=np.random.default_rng(7))
    bank = TransferBank([tf.with_noise(tf.noise_grid, tf.noise_sigma) for _ in range(5)])
    layout = cim_shared.column_layout()
    try:
        cim_shared.use_converters(bank, column_maps(layout, 5, 0, 3))
        assert np.array_equal(cim_shared.predict(x), ref_nf)
        assert np.array_equal(cim_shared.predict(x, rng=np.random.default_rng(7)), ref_noisy)
    finally:
        cim_shared.use_converters(tf)


def test_mismatched_chips_differ_and_the_same_seed_reproduces_a_chip(cim_shared, test_set):
    x = test_set.x[::100]
    bank = TransferBank([_shifted(6, s) for s in (-0.006, -0.002, 0.0, 0.003, 0.007)])
    layout = cim_shared.column_layout()
    orig, out = cim_shared.tf, {}
    try:
        for chip in (0, 1, 0):
            cim_shared.use_converters(bank, column_maps(layout, len(bank), 11, chip))
            out.setdefault(chip, []).append(cim_shared.predict(x))
    finally:
        cim_shared.use_converters(orig)
    assert np.array_equal(out[0][0], out[0][1])
    assert not np.array_equal(out[0][0], out[1][0])


def test_column_map_is_a_pure_function_of_seed_and_chip(cim_shared):
    layout = cim_shared.column_layout()
    a = column_maps(layout, 64, 5, 2)
    column_maps(layout, 64, 5, 1)               # other draws in between change nothing
    b = column_maps(layout, 64, 5, 2)
    c = column_maps(layout, 64, 5, 3)
    d = column_maps(layout, 64, 6, 2)
    assert set(a) == set(layout) and all(a[n].shape == layout[n] for n in layout)
    assert all(np.array_equal(a[n], b[n]) for n in a)
    assert not all(np.array_equal(a[n], c[n]) for n in a)
    assert not all(np.array_equal(a[n], d[n]) for n in a)
    allv = np.concatenate([v.ravel() for v in a.values()])
    assert allv.min() >= 0 and allv.max() < 64 and len(np.unique(allv)) > 50
    # every physical column of every analog layer has an instance
    assert cim_shared.converters_per_chip() == allv.size


def test_bank_cache_reuses_and_extends(tmp_path):
    q = FakeQuantizer(seed=3)
    b3 = characterize_bank(q, 3, cache_dir=tmp_path)
    assert q.calls == 3 and len(b3) == 3
    files = list(Path(tmp_path).glob("bank-fake-*.npz"))
    assert len(files) == 1
    b2 = characterize_bank(q, 2, cache_dir=tmp_path)        # a prefix: from the cache
    assert q.calls == 3 and len(b2) == 2
    b5 = characterize_bank(q, 5, cache_dir=tmp_path)        # characterizes 2 more only
    assert q.calls == 5 and len(b5) == 5
    assert np.array_equal(b5.tfs[1].edges, b3.tfs[1].edges)
    other = characterize_bank(FakeQuantizer(seed=4), 2, cache_dir=tmp_path)
    assert len(list(Path(tmp_path).glob("bank-fake-*.npz"))) == 2
    assert not np.array_equal(other.tfs[0].edges, b3.tfs[0].edges)


def test_evaluate_chips_summary_and_bad_counts(r20, test_set, calib):
    tf = TransferFunction.ideal(6, 0.0, 1.0)
    bank = TransferBank([_shifted(6, s) for s in (-0.004, 0.0, 0.004)])
    data = test_set.subset(20)
    res = evaluate(r20, data, tf=tf, bank=bank, chips=3, calib=calib,
                   cim=CimConfig(calib_images=4), energy_per_conversion=1e-12)
    t = res["top1"]
    assert set(t) == {"mean", "p5", "p95", "per_chip"} and len(t["per_chip"]) == 3
    assert t["p5"] <= t["mean"] <= t["p95"]
    assert res["energy_per_image_j"] > res["conversions_per_image"] * 1e-12
    assert 0 < res["adc_energy_fraction"] < 1
    with pytest.raises(ParameterError, match="chips"):
        evaluate(r20, data, tf=tf, bank=bank, chips=0)
    with pytest.raises(ParameterError, match="bank size"):
        characterize_bank(FakeQuantizer(), 0, cache_dir=False)
    assert summarize_chips([0.5, 0.7])["mean"] == pytest.approx(0.6)


def test_bank_rejects_mixed_ranges_and_bad_maps(cim_shared):
    with pytest.raises(ParameterError, match="range"):
        TransferBank([TransferFunction.ideal(4, 0.0, 1.0), TransferFunction.ideal(4, 0.0, 2.0)])
    bank = TransferBank([TransferFunction.ideal(4, 0.0, 1.0)])
    with pytest.raises(InputError, match="shape"):
        cim_shared.use_converters(bank, {n: np.zeros((1, 1, 1), np.int64)
                                         for n in cim_shared.column_layout()})
