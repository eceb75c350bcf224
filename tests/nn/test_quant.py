"""int8 PTQ, VS-Quant, shared 8/4-bit weights and B-bit accumulators."""

from __future__ import annotations

import numpy as np
import pytest

from dgcq_sim.errors import ParameterError
from dgcq_sim.nn.forward import layer_input_matrix, predict, top1
from dgcq_sim.nn.quant import (QuantConfig, apply_weight_gain, check_weight_gain, derive_4bit,
                               limit_accumulator, quantize_input, vs_quantize_input)


def test_int8_within_half_percent_of_float(r20, qm, test_set):
    x, y = test_set.x[::2], test_set.y[::2]
    f = top1(predict(r20, x), y)
    q = top1(qm.predict(x), y)
    assert f == pytest.approx(0.878, abs=0.03)  # sanity: the float model works on this subset
    assert abs(q - f) <= 0.005


def test_integer_accumulator_is_exact(r20, qm, test_set):
    from dgcq_sim.nn.forward import normalize
    x = normalize(r20, test_set.x[:4])
    layer = r20.stem
    q = qm.layers[layer.name]
    acc, _ = qm.integer_acc(layer, x)
    codes = quantize_input(q, x)
    a, _ = layer_input_matrix(layer, codes)
    exact = a.astype(np.int64) @ q.w_int.astype(np.int64)
    assert np.array_equal(acc.astype(np.int64), exact)
    assert q.a_signed and codes.min() < 0 and np.abs(codes).max() <= 127
    assert np.abs(q.w_int).max() == 127  # per-channel max scaling uses the full code range


def test_weight_codes_reconstruct_per_channel(qm):
    for q in qm.layers.values():
        w = q.layer.wmat.astype(np.float64)
        err = np.abs(q.w_int * q.w_scale - w).max(axis=0)
        assert np.all(err <= q.w_scale / 2 + 1e-9)  # max clipping: only rounding error


def test_column_gains_spread_or_narrow_the_weight_codes(qm):
    import copy
    name = "layer2.1.conv1"
    q = copy.copy(qm.layers[name])
    w = q.layer.wmat.astype(np.float64)
    cout = q.layer.cout
    gains = np.ones(cout)
    gains[0], gains[1] = 0.5, 2.0
    apply_weight_gain(q, gains.tolist())
    ref = qm.layers[name]
    # gain 1: the per-channel codes unchanged
    assert np.array_equal(q.w_int[:, 2:], ref.w_int[:, 2:])
    np.testing.assert_array_equal(q.w_scale[2:], ref.w_scale[2:])
    # closed form: scale = g * max|w| / 127, codes clip(round(w/scale), +-127)
    np.testing.assert_allclose(q.w_scale[:2], gains[:2] * np.abs(w[:, :2]).max(axis=0) / 127,
                               rtol=1e-15)
    assert np.array_equal(q.w_int[:, :2], np.clip(np.round(w[:, :2] / q.w_scale[:2]), -127, 127))
    # gain 0.5 doubles the codes of the column and clips its largest weights at 127
    small = np.abs(w[:, 0]) < 0.45 * np.abs(w[:, 0]).max()
    np.testing.assert_allclose(np.abs(q.w_int[small, 0] - 2 * w[small, 0] / ref.w_scale[0]),
                               0, atol=0.5 + 1e-9)
    assert np.abs(q.w_int[:, 0]).max() == 127 and (np.abs(q.w_int[:, 0]) == 127).sum() > 1
    # gain 2 halves them: at most 64 of 127 codes used
    assert np.abs(q.w_int[:, 1]).max() in (63, 64)
    assert q.w_int.dtype == ref.w_int.dtype


def test_array_gains_code_each_array_at_its_own_gain(qm):
    import copy
    from dgcq_sim.nn.cim import CimConfig, row_blocks
    name = "layer3.1.conv1"                                # K = 576: 5 arrays of 116/115 rows
    q = copy.copy(qm.layers[name])
    blocks = row_blocks(q.layer.k, CimConfig(row_split="balanced"))
    w = q.layer.wmat.astype(np.float64)
    g = np.exp(np.random.default_rng(0).uniform(-0.7, 0.4, (len(blocks), q.layer.cout)))
    apply_weight_gain(q, g.tolist(), blocks=blocks)
    base = np.abs(w).max(axis=0) / 127
    np.testing.assert_allclose(q.w_scale, base, rtol=1e-15)     # no gain in the output scale
    assert q.gain_blocks == blocks and np.array_equal(q.block_gain, g)
    for b, (r0, r1) in enumerate(blocks):
        # closed form: array b coded at g[b] * max|w| / 127, so code * g[b] * base is the
        # weight within half of that step where it does not clip
        step = g[b] * base
        assert np.array_equal(q.w_int[r0:r1], np.clip(np.round(w[r0:r1] / step), -127, 127))
        inside = np.abs(w[r0:r1]) <= 127 * step
        err = np.abs(q.w_int[r0:r1] * step - w[r0:r1])
        assert np.all(err[inside] <= (step / 2 + 1e-12 * step)[None].repeat(r1 - r0, 0)[inside])
    # the digital accumulator weighs every array's integer sums by its gain
    x = np.abs(np.random.default_rng(1).normal(size=(2, 8, 8, 128))).astype(np.float32)
    a, _ = layer_input_matrix(q.layer, np.clip(np.rint(x / q.a_scale), 0, 255))
    want = sum(g[b] * (a[:, r0:r1].astype(np.float64) @ q.w_int[r0:r1]) for b, (r0, r1)
               in enumerate(blocks))
    layers = dict(qm.layers)
    layers[name] = q
    got, _ = type(qm)(qm.model, qm.cfg, layers).integer_acc(q.layer, x)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_array_gains_of_the_wrong_shape_are_named():
    with pytest.raises(ParameterError, match="3 finite numbers > 0 .* or 2 such lists"):
        check_weight_gain([[1.0] * 3] * 3, 3, "layer x", arrays=2)
    with pytest.raises(ParameterError, match="3 finite numbers"):       # no arrays: 1-D only
        check_weight_gain([[1.0] * 3] * 2, 3, "layer x")
    assert check_weight_gain([[1.0] * 3] * 2, 3, "x", arrays=2).shape == (2, 3)
    assert check_weight_gain([1.0] * 3, 3, "x", arrays=2).shape == (3,)


@pytest.mark.parametrize("bad", [[1.0, 1.0], [1.0, 0.0, 1.0], [1.0, float("nan"), 1.0],
                                 [1.0, -2.0, 1.0], "abc", None, [[1.0, 1.0, 1.0]]])
def test_bad_column_gains_are_named(bad):
    with pytest.raises(ParameterError, match="layer x: weight_gain must be 3 finite numbers"):
        check_weight_gain(bad, 3, "layer x")
    assert check_weight_gain([0.5, 1, 2], 3, "x").tolist() == [0.5, 1.0, 2.0]


def test_shared_4bit_weights_are_derived_from_8bit_codes(qm):
    q4 = qm.with_config(shared_4bit=True)
    for name, q in q4.layers.items():
        q8 = qm.layers[name]
        assert np.array_equal(q.w_int, derive_4bit(q8.w_int))
        np.testing.assert_allclose(q.w_scale, 16 * q8.w_scale)
        assert np.abs(q.w_int).max() <= 7
    assert np.array_equal(derive_4bit(np.array([-127, -9, -8, -7, 0, 7, 8, 23, 24, 127])),
                          [-7, -1, -1, 0, 0, 0, 1, 1, 2, 7])


def test_vsquant_weights_beat_per_channel_at_low_bits(qm):
    plain = qm.with_config(weight_bits=4)
    vs = qm.with_config(weight_bits=4, vs_vector=16, vs_scale_bits=6)
    name = "layer2.1.conv1"
    w = plain.layers[name].layer.wmat.astype(np.float64)
    e_plain = np.mean((plain.layers[name].w_int * plain.layers[name].w_scale - w) ** 2)
    qv = vs.layers[name]
    w_hat = qv.w_eff * qv.w_scale
    e_vs = np.mean((w_hat - w) ** 2)
    assert e_vs < 0.7 * e_plain
    assert qv.w_vs.min() >= 1 and qv.w_vs.max() == 63


def test_vsquant_activations_scale_per_vector(qm, r20, test_set):
    """Hand-made vectors with known answers, and a brute-force search over every integer
    scale on real im2col activations (not the kernel's own rint/clip formula)."""
    vs = qm.with_config(act_bits=4, vs_vector=16, vs_scale_bits=8)
    layer = r20.blocks[3].conv2
    q = vs.layers[layer.name]
    gam, qmax, smax = float(q.a_scale), 15, 255
    assert not q.a_signed and q.vs_smax == smax
    k = np.arange(16.0)
    rows = np.stack([
        7 * gam * k,                        # max = 15 * 7 gamma: scale 7, codes exactly 0..15
        7 * gam * (np.minimum(k, 14) + 0.4),  # 0.4 step above each code: rounds down ...
        7 * gam * np.r_[14.6, k[1:14], 14.0, 14.0],  # ... and 0.6 above rounds up (14.6 -> 15)
        0.3 * gam * (k > 0),                # tiny vector: scale 1 (the smallest), codes 0
        1e6 * gam * (k + 1),                # huge vector: scale 255 (the largest), codes 15
    ]).astype(np.float32)
    prod = vs_quantize_input(q, rows)
    np.testing.assert_array_equal(prod[0], 7 * k)
    np.testing.assert_array_equal(prod[1], 7 * np.minimum(k, 14))
    np.testing.assert_array_equal(prod[2], 7 * np.r_[15, k[1:14], 14, 14])
    np.testing.assert_array_equal(prod[3], np.zeros(16))
    np.testing.assert_array_equal(prod[4], np.full(16, smax * qmax))

    x = np.abs(np.random.default_rng(0).standard_normal((1, 16, 16, 32))).astype(np.float32)
    a, _ = layer_input_matrix(layer, x)
    av = a.reshape(a.shape[0], -1, 16).astype(np.float64)
    got = vs_quantize_input(q, a).reshape(av.shape)
    # brute force: the integer scale s in 1..255 whose full scale 15*s*gamma lies nearest the
    # vector's max, then every value to its nearest code 0..15 of step s*gamma
    scales = np.arange(1, smax + 1, dtype=np.float64)
    best = scales[np.argmin(np.abs(qmax * scales[None, None, :] * gam
                                   - av.max(axis=2)[:, :, None]), axis=2)]
    step = (best * gam)[:, :, None]
    want = np.clip(np.floor(av / step + 0.5), 0, qmax) * best[:, :, None]
    ties = np.abs(av / step - np.floor(av / step) - 0.5) < 1e-4    # float32 vs float64 rounding
    assert ties.mean() < 1e-3
    np.testing.assert_array_equal(got[~ties], want[~ties])
    assert np.all(np.abs(got - want)[ties] <= best[:, :, None].repeat(16, 2)[ties])


def test_accumulator_modes(qm):
    q = qm.layers["layer3.2.conv2"]
    acc = np.array([-3.0e6, -12345.0, -1.0, 0.0, 1.0, 12345.0, 3.0e6])
    assert np.array_equal(limit_accumulator(acc, q, None, "saturate"), acc)
    sat = limit_accumulator(acc, q, 16, "saturate")
    assert np.array_equal(sat, [-32767, -12345, -1, 0, 1, 12345, 32767])
    full = q.acc_full_bits
    assert 2.0 ** (full - 2) <= q.acc_bound < 2.0 ** (full - 1)
    assert np.array_equal(limit_accumulator(acc, q, full, "truncate"), acc)
    step = 2.0 ** (full - 16)
    tr = limit_accumulator(acc, q, 16, "truncate")
    rd = limit_accumulator(acc, q, 16, "round")
    assert np.all(np.mod(tr, step) == 0) and np.all(tr <= acc) and np.all(acc - tr < step)
    assert np.all(np.abs(rd - acc) <= step / 2)


def test_config_is_validated():
    with pytest.raises(ParameterError, match="weight_bits"):
        QuantConfig(weight_bits=9)
    with pytest.raises(ParameterError, match="act_calibration.*'minmax'"):
        QuantConfig(act_calibration="minmax")
    with pytest.raises(ParameterError, match="shared_4bit"):
        QuantConfig(weight_bits=6, shared_4bit=True)


@pytest.mark.parametrize("method", ["percentile", "mse"])
def test_calibration_methods_clip_below_max(qm, method):
    other = qm.with_config(act_calibration=method)
    name = "layer2.0.conv1"
    assert other.layers[name].a_scale < qm.layers[name].a_scale
