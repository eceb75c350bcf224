"""Bridges of dgcq_sim.nn.torch.resnet on a network the bundled archives do not have: the
original CIFAR ResNet with parameter-free option-A shortcuts (zero-padded channels)."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from dgcq_sim.errors import ModelFileError  # noqa: E402
from dgcq_sim.nn.cim import CimConfig, CimModel  # noqa: E402
from dgcq_sim.nn.forward import predict  # noqa: E402
from dgcq_sim.nn.model import load_model, model_from_arrays  # noqa: E402
from dgcq_sim.nn.quant import collect_act_stats, quantize_model  # noqa: E402
from dgcq_sim.nn.torch import (archive_from_state_dict, images_to_tensor,  # noqa: E402
                               resnet_from_state_dict, resnet_to_torch, save_archive, to_cim)
from dgcq_sim.transfer import TransferFunction  # noqa: E402


class _OptionABlock(torch.nn.Module):
    """BasicBlock whose shape-changing shortcut is ``pad(x[:, :, ::2, ::2])`` (no weights),
    the layout of akamaster/pytorch_resnet_cifar10."""

    def __init__(self, cin, cout, stride, bias=False):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=bias)
        self.bn1 = torch.nn.BatchNorm2d(cout)
        self.conv2 = torch.nn.Conv2d(cout, cout, 3, 1, 1, bias=bias)
        self.bn2 = torch.nn.BatchNorm2d(cout)
        self.extra = cout - cin if (stride != 1 or cin != cout) else None

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.extra is not None:
            x = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.extra // 2, self.extra // 2))
        return F.relu(y + x)


class OptionAResNet(torch.nn.Module):
    def __init__(self, widths=(8, 16, 32), blocks=2, bias=False):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, widths[0], 3, 1, 1, bias=bias)
        self.bn1 = torch.nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for i, c in enumerate(widths, start=1):
            layers = [_OptionABlock(cin if j == 0 else c, c, 1 if (i == 1 or j) else 2, bias)
                      for j in range(blocks)]
            setattr(self, f"layer{i}", torch.nn.Sequential(*layers))
            cin = c
        self.linear = torch.nn.Linear(cin, 10)
        self.n = len(widths)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        for i in range(1, self.n + 1):
            h = getattr(self, f"layer{i}")(h)
        return self.linear(h.mean(dim=(2, 3)))


def _random_bn(net):
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return net.eval()


@pytest.fixture(scope="module")
def option_a():
    torch.manual_seed(3)
    return _random_bn(OptionAResNet())


def test_convs_with_biases_fold_with_their_bn(test_set):
    """A state_dict whose convs have biases (Conv2d(bias=True) before each BN) gives the
    torch module's logits: each bias is folded with its BN, not dropped."""
    torch.manual_seed(4)
    net = _random_bn(OptionAResNet(bias=True))
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.bias.uniform_(-0.5, 0.5)
    x = test_set.x[::50]
    folded = resnet_from_state_dict(net.state_dict())
    with torch.no_grad():
        ref = net(images_to_tensor(x, folded.mean, folded.std)).numpy()
    got = predict(folded, x)
    assert np.abs(got - ref).max() < 1e-5 * max(1.0, np.abs(ref).max())
    no_bias = {k: v for k, v in net.state_dict().items()
               if not (k.endswith(".bias") and "conv" in k)}
    assert np.abs(predict(resnet_from_state_dict(no_bias), x) - ref).max() > 1e-3


def test_option_a_state_dict_gives_the_torch_logits(option_a, test_set, tmp_path):
    x = test_set.x[::50]
    net = resnet_from_state_dict(option_a.state_dict())
    assert [b.pad is not None for b in net.blocks] == [False, False, True, False, True, False]
    assert (net.blocks[2].pad.before, net.blocks[2].pad.after) == (4, 4)
    with torch.no_grad():
        ref = option_a(images_to_tensor(x, net.mean, net.std)).numpy()
    got = predict(net, x)
    # BN folded in float64 then rounded: float32 round-off only
    assert np.abs(got - ref).max() < 1e-5 * max(1.0, np.abs(ref).max())
    assert np.abs(ref).max() > 0.05           # the logits are not trivially zero
    # the folded torch twin and the archive round trip are exact
    tnet = resnet_to_torch(net)
    with torch.no_grad():
        assert np.abs(tnet(tnet.normalize(x)).numpy() - got).max() < 1e-5
    again = load_model(save_archive(tnet, tmp_path / "a.npz"))
    assert np.array_equal(predict(again, x), got)


def test_option_a_cim_paths_agree(option_a, test_set, calib):
    net = resnet_from_state_dict(option_a.state_dict())
    tf = TransferFunction.ideal(4, 0.0, 1.0)
    qm = quantize_model(net, None, stats=collect_act_stats(net, calib.x[::10]))
    cm = CimModel(qm, tf, CimConfig(row_split="balanced", rows=64))
    cm.calibrate(calib.x[::10])
    x = test_set.x[::100]
    tnet = resnet_to_torch(net)
    state = {n: {"act_scale": q.a_scale, "act_signed": q.a_signed,
                 "psum_range": cm.ranges.get(n)} for n, q in qm.layers.items()}
    tc = to_cim(tnet, tf, ranges=state, row_split="balanced", rows=64)
    with torch.no_grad():
        got = tc(tnet.normalize(x)).numpy()
    assert np.array_equal(got, cm.predict(x))
    # pad shortcuts carry no converter: only the 2 x 6 block convs are mapped (stem and fc digital)
    assert len(cm.mapped) == 12


def test_missing_shortcut_weights_need_option_a_in_the_arch(option_a):
    arrs = archive_from_state_dict(option_a.state_dict())
    assert "option A" in json.loads(str(arrs["arch"]))["shortcut"]
    plain = {k: v for k, v in arrs.items() if k != "arch"}
    with pytest.raises(ModelFileError, match=r"layer2\.0\.shortcut\.conv\.weight.*option A"):
        model_from_arrays(plain, "x.npz")
    # a shortcut that would have to drop channels is not option A
    narrow = dict(arrs, **{"arch": np.array(json.dumps({"shortcut": "option A"}))})
    narrow["layer2.0.conv1.weight"] = arrs["layer2.0.conv1.weight"][:4]
    for k in ("gamma", "beta", "mean", "var"):
        narrow[f"layer2.0.bn1.{k}"] = arrs[f"layer2.0.bn1.{k}"][:4]
    narrow["layer2.0.conv2.weight"] = arrs["layer2.0.conv2.weight"][:4, :4]
    for k in ("gamma", "beta", "mean", "var"):
        narrow[f"layer2.0.bn2.{k}"] = arrs[f"layer2.0.bn2.{k}"][:4]
    with pytest.raises(ModelFileError, match="narrows 8->4"):
        model_from_arrays(narrow, "x.npz")


def test_imagenet_and_bottleneck_resnets_are_refused(option_a):
    sd = option_a.state_dict()
    with pytest.raises(ModelFileError, match="7x7 stride-2 stem"):
        archive_from_state_dict(dict(sd, **{"conv1.weight": torch.zeros(8, 3, 7, 7)}))
    with pytest.raises(ModelFileError, match="Bottleneck"):
        archive_from_state_dict(dict(sd, **{"layer1.0.conv3.weight": torch.zeros(8, 8, 1, 1)}))
    arrs = archive_from_state_dict(sd)
    arrs["arch"] = np.array(json.dumps({"stem": {"maxpool": True}}))
    with pytest.raises(ModelFileError, match="maxpool"):
        model_from_arrays(arrs, "x.npz")


def test_pt_checkpoint_files_load_as_models(option_a, test_set, tmp_path):
    """A .pt/.pth state_dict (bare, or a checkpoint dict with DataParallel's 'module.' keys)
    is a model file wherever an .npz is: same logits as the in-memory state_dict."""
    ref = predict(resnet_from_state_dict(option_a.state_dict()), test_set.x[::100])
    bare, ckpt = tmp_path / "bare.pt", tmp_path / "ckpt.pth"
    torch.save(option_a.state_dict(), bare)
    torch.save({"epoch": 3, "state_dict": {f"module.{k}": v
                                           for k, v in option_a.state_dict().items()}}, ckpt)
    for f in (bare, ckpt):
        assert np.array_equal(predict(load_model(f), test_set.x[::100]), ref)


def test_bad_pt_files_are_named(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(ModelFileError, match="junk.pt.*not a PyTorch state_dict"):
        load_model(junk)
    listed = tmp_path / "list.pt"
    torch.save([1, 2], listed)
    with pytest.raises(ModelFileError, match="list.pt.*holds list"):
        load_model(listed)
    wrong = tmp_path / "wrong.pt"
    torch.save({"conv1.weight": torch.zeros(8, 3, 3, 3)}, wrong)
    with pytest.raises(ModelFileError, match="wrong.pt.*bn1.weight"):
        load_model(wrong)
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "absent.pt")
