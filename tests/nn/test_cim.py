"""CIM mapping: exact reproduction with a perfect converter, ADC closed forms, ranges, noise."""

from __future__ import annotations

import numpy as np
import pytest

from dgcq_sim.errors import InputError, ParameterError
from dgcq_sim.nn.cim import (Adc, CimConfig, CimModel, IdentityTransfer, psum_bound, row_blocks,
                             zero_volts)
from dgcq_sim.nn.forward import top1
from dgcq_sim.transfer import TransferFunction


@pytest.mark.parametrize("cfg", [
    CimConfig(),
    CimConfig(signed="pos-neg", input_bits_per_cycle=2, weight_bits_per_cell=4, rows=64),
    CimConfig(signed="offset", input_bits_per_cycle=1, weight_bits_per_cell=3, rows=256),
    CimConfig(signed="differential", input_bits_per_cycle=4, weight_bits_per_cell=2, rows=16,
              digital_first_last=False),
    CimConfig(row_split="balanced", rows=100),
    CimConfig(signed="pos-neg", row_split="balanced", input_bits_per_cycle=2, rows=50),
], ids=["default", "posneg-2-4-64", "offset-1-3-256", "diff-4-2-16-all-analog",
        "balanced-100", "posneg-balanced-2-50"])
def test_perfect_converter_reproduces_digital_int8(qm, test_set, calib, cfg):
    cfg = CimConfig(**{**cfg.__dict__, "range_method": "bound", "calib_images": 1})
    cm = CimModel(qm, IdentityTransfer(), cfg)
    cm.calibrate(calib.x)
    x = test_set.x[::500]
    ref = qm.predict(x)
    got = cm.predict(x)
    # shift-and-add of exact partial sums through a volts round trip: float64 round-off only
    np.testing.assert_allclose(got, ref, atol=2e-4, rtol=0)


def test_conversion_count_closed_form(qm):
    # ResNet-20, R=128, one conversion per array (8-bit inputs, 8-bit cells, differential),
    # stem and fc digital: layer1 6 convs K=144 -> 2 arrays x 16*32*32 outputs; layer2
    # conv1 of block 0 K=144 -> 2 x 32*16*16, shortcut K=16 -> 1, five convs K=288 -> 3;
    # layer3: K=288 -> 3, shortcut K=32 -> 1, five convs K=576 -> 5, with 64*8*8 outputs.
    want = 6 * 2 * 16384 + (2 + 1 + 5 * 3) * 8192 + (3 + 1 + 5 * 5) * 4096
    assert CimModel(qm, IdentityTransfer()).conversions_per_image() == want
    bit_serial = CimModel(qm, IdentityTransfer(), CimConfig(input_bits_per_cycle=1,
                                                             weight_bits_per_cell=1,
                                                             signed="pos-neg"))
    assert bit_serial.conversions_per_image() == want * 8 * 7 * 2


@pytest.mark.parametrize("k, rows", [(144, 128), (576, 128), (16, 128), (1000, 16), (257, 256),
                                     (128, 128), (7, 16)])
def test_row_blocks_cover_every_row_once(k, rows):
    packed = row_blocks(k, CimConfig(rows=rows))
    balanced = row_blocks(k, CimConfig(rows=rows, row_split="balanced"))
    n = -(-k // rows)
    for blocks in (packed, balanced):
        assert len(blocks) == n
        assert blocks[0][0] == 0 and blocks[-1][1] == k
        assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
        assert all(0 < r1 - r0 <= rows for r0, r1 in blocks)
    sizes = [r1 - r0 for r0, r1 in balanced]
    assert max(sizes) - min(sizes) <= 1
    assert all(r1 - r0 == rows for r0, r1 in packed[:-1])


def test_balanced_split_lowers_the_bound_and_keeps_the_conversions(qm):
    # K = 144 on 128 rows: packed 128 + 16, balanced 72 + 72 (same two conversions)
    packed, balanced = CimConfig(), CimConfig(row_split="balanced")
    assert psum_bound(balanced, 144, 255, 127) == 72 * 255 * 127
    assert psum_bound(packed, 144, 255, 127) == 128 * 255 * 127
    assert (CimModel(qm, IdentityTransfer(), balanced).conversions_per_image()
            == CimModel(qm, IdentityTransfer(), packed).conversions_per_image())


@pytest.mark.parametrize("unsigned", [False, True])
def test_ideal_adc_error_is_half_an_lsb(unsigned):
    bits, prange = 10, 5000.0
    adc = Adc(TransferFunction.ideal(bits, -0.3, 0.9), prange, unsigned, zero_cal=False)
    lo = 0 if unsigned else -prange
    p = np.arange(lo, prange + 1, 7.0)
    lsb = (prange - lo) / 2 ** bits
    err = adc.estimate(p, None) - p
    assert np.abs(err).max() <= lsb / 2 * (1 + 1e-9)
    assert np.abs(err).max() >= 0.45 * lsb  # it really quantizes
    over = adc.estimate(np.array([prange * 3]), None)[0]
    assert over == pytest.approx(prange - lsb / 2, rel=1e-12)  # saturates at the top code


@pytest.mark.parametrize("unsigned", [False, True])
def test_mid_tread_rounds_and_mid_rise_truncates(unsigned):
    # 3-bit ideal ADC, range 800: LSB 200 (differential: 1600 over 8 codes) or 100 (unsigned).
    # Mid-rise with the zero-sum offset calibrated away: levels at multiples of the LSB,
    # p in [n, n+1) LSB -> n LSB (truncation).  Mid-tread: the same levels, p rounded.
    bits, prange = 3, 800.0
    lsb = (prange if unsigned else 2 * prange) / 2 ** bits
    tf = TransferFunction.ideal(bits, 0.0, 1.0)
    lo = 0.0 if unsigned else -prange
    p = np.arange(lo, prange - lsb, 7.0)                      # inside both staircases
    rise = Adc(tf, prange, unsigned, zero_cal=True).estimate(p, None)
    tread = Adc(tf, prange, unsigned, zero_cal=True, mid_tread=True).estimate(p, None)
    assert np.allclose(rise, np.floor(p / lsb) * lsb, atol=1e-9)
    keep = np.abs(np.abs(p / lsb - np.floor(p / lsb)) - 0.5) > 1e-9   # off the half points
    assert np.allclose(tread[keep], np.round(p[keep] / lsb) * lsb, atol=1e-9)
    near0 = np.array([-0.4, -0.01, 0.0, 0.01, 0.4]) * lsb
    assert np.allclose(Adc(tf, prange, unsigned, True, mid_tread=True).estimate(near0, None), 0)
    # the half-LSB shift is already the zero-sum offset: nothing left to calibrate
    assert Adc(tf, prange, unsigned, zero_cal=True, mid_tread=True).e0 == pytest.approx(0, abs=1e-9)
    assert Adc(tf, prange, unsigned, zero_cal=True).e0 == pytest.approx(lsb / 2, rel=1e-9)


def test_zero_volts_is_mid_scale_or_vmin_plus_half_an_lsb():
    assert zero_volts(0.2, 1.0, 8, False, False) == pytest.approx(0.6)
    assert zero_volts(0.2, 1.0, 8, False, True) == pytest.approx(0.65)
    assert zero_volts(0.2, 1.0, 16, True, True) == pytest.approx(0.225)
    with pytest.raises(ParameterError, match="mid_tread"):
        CimConfig(mid_tread="yes")


def test_mid_tread_needs_a_converter_with_codes():
    class Bare:
        vmin, vmax = 0.0, 1.0

        def apply(self, v, rng=None):
            return v
    with pytest.raises(InputError, match="n_codes"):
        Adc(Bare(), 100.0, False, zero_cal=False, mid_tread=True)


def test_zero_offset_calibration_maps_zero_to_zero():
    adc = Adc(TransferFunction.ideal(6, 0.0, 1.0), 1000.0, False, zero_cal=True)
    assert adc.estimate(np.zeros(3), None) == pytest.approx(0.0, abs=1e-12)


def test_high_resolution_adc_is_lossless_and_low_resolution_is_not(qm, test_set, calib):
    x, y = test_set.x[::20], test_set.y[::20]
    ref_logits = qm.predict(x)
    ref = top1(ref_logits, y)
    hi = CimModel(qm, TransferFunction.ideal(14, 0.0, 1.0), CimConfig(calib_images=16))
    hi.calibrate(calib.x)
    hi_logits = hi.predict(x)
    # 14-bit ADC: the same class as the digital network on (nearly) every image
    assert np.mean(hi_logits.argmax(1) == ref_logits.argmax(1)) >= 0.96
    assert np.median(np.abs(hi_logits - ref_logits)) < 0.05
    lo = CimModel(qm, TransferFunction.ideal(3, 0.0, 1.0), CimConfig(calib_images=16))
    lo.calibrate(calib.x)
    assert top1(lo.predict(x), y) < ref - 0.2


def test_range_search_never_worse_than_max_on_its_objective(qm, calib):
    tf = TransferFunction.ideal(5, 0.0, 1.0)
    mx = CimModel(qm, tf, CimConfig(range_method="max", calib_images=4))
    se = CimModel(qm, tf, CimConfig(range_method="search", calib_images=4,
                                  search_points=6))
    pc = CimModel(qm, tf, CimConfig(range_method="percentile", percentile=99.0, calib_images=4))
    r_max, r_se, r_pc = mx.calibrate(calib.x), se.calibrate(calib.x), pc.calibrate(calib.x)
    name = "layer1.0.conv1"
    assert r_pc[name] < r_max[name]
    assert r_se[name] <= r_max[name]
    assert any(r_se[n] < 0.9 * r_max[n] for n in r_se)  # at 5 bits clipping pays somewhere


def test_noise_is_reproducible_from_the_generator(qm, test_set, calib):
    tf = TransferFunction.ideal(8, 0.0, 1.0)
    tf = tf.with_noise(np.array([0.0, 1.0]), np.array([2e-3, 2e-3]))
    cm = CimModel(qm, tf, CimConfig(calib_images=16))
    cm.calibrate(calib.x)
    x = test_set.x[:4]
    a = cm.predict(x, rng=np.random.default_rng(5))
    b = cm.predict(x, rng=np.random.default_rng(5))
    c = cm.predict(x, rng=np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_bad_configuration_and_use(qm, test_set):
    with pytest.raises(ParameterError, match="rows.*8"):
        CimConfig(rows=8)
    with pytest.raises(ParameterError, match="signed.*'twos'"):
        CimConfig(signed="twos")
    with pytest.raises(InputError, match="calibrate"):
        CimModel(qm, IdentityTransfer()).predict(test_set.x[:2])
    with pytest.raises(InputError, match="lacks"):
        CimModel(qm, object())
    with pytest.raises(ParameterError, match="VS-Quant"):
        CimModel(qm.with_config(vs_vector=16), IdentityTransfer())


@pytest.mark.parametrize("signed", ["differential", "pos-neg", "offset"])
def test_array_gains_recombine_to_the_digital_accumulator(qm, calib, signed):
    # a perfect converter: each array's recombined sums times its gain add up to the
    # digital accumulator with the same per-array codes, in every signed scheme (the
    # offset scheme's sum(a) term taken per array)
    import copy
    from dgcq_sim.nn.cim import cim_accumulate, map_layer
    from dgcq_sim.nn.forward import layer_input_matrix
    from dgcq_sim.nn.quant import apply_weight_gain, quantize_input
    cfg = CimConfig(row_split="balanced", signed=signed, input_bits_per_cycle=4,
                    weight_bits_per_cell=4)
    q = copy.copy(qm.layers["layer2.0.conv2"])                 # K = 288: 3 arrays of 96
    blocks = row_blocks(q.layer.k, cfg)
    g = np.exp(np.random.default_rng(2).uniform(-0.5, 0.5, (len(blocks), q.layer.cout)))
    apply_weight_gain(q, g, blocks=blocks)
    x = np.abs(np.random.default_rng(3).normal(size=(2, 16, 16, 32))).astype(np.float32)
    m = map_layer(q, cfg)
    a, _ = layer_input_matrix(q.layer, quantize_input(q, x).astype(m.dtype))
    got = cim_accumulate(a, m, cfg, Adc(IdentityTransfer(), m.psum_bound * 2,
                                        m.unsigned_psum, False), None)
    layers = dict(qm.layers)
    layers["layer2.0.conv2"] = q
    want, _ = type(qm)(qm.model, qm.cfg, layers).integer_acc(q.layer, x)
    # (the voltage round trip p*k + v0 -> (v - v0)/k rounds at the scale of the range)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * m.psum_bound * np.abs(g).max()
                               * m.planes)
    # the same codes without their gains give another accumulator: the gains count
    plain = copy.copy(m)
    plain.q = copy.copy(q)
    plain.q.block_gain = None
    flat = cim_accumulate(a, plain, cfg, Adc(IdentityTransfer(), m.psum_bound * 2,
                                             m.unsigned_psum, False), None)
    assert not np.allclose(flat, want, rtol=1e-3)
    # other arrays than the gains were learned on: refused, naming the rows
    with pytest.raises(ParameterError, match="per-array gains belong to arrays of rows"):
        map_layer(q, CimConfig(row_split="packed", signed=signed))
