"""evaluate_quantizer on synthetic quantizers whose metrics are known in closed form."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from dgcq_sim.cost import CapBlock, HardwareSpec, estimate
from dgcq_sim.errors import InputError, ParameterError
from dgcq_sim.evaluate import METRIC_KEYS, evaluate_quantizer


class SynthQuantizer:
    """Uniform n-bit quantizer with optional transition shifts (LSB) and Gaussian input noise."""

    kind = "sar"

    def __init__(self, bits, vmin=0.0, vmax=1.0, shift_lsb=None, noise_lsb=0.0, sigma_lsb=0.2):
        self.bits, self.vmin, self.vmax = bits, vmin, vmax
        self.n_codes = 2 ** bits
        self.lsb = (vmax - vmin) / self.n_codes
        self.noise_lsb, self.sigma_lsb = noise_lsb, sigma_lsb
        shift = np.zeros(self.n_codes - 1) if shift_lsb is None else shift_lsb
        self.transitions = vmin + (np.arange(1, self.n_codes) + shift) * self.lsb

    def convert(self, v, noise=True, rng=None):
        v = np.asarray(v, dtype=float)
        if noise and self.noise_lsb > 0:
            v = v + rng.normal(0, self.noise_lsb * self.lsb, v.shape)
        codes = np.searchsorted(self.transitions, v, side="right").astype(np.int64)
        return SimpleNamespace(codes=codes, estimate=self.vmin + (codes + 0.5) * self.lsb)

    def instance(self, k):
        shift = np.random.default_rng(1000 + k).normal(0, self.sigma_lsb, self.n_codes - 1)
        return SynthQuantizer(self.bits, self.vmin, self.vmax, shift, self.noise_lsb)

    def hardware(self):
        n = self.bits
        return HardwareSpec(architecture="sar", bits=n, cycles=n + 2, latency=(n + 2) * 1e-8,
                            vref=self.vmax - self.vmin, vdd=1.0,
                            caps=(CapBlock("dac", 2.0 ** n * 1e-15, 1, 0.5),), comparators=1,
                            comparator_decisions=n, opamps=0, opamp_seconds=0.0, logic_bits=n,
                            logic_bit_cycles=float(n * n))


@pytest.mark.parametrize("bits", [8, 11])
def test_ideal_quantizer(bits):
    q = SynthQuantizer(bits, -0.2, 0.8)
    m = evaluate_quantizer(q, rng=np.random.default_rng(0))
    assert set(METRIC_KEYS) <= set(m)
    assert m["enob_sine"] == pytest.approx(bits, abs=0.05)
    assert m["enob_static"] == pytest.approx(bits, abs=0.02)
    assert m["dnl_max"] == pytest.approx(0, abs=1e-9) and m["inl_max"] == pytest.approx(0, abs=1e-9)
    assert m["missing_codes"] == 0 and m["lossless_bits"] == bits
    cost = estimate(q.hardware())
    assert m["energy_j"] == cost.energy_j and m["area_um2"] == cost.area_um2
    assert m["cycles"] == bits + 2 and m["latency_s"] == pytest.approx((bits + 2) * 1e-8)
    assert m["walden_fom_j"] == pytest.approx(cost.energy_j / 2 ** m["enob_sine"])


def test_noise_lowers_enob_as_predicted():
    q = SynthQuantizer(10, noise_lsb=1.0)
    m = evaluate_quantizer(q, rng=np.random.default_rng(1), n_sine=2 ** 15)
    expected = 10 - math.log2(math.sqrt(12 * (1 / 12 + 1)))
    assert m["enob_sine"] == pytest.approx(expected, abs=0.05)
    assert m["enob_static"] == pytest.approx(expected, abs=0.05)
    assert m["lossless_bits"] < 10


def test_monte_carlo_over_mismatch_instances():
    q = SynthQuantizer(8, sigma_lsb=0.3)
    m = evaluate_quantizer(q, rng=np.random.default_rng(2), mc=5, progress=False)
    assert m["mc"] == 5
    for key in METRIC_KEYS:
        assert m[key]["p5"] <= m[key]["mean"] + 1e-12 <= m[key]["p95"] + 2e-12
    # transition mismatch of 0.3 LSB rms: DNL rms ~ 0.42 LSB, so max |DNL| well above 0.5
    assert m["dnl_max"]["p5"] > 0.5
    assert m["enob_sine"]["mean"] < 8.0
    again = evaluate_quantizer(q, rng=np.random.default_rng(2), mc=5, progress=False)
    assert again == m


def test_refuses_bad_arguments():
    q = SynthQuantizer(6)
    with pytest.raises(ParameterError, match="Generator"):
        evaluate_quantizer(q, rng=0)
    with pytest.raises(ParameterError, match="mc"):
        evaluate_quantizer(q, rng=np.random.default_rng(), mc=0)
    with pytest.raises(ParameterError, match="n_sine"):
        evaluate_quantizer(q, rng=np.random.default_rng(), n_sine=8)
    with pytest.raises(InputError, match="not a quantizer"):
        evaluate_quantizer(object(), rng=np.random.default_rng())
