import numpy as np
import pytest

from dgcq_sim.errors import InputError, ParameterError
from dgcq_sim.metrics import lossless_bits, recovery_rate

from metrics_synth import IdealQuantizer


@pytest.mark.parametrize("bits", [1, 4, 8, 12])
def test_ideal_quantizer_has_exactly_its_bits(bits):
    q = IdealQuantizer(bits, -1.0, 2.0)
    assert lossless_bits(q.estimate, -1.0, 2.0, bits + 3) == bits
    assert recovery_rate(q.estimate, -1.0, 2.0, bits) == 1.0
    assert recovery_rate(q.estimate, -1.0, 2.0, bits + 1) == pytest.approx(0.5)


def test_noise_reduces_lossless_bits():
    q = IdealQuantizer(10)
    rng = np.random.default_rng(2)
    noisy = lambda v: q.estimate(v + rng.normal(0, 0.3 * q.lsb, v.shape))  # noqa: E731
    # 0.3 LSB rms at a level half an LSB from each edge: ~10 % of levels lost at 10 bits;
    # at 9 bits a level sits 1.5 LSB10 from the edges of its bin: kept with prob 1 - 1e-6
    assert recovery_rate(noisy, 0, 1, 10, repeats=4) == pytest.approx(0.904, abs=0.02)
    assert lossless_bits(noisy, 0, 1, 12, repeats=4) == 9


def test_offset_of_one_lsb_loses_the_top_bit():
    q = IdealQuantizer(8)
    shifted = lambda v: q.estimate(v + q.lsb)  # noqa: E731
    # A b-bit level sits mid-bin; +1 LSB8 moves it 2**(b-8) LSB_b: still in its b-bit bin
    # for b <= 6 (<= 1/4 LSB_b), exactly on the bin edge at b = 7 (lost), so 6 bits.
    assert lossless_bits(shifted, 0, 1, 10) == 6


def test_lossless_refuses_bad_callables():
    with pytest.raises(InputError, match="shape"):
        lossless_bits(lambda v: v[:-1], 0, 1, 4)
    with pytest.raises(InputError, match="non-finite"):
        lossless_bits(lambda v: v * np.nan, 0, 1, 4)
    with pytest.raises(ParameterError, match="threshold"):
        lossless_bits(lambda v: v, 0, 1, 4, threshold=1.5)


def test_early_exit_agrees_with_the_exact_rate():
    # lossless_bits abandons a failing b early; it must still agree with recovery_rate.  The
    # "noise" is a fixed function of the input value, so both see the same estimates.
    q = IdealQuantizer(9)
    for amp in (0.3, 0.505, 0.51, 0.52, 0.8):  # 9-bit rates 1, 0.95, 0.93, 0.89, 0.65
        def est(v, amp=amp):
            return q.estimate(v + amp * q.lsb * np.sin(7919.0 * v) ** 3)

        for thr in (0.9, 0.99, 0.999):
            exact = max([b for b in range(1, 11) if recovery_rate(est, 0, 1, b) >= thr],
                        default=0)
            assert lossless_bits(est, 0, 1, 10, threshold=thr) == exact
