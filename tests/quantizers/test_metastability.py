"""Comparator metastability (TAU_REG, TDEC): a decision whose input lies within
VDD*exp(-TDEC/TAU_REG) of its threshold resolves at random — the closed-form error rate."""

import math

import numpy as np
import pytest

from dgcq_sim.quantizers import load_quantizer
from dgcq_sim.quantizers.stepping import step_numpy

TAU, TDEC = 20e-12, 60e-12          # window = 1 V * exp(-3) = 49.8 mV


def test_window_is_the_regeneration_closed_form():
    q = load_quantizer("flash", {"NBITS": 1, "TAU_REG": TAU, "TDEC": TDEC}, ideal=True)
    assert q.schedule.decisions[0].metastable == pytest.approx(math.exp(-3))
    assert load_quantizer("flash").schedule.decisions[0].metastable == 0.0   # default off
    assert q.has_noise


@pytest.mark.parametrize("method", ["response", "stepping", "numpy"])
def test_error_rate_is_one_half_inside_the_window_and_zero_outside(method):
    q = load_quantizer("flash", {"NBITS": 1, "TAU_REG": TAU, "TDEC": TDEC}, ideal=True)
    w = math.exp(-3)
    offsets = np.array([-0.08, -0.06, -0.045, -0.02, 0.0, 0.02, 0.045, 0.06, 0.08])
    n = 4000
    v = np.repeat(0.5 + offsets, n)
    if method == "numpy":
        codes = step_numpy(q, v, noise=True, rng=np.random.default_rng(2))[1][:, 0]
    else:
        codes = q.convert(v, noise=True, method=method, rng=np.random.default_rng(2)).codes
    err = (codes != (v >= 0.5)).reshape(len(offsets), n).mean(axis=1)
    expect = np.where(np.abs(offsets) < w, 0.5, 0.0)
    # binomial sd of a rate 1/2 over 4000 draws is 0.008: 5 sd
    np.testing.assert_allclose(err, expect, atol=0.04)
    # noise-free, a metastable latch resolves to its input's sign
    np.testing.assert_array_equal(q.convert(v, noise=False).codes, v >= 0.5)


def test_sar_errors_grow_with_the_window_in_lsb():
    """Any trial whose residue lies inside the window resolves at random and the later bits
    cannot undo a wrong one: errors reach about window/LSB codes (sparkles of several
    codes when the window exceeds an LSB), and stay within one code when it is below."""
    v = np.random.default_rng(0).uniform(0.3, 0.7, 50_000)
    for tdec, max_err in ((90e-12, None), (140e-12, 1)):
        q = load_quantizer("sar", {"NBITS": 8, "TAU_REG": TAU, "TDEC": tdec}, ideal=True)
        w_lsb = math.exp(-tdec / TAU) * 256                 # window in LSB
        err = np.abs(q.convert(v, noise=True, rng=np.random.default_rng(1)).codes
                     - np.floor(v * 256))
        assert err.max() <= math.ceil(w_lsb) + 1
        if max_err is None:                                 # 2.8 LSB window
            assert err.max() >= 2 and np.mean(err >= 2) > 0.05
        else:                                               # 0.23 LSB window
            assert err.max() <= max_err and 0 < np.mean(err > 0) < 0.5
