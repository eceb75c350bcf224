"""TransferBank.accumulate against TransferFunction.apply, value for value."""

import copy

import numpy as np
import pytest

from dgcq_sim.blocks.rng import seed_from_generator
from dgcq_sim.errors import InputError
from dgcq_sim.transfer import TransferBank, TransferFunction


def _instances():
    """Three 7-bit converters with shifted edges and different noise grids: uniform (the
    line pass alone), clustered (buckets that need the exact scan) and random."""
    rng = np.random.default_rng(11)
    grids = [np.linspace(0.0, 1.0, 33),
             np.concatenate([[0.0], 0.4 + 1e-9 * np.arange(30), [1.0]]),
             np.sort(np.concatenate([[0.0, 1.0], rng.uniform(0, 1, 50)]))]
    tfs = []
    for q, grid in enumerate(grids):
        base = TransferFunction.ideal(7, 0.0, 1.0)
        shifted = TransferFunction(0.0, 1.0, 7, base.edges + 0.001 * (q + 1), base.codes)
        tfs.append(shifted.with_noise(grid, rng.uniform(2e-3, 8e-3, grid.size)))
    assert not tfs[0]._g_scan and tfs[1]._g_scan
    return tfs


def _reference(tfs, p, inst, k, v0, gain, factor, e0, rng):
    """The same sum from one ``apply`` per plane and instance, each drawing the plane's
    seed (the bank draws one per plane, in order)."""
    acc = np.zeros(p.shape[1:])
    for j in range(p.shape[0]):
        x = p[j].astype(np.float64) * k + v0
        seed_state = copy.deepcopy(rng)
        vh = np.empty_like(x)
        for q, tf in enumerate(tfs):
            cols = inst[j] == q
            noisy = None if rng is None else copy.deepcopy(seed_state)
            vh[:, cols] = tf.apply(x, noisy)[:, cols]
        if rng is not None:
            seed_from_generator(rng)
        acc += (vh - v0) * gain[j] - factor[j] * e0[inst[j]]
    return acc


@pytest.mark.parametrize("noisy", [False, True])
@pytest.mark.parametrize("ncol", [1, 7, 64])
def test_accumulate_equals_one_apply_per_plane_and_instance(noisy, ncol):
    # an odd column count puts block starts at odd sample indices; 1300 rows span blocks
    tfs = _instances()
    bank = TransferBank(tfs)
    gen = np.random.default_rng(3)
    n_planes, rows = 4, 1300
    p = gen.uniform(-20, 220, (n_planes, rows, ncol)).astype(np.float32)
    inst = gen.integers(0, len(tfs), (n_planes, ncol))
    gain, factor = gen.uniform(0.5, 2, n_planes), gen.uniform(-1, 1, n_planes)
    e0 = gen.uniform(-0.01, 0.01, len(tfs))
    k, v0 = 1 / 200, 0.05
    acc = np.zeros((rows, ncol))
    rng = np.random.default_rng(9) if noisy else None
    ref = _reference(tfs, p, inst, k, v0, gain, factor, e0, copy.deepcopy(rng))
    bank.accumulate(acc, p, inst, k, v0, gain, factor, e0, rng)
    np.testing.assert_array_equal(acc, ref)
    if noisy:   # the noise acts, in every instance
        clean = np.zeros((rows, ncol))
        bank.accumulate(clean, p, inst, k, v0, gain, factor, e0, None)
        assert (clean != acc).mean() > 0.2


def test_accumulate_refuses_non_finite_partial_sums_and_bad_instances():
    bank = TransferBank(_instances())
    acc = np.zeros((3, 2))
    p = np.zeros((1, 3, 2), np.float32)
    p[0, 1, 1] = np.nan
    one = np.ones(1)
    with pytest.raises(InputError):
        bank.accumulate(acc, p, np.zeros((1, 2), np.int64), 1.0, 0.0, one, one,
                        np.zeros(3), np.random.default_rng(0))
    with pytest.raises(InputError, match="outside"):
        bank.accumulate(acc, np.zeros((1, 3, 2), np.float32), np.full((1, 2), 3), 1.0,
                        0.0, one, one, np.zeros(3), None)
