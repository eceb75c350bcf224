"""Ideal quantizers reproduce the ideal staircase exactly; the slides' worked example."""

import numpy as np
import pytest

from dgcq_sim.quantizers import load_quantizer


def grid(n_codes: int, full_scale: float, per_code: int = 7) -> np.ndarray:
    """Inputs strictly inside every code bin (away from transitions by >= 1e-3 LSB)."""
    frac = np.linspace(1e-3, 1 - 1e-3, per_code)
    return ((np.arange(n_codes)[:, None] + frac[None, :]) * full_scale / n_codes).ravel()


@pytest.mark.parametrize("nbits", [4, 8, 10])
def test_ideal_sar_is_floor(nbits):
    q = load_quantizer("sar", {"NBITS": nbits, "VREF": 0.8}, ideal=True)
    assert (q.n_codes, q.bits, q.vmax) == (2 ** nbits, nbits, 0.8)
    v = grid(2 ** nbits, 0.8)
    r = q.convert(v, noise=False)
    np.testing.assert_array_equal(r.codes, np.floor(v / 0.8 * 2 ** nbits).astype(np.int64))
    np.testing.assert_array_equal(r.fine, r.codes)
    assert not np.any(r.coarse)


@pytest.mark.parametrize("gain,niter", [(1.0, 8), (0.5, 8), (1.0, 16), (0.5, 32)])
def test_ideal_coarse_is_floor_of_n_g_vs(gain, niter):
    q = load_quantizer("coarse", {"GAIN": gain, "NITER": niter}, ideal=True)
    assert q.n_codes == int(niter * gain) and q.vmax == 1.0
    v = grid(q.n_codes, q.vmax, 31)
    r = q.convert(v, noise=False)
    np.testing.assert_array_equal(r.codes, np.floor(niter * gain * v).astype(np.int64))
    np.testing.assert_array_equal(r.coarse, r.codes)


@pytest.mark.parametrize("nc,nf,overrange", [(3, 8, 0), (2, 4, 0), (3, 8, 1), (1, 6, 1), (0, 5, 0), (1, 1, 1)])
def test_ideal_dgcq_is_floor(nc, nf, overrange):
    q = load_quantizer("dgcq", {"NC": nc, "NF": nf, "OVERRANGE": overrange}, ideal=True)
    assert q.bits == nc + nf and q.stage_bits("fine") == nf + overrange
    v = grid(q.n_codes, 1.0, 3)
    r = q.convert(v, noise=False)
    expect = np.floor(v * 2 ** (nc + nf)).astype(np.int64)
    np.testing.assert_array_equal(r.codes, expect)
    np.testing.assert_array_equal(r.coarse, expect >> nf)


def test_worked_example_of_the_slides():
    """Vs = 0.01100011010b * VREF (+ half an 11-bit LSB): coarse 011, fine 00011010."""
    q = load_quantizer("dgcq", {"GAIN": 1, "VREF": 1, "NC": 3, "NF": 8}, ideal=True)
    vs = int("01100011010", 2) / 2 ** 11 + 0.5 / 2 ** 11
    r = q.convert(np.array([vs]), noise=False)
    assert np.binary_repr(int(r.coarse[0]), 3) == "011"
    assert np.binary_repr(int(r.fine[0]), 8) == "00011010"
    assert int(r.codes[0]) == 0b01100011010
    assert abs(r.estimate[0] - vs) < 1e-12


def test_out_of_range_inputs_are_clipped():
    q = load_quantizer("dgcq", {"NC": 2, "NF": 4}, ideal=True)
    r = q.convert(np.array([-0.5, q.vmin, q.vmax, q.vmax + 3.0, 1e6]), noise=False)
    np.testing.assert_array_equal(r.codes, [0, 0, q.n_codes - 1, q.n_codes - 1, q.n_codes - 1])


def test_shape_is_kept_and_estimate_is_bin_centre():
    q = load_quantizer("sar", {"NBITS": 6}, ideal=True)
    v = np.linspace(0.01, 0.99, 12).reshape(3, 4)
    r = q.convert(v, noise=False)
    assert r.codes.shape == (3, 4) and r.estimate.shape == (3, 4)
    np.testing.assert_allclose(r.estimate, (r.codes + 0.5) / 64)
    assert np.max(np.abs(r.estimate - v)) <= 0.5 / 64 + 1e-15
