import math

import numpy as np
import pytest

from dgcq_sim.errors import InputError, ParameterError
from dgcq_sim.metrics import (coherent_cycles, coherent_sine, fft_sinad_db, fit_sine,
                              sine_metrics, static_enob, uniform_ramp)

from metrics_synth import IdealQuantizer


def test_coherent_sine_is_coherent_and_in_range():
    v = coherent_sine(4096, 129, 0.2, 1.2, amplitude_fraction=0.5)
    assert v.min() >= 0.2 + 0.25 - 1e-12 and v.max() <= 1.2 - 0.25 + 1e-12
    spec = np.abs(np.fft.rfft(v - v.mean()))
    assert int(np.argmax(spec)) == 129
    assert spec[129] > 1e6 * np.delete(spec, 129).max()  # a whole number of cycles: no leakage


def test_coherent_cycles_is_coprime():
    for n in (1000, 4096, 12345):
        m = coherent_cycles(n)
        assert math.gcd(m, n) == 1 and 0 < m < n / 2


def test_fit_recovers_known_parameters():
    n = 5000
    t = np.arange(n)
    f, a, ph, c = 0.01234567, 0.37, 1.1, 0.55
    rng = np.random.default_rng(1)
    y = c + a * np.cos(2 * np.pi * f * t + ph) + rng.normal(0, 1e-3, n)
    fit = fit_sine(y)
    assert fit.frequency == pytest.approx(f, rel=1e-6)
    assert fit.amplitude == pytest.approx(a, rel=1e-3)
    assert fit.offset == pytest.approx(c, abs=1e-4)
    assert fit.phase == pytest.approx(ph, abs=2e-3)
    assert fit.rms_residual == pytest.approx(1e-3, rel=0.05)


@pytest.mark.parametrize("bits", [6, 8, 10, 12])
def test_ideal_quantizer_enob_equals_bits(bits):
    q = IdealQuantizer(bits, -0.5, 1.5)
    v = coherent_sine(2 ** 14, None, q.vmin, q.vmax)
    m = sine_metrics(q.estimate(v), q.vmin, q.vmax)
    assert m.enob == pytest.approx(bits, abs=0.02)
    assert m.enob_fft == pytest.approx(bits, abs=0.05)
    assert m.sinad_fft_db == pytest.approx(m.sinad_db, abs=0.01)  # coherent record: same noise


def test_enob_is_amplitude_independent_but_sinad_is_not():
    q = IdealQuantizer(10)
    full = sine_metrics(q.estimate(coherent_sine(2 ** 14, None, 0, 1)), 0, 1)
    half = sine_metrics(q.estimate(coherent_sine(2 ** 14, None, 0, 1, amplitude_fraction=0.5)), 0, 1)
    assert half.enob == pytest.approx(full.enob, abs=0.05)
    assert full.enob_sinad - half.enob_sinad == pytest.approx(1.0, abs=0.05)  # -6 dB = 1 bit


def test_enob_drops_with_known_white_noise():
    # 10-bit ideal quantizer plus 1 LSB rms Gaussian noise: rms error sqrt(1/12 + 1) LSB.
    q = IdealQuantizer(10)
    rng = np.random.default_rng(3)
    v = coherent_sine(2 ** 15, None, 0, 1, amplitude_fraction=0.9)
    est = q.estimate(v + rng.normal(0, q.lsb, v.size))
    expected = 10 - math.log2(math.sqrt(12 * (1 / 12 + 1)))
    assert sine_metrics(est, 0, 1).enob == pytest.approx(expected, abs=0.03)


def test_static_enob_ideal_and_gain_error():
    q = IdealQuantizer(8)
    x = uniform_ramp(2 ** 8 * 64, 0, 1)
    assert static_enob(q.estimate(x), x, 0, 1) == pytest.approx(8, abs=0.01)
    # a 2 % gain error adds a ramp error: 1.02 (x + e) - x = 0.02 x + 1.02 e with x uniform on
    # [0, 1] and e the quantization error (rms LSB/sqrt(12), uncorrelated with x):
    # rms^2 = 0.02^2/3 + 1.02^2 / (12 * 256^2), ENOB = log2(1 / (sqrt(12) rms)) = 4.637
    rms = math.sqrt(0.02 ** 2 / 3 + 1.02 ** 2 / (12 * 256 ** 2))
    expected = math.log2(1 / (math.sqrt(12) * rms))
    assert expected == pytest.approx(4.637, abs=1e-3)
    assert static_enob(q.estimate(x) * 1.02, x, 0, 1) == pytest.approx(expected, abs=0.005)


def test_fft_sinad_of_pure_tone_plus_noise():
    n = 4096
    t = np.arange(n)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, n)
    y = np.sin(2 * np.pi * 101 * t / n) + noise
    expected = 10 * np.log10(0.5 / np.var(noise))
    assert fft_sinad_db(y) == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("bad, err", [
    (np.array([1.0, np.nan] * 20), InputError),
    (np.ones(5), InputError),
    (np.ones((20, 2)), InputError),
    (np.ones(64), InputError),  # constant: no sine
])
def test_sine_metrics_refuse_bad_input(bad, err):
    with pytest.raises(err):
        sine_metrics(bad, 0, 1)


def test_bad_ranges_and_cycles():
    with pytest.raises(ParameterError, match="vmin"):
        sine_metrics(np.sin(np.arange(100)), 1, 1)
    with pytest.raises(ParameterError, match="coprime"):
        coherent_sine(1024, 64, 0, 1)
    with pytest.raises(InputError, match="length"):
        static_enob(np.zeros(10), np.zeros(11), 0, 1)


def test_far_out_of_range_estimates_are_a_typed_error():
    """Found by the fuzzer: a 1.5e154 V estimate among zeros hit log10(0) in the SINAD."""
    import numpy as np
    import pytest

    from dgcq_sim.errors import InputError
    from dgcq_sim.metrics import sine_metrics

    y = np.zeros(16)
    y[-1] = 1.4874705067790025e154
    with pytest.raises(InputError, match="million full scales"):
        sine_metrics(y, 0.0, 1.0)
