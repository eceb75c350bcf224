"""to_cim: the user's own network on CIM arrays with the numpy path's arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dgcq_sim.errors import InputError, ParameterError  # noqa: E402
from dgcq_sim.nn.cim import CimConfig, CimModel  # noqa: E402
from dgcq_sim.nn.quant import QuantConfig, quantize_model  # noqa: E402
from dgcq_sim.nn.torch import resnet_to_torch, to_cim  # noqa: E402
from dgcq_sim.transfer import TransferFunction  # noqa: E402


class SmallNet(torch.nn.Module):
    """conv/bn/relu/pool/linear with a residual add."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = torch.nn.BatchNorm2d(8)
        self.body = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(),
                                        torch.nn.Conv2d(8, 8, 1))
        self.down = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.head = torch.nn.Linear(16, 5)

    def forward(self, x):
        h = torch.relu(self.bn(self.stem(x)))
        h = torch.relu(h + self.body(h))
        h = torch.nn.functional.max_pool2d(torch.relu(self.down(h)), 2)
        return self.head(h.mean(dim=(2, 3)))


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    net = SmallNet()
    with torch.no_grad():
        net.bn.running_mean.uniform_(-0.1, 0.1)
        net.bn.running_var.uniform_(0.5, 2.0)
    net.eval()
    x = torch.randn(24, 3, 12, 12)
    return net, x


def test_ideal_16bit_converter_adds_nothing_to_the_int8_network(small):
    net, x = small
    with torch.no_grad():
        ref = net(x)
        digital = to_cim(net, None)
        digital.calibrate(x)
        y_int = digital(x)
        cim = to_cim(net, "ideal:16", rows=16, digital_first_last=False)
        cim.load_quant_state({k: {kk: v[kk] for kk in ("act_scale", "act_signed")}
                              for k, v in digital.quant_state().items()})
        cim.calibrate(x)
        y_cim = cim(x)
        low = to_cim(net, "ideal:4", rows=16, digital_first_last=False)
        low.calibrate(x)
        y_low = low(x)
    assert len(cim.analog_layers()) == 5            # every conv/linear, arrays of 16 rows
    # a 16-bit conversion of the partial sums errs by < 2**-16 of their range: the outputs
    # move only where an activation code downstream sits on a rounding boundary (one int8
    # step, 1/255 of a layer's range), while a 4-bit converter moves them far more
    scale = float(y_int.abs().max())
    err16, err4 = float((y_cim - y_int).abs().max()), float((y_low - y_int).abs().max())
    assert err16 < 1e-2 * scale
    assert err4 > 10 * err16
    # int8 against float: quantization error only
    assert float((y_int - ref).abs().max()) < 0.05 * float(ref.abs().max())
    assert not torch.equal(y_int, ref)


def test_low_resolution_converter_changes_outputs_and_gradients_flow(small):
    net, x = small
    cim = to_cim(net, "ideal:3", rows=16, learn_ranges=True)
    cim.calibrate(x)
    y = cim(x)
    y.square().mean().backward()
    layers = cim.quant_layers()
    assert all(L.weight.grad is not None and float(L.weight.grad.abs().sum()) > 0
               for L in layers.values())
    analog = [layers[n] for n in cim.analog_layers()]
    assert analog and all(L.range_log.grad is not None and float(L.range_log.grad) != 0
                          for L in analog)
    with torch.no_grad():
        ref = to_cim(net, None)
        ref.calibrate(x)
        assert float((cim(x) - ref(x)).abs().max()) > 1e-3


@pytest.mark.parametrize("mapping", [
    {},
    {"input_bits_per_cycle": 4, "weight_bits_per_cell": 4},
    {"signed": "pos-neg", "input_bits_per_cycle": 2, "rows": 64},
    {"signed": "offset", "weight_bits_per_cell": 4, "rows": 256},
    {"row_split": "balanced"},
    {"row_split": "balanced", "rows": 100, "input_bits_per_cycle": 4},
    {"mid_tread": True, "row_split": "balanced"},
    pytest.param({"mid_tread": True, "signed": "pos-neg", "input_bits_per_cycle": 2, "rows": 64},
                 marks=pytest.mark.slow),
])
def test_same_logits_as_the_numpy_cim_path(r20, test_set, calib, stats, mapping):
    tf = TransferFunction.ideal(4, 0.0, 1.0)
    qm = quantize_model(r20, None, QuantConfig(), stats=stats)
    cm = CimModel(qm, tf, CimConfig(**mapping))
    cm.calibrate(calib.x[::5])     # 100 images: the ranges only need to be the same in both
    x = test_set.x[::100]
    ref = cm.predict(x)
    tnet = resnet_to_torch(r20)
    state = {n: {"act_scale": q.a_scale, "act_signed": q.a_signed,
                 "psum_range": cm.ranges.get(n)} for n, q in qm.layers.items()}
    tc = to_cim(tnet, tf, ranges=state, **mapping)
    with torch.no_grad():
        got = tc(tnet.normalize(x)).numpy()
    assert np.array_equal(got, ref)
    assert np.abs(ref - qm.predict(x)).max() > 0.1     # the 4-bit ADC is visible


def test_calibration_reproduces_the_numpy_scales_and_ranges(r20, calib):
    tf = TransferFunction.ideal(5, 0.0, 1.0)
    from dgcq_sim.nn.quant import collect_act_stats
    qm = quantize_model(r20, None, QuantConfig(), stats=collect_act_stats(r20, calib.x))
    cm = CimModel(qm, tf, CimConfig())
    ranges = cm.calibrate(calib.x)
    tnet = resnet_to_torch(r20)
    tc = to_cim(tnet, tf)
    st = tc.calibrate(tnet.normalize(calib.x))
    for name, q in qm.layers.items():
        assert st[name]["act_scale"] == pytest.approx(q.a_scale, rel=1e-6)
        assert st[name]["act_signed"] == q.a_signed
        if name in ranges:
            assert st[name]["psum_range"] == pytest.approx(ranges[name], rel=1e-6)


def test_first_batch_calibrates_and_noise_comes_from_the_generator(small):
    net, x = small
    tf = TransferFunction.ideal(6, 0.0, 1.0).with_noise([0.0, 1.0], [0.01, 0.01])
    cim = to_cim(net, tf, rows=16)
    assert not cim.calibrated
    with torch.no_grad():
        y0 = cim(x)
        assert cim.calibrated
        cim.set_noise(7)
        y1 = cim(x)
        cim.set_noise(7)
        y2 = cim(x)
        cim.set_noise(None)
        y3 = cim(x)
    assert torch.equal(y1, y2) and torch.equal(y0, y3) and not torch.equal(y0, y1)


@pytest.mark.parametrize("layer, what", [
    (torch.nn.Conv1d(3, 4, 3), "Conv1d"),
    (torch.nn.Conv3d(4, 4, 3), "Conv3d"),
    (torch.nn.Embedding(4, 4), "Embedding"),
    (torch.nn.LSTM(4, 4), "LSTM"),
    (torch.nn.ConvTranspose2d(4, 4, 3), "ConvTranspose2d"),
])
def test_unsupported_layers_are_named(layer, what):
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), layer, torch.nn.Linear(4, 2))
    with pytest.raises(InputError, match=rf"layer '1'.*{what}|{what}.*layer '1'|'1'.*{what}"):
        to_cim(net, "ideal:4")


class GroupsSplit(torch.nn.Module):
    """A grouped convolution written as one ungrouped convolution per group."""

    def __init__(self, conv: torch.nn.Conv2d):
        super().__init__()
        g, cout = conv.groups, conv.out_channels
        self.g = g
        self.convs = torch.nn.ModuleList()
        for i in range(g):
            c = torch.nn.Conv2d(conv.in_channels // g, cout // g, conv.kernel_size,
                                conv.stride, conv.padding, conv.dilation,
                                bias=conv.bias is not None)
            with torch.no_grad():
                c.weight.copy_(conv.weight[i * cout // g:(i + 1) * cout // g])
                if conv.bias is not None:
                    c.bias.copy_(conv.bias[i * cout // g:(i + 1) * cout // g])
            self.convs.append(c)

    def forward(self, x):
        return torch.cat([c(h) for c, h in zip(self.convs, x.chunk(self.g, dim=1))], dim=1)


@pytest.mark.parametrize("groups, signed, gains", [
    (2, "differential", False), (4, "offset", "array"), (12, "pos-neg", False),
])
def test_grouped_conv_equals_one_conv_per_group(groups, signed, gains):
    # a grouped convolution's columns read their own group's Cin/groups*kh*kw rows: the
    # codes equal those of the same weights as one ungrouped convolution per group with
    # the layer's scales and range (groups=12 is depthwise)
    torch.manual_seed(1)
    conv = torch.nn.Conv2d(12, 24, 3, stride=2, padding=1, groups=groups)
    x = torch.relu(torch.randn(6, 12, 9, 9))
    kw = dict(rows=16, signed=signed, digital_first_last=False, learn_gains=gains,
              input_bits_per_cycle=4)
    one = to_cim(torch.nn.Sequential(conv), "ideal:3", **kw)
    split = to_cim(GroupsSplit(conv), "ideal:3", **kw)
    with torch.no_grad():
        one.calibrate(x)
        st = one.quant_state()["0"]
        if gains:                  # drawn gains, each group's columns to its own conv
            g = np.random.default_rng(0).uniform(0.5, 1.5, (2, 24))
            one.load_quant_state({"0": {"weight_gain": g.tolist()}})
        cpg = 24 // groups
        split.load_quant_state({n: {**st, **({"weight_gain": g[:, i * cpg:(i + 1) * cpg].tolist()}
                                             if gains else {})}
                                for i, n in enumerate(split.layer_names)})
        y_one, y_split = one(x), split(x)
    assert len(split.layer_names) == groups
    assert torch.equal(y_one, y_split)
    assert not torch.equal(y_one, conv(x))                 # 3-bit partial sums move it


@pytest.mark.parametrize("conv", [
    torch.nn.Conv2d(3, 4, 4, padding="same", dilation=2),       # odd pixel after
    torch.nn.Conv2d(3, 4, (2, 3), padding="same"),
    torch.nn.Conv2d(3, 4, 3, padding=2, padding_mode="reflect"),
    torch.nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode="circular", stride=2),
    torch.nn.Conv2d(3, 4, 3, padding=1, padding_mode="replicate", dilation=(1, 2)),
])
# torch warns that an even kernel with padding="same" copies the input: a speed note only
@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
def test_padding_modes_and_dilation_equal_explicit_padding(conv):
    # conv's own padding == F.pad of the input then an unpadded conv (same quantized codes)
    torch.manual_seed(2)
    x = torch.randn(4, 3, 8, 9)
    with torch.no_grad():
        ref = conv(x)
        pad = torch.nn.Conv2d(3, 4, conv.kernel_size, conv.stride, 0, conv.dilation)
        pad.weight.copy_(conv.weight)
        pad.bias.copy_(conv.bias)
        mode = "constant" if conv.padding_mode == "zeros" else conv.padding_mode
        widths = [(conv.dilation[d] * (conv.kernel_size[d] - 1)) for d in range(2)]
        if conv.padding == "same":
            lo = [w // 2 for w in widths]
            hi = [w - w // 2 for w in widths]
        else:
            lo = hi = list(conv.padding)
        xp = torch.nn.functional.pad(x, (lo[1], hi[1], lo[0], hi[0]), mode=mode)
        a = to_cim(torch.nn.Sequential(conv), "ideal:3", rows=16, digital_first_last=False)
        b = to_cim(torch.nn.Sequential(pad), "ideal:3", rows=16, digital_first_last=False)
        a.calibrate(x)
        b.load_quant_state(a.quant_state())
        ya, yb = a(x), b(xp)
        hi16 = to_cim(torch.nn.Sequential(conv), "ideal:16", rows=16, digital_first_last=False)
        hi16.calibrate(x)
        y16 = hi16(x)
    assert ya.shape == ref.shape and torch.equal(ya, yb)
    assert float((y16 - ref).abs().max()) < 0.02 * float(ref.abs().max())



@pytest.mark.parametrize("mode, pad, fits", [("reflect", 3, True), ("reflect", 4, False),
                                             ("circular", 4, True), ("circular", 5, False)])
def test_reflect_and_circular_padding_must_fit_the_input(mode, pad, fits):
    # reflect mirrors inside a 4x4 image (pad <= 3); circular wraps it once (pad <= 4)
    conv = torch.nn.Conv2d(2, 3, 3, padding=pad, padding_mode=mode)
    m = to_cim(torch.nn.Sequential(conv), "ideal:8", rows=16, digital_first_last=False)
    x = torch.rand(2, 2, 4, 4)
    if fits:
        m.calibrate(x)
        with torch.no_grad():
            assert m(x).shape == conv(x).shape
    else:
        with pytest.raises(InputError, match=rf"layer 0: {mode} padding .* 4x4 input"):
            m.calibrate(x)


def test_linear_on_tokens_and_unbatched_inputs():
    # a Linear acts on the last dimension: (N, T, F) inputs give the rows of (N*T, F)
    torch.manual_seed(3)
    mlp = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.GELU(), torch.nn.Linear(16, 16),
                              torch.nn.ReLU(), torch.nn.Linear(16, 3))
    x = torch.randn(5, 7, 6)
    cnn = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Conv2d(8, 4, 3))
    xi = torch.randn(3, 3, 8, 8)
    with torch.no_grad():
        m = to_cim(mlp, "ideal:3", rows=16, digital_first_last=False)
        m.calibrate(x)
        y = m(x)
        c = to_cim(cnn, "ideal:3", rows=16, digital_first_last=False)
        c.calibrate(xi)
        assert torch.equal(c(xi[1]), c(xi)[1])
        with pytest.raises(InputError, match=r"shape \(8, 8\); a Conv2d takes"):
            c(xi[0, 0])
        with pytest.raises(InputError, match=r"shape \(\); a Linear takes \(\.\.\., in_"):
            m(torch.tensor(1.0))
        assert torch.equal(y.reshape(35, 3), m(x.reshape(35, 6)))
        assert torch.equal(m(x[2, 4]), y[2, 4])
        assert float((y - mlp(x)).abs().max()) > 1e-3        # the 3-bit sums are there
    assert y.shape == (5, 7, 3)


def test_bad_arguments():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Linear(4, 2))
    with pytest.raises(ParameterError, match="rows"):
        to_cim(net, "ideal:4", rows=4)
    with pytest.raises(InputError, match="numpy-only"):
        to_cim(net, "ideal:4", range_method="search")
    with pytest.raises(ParameterError, match="weight_bits"):
        to_cim(net, "ideal:4", weight_bits=9)
    with pytest.raises(InputError, match="no Conv2d or Linear"):
        to_cim(torch.nn.Sequential(torch.nn.ReLU()), "ideal:4")
    with pytest.raises(InputError, match="unknown layers"):
        to_cim(net, "ideal:4", ranges={"nope": 3.0})
    with pytest.raises(InputError, match="> 0"):
        to_cim(net, "ideal:4", ranges={"0": {"act_scale": -1.0}})
    cim = to_cim(net, "ideal:4")
    with pytest.raises(ParameterError, match="generator"):
        cim.set_noise("seed")


@pytest.mark.parametrize("vs, bits", [((16, 4), 8), ((8, 3), 4)])
def test_vsquant_layers_give_the_numpy_vsquant_logits(r20, test_set, calib, stats, vs, bits):
    # VS-Quant (seed 003): per-vector integer scales of weights and activations in im2col
    # order; the same scales on both paths give bit-identical logits
    from dgcq_sim.nn.record import apply_record, make_record, record_quant
    tnet = resnet_to_torch(r20)
    tc = to_cim(tnet, None, vsquant=vs, weight_bits=bits, act_bits=bits)
    tc.calibrate(tnet.normalize(calib.x[::4]))
    x = test_set.x[::100]
    with torch.no_grad():
        got = tc(tnet.normalize(x)).numpy()
    rec = make_record(None, tc.cfg, tc.quant_state(), weight_bits=bits, act_bits=bits, vsquant=vs)
    qm = quantize_model(r20, None, record_quant(rec), stats=stats)
    assert (qm.cfg.vs_vector, qm.cfg.vs_scale_bits, qm.cfg.weight_bits) == (*vs, bits)
    apply_record(qm, rec)
    assert np.array_equal(got, qm.predict(x))
    # and the vector scales matter: per-channel scales alone give other logits
    plain = to_cim(tnet, None, weight_bits=bits, act_bits=bits)
    plain.calibrate(tnet.normalize(calib.x[::4]))
    with torch.no_grad():
        assert not np.allclose(plain(tnet.normalize(x)).numpy(), got, atol=1e-3)


def test_vsquant_is_digital_only():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.LazyLinear(2))
    with pytest.raises(ParameterError, match="digital"):
        to_cim(net, "ideal:4", vsquant=(16, 4))
    with pytest.raises(ParameterError, match="vs_vector"):
        to_cim(net, None, vsquant=(0, 4))
    with pytest.raises(ParameterError, match="vs_scale_bits"):
        to_cim(net, None, vsquant=(16, 11))


def _gained_logits(r20, test_set, calib, stats, cfg, draw):
    """numpy and torch logits of the 3-bit CIM ResNet-20 on ``cfg`` with the weight gains
    ``draw(rng, qlayer, row_blocks)`` ((Cout,) or (arrays, Cout)) on every analog layer:
    (numpy, torch, torch module, gains)."""
    from dgcq_sim.nn.cim import row_blocks
    from dgcq_sim.nn.quant import apply_weight_gain
    tf = TransferFunction.ideal(3, 0.0, 1.0)
    qm = quantize_model(r20, None, QuantConfig(), stats=stats)
    rng = np.random.default_rng(1)
    gains = {}
    for n in CimModel(qm, tf, cfg).mapped:
        q = qm.layers[n]
        blocks = row_blocks(q.layer.k, cfg)
        gains[n] = draw(rng, q, blocks)
        apply_weight_gain(q, gains[n], blocks=blocks if np.ndim(gains[n]) == 2 else None)
    cm = CimModel(qm, tf, cfg)
    cm.calibrate(calib.x)
    x = test_set.x[::50]
    tnet = resnet_to_torch(r20)
    state = {n: {"act_scale": q.a_scale, "act_signed": q.a_signed,
                 "psum_range": cm.ranges.get(n), **({"weight_gain": gains[n]} if n in gains
                                                     else {})} for n, q in qm.layers.items()}
    tc = to_cim(tnet, tf, ranges=state, mid_tread=cfg.mid_tread, row_split=cfg.row_split,
                signed=cfg.signed)
    with torch.no_grad():
        got = tc(tnet.normalize(x)).numpy()
    return cm.predict(x), got, tc, gains


def test_column_gains_give_the_numpy_logits(r20, test_set, calib, stats):
    ref, got, tc, gains = _gained_logits(
        r20, test_set, calib, stats, CimConfig(mid_tread=True, row_split="balanced"),
        lambda rng, q, blocks: np.exp(rng.uniform(-0.7, 0.3, q.layer.cout)).tolist())
    assert np.array_equal(got, ref)
    assert tc.quant_state()["layer1.0.conv1"]["weight_gain"] == pytest.approx(
        gains["layer1.0.conv1"], rel=1e-6)
    assert "weight_gain" not in tc.quant_state()["conv1"]        # digital first layer


@pytest.mark.parametrize("signed", ["differential", "offset"])
def test_array_gains_give_the_numpy_logits(r20, test_set, calib, stats, signed):
    ref, got, tc, gains = _gained_logits(
        r20, test_set, calib, stats,
        CimConfig(mid_tread=True, row_split="balanced", signed=signed),
        lambda rng, q, blocks: np.exp(rng.uniform(-0.7, 0.3,
                                                  (len(blocks), q.layer.cout))).tolist())
    assert np.array_equal(got, ref)
    st = tc.quant_state()["layer3.0.conv1"]["weight_gain"]          # K = 288: 3 arrays
    assert np.shape(st) == (3, 64)
    np.testing.assert_allclose(st, gains["layer3.0.conv1"], rtol=1e-6)


def test_array_gains_on_a_digital_layer_are_refused():
    net = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    tc = to_cim(net, "ideal:3")                       # both layers digital (first and last)
    with pytest.raises(ParameterError, match="weight_gain must be 4 finite numbers"):
        tc.load_quant_state({"0": {"weight_gain": [[1.0] * 4] * 2}})
    with pytest.raises(InputError, match="learn_gains"):
        to_cim(net, "ideal:3", learn_gains="rows")


def test_learned_array_gains_serve_arrays_that_column_gains_cannot():
    # two 32-row arrays per column: array 0 holds weights ~1, array 1 weights ~1/16 whose
    # partial sums use ~1/16 of the layer's 5-bit range (one or two codes).  One gain per
    # column cannot spread array 1 without clipping array 0; one per array can.
    torch.manual_seed(0)
    lin = torch.nn.Linear(64, 4, bias=False)
    with torch.no_grad():
        lin.weight.normal_()
        lin.weight[:, 32:] *= 1 / 16
    x = torch.relu(torch.randn(512, 64))
    net = torch.nn.Sequential(lin)
    with torch.no_grad():
        ref = net(x)

    def trained(kind):
        cim = to_cim(net, "ideal:5", rows=32, digital_first_last=False, learn_gains=kind,
                     mid_tread=True)
        cim.calibrate(x)
        layer = cim.quant_layers()["0"]
        opt = torch.optim.Adam([layer.gain_log], lr=0.05)
        for _ in range(80):
            opt.zero_grad()
            ((cim(x) - ref) ** 2).mean().backward()
            opt.step()
        with torch.no_grad():
            return layer.column_gains().detach(), float(((cim(x) - ref) ** 2).mean() / ref.var())
    g, err_arr = trained("array")
    _, err_col = trained("column")
    assert g.shape == (2, 4)
    assert bool((g[1] < 0.3 * g[0]).all())          # array 1's codes spread > 3x more
    assert err_arr < 0.7 * err_col


def test_learned_column_gain_spreads_a_column_lost_under_the_layer_range():
    # column 0: small weights and one large outlier on a rarely active input -> its codes
    # are ~1/20 of full scale and its partial sums mostly read 0 on a 3-bit converter set by
    # the other columns; learning its gain on the output error spreads its codes
    torch.manual_seed(0)
    lin = torch.nn.Linear(64, 4, bias=False)
    with torch.no_grad():
        lin.weight.normal_()
        lin.weight[0] *= 0.05
        lin.weight[0, 5] = 1.0
    x = torch.relu(torch.randn(512, 64))
    x[:, 5] *= (torch.rand(512) < 0.02).float()
    net = torch.nn.Sequential(lin)
    cim = to_cim(net, "ideal:3", rows=64, digital_first_last=False, learn_gains=True,
                 mid_tread=True)
    cim.calibrate(x)
    layer = cim.quant_layers()["0"]
    with torch.no_grad():
        ref = net(x)

    def col_err():
        with torch.no_grad():
            return ((cim(x) - ref) ** 2).mean(dim=0) / ref.var(dim=0)
    before = col_err()
    opt = torch.optim.Adam([layer.gain_log], lr=0.05)
    for _ in range(60):
        opt.zero_grad()
        ((cim(x) - ref) ** 2).mean().backward()
        opt.step()
    after = col_err()
    gains = layer.column_gains().detach()
    assert gains[0] < 0.5                          # column 0's codes spread by > 2x
    assert after[0] < 0.5 * before[0]              # and it converts far better
    assert float(after.sum()) < float(before.sum())
