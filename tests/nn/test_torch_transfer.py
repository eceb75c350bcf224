"""The torch staircase is the TransferFunction's: same codes, same noise statistics."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dgcq_sim.nn.torch import TorchTransfer  # noqa: E402
from dgcq_sim.nn.torch.transfer import resolve_quantizer  # noqa: E402
from dgcq_sim.errors import ParameterError  # noqa: E402
from dgcq_sim.transfer import TransferFunction  # noqa: E402


def _random_tf(rng, noise=False):
    edges = np.sort(rng.uniform(0.1, 0.9, 40))
    codes = np.minimum(np.arange(41) + rng.integers(0, 2, 41), 63)
    kw = {"noise_grid": np.array([0.0, 0.5, 1.0]), "noise_sigma": np.array([1e-3, 4e-3, 2e-3])} if noise else {}
    return TransferFunction(0.0, 1.0, 6, edges, np.sort(codes), **kw)


def _clustered_tf():
    """30 of the edges within 3e-8 V."""
    edges = np.sort(np.concatenate([np.linspace(0.05, 0.95, 20), 0.5 + 1e-9 * np.arange(30)]))
    return TransferFunction(0.0, 1.0, 6, edges, np.arange(edges.size + 1))


@pytest.mark.parametrize("which", ["ideal", "random", "clustered"])
def test_codes_and_estimates_equal_the_numpy_kernels(which):
    rng = np.random.default_rng(3)
    tf = {"ideal": lambda: TransferFunction.ideal(5, -0.2, 0.9), "random": lambda: _random_tf(rng),
          "clustered": _clustered_tf}[which]()
    v = np.concatenate([rng.uniform(tf.vmin - 0.3, tf.vmax + 0.3, 20000), tf.edges,
                        np.nextafter(tf.edges, -np.inf), [tf.vmin, tf.vmax]])
    tt = TorchTransfer(tf)
    assert np.array_equal(tt.convert(torch.from_numpy(v)).numpy(), tf.convert(v))
    assert np.array_equal(tt.apply(torch.from_numpy(v)).numpy(), tf.apply(v))


def test_noise_sigma_follows_the_tf_noise_model():
    tf = _random_tf(np.random.default_rng(1), noise=True)
    tt = TorchTransfer(tf)
    v = torch.tensor([0.0, 0.25, 0.5, 0.8, 1.0, -1.0, 2.0], dtype=torch.float64)
    assert np.allclose(tt.sigma(v).numpy(), tf.sigma(v.numpy()), rtol=1e-12, atol=0)
    # grids whose buckets hold grid points (a cluster, random points) take the exact search
    rng = np.random.default_rng(5)
    for grid in (np.concatenate([[0.0], 0.3 + 1e-9 * np.arange(20), [1.0]]),
                 np.sort(np.concatenate([[0.0, 1.0], rng.uniform(0, 1, 100)]))):
        odd = tf.with_noise(grid, rng.uniform(1e-4, 1e-3, grid.size))
        assert odd._g_scan
        x = np.concatenate([rng.uniform(-0.2, 1.2, 5000), grid, np.nextafter(grid, 2.0)])
        np.testing.assert_allclose(TorchTransfer(odd).sigma(torch.from_numpy(x)).numpy(),
                                   odd.sigma(x), rtol=1e-12, atol=1e-18)
    # a fine ideal staircase shows the added noise directly: std of the estimates at one input
    fine = TransferFunction.ideal(16, 0.0, 1.0).with_noise([0.0, 1.0], [2e-3, 2e-3])
    tf_fine = TorchTransfer(fine)
    x = torch.full((200000,), 0.5, dtype=torch.float64)
    est = tf_fine.apply(x, torch.Generator().manual_seed(0)).numpy()
    assert abs(est.std() / 2e-3 - 1) < 0.02
    assert abs(est.mean() - 0.5) < 3 * 2e-3 / np.sqrt(x.numel()) + 2 ** -17


def test_quantizer_specs():
    assert resolve_quantizer("ideal:3").n_codes == 8
    with pytest.raises(ParameterError, match="ideal:BITS"):
        resolve_quantizer("ideal:x")
    with pytest.raises(ParameterError, match="TransferFunction"):
        resolve_quantizer(3.0)
