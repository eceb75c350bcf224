"""``dgcq-sim nn-eval``: JSON output, quantizer specs, and clear errors for bad inputs."""

from __future__ import annotations

import json

import numpy as np

from dgcq_sim.cli import main


def test_json_output_with_ideal_adc(capsys):
    rc = main(["nn-eval", "--quantizer", "ideal:12", "--limit", "40", "--json", "--no-progress"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(res) >= {"top1", "float_top1", "int8_top1", "images", "seconds"}
    assert res["images"] == 40
    assert 0.6 <= res["float_top1"] <= 1.0
    assert abs(res["top1"] - res["int8_top1"]) <= 0.05  # 12-bit ADC: near the digital network


def test_saved_transfer_function_and_text_output(tmp_path, capsys):
    from dgcq_sim.transfer import TransferFunction
    path = tmp_path / "tf.npz"
    TransferFunction.ideal(3, 0.0, 1.0).save(path)
    rc = main(["nn-eval", "--quantizer", str(path), "--limit", "40", "--no-progress",
               "--range", "search"])
    out = capsys.readouterr().out
    assert rc == 0 and "int8  top-1" in out and "ADC conversions per image 462848" in out


def test_model_with_missing_key_is_reported(tmp_path, capsys):
    z = dict(np.load("dgcq_sim/data/resnet20_cifar10.npz"))
    del z["layer3.2.bn2.mean"]
    bad = tmp_path / "bad.npz"
    np.savez(bad, **z)
    assert main(["nn-eval", "--model", str(bad), "--no-progress"]) == 1
    assert "layer3.2.bn2.mean" in capsys.readouterr().err


def test_data_of_wrong_shape_is_reported(tmp_path, capsys):
    bad = tmp_path / "d.npz"
    np.savez(bad, x=np.zeros((5, 3, 32, 32), np.uint8), y=np.zeros(5, np.uint8))
    assert main(["nn-eval", "--data", str(bad), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "(5, 3, 32, 32)" in err and "NHWC" in err


def test_bad_paths_and_specs(capsys):
    assert main(["nn-eval", "--model", "no/such/model.npz", "--no-progress"]) == 1
    assert "no/such/model.npz" in capsys.readouterr().err
    assert main(["nn-eval", "--data", "no/such/data.npz", "--no-progress"]) == 1
    assert "no/such/data.npz" in capsys.readouterr().err
    assert main(["nn-eval", "--quantizer", "ideal:x", "--no-progress"]) == 1
    assert "ideal:x" in capsys.readouterr().err
    assert main(["nn-eval", "--vsquant", "16", "--no-progress"]) == 1
    assert "V/S" in capsys.readouterr().err
