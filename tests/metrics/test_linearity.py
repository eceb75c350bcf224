import warnings

import numpy as np
import pytest

from dgcq_sim.errors import InputError, ParameterError
from dgcq_sim.metrics import code_density, coherent_sine, uniform_ramp

from metrics_synth import IdealQuantizer


def test_ramp_ideal_is_exactly_linear():
    q = IdealQuantizer(8)
    lin = code_density(q.codes(uniform_ramp(256 * 32, 0, 1)), 256, "ramp")
    assert lin.dnl_max == pytest.approx(0, abs=1e-12)
    assert lin.inl_max == pytest.approx(0, abs=1e-12)
    assert lin.missing_codes == 0 and lin.first_code == 0 and lin.last_code == 255


def test_ramp_recovers_injected_dnl_and_missing_code():
    rng = np.random.default_rng(5)
    shift = rng.uniform(-0.3, 0.3, 63)
    shift[30] = 1.0  # transition into code 31 moves onto the one into code 32:
    shift[31] = 0.0  # code 30 is 2 LSB wide and code 31 vanishes (missing code)
    q = IdealQuantizer(6, edges_lsb=shift)
    lin = code_density(q.codes(uniform_ramp(64 * 2000, 0, 1)), 64, "ramp")
    # true widths in LSB (endpoint fit: transitions 1 and 63 define the line)
    t = np.arange(1, 64) + shift
    lsb = (t[-1] - t[0]) / 62
    true_dnl = np.diff(t) / lsb - 1
    true_inl = (t - t[0]) / lsb - np.arange(63)
    assert np.max(np.abs(lin.dnl - true_dnl)) < 0.01
    assert np.max(np.abs(lin.inl - true_inl)) < 0.01
    assert lin.missing_codes == 1 and lin.dnl[31 - 1] == -1.0


def test_sine_histogram_recovers_injected_dnl():
    rng = np.random.default_rng(7)
    shift = rng.uniform(-0.25, 0.25, 255)
    q = IdealQuantizer(8, edges_lsb=shift)
    v = coherent_sine(2 ** 20, None, 0, 1, amplitude_fraction=0.9995)
    lin = code_density(q.codes(v), 256, "sine")
    t = np.arange(1, 256) + shift
    lsb = (t[-1] - t[0]) / 254
    true_dnl = np.diff(t) / lsb - 1
    assert np.max(np.abs(lin.dnl - true_dnl)) < 0.05
    # without the arcsine correction the same histogram would show large DNL at the ends
    assert lin.dnl_max < 0.6


def test_code_density_refuses_bad_input():
    with pytest.raises(InputError, match="0..15"):
        code_density(np.array([0, 3, 16]), 16)
    with pytest.raises(InputError, match="3 codes"):
        code_density(np.array([4, 5, 4, 5]), 16)
    with pytest.raises(InputError, match="integers"):
        code_density(np.array([0.5, 1.0, 2.0]), 16)
    with pytest.raises(InputError, match="non-finite"):
        code_density(np.array([0.0, np.nan, 2.0]), 16)
    with warnings.catch_warnings():    # no cast warning: refused before the int64 cast
        warnings.simplefilter("error")
        with pytest.raises(InputError, match=r"1e\+30 at index 1.*2\*\*53"):
            code_density(np.array([0.0, 1e30, 2.0]), 16)
    with pytest.raises(ParameterError, match="stimulus"):
        code_density(np.array([0, 1, 2]), 16, "triangle")
