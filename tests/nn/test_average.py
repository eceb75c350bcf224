"""Weight averaging of fine-tuned checkpoints: closed-form means, the record, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dgcq_sim.cli import main
from dgcq_sim.errors import InputError, ModelFileError
from dgcq_sim.nn.average import average_archives
from dgcq_sim.nn.model import resolve_model_path
from dgcq_sim.nn.record import read_record


def _variant(tmp_path, name, scale_w, scale_rec, mapping=None):
    """resnet20-adc3-mt with its weights x scale_w and its record's scales x scale_rec."""
    arrs = dict(np.load(resolve_model_path("resnet20-adc3-mt")))
    for k in arrs:
        if k.endswith(".weight"):
            arrs[k] = (arrs[k] * np.float32(scale_w)).astype(np.float32)
    rec = json.loads(str(arrs["cim"]))
    for st in rec["layers"].values():
        st["act_scale"] *= scale_rec
        if st["analog"]:
            st["psum_range"] *= scale_rec
            st["weight_gain"] = [scale_rec] * len(st.get("weight_gain", [0] * 64))
    rec["mapping"].update(mapping or {})
    arrs["cim"] = np.array(json.dumps(rec))
    path = tmp_path / f"{name}.npz"
    np.savez(path, **arrs)
    return path


def _gains_fit(path):
    """Fix the weight_gain length to each layer's output columns."""
    arrs = dict(np.load(path))
    rec = json.loads(str(arrs["cim"]))
    for k, st in rec["layers"].items():
        if "weight_gain" in st:
            st["weight_gain"] = [st["weight_gain"][0]] * arrs[f"{k}.weight"].shape[0]
    arrs["cim"] = np.array(json.dumps(rec))
    np.savez(path, **arrs)
    return path


def test_average_is_the_mean_of_weights_and_the_geometric_mean_of_scales(tmp_path):
    a = _gains_fit(_variant(tmp_path, "a", 1.0, 1.0))
    b = _gains_fit(_variant(tmp_path, "b", 3.0, 4.0))
    out = tmp_path / "avg.npz"
    res = average_archives([str(a), str(b)], out)
    assert res["record"] and res["models"] == [str(a), str(b)]
    za, zo = np.load(a), np.load(out)
    w = "layer2.1.conv1.weight"
    np.testing.assert_allclose(zo[w], 2.0 * za[w], rtol=1e-6)          # (1 + 3) / 2
    assert zo[w].dtype == np.float32
    ra, ro = read_record(a), read_record(out)
    for n, st in ro["layers"].items():
        assert st["act_scale"] == pytest.approx(2.0 * ra["layers"][n]["act_scale"])   # sqrt(4)
        if st["analog"]:
            assert st["psum_range"] == pytest.approx(2.0 * ra["layers"][n]["psum_range"])
            assert st["weight_gain"] == pytest.approx([2.0] * len(st["weight_gain"]))
    assert ro["mapping"] == ra["mapping"]
    # the average of a checkpoint with itself is that checkpoint
    same = tmp_path / "same.npz"
    average_archives([str(a), str(a)], same)
    zs = np.load(same)
    assert all(np.array_equal(zs[k], za[k]) for k in za.files if k not in ("cim", "train_info"))


def test_checkpoints_of_another_setup_are_refused_and_nothing_is_written(tmp_path):
    a = _gains_fit(_variant(tmp_path, "a", 1.0, 1.0))
    other = _gains_fit(_variant(tmp_path, "o", 1.0, 1.0, {"rows": 64}))
    out = tmp_path / "avg.npz"
    with pytest.raises(ModelFileError, match="another setup.*mapping"):
        average_archives([str(a), str(other)], out)
    with pytest.raises(ModelFileError, match="cim record"):
        average_archives([str(a), "resnet20"], out)
    with pytest.raises(InputError, match="at least 2"):
        average_archives([str(a)], out)
    with pytest.raises(InputError, match="does not exist"):
        average_archives([str(a), str(a)], tmp_path / "no" / "x.npz")
    with pytest.raises(ModelFileError):
        average_archives([str(a), str(tmp_path / "missing.npz")], out)
    assert not out.exists()


def test_cli_writes_the_average(tmp_path, capsys):
    out = tmp_path / "avg.npz"
    assert main(["nn-average", "resnet20-adc3-mt", "resnet20-adc3-mt", "--out", str(out),
                 "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["out"] == str(out) and out.is_file() and read_record(out) is not None
    assert main(["nn-average", "resnet20-adc3-mt", "--out", str(out)]) != 0
    assert "at least 2" in capsys.readouterr().err


def test_array_gains_average_geometrically_and_need_one_shape(tmp_path):
    def arrays(path, spread):
        arrs = dict(np.load(path))
        rec = json.loads(str(arrs["cim"]))
        for st in rec["layers"].values():
            if "weight_gain" in st:
                g = st["weight_gain"]                     # array 0: g, array 1: g e^spread
                st["weight_gain"] = [g, [v * np.exp(spread) for v in g]]
        arrs["cim"] = np.array(json.dumps(rec))
        np.savez(path, **arrs)
        return path
    a = arrays(_gains_fit(_variant(tmp_path, "a", 1.0, 1.0)), 0.0)
    b = arrays(_gains_fit(_variant(tmp_path, "b", 1.0, 4.0)), 0.4)
    out = tmp_path / "avg.npz"
    average_archives([str(a), str(b)], out)
    for n, st in read_record(out)["layers"].items():
        if st["analog"]:
            g = np.array(st["weight_gain"])
            # array 0: sqrt(1 * 4); array 1: sqrt(1 * 4 e^0.4)
            np.testing.assert_allclose(g[0], 2.0, rtol=1e-12)
            np.testing.assert_allclose(g[1], 2.0 * np.exp(0.2), rtol=1e-12)
    c = _gains_fit(_variant(tmp_path, "c", 1.0, 1.0))               # column gains only
    with pytest.raises(ModelFileError, match="another setup"):
        average_archives([str(a), str(c)], tmp_path / "bad.npz")
    assert not (tmp_path / "bad.npz").exists()
