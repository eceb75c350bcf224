"""Bridges between the numpy ResNet archives and torch modules, both ways.

* :func:`resnet_to_torch`: a folded :class:`dgcq_sim.nn.model.ResNet` (or an archive path /
  name) -> :class:`TorchResNet`, the same network with BN folded into conv biases; its
  module names are the numpy layer names (``conv1``, ``layer2.0.shortcut.conv``, ``fc``), so
  quantization states pass between the two paths unchanged.
* :func:`save_archive`: a TorchResNet -> an ``.npz`` in the shared archive layout (BatchNorm
  written as the identity, gamma 1, beta = the bias, mean 0, var 1 - eps, which folds back to
  the same float32 weights bit for bit), optionally with a ``cim`` record (the mapping and
  per-layer scales/ranges it was trained with) that ``nn-eval --model`` uses.
* :func:`archive_from_state_dict`: a standard CIFAR ResNet ``state_dict`` (BasicBlocks,
  ``conv1``/``bn1``, ``layerI.J.{conv1,bn1,conv2,bn2}``, a projection shortcut as
  ``shortcut.0/1``, ``shortcut.conv/bn`` or ``downsample.0/1`` -- or, in a network without
  any projection weights, the parameter-free option-A zero-padding shortcut --, ``linear`` or
  ``fc``) -> the archive arrays, loadable with :func:`dgcq_sim.nn.model.model_from_arrays`.
"""

from __future__ import annotations

from . import _require  # noqa: F401

import json
import re
from pathlib import Path

import numpy as np
import torch

from ...archive import check_input_file
from ...errors import InputError, ModelFileError
from ..model import BN_EPS, OPTION_A_TEXT, ResNet, load_model, model_from_arrays


def images_to_tensor(x_uint8: np.ndarray, mean, std) -> torch.Tensor:
    """uint8 NHWC images -> float32 NCHW ``(x/255 - mean)/std``, the numpy path's
    :func:`dgcq_sim.nn.forward.normalize` bit for bit."""
    from ..data import check_images
    x = check_images(x_uint8)
    m, s = np.asarray(mean, np.float32), np.asarray(std, np.float32)
    xf = (x.astype(np.float32) * np.float32(1 / 255) - m) / s
    return torch.from_numpy(np.ascontiguousarray(xf.transpose(0, 3, 1, 2)))


class Shortcut(torch.nn.Module):
    def __init__(self, conv: torch.nn.Conv2d):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        return self.conv(x)


class PadShortcut(torch.nn.Module):
    """Option-A shortcut (no parameters): :class:`dgcq_sim.nn.model.PadShortcut` in torch."""

    def __init__(self, pad):
        super().__init__()
        self.stride, self.before, self.after = pad.stride, pad.before, pad.after

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return torch.nn.functional.pad(x, (0, 0, 0, 0, self.before, self.after))


class BasicBlock(torch.nn.Module):
    """Post-activation BasicBlock with folded BN: ``relu(conv2(relu(conv1(x))) + sc(x))``."""

    def __init__(self, conv1, conv2, shortcut=None):
        super().__init__()
        self.conv1, self.conv2, self.shortcut = conv1, conv2, shortcut

    def forward(self, x):
        y = torch.relu(self.conv1(x))
        y = self.conv2(y)
        y = y + (self.shortcut(x) if self.shortcut is not None else x)
        return torch.relu(y)


class TorchResNet(torch.nn.Module):
    """A folded CIFAR ResNet in torch (NCHW float32 normalized input -> logits)."""

    def __init__(self, net: ResNet):
        super().__init__()
        self.name, self.mean, self.std = net.name, tuple(net.mean), tuple(net.std)
        self.classes = list(net.classes)
        self.conv1 = _conv(net.stem)
        stages: dict[int, list] = {}
        for blk in net.blocks:
            m = re.match(r"layer(\d+)\.(\d+)\.conv1$", blk.conv1.name)
            if m is None:
                raise ModelFileError(f"unexpected block layer name {blk.conv1.name!r}")
            sc = (Shortcut(_conv(blk.shortcut)) if blk.shortcut is not None
                  else PadShortcut(blk.pad) if blk.pad is not None else None)
            stages.setdefault(int(m.group(1)), []).append(
                BasicBlock(_conv(blk.conv1), _conv(blk.conv2), sc))
        self.n_stages = len(stages)
        for i, blocks in sorted(stages.items()):
            setattr(self, f"layer{i}", torch.nn.Sequential(*blocks))
        fw = torch.from_numpy(net.fc.w[:, :, 0, 0].copy())
        self.fc = torch.nn.Linear(fw.shape[1], fw.shape[0])
        with torch.no_grad():
            self.fc.weight.copy_(fw)
            self.fc.bias.copy_(torch.from_numpy(net.fc.b.copy()))

    def stages(self) -> list:
        return [getattr(self, f"layer{i}") for i in range(1, self.n_stages + 1)]

    def forward(self, x):
        h = torch.relu(self.conv1(x))
        for stage in self.stages():
            h = stage(h)
        return self.fc(h.mean(dim=(2, 3)))

    def normalize(self, x_uint8: np.ndarray) -> torch.Tensor:
        return images_to_tensor(x_uint8, self.mean, self.std)


def _conv(layer) -> torch.nn.Conv2d:
    cout, cin, k, _ = layer.w.shape
    c = torch.nn.Conv2d(cin, cout, k, stride=layer.stride, padding=layer.pad, bias=True)
    with torch.no_grad():
        c.weight.copy_(torch.from_numpy(layer.w.copy()))
        c.bias.copy_(torch.from_numpy(layer.b.copy()))
    return c


def resnet_to_torch(model) -> TorchResNet:
    """A TorchResNet from a ResNet, an archive path or a model name."""
    net = model if isinstance(model, ResNet) else load_model(model)
    return TorchResNet(net)


def _plain(module) -> TorchResNet:
    """The TorchResNet inside a CimModule (or the module itself)."""
    inner = getattr(module, "net", module)
    if not isinstance(inner, TorchResNet):
        raise InputError(f"expected a TorchResNet (or to_cim of one), got "
                         f"{type(inner).__name__}")
    return inner


def archive_arrays(module) -> dict:
    """The archive arrays of a TorchResNet (or of to_cim of one): folded weights with
    identity BatchNorms."""
    net = _plain(module)
    arrs: dict[str, np.ndarray] = {}

    def put(prefix_conv: str, prefix_bn: str, layer) -> None:
        w = layer.weight.detach().cpu().float().numpy()
        b = (layer.bias.detach().cpu().float().numpy() if layer.bias is not None
             else np.zeros(w.shape[0], np.float32))
        arrs[f"{prefix_conv}.weight"] = w
        arrs[f"{prefix_bn}.gamma"] = np.ones_like(b)
        arrs[f"{prefix_bn}.beta"] = b.copy()
        arrs[f"{prefix_bn}.mean"] = np.zeros_like(b)
        arrs[f"{prefix_bn}.var"] = np.full_like(b, 1.0 - BN_EPS)

    put("conv1", "bn1", net.conv1)
    strides = []
    for i, stage in enumerate(net.stages(), start=1):
        strides.append({"name": f"layer{i}", "stride": int(stage[0].conv1.stride[0])})
        for j, blk in enumerate(stage):
            p = f"layer{i}.{j}"
            put(f"{p}.conv1", f"{p}.bn1", blk.conv1)
            put(f"{p}.conv2", f"{p}.bn2", blk.conv2)
            if isinstance(blk.shortcut, Shortcut):
                put(f"{p}.shortcut.conv", f"{p}.shortcut.bn", blk.shortcut.conv)
    arrs["fc.weight"] = net.fc.weight.detach().cpu().float().numpy()
    arrs["fc.bias"] = net.fc.bias.detach().cpu().float().numpy()
    arch = {"name": net.name, "stages": strides, "classes": net.classes,
            "input": {"mean": list(net.mean), "std": list(net.std)},
            "bn": "identity (weights are BN-folded)"}
    if any(isinstance(b.shortcut, PadShortcut) for st in net.stages() for b in st):
        arch["shortcut"] = OPTION_A_TEXT
    arrs["arch"] = np.array(json.dumps(arch))
    return arrs


def save_archive(module, path: str | Path, record: dict | None = None,
                 train_info: dict | None = None) -> Path:
    """Write ``module`` as a numpy ResNet archive (atomically: a temporary file, then
    rename).  ``record``: the ``cim`` record (see :mod:`dgcq_sim.nn.record`)."""
    path = Path(path)
    arrs = archive_arrays(module)
    if record is not None:
        arrs["cim"] = np.array(json.dumps(record))
    if train_info is not None:
        arrs["train_info"] = np.array(json.dumps(train_info))
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrs)
    tmp.replace(path)
    return path


# ---------------------------------------------------------------------- state dicts
_SHORTCUT_NAMES = (("shortcut.0", "shortcut.1"), ("shortcut.conv", "shortcut.bn"),
                   ("downsample.0", "downsample.1"))


def archive_from_state_dict(state: dict) -> dict:
    """Archive arrays (shared layout) from a standard CIFAR ResNet ``state_dict``."""
    if not isinstance(state, dict) or not state:
        raise InputError("expected a non-empty state_dict (a dict of tensors)")
    sd = {k.removeprefix("module."): v for k, v in state.items()}
    arrs: dict[str, np.ndarray] = {}

    def t(key: str) -> np.ndarray:
        if key not in sd:
            raise ModelFileError(f"state_dict lacks key {key!r} (expected a CIFAR ResNet "
                                 f"with BasicBlocks: conv1, bn1, layerI.J.conv1/bn1/conv2/"
                                 f"bn2, linear or fc)")
        v = sd[key]
        return (v.detach().cpu().float().numpy() if isinstance(v, torch.Tensor)
                else np.asarray(v, np.float32))

    def conv_w(src: str, dst: str) -> None:
        """A conv's weight, and its bias where it has one (folded with its BN)."""
        arrs[f"{dst}.weight"] = t(f"{src}.weight")
        if f"{src}.bias" in sd:
            arrs[f"{dst}.bias"] = t(f"{src}.bias")

    def bn(src: str, dst: str) -> None:
        for a, b in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "mean"),
                     ("running_var", "var")):
            arrs[f"{dst}.{b}"] = t(f"{src}.{a}")

    stem = t("conv1.weight")
    if stem.ndim != 4 or stem.shape[2:] != (3, 3):
        raise ModelFileError(f"state_dict conv1.weight has shape {tuple(stem.shape)}: only the "
                             f"CIFAR stem (3x3 conv, stride 1, no max-pool) is supported, not "
                             f"an ImageNet ResNet's 7x7 stride-2 stem")
    if any(re.match(r"layer\d+\.\d+\.conv3\.weight$", k) for k in sd):
        raise ModelFileError("state_dict has layerI.J.conv3 keys (Bottleneck blocks): only "
                             "BasicBlock ResNets (conv1/conv2 per block) are supported")
    conv_w("conv1", "conv1")
    bn("bn1", "bn1")
    blocks = sorted({(int(m.group(1)), int(m.group(2))) for k in sd
                     if (m := re.match(r"layer(\d+)\.(\d+)\.conv1\.weight$", k))})
    if not blocks:
        raise ModelFileError("state_dict has no layerI.J.conv1.weight keys (not a CIFAR "
                             "ResNet with BasicBlocks)")
    projections = 0
    for i, j in blocks:
        p = f"layer{i}.{j}"
        for c in ("1", "2"):
            conv_w(f"{p}.conv{c}", f"{p}.conv{c}")
            bn(f"{p}.bn{c}", f"{p}.bn{c}")
        for conv, norm in _SHORTCUT_NAMES:
            if f"{p}.{conv}.weight" in sd:
                conv_w(f"{p}.{conv}", f"{p}.shortcut.conv")
                bn(f"{p}.{norm}", f"{p}.shortcut.bn")
                projections += 1
                break
    head = "linear" if "linear.weight" in sd else "fc"
    arrs["fc.weight"], arrs["fc.bias"] = t(f"{head}.weight"), t(f"{head}.bias")
    if not projections:     # no projection anywhere: shape changes are option A's padding
        arrs["arch"] = np.array(json.dumps({"shortcut": OPTION_A_TEXT}))
    return arrs


def read_state_dict_file(path: str | Path) -> dict:
    """Archive arrays from a ``.pt``/``.pth`` file: a CIFAR ResNet ``state_dict``, or a
    checkpoint dict holding one under ``"state_dict"`` (read with ``weights_only=True``: no
    code in the file runs)."""
    p = check_input_file(path, "model file", ModelFileError)
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:        # pickle/zip/torch errors of a foreign or corrupt file
        raise ModelFileError(f"model file {str(p)!r} is not a PyTorch state_dict readable "
                             f"with weights_only=True ({type(exc).__name__}: {exc})") from None
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not any(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelFileError(f"model file {str(p)!r} holds {type(obj).__name__}, not a "
                             f"state_dict (a dict of tensors)")
    try:
        return archive_from_state_dict(obj)
    except (InputError, ModelFileError) as exc:
        raise ModelFileError(f"model file {str(p)!r}: {exc}") from None


def resnet_from_state_dict(state: dict, name: str = "state_dict") -> ResNet:
    """A folded numpy ResNet from a standard CIFAR ResNet ``state_dict``."""
    return model_from_arrays(archive_from_state_dict(state), Path(name))
