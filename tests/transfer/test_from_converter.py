"""TransferFunction.from_converter: exact staircases and fitted noise of synthetic converters."""

from __future__ import annotations

import numpy as np
import pytest

from dgcq_sim.errors import ParameterError, QuantizerError
from dgcq_sim.transfer import TransferFunction

BITS = 11
LSB = 1.0 / 2 ** BITS


def piecewise(edges, codes):
    return lambda v: codes[np.searchsorted(edges, v, side="right")]


def leaky_dgcq(v, lam=0.995, gamma=1.02, n_iter=8, fine_bits=8):
    """Behavioural 3+8-bit DGCQ: retention lam < 1, reference charge gamma > 1, and a fine
    stage over-ranged by 1/4 on both sides (recombined with nominal weights).  At each
    counter increment the code drops by (gamma-1)·256 codes: non-monotonic."""
    acc = np.zeros_like(v)
    count = np.zeros(v.shape, dtype=np.int64)
    for _ in range(n_iter):
        acc = lam * acc + v
        d = acc >= 1.0
        acc = np.where(d, acc - gamma, acc)
        count += d
    n = 2 ** fine_bits
    fine = np.clip(np.floor((acc + 0.25) * n), 0, n + n // 2 - 1).astype(np.int64)
    return np.clip(count * n + fine - n // 4, 0, 2 ** BITS - 1)


def test_recovers_known_non_monotonic_edges_exactly():
    rng = np.random.default_rng(1)
    e = np.sort(rng.uniform(0.02, 0.98, 900))
    # Narrow codes far below the sweep step, between two different codes: still found.
    e = np.sort(np.concatenate([e, [0.5, 0.5 + 1e-9 * LSB, 0.5 + 2e-9 * LSB,
                                   0.7, 0.7 + 3e-3 * LSB]]))
    codes = rng.integers(0, 2 ** BITS, e.size + 1)
    codes[1:][codes[1:] == codes[:-1]] += 1          # a code change at every edge
    codes %= 2 ** BITS
    assert (codes[1:] != codes[:-1]).all()
    tf = TransferFunction.from_converter(piecewise(e, codes), 0.0, 1.0, BITS)
    assert tf.edges.shape == e.shape
    assert np.abs(tf.edges - e).max() <= 1e-12
    np.testing.assert_array_equal(tf.codes, codes)
    assert tf.meta["characterization"]["monotonic"] is False
    v = rng.uniform(0.0, 1.0, 100_000)
    np.testing.assert_array_equal(tf.convert(v), piecewise(e, codes)(v))


def test_leaky_dgcq_codes_identical_to_direct_on_random_inputs():
    tf = TransferFunction.from_converter(leaky_dgcq, 0.0, 1.0, BITS)
    info = tf.meta["characterization"]
    assert info["monotonic"] is False and info["missing_codes"] > 0   # leakage breaks both
    v = np.random.default_rng(2).uniform(0.0, 1.0, 200_000)
    np.testing.assert_array_equal(tf.convert(v), leaky_dgcq(v))
    # Each edge is a true transition: the codes one float below and at it differ.
    below = leaky_dgcq(np.nextafter(tf.edges, -np.inf))
    np.testing.assert_array_equal(below, tf.codes[:-1])
    np.testing.assert_array_equal(leaky_dgcq(tf.edges), tf.codes[1:])


def test_ideal_converter_gives_ideal_edges():
    def conv(v):
        return np.clip(np.floor(v * 2 ** BITS), 0, 2 ** BITS - 1).astype(np.int64)
    tf = TransferFunction.from_converter(conv, 0.0, 1.0, BITS, points_per_lsb=4)
    ideal = TransferFunction.ideal(BITS)
    np.testing.assert_array_equal(tf.edges, ideal.edges)
    np.testing.assert_array_equal(tf.codes, ideal.codes)
    assert tf.is_noise_free and tf.meta["characterization"]["monotonic"] is True


def test_range_across_zero_matches_ideal_bit_for_bit():
    # Bisection on the ordered-integer image of float64 crosses 0 V and tiny magnitudes.
    vmin, vmax = -0.5, 0.7

    def conv(v):
        code = np.floor((v - vmin) / (vmax - vmin) * 2 ** 10)
        return np.clip(code, 0, 2 ** 10 - 1).astype(np.int64)

    tf = TransferFunction.from_converter(conv, vmin, vmax, 10, points_per_lsb=3)
    ideal = TransferFunction.ideal(10, vmin, vmax)
    np.testing.assert_array_equal(tf.edges, ideal.edges)
    np.testing.assert_array_equal(conv(tf.edges), tf.codes[1:])
    np.testing.assert_array_equal(conv(np.nextafter(tf.edges, -np.inf)), tf.codes[:-1])


def test_excursion_beside_skipping_jump_found_by_refinement():
    # Staircase 5 | 7 | 6 (narrow) | 7 | 8: the sweep sees 5, 7, 7, 8 and skips code 6.
    step = LSB / 4                              # points_per_lsb = 4
    base = 2400 * step                          # a sweep point
    e = base + np.array([0.0, 0.4, 0.6, 3.0]) * step
    codes = np.array([5, 7, 6, 7, 8])
    conv = piecewise(e, codes)
    tf = TransferFunction.from_converter(conv, 0.0, 1.0, BITS, points_per_lsb=4, n_codes=16)
    info = tf.meta["characterization"]
    assert info["refine_windows"] >= 1 and info["refine_found"] == 2
    assert np.abs(tf.edges - e).max() <= 1e-12
    np.testing.assert_array_equal(tf.codes, codes)


def test_isolated_excursion_narrower_than_sweep_step_is_the_documented_limitation():
    # 3 | 4 (width step/10, between sweep points) | 3: invisible at this sweep density,
    # found with a sweep fine enough.  The meta says the staircase may be incomplete only
    # through 'monotonic' (the missed one is the only non-monotonic feature).
    step = LSB / 4
    e = np.array([0.2, 0.5 + 0.45 * step, 0.5 + 0.55 * step, 0.8])
    codes = np.array([2, 3, 4, 3, 5])
    coarse = TransferFunction.from_converter(piecewise(e, codes), 0.0, 1.0, BITS,
                                             points_per_lsb=4, n_codes=8)
    assert coarse.edges.size == 2
    fine = TransferFunction.from_converter(piecewise(e, codes), 0.0, 1.0, BITS,
                                           points_per_lsb=64, n_codes=8)
    assert np.abs(fine.edges - e).max() <= 1e-12
    assert fine.meta["characterization"]["monotonic"] is False


def _error_stats(codes, ref):
    d = (codes - ref).astype(np.float64)
    return d.mean(), d.std()


def _check_noise_fidelity(nf, noisy, label, n=300_000):
    tf = TransferFunction.from_converter(nf, 0.0, 1.0, BITS, convert_noisy=noisy,
                                         rng=np.random.default_rng(10))
    v = np.random.default_rng(11).uniform(0.0, 1.0, n)
    clean = nf(v)
    np.testing.assert_array_equal(tf.convert(v), clean)
    direct = noisy(v, np.random.default_rng(12))
    model = tf.convert(v, np.random.default_rng(13))
    ideal = np.floor(v * 2 ** BITS)
    for ref_name, ref in (("noise-free", clean), ("ideal", ideal)):
        md, sd = _error_stats(direct, ref)
        mm, sm = _error_stats(model, ref)
        # std within 5 %; mean within 5 % of the error's scale (max of |mean| and std,
        # since the mean of a zero-mean noise error has no relative size of its own).
        assert abs(sm / sd - 1) <= 0.05, (label, ref_name, sd, sm)
        assert abs(mm - md) <= 0.05 * max(abs(md), sd), (label, ref_name, md, mm)
    return tf


@pytest.mark.parametrize("sigma_lsb", [0.3, 1.0, 3.0])
def test_noise_fidelity_ideal_quantizer_with_input_noise(sigma_lsb):
    def nf(v):
        return np.clip(np.floor(v * 2 ** BITS), 0, 2 ** BITS - 1).astype(np.int64)

    def noisy(v, rng):
        return nf(v + sigma_lsb * LSB * rng.standard_normal(v.shape))

    tf = _check_noise_fidelity(nf, noisy, f"sigma={sigma_lsb}")
    inner = tf.noise_sigma[2:-2] / LSB
    assert abs(inner.mean() / sigma_lsb - 1) < 0.02
    assert np.abs(inner / sigma_lsb - 1).max() < 0.1


def test_noise_fidelity_input_dependent_noise_and_gain_offset():
    def nf(v):
        code = np.floor((1.01 * v + 0.7 * LSB) * 2 ** BITS)
        return np.clip(code, 0, 2 ** BITS - 1).astype(np.int64)

    def sig(v):                       # 0.2 LSB at the bottom, 2.6 LSB at the top, curved
        return LSB * (0.2 + 2.4 * v ** 2)

    def noisy(v, rng):
        return nf(v + sig(v) * rng.standard_normal(v.shape))

    tf = _check_noise_fidelity(nf, noisy, "input-dependent")
    g = tf.noise_grid[4:-4]
    np.testing.assert_allclose(tf.noise_sigma[4:-4], sig(g), rtol=0.1)


def test_noise_fidelity_leaky_dgcq_with_input_noise():
    def noisy(v, rng):
        return leaky_dgcq(v + 0.5 * LSB * rng.standard_normal(v.shape))
    _check_noise_fidelity(leaky_dgcq, noisy, "leaky dgcq")


def test_noise_fidelity_localized_comparator_noise():
    # 3+8-bit DGCQ without fine-stage redundancy: comparator noise in the coarse loop only
    # matters for inputs near a coarse decision, so the noise is concentrated in spots
    # narrower than the noise grid (the case the region-wise correction exists for).
    def dgcq(v, rng=None):
        if rng is not None:
            v = v + 0.3 * LSB * rng.standard_normal(v.shape)
        acc = np.zeros_like(v)
        count = np.zeros(v.shape, dtype=np.int64)
        for _ in range(8):
            acc = acc + v
            th = 1.0 if rng is None else 1.0 + 0.02 * rng.standard_normal(v.shape)
            d = acc >= th
            acc = np.where(d, acc - 1.0, acc)
            count += d
        fine = np.clip(np.floor(acc * 256), 0, 255).astype(np.int64)
        return np.clip(count * 256 + fine, 0, 2 ** BITS - 1)

    tf = _check_noise_fidelity(dgcq, dgcq, "comparator noise")
    assert tf.noise_sigma.max() > 5 * np.median(tf.noise_sigma)    # spiky profile
    assert tf.meta["characterization"]["noise"]["total_mismatch"] < 0.05


def test_from_converter_reproducible_and_meta():
    def nf(v):
        return np.clip(np.floor(v * 256), 0, 255).astype(np.int64)

    def noisy(v, rng):
        return nf(v + 1e-3 * rng.standard_normal(v.shape))

    a = TransferFunction.from_converter(nf, 0.0, 1.0, 8, convert_noisy=noisy,
                                        rng=np.random.default_rng(4), meta={"netlist": "x.cir"})
    b = TransferFunction.from_converter(nf, 0.0, 1.0, 8, convert_noisy=noisy,
                                        rng=np.random.default_rng(4), meta={"netlist": "x.cir"})
    assert a.noise_sigma.tobytes() == b.noise_sigma.tobytes()
    assert a.edges.tobytes() == b.edges.tobytes()
    for m in (a.meta, b.meta):
        assert m["characterization"].pop("created_utc").endswith("+00:00")
    assert a.meta == b.meta and a.meta["netlist"] == "x.cir"
    assert a.meta["characterization"]["noise"]["n_noise"] == 2048


def test_from_converter_with_code_values_and_fewer_codes():
    # 1.5-bit-style converter: 3 codes of a 2-bit word, estimates given by the designer.
    def conv(v):
        return (v >= 0.3).astype(np.int64) + (v >= 0.6)
    values = np.array([0.1, 0.45, 0.8])
    tf = TransferFunction.from_converter(conv, 0.0, 1.0, 2, code_values=values)
    assert tf.n_codes == 3 and tf.bits == 2
    np.testing.assert_allclose(tf.edges, [0.3, 0.6], rtol=0, atol=1e-15)
    v = np.random.default_rng(0).uniform(0, 1, 10_000)
    np.testing.assert_array_equal(tf.apply(v), values[conv(v)])
    with pytest.raises(ParameterError, match="n_codes"):
        TransferFunction.from_converter(conv, 0.0, 1.0, 1, code_values=values)


def test_from_converter_rejects_bad_converters():
    def ok(v):
        return np.clip(np.floor(v * 16), 0, 15).astype(np.int64)
    with pytest.raises(QuantizerError, match="code 16"):
        TransferFunction.from_converter(lambda v: np.floor(v * 17).astype(np.int64), 0, 1, 4)
    with pytest.raises(QuantizerError, match="integer"):
        TransferFunction.from_converter(lambda v: np.floor(v * 16), 0, 1, 4)
    with pytest.raises(QuantizerError, match="shape"):
        TransferFunction.from_converter(lambda v: ok(v)[:-1], 0, 1, 4)
    rng = np.random.default_rng(0)
    with pytest.raises(QuantizerError, match="deterministic"):
        TransferFunction.from_converter(lambda v: ok(v + 0.1 * rng.standard_normal(v.shape)),
                                        0, 1, 4)
    with pytest.raises(ParameterError, match="rng"):
        TransferFunction.from_converter(ok, 0, 1, 4, convert_noisy=lambda v, r: ok(v))
    with pytest.raises(ParameterError, match="points_per_lsb"):
        TransferFunction.from_converter(ok, 0, 1, 4, points_per_lsb=0)
    with pytest.raises(QuantizerError, match="convert_noisy"):
        TransferFunction.from_converter(ok, 0, 1, 4, convert_noisy=lambda v, r: ok(v) + 16,
                                        rng=rng)
