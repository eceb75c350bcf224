"""``dgcq-sim nn-eval``: JSON output, quantizer specs, and clear errors for bad inputs."""

from __future__ import annotations

import json

import numpy as np

from dgcq_sim.cli import main


def test_json_output_with_ideal_adc(capsys):
    rc = main(["nn-eval", "--quantizer", "ideal:12", "--images", "40", "--json", "--no-progress"])
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
    rc = main(["nn-eval", "--quantizer", str(path), "--images", "40", "--no-progress",
               "--range", "search"])
    out = capsys.readouterr().out
    assert rc == 0 and "int8  top-1" in out and "ADC conversions per image 462848" in out


def test_row_split_is_reported_and_keeps_the_conversion_count(capsys):
    runs = {}
    for split in ("packed", "balanced"):
        rc = main(["nn-eval", "--quantizer", "ideal:5", "--range", "search", "--images", "40",
                   "--row-split", split, "--json", "--no-progress"])
        assert rc == 0
        runs[split] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert runs[split]["cim"]["row_split"] == split
    assert runs["packed"]["conversions_per_image"] == runs["balanced"]["conversions_per_image"]
    # K = 144 layers: 72-row arrays instead of 128 + 16, so their searched range is smaller
    assert runs["balanced"]["ranges"]["layer1.0.conv1"] < runs["packed"]["ranges"]["layer1.0.conv1"]


def test_a_fine_tuned_model_runs_on_its_record_unless_its_arrays_are_changed(capsys):
    from dgcq_sim.nn.record import read_record
    rec = read_record("dgcq_sim/data/resnet20-adc3-cg.npz")
    base = ["nn-eval", "--model", "resnet20-adc3-cg", "--images", "20", "--json", "--no-progress"]
    last = lambda: json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # noqa: E731
    assert main(base) == 0
    own = last()
    assert own["trained_record"] and "ranges_recalibrated" not in own
    assert all(own["cim"][k] == v for k, v in rec["mapping"].items())
    assert own["ranges"] == {k: v["psum_range"] for k, v in rec["layers"].items() if v["analog"]}
    # other arrays: the record's activation scales, ranges calibrated anew on them
    other = {"packed": "balanced", "balanced": "packed"}[rec["mapping"]["row_split"]]
    assert main(base + ["--row-split", other]) == 0
    moved = last()
    assert moved["cim"]["row_split"] == other and moved["ranges_recalibrated"] == ["row_split"]
    assert moved["ranges"]["layer1.0.conv1"] != own["ranges"]["layer1.0.conv1"]
    # a field the network was trained with is not changed silently
    assert main(base + ["--signed", "pos-neg"]) == 1
    err = capsys.readouterr().err
    assert "signed='differential' (asked: 'pos-neg')" in err


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


def test_per_column_chips_json_energy_and_cache(tmp_path, capsys):
    args = ["nn-eval", "--quantizer", "sar", "--param", "NBITS=6", "--param", "KC=0.05",
            "--images", "20", "--json", "--no-progress", "--cache", str(tmp_path)]
    assert main(args + ["--chips", "2", "--bank", "3"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    t = res["top1"]
    assert set(t) == {"mean", "p5", "p95", "per_chip"} and len(t["per_chip"]) == 2
    assert res["bank"] == 3 and res["per_column"] is True
    assert res["energy_per_image_j"] > 0 and 0 < res["adc_energy_fraction"] <= 1
    assert res["energy_per_conversion_j"] > 0
    assert len(list(tmp_path.glob("bank-*.npz"))) == 1
    assert main(args + ["--per-column", "--bank", "2"]) == 0   # prefix of the cached bank
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert isinstance(res["top1"], float) and res["bank"] == 2


def test_bad_chip_and_bank_counts_and_unknown_energy(tmp_path, capsys):
    for bad in (["--chips", "0"], ["--bank", "0"], ["--chips", "-2"]):
        assert main(["nn-eval", "--quantizer", "sar", "--no-progress", *bad]) == 1
        err = capsys.readouterr().err
        assert ("--chips" if "--chips" in bad else "--bank") in err and ">= 1" in err
    assert main(["nn-eval", "--quantizer", "ideal:6", "--per-column", "--no-progress"]) == 1
    assert "netlist" in capsys.readouterr().err
    assert main(["nn-eval", "--quantizer", "ideal:8", "--images", "10", "--json",
                 "--no-progress"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["energy_per_image_j"] is None and res["adc_energy_fraction"] is None
    assert "unknown" in res["energy_note"] and res["energy_digital_j"] > 0
