"""Damaged, mistyped and foreign files as transfer function / model / data archives:
always a typed error (ModelFileError / InputError) naming the file and the field."""

import json
import zipfile

import numpy as np
import pytest

from dgcq_sim.archive import read_npz
from dgcq_sim.errors import DgcqError, InputError, ModelFileError
from dgcq_sim.nn.data import BUNDLED_TEST, load_npz_dataset
from dgcq_sim.nn.evaluate import evaluate
from dgcq_sim.nn.model import BUNDLED_RESNET20, load_model
from dgcq_sim.transfer import TransferFunction


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("arch")
    tf = d / "tf.npz"
    TransferFunction.ideal(5).with_noise([0.0, 1.0], [1e-3, 2e-3]).save(tf)
    with np.load(BUNDLED_TEST) as z:
        x, y = z["x"][:40], z["y"][:40]
    data = d / "data.npz"
    np.savez_compressed(data, x=x, y=y)
    return {"tf": tf, "data": data, "model": BUNDLED_RESNET20}


LOADERS = {"tf": TransferFunction.load, "data": load_npz_dataset, "model": load_model}


def _mutants(raw: bytes, n: int, seed: int):
    """Deterministic damage: truncations at spread-out lengths and 1..4-bit flips."""
    rng = np.random.default_rng(seed)
    for k in range(n):
        b = bytearray(raw)
        if k % 2 == 0:
            yield "truncated", bytes(b[:int(rng.integers(0, len(b)))])
        else:
            for _ in range(int(rng.integers(1, 5))):
                i = int(rng.integers(0, len(b)))
                b[i] ^= 1 << int(rng.integers(0, 8))
            yield "flipped", bytes(b)


@pytest.mark.parametrize("kind", ["tf", "data", "model"])
def test_truncated_and_bit_flipped_archives_raise_typed_errors(kind, small_files, tmp_path):
    raw = small_files[kind].read_bytes()
    target = tmp_path / f"damaged_{kind}.npz"
    typed = 0
    n = 24 if kind == "model" else 40
    for how, blob in _mutants(raw, n, seed=len(kind)):
        target.write_bytes(blob)
        try:
            LOADERS[kind](target)
        except ModelFileError as exc:
            assert str(target) in str(exc), (how, str(exc))
            assert "Traceback" not in str(exc)
            typed += 1
        except DgcqError as exc:   # e.g. InputError on the decoded content
            assert str(target) in str(exc), (how, str(exc))
            typed += 1
    # A flip inside the stored data can leave a valid file (e.g. the deflate stream of a
    # compressed member recovers); truncation never does.  Most damaged files must fail.
    assert typed >= n // 2


def test_text_and_foreign_files(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("this is not an archive\n")
    for fn, label in ((TransferFunction.load, "transfer function"), (load_model, "model file"),
                      (load_npz_dataset, "data file")):
        with pytest.raises(ModelFileError, match=rf"{label} '.*notes\.txt' is not a \.npz"):
            fn(text)
    with pytest.raises(ModelFileError, match="directory"):
        TransferFunction.load(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        load_npz_dataset(tmp_path / "nope.npz")
    single = tmp_path / "single.npy"
    np.save(single, np.arange(3))
    with pytest.raises(ModelFileError, match="single.npy"):
        TransferFunction.load(single)
    z = tmp_path / "other.npz"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match=r"member 'readme\.txt' is not a \.npy"):
        read_npz(z)


def test_pickled_object_arrays_are_refused_by_key(tmp_path):
    p = tmp_path / "obj.npz"
    np.savez(p, x=np.array([{"a": 1}], dtype=object), y=np.arange(2))
    with pytest.raises(ModelFileError, match=r"key 'x'.*Python objects"):
        load_npz_dataset(p)


def test_corrupt_shape_header_refused_before_allocation(tmp_path):
    """A header declaring 10^12 elements in a 100-byte member is refused, not allocated."""
    import io
    buf = io.BytesIO()
    np.save(buf, np.zeros(10))
    member = buf.getvalue()
    old = b"(10,), }" + b" " * 12
    assert old in member
    member = member.replace(old, b"(1000000000000,), }".ljust(len(old)))   # same length
    p = tmp_path / "huge.npz"
    with zipfile.ZipFile(p, "w") as zf:    # a consistent CRC: only the header lies
        zf.writestr("a.npy", member)
    with pytest.raises(ModelFileError, match=r"key 'a': header declares shape \(1000000000000,\)"):
        read_npz(p)


@pytest.fixture(scope="module")
def tf_fields(tmp_path_factory):
    p = tmp_path_factory.mktemp("tff") / "tf.npz"
    TransferFunction.ideal(4).save(p)
    with np.load(p) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("key, value, message", [
    ("format_version", np.float64(1.0), r"'format_version' must be one integer.*float64"),
    ("format_version", np.array("1"), r"'format_version' must be one integer"),
    ("format_version", np.int64(7), r"'format_version' = 7"),
    ("n_codes", np.float64(16.0), r"'n_codes' must be one integer"),
    ("n_codes", np.int64(0), r"'n_codes' = 0 outside"),
    ("n_codes", np.int64(10 ** 12), r"'n_codes' = 1000000000000 outside"),
    ("bits", np.bool_(True), r"'bits' must be one integer.*bool"),
    ("bits", np.int64(99), r"'bits' = 99 outside"),
    ("vmin", np.array("zero"), r"'vmin' must be one real number"),
    ("vmax", np.float64(np.inf), r"'vmax' = inf is not finite"),
    ("meta", np.int64(3), r"'meta' must be a text string"),
    ("meta", np.array("{not json"), r"'meta' is not JSON"),
    ("meta", np.array("[1, 2]"), r"'meta' must be a JSON object"),
    ("edges", np.array(["a"] * 15), r"'edges' must hold real numbers"),
    ("codes", np.linspace(0, 15, 16), r"'codes' must hold integers"),
    ("noise_sigma", np.array([1e-3, -1e-3]), r"noise_sigma\[1\].*negative"),
])
def test_transfer_function_wrong_typed_fields(key, value, message, tf_fields, tmp_path):
    p = tmp_path / "bad_field.npz"
    np.savez(p, **dict(tf_fields, **{key: value}))
    with pytest.raises(ModelFileError, match=message) as info:
        TransferFunction.load(p)
    assert "bad_field.npz" in str(info.value)


@pytest.fixture(scope="module")
def model_arrays():
    with np.load(BUNDLED_RESNET20) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("arch, message", [
    (np.int64(3), r"key 'arch' must be a text string"),
    ("[1]", r"key 'arch' must be a JSON object"),
    ('{"name": 5}', r"field 'name' must be a string"),
    ('{"stages": 3}', r"field 'stages' must be a list"),
    ('{"stages": [{"name": "layer2", "stride": "2"}]}', r"'stages\[0\]\.stride'"),
    ('{"input": {"std": [0, 1, 1]}}', r"'input\.std' must be 3 finite numbers > 0"),
    ('{"input": {"mean": [0, 1]}}', r"'input\.mean' must be 3 finite numbers"),
    ('{"classes": "cat"}', r"field 'classes' must be a list"),
])
def test_model_wrong_typed_arch_fields(arch, message, model_arrays, tmp_path):
    p = tmp_path / "m.npz"
    np.savez(p, **dict(model_arrays, arch=np.array(arch)))
    with pytest.raises(ModelFileError, match=message):
        load_model(p)


def test_model_weights_that_overflow_name_the_layer(model_arrays, tmp_path):
    """gamma 3e38 overflows the float32 fold: refused at load, naming the layer."""
    p = tmp_path / "g.npz"
    g = np.full_like(model_arrays["layer2.1.bn1.gamma"], 3e38)
    np.savez(p, **dict(model_arrays, **{"layer2.1.bn1.gamma": g}))
    with pytest.raises(ModelFileError, match=r"layer layer2\.1\.conv1: folded weights"):
        load_model(p)


def test_finite_but_exploding_model_names_the_layer_at_run_time(model_arrays, tmp_path):
    """Folded weights of 1e12 in three blocks pass the load check but overflow float32
    on the way: the forward pass raises naming the first non-finite layer."""
    big = {k: np.full_like(model_arrays[k], 1e12) for k in
           ("layer2.1.bn1.gamma", "layer2.1.bn2.gamma", "layer3.1.bn2.gamma")}
    p = tmp_path / "e.npz"
    np.savez(p, **dict(model_arrays, **big))
    net = load_model(p)
    with np.errstate(all="ignore"), pytest.raises(ModelFileError,
                                                  match=r"layer layer\d\.\d\.\w+ gives non-finite"):
        evaluate(net, limit=10, calib=load_npz_dataset(BUNDLED_TEST).subset(10))


def test_arch_json_roundtrip_still_loads(model_arrays, tmp_path):
    arch = json.loads(str(model_arrays["arch"]))
    arch["input"]["std"] = [0.5, 0.5, 0.5]
    p = tmp_path / "ok.npz"
    np.savez(p, **dict(model_arrays, arch=np.array(json.dumps(arch))))
    assert load_model(p).std == (0.5, 0.5, 0.5)
