"""characterize() -> TransferFunction meets DESIGN section 6's fidelity bar."""

import numpy as np
import pytest

from dgcq_sim.quantizers import load_quantizer


def test_transfer_function_matches_direct_simulation():
    q = load_quantizer("dgcq", {"NC": 3, "NF": 8})
    tf = q.characterize(rng=np.random.default_rng(0))
    assert (tf.vmin, tf.vmax, tf.bits) == (q.vmin, q.vmax, q.bits)
    v = np.random.default_rng(1).uniform(0, 1, 100000)
    static = q.convert(v, noise=False).codes
    np.testing.assert_array_equal(tf.convert(v), static)
    e_tf = tf.convert(v, rng=np.random.default_rng(2)) - static
    e_q = q.convert(v, rng=np.random.default_rng(3)).codes - static
    assert np.std(e_tf) == pytest.approx(np.std(e_q), rel=0.05)
    assert abs(np.mean(e_tf) - np.mean(e_q)) < 0.05 * np.std(e_q)
    np.testing.assert_allclose(tf.to_voltage(static[:100]), q.code_to_voltage(static[:100]))
