"""DESIGN §6 fidelity bar against the circuit engine: the bundled quantizers, characterized
into TransferFunctions, reproduce direct engine simulation on random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from dgcq_sim.quantizers import load_quantizer


def _compare_noise(q, tf, v):
    clean = q.convert(v, noise=False).codes
    np.testing.assert_array_equal(tf.convert(v), clean)
    direct = q.convert(v, noise=True, rng=np.random.default_rng(2)).codes - clean
    model = tf.convert(v, np.random.default_rng(3)) - clean
    # Enough code changes that the std itself is known to ~1.5 %.
    assert np.count_nonzero(direct) > 5000
    assert abs(model.std() / direct.std() - 1) <= 0.05, (direct.std(), model.std())
    assert abs(model.mean() - direct.mean()) <= 0.05 * max(abs(direct.mean()), direct.std())


@pytest.mark.parametrize("name", ["dgcq", "sar", "coarse"])
def test_characterized_quantizer_matches_engine(name):
    q = load_quantizer(name)
    assert q.has_noise, "the bundled netlists carry noise; this test checks its model"
    tf = q.characterize(np.random.default_rng(0))
    assert (tf.vmin, tf.vmax, tf.n_codes) == (q.vmin, q.vmax, q.n_codes)
    rng = np.random.default_rng(1)
    # Uniform over the full range (what an application sees) ...
    if tf.edges.size > 64:
        _compare_noise(q, tf, rng.uniform(q.vmin, q.vmax, 200_000))
    # ... and uniform within windows around the edges, where the noise acts (the only
    # way to get enough code changes from a 3-bit coarse quantizer).
    half = 4 * tf.noise_sigma.max()
    centre = rng.choice(tf.edges, 200_000)
    v = np.clip(centre + rng.uniform(-half, half, centre.size), q.vmin, q.vmax)
    _compare_noise(q, tf, v)
