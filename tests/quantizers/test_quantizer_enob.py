"""ENOB (IEEE 1241 sine fit, dgcq_sim.metrics) of ideal quantizers equals their bits; the
default non-idealities cost ENOB, and over-range wins some of it back."""

import numpy as np
import pytest

from dgcq_sim.metrics import coherent_cycles, coherent_sine, sine_metrics
from dgcq_sim.quantizers import load_quantizer

N = 8192


def enob(q, seed=0):
    m = coherent_cycles(N)
    v = coherent_sine(N, m, q.vmin, q.vmax)
    est = q.convert(v, rng=np.random.default_rng(seed)).estimate
    return sine_metrics(est, q.vmin, q.vmax, frequency=m / N).enob


@pytest.mark.parametrize("name,params,bits", [("sar", {"NBITS": 8}, 8), ("dgcq", {}, 11),
                                              ("coarse", {"NITER": 256}, 8),
                                              ("dgcq", {"NC": 2, "NF": 6, "OVERRANGE": 1}, 8)])
def test_ideal_enob_equals_bits(name, params, bits):
    q = load_quantizer(name, params, ideal=True)
    assert q.bits == bits
    assert enob(q) == pytest.approx(bits, abs=0.05)


def test_default_nonidealities_cost_enob_and_overrange_recovers_some():
    plain = enob(load_quantizer("dgcq", {}))
    over = enob(load_quantizer("dgcq", {"OVERRANGE": 1}))
    assert 9.0 < plain < 10.8
    assert over > plain + 0.1
