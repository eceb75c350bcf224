"""``dgcq-sim convert``: the slides' worked example bit for bit, JSON and errors."""

import json

import pytest

from dgcq_sim.cli import main
from dgcq_sim.cli import convert as convert_cli

VS = int("01100011010", 2) / 2 ** 11 + 0.5 / 2 ** 11


def run(argv, capsys):
    import argparse

    parser = argparse.ArgumentParser(prog="dgcq-sim")
    sub = parser.add_subparsers(dest="command")
    convert_cli.register(sub)
    args = parser.parse_args(argv)
    code = args.func(args)
    return code, capsys.readouterr().out


@pytest.mark.parametrize("netlist", ["dgcq_sim/netlists/dgcq.cir", "dgcq"])
def test_worked_example_bit_for_bit(netlist, capsys, monkeypatch):
    from dgcq_sim.paths import REPO_DIR

    monkeypatch.chdir(REPO_DIR)
    code, out = run(["convert", netlist, "--ideal", "--param", "GAIN=1", "--param", "VREF=1",
                     "--param", "NC=3", "--param", "NF=8", "--vin", repr(VS), "--json"], capsys)
    assert code == 0
    res = json.loads(out)
    row = res["conversions"][0]
    assert (row["coarse_binary"], row["fine_binary"]) == ("011", "00011010")
    assert row["binary"] == "01100011010" and row["code"] == 0b01100011010
    assert res["bits"] == 11


def test_table_output_lists_every_input(capsys):
    code, out = run(["convert", "sar", "--ideal", "--param", "NBITS=4", "--vin", "0.1,0.5,2"],
                    capsys)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 4 and "code=0001 (1)" in lines[1] and "code=1111 (15)" in lines[3]


def test_errors_are_reported_not_raised(capsys):
    assert main(["convert", "dgcq", "--vin", "abc"]) == 1
    assert "--vin" in capsys.readouterr().err
    assert main(["convert", "dgcq", "--vin", "0.1", "--param", "NOPE=1"]) == 1
    assert "nope" in capsys.readouterr().err.lower()
    assert main(["convert", "dgcq", "--vin", "0.1", "--param", "NF"]) == 1


def test_vin_takes_spice_numbers_and_marks_clipping(capsys):
    assert main(["convert", "sar", "--ideal", "--param", "NBITS=4", "--vin",
                 "300m,1.5,-0.2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["conversions"]
    assert [r["vin"] for r in rows] == [0.3, 1.5, -0.2]
    assert [r["clipped"] for r in rows] == [False, True, True]
    assert [r["code"] for r in rows] == [4, 15, 0]
    assert main(["convert", "sar", "--vin", "0.5,,0.6"]) == 1
    assert "entry 2 is empty" in capsys.readouterr().err


@pytest.mark.parametrize("name,stages", [("pipeline", 9), ("flash", 0), ("dgcq", 2)])
def test_every_architecture_converts_with_its_stages(name, stages, capsys):
    assert main(["convert", name, "--ideal", "--vin", "0.37", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["architecture"] == name
    row = res["conversions"][0]
    assert len([k for k in row if k.endswith("_binary") and k != "binary"]) == stages
    assert row["code"] == int(0.37 * res["n_codes"])
