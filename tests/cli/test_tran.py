"""``dgcq-sim tran``: output against closed forms, options, and clean errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dgcq_sim.cli import main

DIVIDER = """divider
.param R1=1k R2=3k VIN=0.8
vin in 0 DC {VIN}
r1 in mid {R1}
r2 mid 0 {R2}
.tran 1n 10n
.end
"""

# RC low-pass driven by a 0 -> 1 V ramp from 1 ns to 1.05 ns
RC = """rc step
.param R=1k C=1p
vin in 0 PWL(0 0 1n 0 1.05n 1)
r1 in out {R}
c1 out 0 {C}
.tran 10p 10n
.end
"""
TAU, T1, TR = 1e3 * 1e-12, 1e-9, 50e-12


def rc_closed_form(t):
    """Response of the RC to the ramp, valid after the ramp ends."""
    return 1.0 - (TAU / TR) * np.exp(-(t - T1 - TR) / TAU) * (1.0 - np.exp(-TR / TAU))


@pytest.fixture
def divider(tmp_path):
    p = tmp_path / "divider.cir"
    p.write_text(DIVIDER)
    return str(p)


@pytest.fixture
def rc(tmp_path):
    p = tmp_path / "rc.cir"
    p.write_text(RC)
    return str(p)


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_divider_json_matches_the_ratio(capsys, divider):
    out = _json(capsys, ["tran", divider, "--at", "5n", "--node", "mid", "--json"])
    assert out["t"] == [5e-9]
    assert out["v"]["mid"] == [[pytest.approx(0.8 * 3 / 4, abs=1e-12)]]


def test_param_override_changes_the_circuit(capsys, divider):
    out = _json(capsys, ["tran", divider, "--param", "R2=1k", "--param", "vin=2",
                         "--at", "5n", "--node", "MID", "--json"])
    assert out["v"]["mid"][0][0] == pytest.approx(1.0, abs=1e-12)


def test_sweep_gives_one_row_per_sample(capsys, divider):
    out = _json(capsys, ["tran", divider, "--sweep", "vin=0:400m:5", "--at", "2n,7n",
                         "--node", "mid", "--json"])
    assert out["sweep"] == {"vin": pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])}
    v = np.array(out["v"]["mid"])
    assert v.shape == (5, 2)
    assert np.allclose(v, 0.75 * np.array([0, 0.1, 0.2, 0.3, 0.4])[:, None], atol=1e-12)


def test_rc_charging_at_spice_suffixed_times(capsys, rc):
    out = _json(capsys, ["tran", rc, "--at", "2n,3.5n", "--at", "6n", "--node", "out", "--json"])
    t = np.array(out["t"])
    assert np.allclose(t, [2e-9, 3.5e-9, 6e-9], rtol=0, atol=1e-21)
    want = rc_closed_form(t)
    got = np.array(out["v"]["out"][0])
    assert np.max(np.abs(got - want)) < 1e-6, f"got {got}, closed form {want}"


def test_default_times_are_the_phase_ends(capsys, rc):
    out = _json(capsys, ["tran", rc, "--node", "out", "--json"])
    t = out["t"]
    # t = 0, ramp start, ramp end, tstop
    assert t == pytest.approx([0.0, 1e-9, 1.05e-9, 10e-9], abs=1e-21)
    v = out["v"]["out"][0]
    assert v[:2] == pytest.approx([0.0, 0.0], abs=1e-12)
    assert v[2:] == pytest.approx(rc_closed_form(np.array(t[2:])), abs=1e-6)


def test_all_nodes_by_default_and_plain_table(capsys, divider):
    assert main(["tran", divider, "--at", "1n,2n"]) == 0
    text = capsys.readouterr().out
    lines = text.strip().splitlines()
    assert "t [s]" in lines[0] and "v(in) [V]" in lines[0] and "v(mid) [V]" in lines[0]
    rows = [[float(x) for x in ln.split()] for ln in lines[1:]]
    assert [r[0] for r in rows] == [1e-9, 2e-9]
    assert all(r[1:] == pytest.approx([0.8, 0.6], abs=1e-9) for r in rows)


def test_table_with_sweep_has_one_block_per_sample(capsys, divider):
    assert main(["tran", divider, "--sweep", "vin=1:2:2", "--at", "1n", "--node", "mid"]) == 0
    text = capsys.readouterr().out
    assert "sample 0: vin=1" in text and "sample 1: vin=2" in text
    values = [float(ln.split()[-1]) for ln in text.splitlines() if ln.strip().startswith("1.0")]
    assert values == pytest.approx([0.75, 1.5], abs=1e-9)


def test_bundled_netlist_by_name(capsys):
    out = _json(capsys, ["tran", "xval_cdac5", "--at", "2.5n", "--node", "top", "--json"])
    assert out["v"]["top"][0][0] == pytest.approx(0.0, abs=1e-6)   # top plate grounded


@pytest.mark.parametrize("argv, needle", [
    (["--param", "R2"], "NAME=VALUE"),
    (["--param", "nosuch=1"], "nosuch"),
    (["--node", "nowhere"], "nowhere"),
    (["--sweep", "vin=0:1"], "START:STOP:COUNT"),
    (["--sweep", "vin=0:1:x"], "COUNT"),
    (["--sweep", "vin=0:zz:3"], "STOP"),
    (["--sweep", "vnope=0:1:3"], "vnope"),
    (["--at", "1n,,2n"], "empty"),
    (["--at", "20n"], "[0, 1e-08]"),
    (["--at", "abc"], "abc"),
])
def test_bad_options_exit_1_with_a_message(capsys, divider, argv, needle):
    assert main(["tran", divider, *argv]) == 1
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert err.startswith("dgcq-sim tran: error:")


def test_missing_netlist_file(capsys, tmp_path):
    assert main(["tran", str(tmp_path / "nope.cir")]) == 1
    assert "nope.cir' not found" in capsys.readouterr().err
    assert main(["tran", str(tmp_path)]) == 1
    assert "is not a file" in capsys.readouterr().err


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["tran", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for opt in ("--param", "--sweep", "--at", "--node", "--json", "NETLIST", "phase end"):
        assert opt in text
