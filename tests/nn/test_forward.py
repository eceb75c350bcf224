"""Forward pass: reference logits, im2col against a direct convolution, BN folding, errors."""

from __future__ import annotations

import numpy as np
import pytest

from dgcq_sim.errors import InputError, ModelFileError
from dgcq_sim.nn.data import SHARED_DATA, load_reference, load_test_set
from dgcq_sim.nn.forward import float_layer, im2col, predict, top1
from dgcq_sim.nn.model import SHARED_MODELS, Layer, load_model


def test_resnet20_matches_reference_logits(r20):
    x, ref = load_reference()
    assert x.shape == (256, 32, 32, 3) and ref.shape == (256, 10)
    assert np.abs(predict(r20, x) - ref).max() <= 1e-3


def test_resnet18_matches_reference_logits():
    path = SHARED_MODELS / "resnet18_cifar10.npz"
    if not path.is_file():
        pytest.skip(f"ResNet-18 is not bundled and {path} is absent")
    x, _ = load_reference()
    ref = np.load(SHARED_MODELS / "reference_logits.npz")["resnet18"]
    assert np.abs(predict(load_model("resnet18"), x, batch=64) - ref).max() <= 1e-2


@pytest.mark.slow
@pytest.mark.parametrize("name,acc", [("resnet20", 0.8894), ("resnet18", 0.9215)])
def test_full_test_set_accuracy_matches_readme(name, acc):
    data = load_test_set(SHARED_DATA / "cifar10_test.npz")
    assert len(data) == 10000
    assert top1(predict(load_model(name), data.x), data.y) == pytest.approx(acc, abs=5e-5)


def _direct_conv(x, w, stride, pad):
    n, h, wd, c = x.shape
    co, ci, k, _ = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    ho, wo = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = np.zeros((n, ho, wo, co))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * stride:i * stride + k, j * stride:j * stride + k, :]  # n,k,k,c
            out[:, i, j, :] = np.einsum("nabc,ocab->no", patch, w.astype(np.float64))
    return out


@pytest.mark.parametrize("k,stride,pad", [(3, 1, 1), (3, 2, 1), (1, 2, 0), (1, 1, 0)])
def test_im2col_conv_equals_direct_convolution(k, stride, pad):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 8, 8, 5)).astype(np.float32)
    w = rng.standard_normal((4, 5, k, k)).astype(np.float32)
    layer = Layer("t", w, np.zeros(4, np.float32), stride, pad)
    y = float_layer(layer, x)
    ref = _direct_conv(x, w, stride, pad)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=1e-4)
    cols, shape = im2col(x, k, stride, pad)
    assert cols.shape == (np.prod(shape), k * k * 5)


def test_bn_folding_equals_conv_then_bn(r20):
    z = np.load(r20_path := "dgcq_sim/data/resnet20_cifar10.npz")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 8, 8, 16)).astype(np.float32)
    conv = _direct_conv(x, z["layer1.1.conv2.weight"], 1, 1)
    g, b, m, v = (z[f"layer1.1.bn2.{p}"].astype(np.float64) for p in ("gamma", "beta", "mean", "var"))
    ref = (conv - m) / np.sqrt(v + 1e-5) * g + b
    layer = next(L for L in r20.layers() if L.name == "layer1.1.conv2")
    np.testing.assert_allclose(float_layer(layer, x), ref, atol=1e-4)
    assert r20_path


def test_conv_biases_and_the_bn_eps_of_the_arch_are_folded(r20, test_set, tmp_path):
    """Closed form: a conv bias c with the BN mean moved by c, and an ``arch`` bn_eps e with
    every BN var moved by 1e-5 - e, fold to the same network: the same logits. Either one
    ignored shifts them."""
    import json
    z = dict(np.load("dgcq_sim/data/resnet20_cifar10.npz"))
    arch = json.loads(str(z["arch"]))
    rng = np.random.default_rng(5)
    for conv, bn in (("conv1", "bn1"), ("layer2.0.conv2", "layer2.0.bn2"),
                     ("layer3.0.shortcut.conv", "layer3.0.shortcut.bn")):
        c = rng.normal(0, 0.5, z[f"{bn}.mean"].shape)
        z[f"{conv}.bias"] = c.astype(np.float32)
        z[f"{bn}.mean"] = (z[f"{bn}.mean"] + c).astype(np.float32)
    eps = 1e-8
    for k in [k for k in z if k.endswith(".var")]:
        z[k] = (z[k].astype(np.float64) + 1e-5 - eps).astype(np.float32)
    z["arch"] = np.array(json.dumps(dict(arch, bn_eps=eps)))
    path = tmp_path / "biased.npz"
    np.savez(path, **z)
    x = test_set.x[::100]
    np.testing.assert_allclose(predict(load_model(path), x), predict(r20, x), rtol=1e-4,
                               atol=1e-4)
    z["arch"] = np.array(json.dumps(dict(arch, bn_eps=0)))
    np.savez(path, **z)
    with pytest.raises(ModelFileError, match=r"biased\.npz'.*bn_eps' must be a number"):
        load_model(path)


@pytest.mark.parametrize("change, what", [({"num_classes": 100}, "'num_classes' says 100"),
                                          ({"classes": ["a", "b"]}, "'classes' says 2"),
                                          ({"num_classes": "10"}, "integer >= 1")])
def test_arch_class_count_must_match_the_fc(tmp_path, change, what):
    import json
    z = dict(np.load("dgcq_sim/data/resnet20_cifar10.npz"))
    z["arch"] = np.array(json.dumps(dict(json.loads(str(z["arch"])), **change)))
    np.savez(path := tmp_path / "cls.npz", **z)
    with pytest.raises(ModelFileError, match=rf"cls\.npz'.*{what}"):
        load_model(path)


def _write_model(tmp_path, drop=None, reshape=None):
    z = dict(np.load("dgcq_sim/data/resnet20_cifar10.npz"))
    if drop:
        del z[drop]
    if reshape:
        z[reshape] = z[reshape][..., :1]
    path = tmp_path / "m.npz"
    np.savez(path, **z)
    return path


def test_missing_key_is_named(tmp_path):
    with pytest.raises(ModelFileError, match=r"m\.npz'.*lacks key 'layer2\.1\.bn1\.var'"):
        load_model(_write_model(tmp_path, drop="layer2.1.bn1.var"))


def test_misshaped_key_is_named(tmp_path):
    with pytest.raises(ModelFileError, match=r"m\.npz'.*layer3\.0\.bn2\.gamma.*shape"):
        load_model(_write_model(tmp_path, reshape="layer3.0.bn2.gamma"))


def test_non_finite_weight_names_file_and_key(tmp_path):
    z = dict(np.load("dgcq_sim/data/resnet20_cifar10.npz"))
    z["layer1.0.conv1.weight"] = z["layer1.0.conv1.weight"].copy()
    z["layer1.0.conv1.weight"][0, 0, 0, 0] = np.nan
    path = tmp_path / "nan.npz"
    np.savez(path, **z)
    with pytest.raises(ModelFileError, match=r"nan\.npz'.*layer1\.0\.conv1\.weight' holds NaN"):
        load_model(path)


@pytest.mark.parametrize("stem, ok", [
    ({"stride": 1}, True), ({"conv": "conv1: 3x3, stride 1, pad 1, no bias"}, True),
    ({"stride": 2}, False), ({"conv": "conv1: 3x3, stride 2, pad 1, no bias"}, False),
    ({"conv": "conv1: 3x3, stride 1, pad 0"}, False), ({"pad": 2}, False),
    ({"stride": True}, False), ("3x3", False), ({"conv": 3}, False)])
def test_arch_stem_other_than_the_cifar_one_is_refused(tmp_path, stem, ok):
    """A stem the folded network would run differently (stride 2, another padding, in the
    fields or in the shared archives' conv text) is a typed error naming the file and the
    stem, not silently run at stride 1, pad 1."""
    import json
    z = dict(np.load("dgcq_sim/data/resnet20_cifar10.npz"))
    z["arch"] = np.array(json.dumps({"stem": stem}))
    path = tmp_path / "stem.npz"
    np.savez(path, **z)
    if ok:
        assert load_model(path).stem.stride == 1
    else:
        with pytest.raises(ModelFileError, match=r"stem\.npz'.*(field 'stem|the stem)"):
            load_model(path)


def test_bad_model_path_and_bad_images(tmp_path, r20):
    with pytest.raises(ModelFileError, match="nope.npz"):
        load_model(tmp_path / "nope.npz")
    with pytest.raises(InputError, match=r"\(N, 32, 32, 3\)"):
        predict(r20, np.zeros((2, 3, 32, 32), np.uint8))
    with pytest.raises(InputError, match="uint8"):
        predict(r20, np.zeros((2, 32, 32, 3), np.float32))
    bad = tmp_path / "d.npz"
    np.savez(bad, x=np.zeros((4, 28, 28), np.uint8), y=np.zeros(4, np.uint8))
    with pytest.raises(InputError, match=r"\(4, 28, 28\)"):
        load_test_set(bad)


def test_bundled_subset_is_strided_and_balanced(test_set):
    assert len(test_set) == 1000
    assert np.all(np.bincount(test_set.y, minlength=10) == 100)
    full = SHARED_DATA / "cifar10_test.npz"
    if full.is_file():
        z = np.load(full)
        assert np.array_equal(z["x"][::10], test_set.x)
