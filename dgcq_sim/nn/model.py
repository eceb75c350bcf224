"""Load a CIFAR ResNet from a numpy archive and fold its BatchNorms into the convolutions.

The archive layout is the one of ``../shared/models/README.md`` (``conv1.weight``,
``bn1.gamma/beta/mean/var``, ``layer{i}.{j}.conv1.weight``, ..., ``fc.weight``, ``fc.bias``,
optionally ``arch`` as a JSON string).  Every conv/fc becomes a :class:`Layer` holding the
folded weights ``w`` (Cout, Cin, kh, kw) float32 and bias ``b`` (Cout,) float32, so the
forward pass is ``conv(x, w) + b`` everywhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..archive import read_npz, scalar_text
from ..errors import ModelFileError
from ..paths import DATA_DIR, REPO_DIR

BN_EPS = 1e-5
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)
SHARED_MODELS = REPO_DIR.parent / "shared" / "models"
BUNDLED_RESNET20 = DATA_DIR / "resnet20_cifar10.npz"


@dataclass
class Layer:
    """One conv or fc layer with BN folded in.

    name: key prefix in the archive (``layer2.0.conv1``, ``fc``).
    w: folded weights, float32, (Cout, Cin, kh, kw); an fc layer is a 1x1 conv.
    b: folded bias, float32, (Cout,).
    stride, pad: convolution geometry (fc: 1, 0).
    """

    name: str
    w: np.ndarray
    b: np.ndarray
    stride: int = 1
    pad: int = 0

    @property
    def cout(self) -> int:
        return int(self.w.shape[0])

    @property
    def k(self) -> int:
        """Reduction length Cin*kh*kw (rows of the CIM array that hold one output)."""
        return int(np.prod(self.w.shape[1:]))

    @cached_property
    def wmat(self) -> np.ndarray:
        """Weights as a (K, Cout) matrix matching :func:`dgcq_sim.nn.forward.im2col` columns."""
        return np.ascontiguousarray(self.w.transpose(0, 2, 3, 1).reshape(self.cout, -1).T)


@dataclass(frozen=True)
class PadShortcut:
    """The parameter-free "option A" shortcut of the original CIFAR ResNet (He et al. 2016,
    e.g. akamaster/pytorch_resnet_cifar10): subsample by ``stride`` and append zero channels,
    ``before`` ahead of the input's and ``after`` behind them.  Digital: no MACs, no ADC."""

    stride: int
    before: int
    after: int

    def __call__(self, h: np.ndarray) -> np.ndarray:
        """NHWC ``h`` -> ``h[:, ::s, ::s, :]`` with the zero channels (ceil(H/s) rows, as
        a 3x3 stride-s pad-1 conv gives)."""
        x = h[:, ::self.stride, ::self.stride, :]
        return np.pad(x, ((0, 0), (0, 0), (0, 0), (self.before, self.after)))


@dataclass
class Block:
    """Post-activation BasicBlock: ``relu(conv2(relu(conv1(x))) + shortcut(x))``.

    shortcut: a 1x1 conv (option B) where the block changes shape; else ``pad`` (option A)
    or, with neither, the identity."""

    conv1: Layer
    conv2: Layer
    shortcut: Layer | None = None
    pad: PadShortcut | None = None

    def residual(self, h: np.ndarray, run) -> np.ndarray:
        """The shortcut branch of the block input ``h``; ``run`` executes a conv."""
        if self.shortcut is not None:
            return run(self.shortcut, h)
        return self.pad(h) if self.pad is not None else h


@dataclass
class ResNet:
    """A folded CIFAR ResNet: ``stem`` conv, ``blocks``, global average pool, ``fc``."""

    name: str
    stem: Layer
    blocks: list[Block]
    fc: Layer
    mean: tuple = CIFAR_MEAN
    std: tuple = CIFAR_STD
    classes: list = field(default_factory=list)

    def layers(self) -> list[Layer]:
        """Every conv/fc in execution order (stem first, fc last)."""
        out = [self.stem]
        for blk in self.blocks:
            out += [blk.conv1, blk.conv2] + ([blk.shortcut] if blk.shortcut else [])
        return out + [self.fc]

    def n_macs(self, hw: int = 32) -> int:
        """Multiply-accumulates per image of ``hw`` x ``hw`` pixels."""
        total, size = self.stem.k * self.stem.cout * hw * hw, hw
        for blk in self.blocks:
            size //= blk.conv1.stride
            total += (blk.conv1.k + blk.conv2.k) * blk.conv1.cout * size * size
            if blk.shortcut:
                total += blk.shortcut.k * blk.shortcut.cout * size * size
        return total + self.fc.k * self.fc.cout


def bundled_models() -> list[str]:
    """Names of the fine-tuned archives shipped in the package (``resnet20-adc3``, ...),
    loadable by name like ``resnet20``."""
    return sorted(p.stem for p in DATA_DIR.glob("resnet20-*.npz"))


def resolve_model_path(model: str | Path) -> Path:
    """``"resnet20"`` -> the bundled copy, ``"resnet18"`` -> ``../shared/models``, else a path."""
    name = str(model)
    if name == "resnet20":
        return BUNDLED_RESNET20
    if name in bundled_models():
        return DATA_DIR / f"{name}.npz"
    if name == "resnet18":
        path = SHARED_MODELS / "resnet18_cifar10.npz"
        if not path.is_file():
            raise ModelFileError(f"resnet18 is not bundled and {path} does not exist; "
                                 "pass the path of resnet18_cifar10.npz instead")
        return path
    path = Path(name)
    if not path.is_file():
        names = ", ".join(["resnet20", "resnet18"] + bundled_models())
        raise ModelFileError(f"model file {name!r} does not exist (or use a name: {names})")
    return path


def _get(arrs: dict, key: str, shape: tuple) -> np.ndarray:
    if key not in arrs:
        raise ModelFileError(f"lacks key {key!r}")
    a = arrs[key]
    if a.shape != shape:
        raise ModelFileError(f"model key {key!r} has shape {a.shape}, expected {shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise ModelFileError(f"model key {key!r} has dtype {a.dtype}, expected float")
    a = a.astype(np.float32)
    if not np.all(np.isfinite(a)):
        raise ModelFileError(f"model key {key!r} holds NaN or inf")
    return a


def _conv_shape(arrs: dict, key: str) -> tuple:
    if key not in arrs:
        raise ModelFileError(f"lacks key {key!r}")
    shp = arrs[key].shape
    if len(shp) != 4 or shp[2] != shp[3]:
        raise ModelFileError(f"model key {key!r} has shape {shp}, expected (Cout, Cin, k, k)")
    return shp


def _fold(arrs: dict, conv: str, bn: str, cin: int, stride: int, eps: float) -> Layer:
    shp = _conv_shape(arrs, f"{conv}.weight")
    if shp[1] != cin:
        raise ModelFileError(f"model key {conv}.weight has shape {shp}, expected Cin = {cin}")
    w = _get(arrs, f"{conv}.weight", shp)
    cout, k = shp[0], shp[2]
    gamma, beta, mean, var = (_get(arrs, f"{bn}.{p}", (cout,)) for p in ("gamma", "beta", "mean", "var"))
    if np.any(var < 0):
        raise ModelFileError(f"model key {bn}.var has negative entries")
    # a conv with a bias of its own (``conv_bias``): it shifts what the BN subtracts
    cb = (_get(arrs, f"{conv}.bias", (cout,)).astype(np.float64) if f"{conv}.bias" in arrs
          else 0.0)
    # Fold in float64, store float32: y = (conv(x) + cb - mean) * g/sqrt(var+eps) + beta.
    # (Overflow to inf is reported by check_model_finite, naming the layer.)
    with np.errstate(over="ignore", invalid="ignore"):
        scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + eps)
        wf = (w.astype(np.float64) * scale[:, None, None, None]).astype(np.float32)
        bf = (beta.astype(np.float64) + (cb - mean.astype(np.float64)) * scale).astype(
            np.float32)
    return Layer(conv, wf, bf, stride=stride, pad=k // 2)


#: suffixes of PyTorch checkpoint files read as a CIFAR ResNet state_dict (needs torch)
STATE_DICT_SUFFIXES = (".pt", ".pth")


def is_state_dict_file(path: str | Path) -> bool:
    """Whether a model file is read as a PyTorch state_dict (by its suffix), not an .npz."""
    return Path(path).suffix.lower() in STATE_DICT_SUFFIXES


def read_model_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """The archive arrays of a model file: an ``.npz`` in the shared layout, or a PyTorch
    ``.pt``/``.pth`` holding a standard CIFAR ResNet ``state_dict`` (or a checkpoint dict
    with one under ``"state_dict"``), converted by
    :func:`dgcq_sim.nn.torch.archive_from_state_dict` (needs the ``train`` extra)."""
    if not is_state_dict_file(path):
        return read_npz(path, "model file")
    from .torch.resnet import read_state_dict_file      # DependencyError without torch
    return read_state_dict_file(path)


def load_model(model: str | Path = "resnet20") -> ResNet:
    """Load and fold a CIFAR ResNet.

    model: ``"resnet20"`` (bundled), ``"resnet18"`` (read from ``../shared/models``), the
        path of an ``.npz`` in the layout of ``../shared/models/README.md``, or of a
        ``.pt``/``.pth`` state_dict (see :func:`read_model_arrays`).
    Raises ModelFileError naming the missing or mis-shaped key.
    """
    path = resolve_model_path(model)
    return model_from_arrays(read_model_arrays(path), path)


def model_from_arrays(arrs: dict, path: Path) -> ResNet:
    """Fold a ResNet from the arrays of an archive; every ModelFileError names ``path``."""
    path = Path(path)
    try:
        return _fold_resnet(arrs, path)
    except ModelFileError as exc:
        if str(path) in str(exc):
            raise
        raise ModelFileError(f"model file {str(path)!r}: {exc}") from None


def _fold_resnet(arrs: dict, path: Path) -> ResNet:
    arch = _arch_info(arrs, path)
    c0 = _conv_shape(arrs, "conv1.weight")
    if c0[1] != 3:
        raise ModelFileError(f"model key 'conv1.weight' has shape {c0}, expected 3 input channels")
    eps = arch["bn_eps"]
    stem = _fold(arrs, "conv1", "bn1", 3, 1, eps)
    if arch["stem_pad"] not in (None, stem.pad):
        raise ModelFileError(f"model key 'arch': the stem states pad {arch['stem_pad']}; its "
                             f"{stem.k}x{stem.k} conv1 runs 'same' (pad {stem.pad}), the only "
                             f"padding supported")
    stage_ids = sorted({int(m.group(1)) for k in arrs
                        if (m := re.match(r"layer(\d+)\.(\d+)\.conv1\.weight$", k))})
    if not stage_ids or stage_ids != list(range(1, len(stage_ids) + 1)):
        raise ModelFileError(f"model file {path} has no layer1..layerS blocks (found stages {stage_ids})")
    stage_strides = arch["strides"]
    blocks, cin = [], stem.cout
    for i in stage_ids:
        n_blocks = len({k.split(".")[1] for k in arrs if re.match(rf"layer{i}\.\d+\.conv1\.weight$", k)})
        for j in range(n_blocks):
            p = f"layer{i}.{j}"
            stride = stage_strides.get(i, 1 if i == 1 else 2) if j == 0 else 1
            c1 = _fold(arrs, f"{p}.conv1", f"{p}.bn1", cin, stride, eps)
            c2 = _fold(arrs, f"{p}.conv2", f"{p}.bn2", c1.cout, 1, eps)
            sc, pad = None, None
            if f"{p}.shortcut.conv.weight" in arrs:
                sc = _fold(arrs, f"{p}.shortcut.conv", f"{p}.shortcut.bn", cin, stride, eps)
            elif stride != 1 or cin != c2.cout:
                pad = _pad_shortcut(arch, p, cin, c2.cout, stride)
            blocks.append(Block(c1, c2, sc, pad))
            cin = c2.cout
    if "fc.weight" not in arrs:
        raise ModelFileError("lacks key 'fc.weight'")
    n_cls = arrs["fc.weight"].shape[0] if arrs["fc.weight"].ndim == 2 else -1
    fw = _get(arrs, "fc.weight", (n_cls, cin))
    fb = _get(arrs, "fc.bias", (n_cls,))
    fc = Layer("fc", fw[:, :, None, None], fb, 1, 0)
    for field_name, n in (("num_classes", arch["num_classes"]),
                          ("classes", len(arch["classes"]) or None)):
        if n is not None and n != n_cls:
            raise ModelFileError(f"model key 'arch': field {field_name!r} says {n} classes, "
                                 f"fc.weight has {n_cls} rows")
    net = ResNet(name=arch["name"] or path.stem, stem=stem, blocks=blocks, fc=fc,
                 mean=arch["mean"], std=arch["std"], classes=arch["classes"])
    check_model_finite(net, str(path))
    return net


def _pad_shortcut(arch: dict, block: str, cin: int, cout: int, stride: int) -> PadShortcut:
    """The option-A shortcut of a shape-changing block without shortcut weights, if the
    archive's ``arch`` says so; else the missing key is an error."""
    if not arch["option_a"]:
        raise ModelFileError(f"lacks key '{block}.shortcut.conv.weight' (block "
                             f"changes shape {cin}->{cout}, stride {stride}; a parameter-free "
                             f"zero-padding shortcut needs an 'arch' whose 'shortcut' names "
                             f"option A)")
    if cout < cin:
        raise ModelFileError(f"block {block} narrows {cin}->{cout} channels: an option-A "
                             f"(zero-padding) shortcut cannot")
    extra = cout - cin
    return PadShortcut(stride, extra // 2, extra - extra // 2)


#: the ``arch`` 'shortcut' text written for option-A networks (read: any text naming option A)
OPTION_A_TEXT = ("identity when shape unchanged, else option A: subsample by the stride and "
                 "zero-pad the channels (half before, half after; no parameters)")


def _stem_geometry(stem: dict, where: str) -> int | None:
    """Check the ``arch`` stem's stride (field ``stride`` or the ``conv`` text's "stride N",
    as the shared archives write it) is 1, the only one folded; return the padding it
    states (field ``pad`` or "pad N" in the text), None if it states none."""
    conv = stem.get("conv", "")
    if not isinstance(conv, str):
        raise ModelFileError(f"{where}: field 'stem.conv' must be a string, got {conv!r}")
    got = {}
    for key in ("stride", "pad"):
        val = stem.get(key)
        if val is None and (m := re.search(rf"\b{key}\s*=?\s*(-?\d+)", conv, re.IGNORECASE)):
            val = int(m.group(1))
        if val is not None and (isinstance(val, bool) or not isinstance(val, int) or val < 0):
            raise ModelFileError(f"{where}: field 'stem.{key}' must be an integer >= 0, "
                                 f"got {val!r}")
        got[key] = val
    if got["stride"] not in (None, 1):
        raise ModelFileError(f"{where}: the stem's stride is {got['stride']}: only the CIFAR "
                             f"stem (3x3 conv, stride 1, no pooling) is supported")
    return got["pad"]


def _arch_info(arrs: dict, path: Path) -> dict:
    """The optional ``arch`` JSON key, validated: name, per-stage strides, input mean/std,
    class names and count, BatchNorm eps, the stem's stated padding (its stride must be 1),
    whether the shortcut is option A.  Any field of the wrong type -> ModelFileError naming
    file and field."""
    out = {"name": "", "strides": {}, "mean": CIFAR_MEAN, "std": CIFAR_STD, "classes": [],
           "option_a": False, "stem_pad": None, "bn_eps": BN_EPS,
           "num_classes": None}
    if "arch" not in arrs:
        return out
    where = f"model file {str(path)!r}: key 'arch'"
    text = scalar_text(arrs["arch"], "arch", path, "model file")
    try:
        arch = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"{where} is not JSON: {exc}") from None
    if not isinstance(arch, dict):
        raise ModelFileError(f"{where} must be a JSON object, got {type(arch).__name__}")
    name = arch.get("name", "")
    if not isinstance(name, str):
        raise ModelFileError(f"{where}: field 'name' must be a string, got {name!r}")
    out["name"] = name
    eps = arch.get("bn_eps", BN_EPS)
    if (isinstance(eps, bool) or not isinstance(eps, (int, float)) or not np.isfinite(eps)
            or not 0 < eps <= 1):
        raise ModelFileError(f"{where}: field 'bn_eps' must be a number in (0, 1], got {eps!r}")
    out["bn_eps"] = float(eps)
    shortcut = arch.get("shortcut", "")
    if not isinstance(shortcut, str):
        raise ModelFileError(f"{where}: field 'shortcut' must be a string, got {shortcut!r}")
    out["option_a"] = re.search(r"\boption\s*a\b", shortcut, re.IGNORECASE) is not None
    stem = arch.get("stem", {})
    if not isinstance(stem, dict):
        raise ModelFileError(f"{where}: field 'stem' must be an object, got {stem!r}")
    out["stem_pad"] = _stem_geometry(stem, where)
    if stem.get("maxpool"):
        raise ModelFileError(f"{where}: field 'stem.maxpool' is set: a max-pooling stem "
                             f"(ImageNet ResNet) is not supported, only the CIFAR stem "
                             f"(3x3 conv, stride 1, no pooling)")
    stages = arch.get("stages", [])
    if not isinstance(stages, list):
        raise ModelFileError(f"{where}: field 'stages' must be a list, got {stages!r}")
    for k, st in enumerate(stages):
        if not isinstance(st, dict):
            raise ModelFileError(f"{where}: field 'stages[{k}]' must be an object, got {st!r}")
        sname = st.get("name", "")
        if not isinstance(sname, str) or not re.fullmatch(r"layer\d+", sname):
            continue
        stride = st.get("stride", None)
        if isinstance(stride, bool) or not isinstance(stride, int) or not 1 <= stride <= 8:
            raise ModelFileError(f"{where}: field 'stages[{k}].stride' must be an integer "
                                 f"1..8, got {stride!r}")
        out["strides"][int(sname[5:])] = stride
    inp = arch.get("input", {})
    if not isinstance(inp, dict):
        raise ModelFileError(f"{where}: field 'input' must be an object, got {inp!r}")
    for field_name, default in (("mean", CIFAR_MEAN), ("std", CIFAR_STD)):
        val = inp.get(field_name, default)
        ok = isinstance(val, (list, tuple)) and len(val) == 3 and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x)
            for x in val)
        if not ok or (field_name == "std" and min(val) <= 0):
            raise ModelFileError(f"{where}: field 'input.{field_name}' must be 3 finite "
                                 f"numbers{' > 0' if field_name == 'std' else ''}, got {val!r}")
        out[field_name] = tuple(float(x) for x in val)
    classes = arch.get("classes", [])
    if not isinstance(classes, list):
        raise ModelFileError(f"{where}: field 'classes' must be a list, got {classes!r}")
    out["classes"] = [str(c) for c in classes]
    n = arch.get("num_classes")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ModelFileError(f"{where}: field 'num_classes' must be an integer >= 1, got {n!r}")
    out["num_classes"] = n
    return out


#: Largest |folded weight or bias| accepted: beyond it float32 activations overflow
#: within a layer or two (a BN with var 0 and a huge gamma, a corrupt file).
MAX_FOLDED = 1e15


def check_model_finite(net: "ResNet", source: str = "model") -> None:
    """ModelFileError naming the layer if a folded weight or bias is non-finite or so large
    that the float32 forward pass would overflow to inf/NaN."""
    for L in net.layers():
        for what, a in (("weights", L.w), ("bias", L.b)):
            if not np.all(np.isfinite(a)):
                raise ModelFileError(f"{source}: layer {L.name}: folded {what} are not finite "
                                     f"(BatchNorm var/gamma out of range?)")
            big = float(np.max(np.abs(a))) if a.size else 0.0
            if big > MAX_FOLDED:
                raise ModelFileError(f"{source}: layer {L.name}: folded {what} reach {big:.3g}"
                                     f" (> {MAX_FOLDED:g}; BatchNorm var 0 with a large gamma?)"
                                     f"; the forward pass would overflow")
