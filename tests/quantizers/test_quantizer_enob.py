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


def test_top_plate_parasitic_costs_the_closed_form_sawtooth():
    """CPTOP alone: the fine SAR reads the residue with gain g = CT/(CT + CPTOP), CT = 2^NF CU,
    so each of the 2^NC coarse segments ends A = 2^NF (1 - g) LSB short: a sawtooth of
    variance A^2/12 on top of the quantization's 1/12 LSB^2, ENOB = 11 - log2(1 + A^2)/2
    (9.848 for 2 fF on 256 fF; the sine fit absorbs a little of the sawtooth's trend)."""
    cu, cptop, nf = 1e-15, 2e-15, 8
    q = load_quantizer("dgcq", {"CPTOP": cptop}, ideal=True)
    ct = 2 ** nf * cu
    a = 2 ** nf * cptop / (ct + cptop)
    want = 11 - 0.5 * np.log2(1 + a * a)
    assert enob(q) == pytest.approx(want, abs=0.04)
    assert enob(load_quantizer("dgcq", {"CPTOP": 2 * cptop}, ideal=True)) == pytest.approx(
        11 - 0.5 * np.log2(1 + (2 ** nf * 2 * cptop / (ct + 2 * cptop)) ** 2), abs=0.04)


def test_default_enob_lies_between_its_noise_free_error_and_power_addition():
    """With every default non-ideality, noise can only add error (upper bound: the same
    circuit noise-free) and at worst adds in power to the static error (lower bound: rms of
    the noise-free error and of the noise, measured as noisy minus noise-free estimates of
    the same inputs); the measured 9.94 sits inside that 0.5-bit window, and over-range wins
    some ENOB back."""
    q = load_quantizer("dgcq", {})
    m = coherent_cycles(N)
    v = coherent_sine(N, m, q.vmin, q.vmax)
    fsr = q.vmax - q.vmin
    quiet = q.convert(v, noise=False).estimate
    noisy = q.convert(v, rng=np.random.default_rng(0)).estimate
    upper = sine_metrics(quiet, q.vmin, q.vmax, frequency=m / N).enob
    plain = sine_metrics(noisy, q.vmin, q.vmax, frequency=m / N).enob
    rms_static = fsr / (np.sqrt(12) * 2 ** upper)
    noise_var = np.var(noisy - quiet)
    lower = np.log2(fsr / (np.sqrt(12) * np.sqrt(rms_static ** 2 + noise_var)))
    assert 0.3 < upper - lower < 0.6            # the window the physics leaves
    assert lower < plain < upper
    assert enob(q, seed=1) == pytest.approx(plain, abs=0.03)   # seed-to-seed spread
    over = enob(load_quantizer("dgcq", {"OVERRANGE": 1}))
    assert over > plain + 0.1
