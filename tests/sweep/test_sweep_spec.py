"""Sweep specs: axes, validation, and every refused input writes nothing to --out."""

from __future__ import annotations

import builtins
import os
import sys
import time

import pytest

from dgcq_sim.cli import main
from dgcq_sim.errors import InputError, ParameterError
from dgcq_sim.sweep import MAX_POINTS, SPEC_KEYS, load_spec, parse_axis, run
from dgcq_sim.sweep.spec import dump_toml

BASE = {"quantizer": "dgcq", "seed": 1, "instances": 1, "n_sine": 64,
        "metrics": ["enob_sine", "area_um2"], "grid": {"NC": [1, 2]}}


def test_axes_lists_ranges_log_and_spice_numbers():
    assert parse_axis("NC", [1, 2, 3]) == (1, 2, 3)
    assert parse_axis("CPTOP", "1f:4f:3") == (1e-15, 2.5e-15, 4e-15)
    assert parse_axis("CPTOP", ["1f", 2e-15]) == (1e-15, 2e-15)
    assert parse_axis("RLEAK", "log:1meg:1g:4") == (1e6, 1e7, 1e8, 1e9)
    assert parse_axis("X", "2:2:1") == (2.0,)
    assert parse_axis("X", "5m") == (5e-3,)


def test_point_order_is_row_major_last_axis_fastest():
    spec = load_spec({**BASE, "grid": {"NC": [1, 2, 3], "CPTOP": "1f:3f:3"}})
    assert spec.n_points == 9 and spec.axis_names == ("NC", "CPTOP")
    assert [spec.point_values(i) for i in (0, 1, 3, 8)] == [
        {"NC": 1, "CPTOP": 1e-15}, {"NC": 1, "CPTOP": 2e-15}, {"NC": 2, "CPTOP": 1e-15},
        {"NC": 3, "CPTOP": 3e-15}]
    assert [v for _, v in spec.points()] == [spec.point_values(i) for i in range(9)]
    assert spec.point_params(4) == {"NC": 2, "CPTOP": 2e-15}


def test_spec_round_trips_through_toml(tmp_path):
    data = {**BASE, "ideal": True, "params": {"VOS_C": "2m"}, "grid": {"CPTOP": "1f:2f:2"}}
    (tmp_path / "s.toml").write_text(dump_toml(data))
    assert load_spec(tmp_path / "s.toml").canonical() == load_spec(data).canonical()


@pytest.mark.parametrize("change, error, match", [
    ({"colour": "red"}, ParameterError, r"unknown spec key 'colour'; valid: quantizer, seed"),
    ({"grid": {"NC": []}}, ParameterError, "NC: the list is empty"),
    ({"grid": {"CPTOP": "1f:4f:0"}}, ParameterError, "at least 1 point, count is 0"),
    ({"grid": {"CPTOP": "1f:4f"}}, ParameterError, "expected 'start:stop:count'"),
    ({"grid": {"CPTOP": "1f:abc:3"}}, ParameterError, "CPTOP.*not a SPICE number"),
    ({"grid": {"CPTOP": "1f:4f:x"}}, ParameterError, "count must be an integer"),
    ({"grid": {"RLEAK": "log:0:1g:3"}}, ParameterError, "log axis needs start and stop > 0"),
    ({"grid": {"NC": [1, True]}}, ParameterError, r"NC\[1\]"),
    ({"metrics": ["enob_sine", "speed"]}, ParameterError, "unknown metric 'speed'; valid:"),
    ({"metrics": []}, ParameterError, "non-empty list"),
    ({"instances": -1}, ParameterError, "'instances' must be an integer >= 0"),
    ({"seed": 1.5}, ParameterError, "'seed'"),
    ({"quantizer": ""}, ParameterError, "quantizer"),
    ({"resnet": {"images": 4}}, ParameterError, "resnet_top1' is not in metrics"),
    ({"metrics": ["resnet_top1"]}, ParameterError, r"needs a \[resnet\] table"),
    ({"params": {"NC": 1}}, ParameterError, "also set as 'NC'"),
])
def test_bad_specs_are_refused_and_write_nothing(tmp_path, change, error, match):
    out = tmp_path / "out"
    with pytest.raises(error, match=match):
        run({**BASE, **change}, out, progress=False)
    assert not out.exists()


def test_unknown_key_lists_every_valid_key():
    with pytest.raises(ParameterError) as exc:
        load_spec({**BASE, "grdi": {}})
    assert all(k in str(exc.value) for k in SPEC_KEYS)


def test_huge_grid_needs_force(tmp_path):
    big = {**BASE, "grid": {"NC": [1, 2], "CPTOP": "1f:4f:1000", "VOS_C": "0:1m:1000"}}
    assert load_spec(big).n_points == 2 * 10 ** 6 > MAX_POINTS
    with pytest.raises(ParameterError, match="pass --force"):
        run(big, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("grid, match", [
    ({"NOPE": [1, 2]}, "grid point 0 .*NOPE"),          # unknown parameter name
    ({"NC": [1, 2, 99]}, "grid point 2 .*NC"),          # out of range at a later point
])
def test_bad_parameters_are_refused_before_any_work(tmp_path, grid, match):
    (tmp_path / "out").mkdir()
    with pytest.raises(ParameterError, match=match):
        run({**BASE, "grid": grid}, tmp_path / "out", progress=False)
    assert list((tmp_path / "out").iterdir()) == []


def test_bad_out_dirs(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        run(BASE, f, progress=False)
    with pytest.raises(InputError, match="not a directory"):
        run(BASE, f / "sub", progress=False)
    if sys.platform.startswith("linux"):
        with pytest.raises(InputError, match="not writable"):
            run(BASE, "/proc/dgcq_sweep_test", progress=False)
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(InputError, match="not writable"):
                run(BASE, ro / "out", progress=False)
        finally:
            ro.chmod(0o700)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "ro"][: 1 + (os.geteuid() != 0)]


def test_unreachable_scheduler_is_refused_fast(tmp_path, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run(BASE, out, scheduler="tcp://127.0.0.1:9", connect_timeout=1, progress=False)
    assert time.perf_counter() - t0 < 15
    assert not out.exists()


def test_without_dask_the_error_says_how_to_install(tmp_path, monkeypatch):
    real = builtins.__import__

    def no_dask(name, *a, **kw):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError(name)
        return real(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    for kw in ({"workers": 2}, {"scheduler": "tcp://127.0.0.1:8786"}):
        with pytest.raises(InputError, match=r'pip install "dgcq_sim\[dist\]"'):
            run(BASE, tmp_path / "out", progress=False, **kw)
    assert not (tmp_path / "out").exists()


def test_cli_reports_errors_and_writes_nothing(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('quantizer = "dgcq"\nmetric = ["enob_sine"]\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o")]) == 1
    assert "unknown spec key 'metric'" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")]) == 1
    assert "not found" in capsys.readouterr().err
    spec.write_text('quantizer = "dgcq\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o")]) == 1
    assert "not valid TOML" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
