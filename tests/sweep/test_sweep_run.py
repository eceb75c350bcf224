"""Sweeps end to end: the issue's example, serial vs Dask, a killed worker, resume, the CLI."""

from __future__ import annotations

import csv
import json
import os
import signal

import pytest

from dgcq_sim.cli import main
from dgcq_sim.errors import InputError
from dgcq_sim.sweep import NOMINAL, load_spec, run

distributed = pytest.importorskip("distributed")


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_example_spec_gives_18_tidy_rows(serial_run):
    res, out = serial_run
    assert sorted(p.name for p in out.iterdir()) == ["pareto.png", "results.csv",
                                                     "results.jsonl", "spec.toml"]
    rows = _rows(out / "results.csv")
    assert len(rows) == 18 and res.computed == 18 and res.reused == 0
    assert list(rows[0]) == ["point", "instance", "NC", "CPTOP", "enob_sine", "enob_static",
                             "lossless_bits", "area_um2", "latency_s", "energy_j"]
    # documented order: cartesian product, last axis fastest; instances 0..K-1 per point
    assert [(r["point"], r["instance"], r["NC"], r["CPTOP"]) for r in rows[:4]] == [
        ("0", "0", "1", "1e-15"), ("0", "1", "1", "1e-15"),
        ("1", "0", "1", "2.5e-15"), ("1", "1", "1", "2.5e-15")]
    assert {r["NC"] for r in rows} == {"1", "2", "3"}
    assert {float(r["CPTOP"]) for r in rows} == {1e-15, 2.5e-15, 4e-15}
    enob = [float(r["enob_sine"]) for r in rows]
    assert all(5 < e < 13 for e in enob)
    assert rows[0]["enob_sine"] != rows[1]["enob_sine"]          # instances differ
    # more coarse bits: more area and latency, and a different ENOB
    by_nc = {nc: [r for r in rows if r["NC"] == nc] for nc in "123"}
    assert float(by_nc["1"][0]["area_um2"]) < float(by_nc["3"][0]["area_um2"])
    assert float(by_nc["1"][0]["latency_s"]) < float(by_nc["3"][0]["latency_s"])
    # jsonl holds the same rows
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted((r["point"], r["instance"]) for r in lines) == \
        [(p, k) for p in range(9) for k in (0, 1)]
    assert load_spec(out / "spec.toml").canonical() == res.spec.canonical()
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res.pareto and all(res.pareto[k] for k in ("area_um2", "latency_s"))


def test_seeding_depends_only_on_spec_seed_point_instance(serial_run):
    res, _ = serial_run
    spec = dict(res.spec.source)
    one = run({**spec, "grid": {"NC": [2], "CPTOP": ["2.5f"]}, "instances": 0},
              progress=False)
    assert [r["instance"] for r in one.rows] == [NOMINAL]
    again = run({**spec, "grid": {"NC": [2], "CPTOP": ["2.5f"]}, "instances": 0},
                progress=False)
    assert one.csv_text() == again.csv_text()
    other = run({**spec, "seed": 6, "grid": {"NC": [2], "CPTOP": ["2.5f"]}, "instances": 0},
                progress=False)
    assert other.rows[0]["enob_sine"] != one.rows[0]["enob_sine"]


def test_local_cluster_csv_is_byte_identical_to_serial(serial_run, tmp_path):
    res, out = serial_run
    dist = run(res.spec, tmp_path / "dist", workers=2, progress=False)
    assert dist.computed == 18
    assert (tmp_path / "dist" / "results.csv").read_bytes() == \
        (out / "results.csv").read_bytes()


def test_worker_killed_mid_sweep_loses_no_point(serial_run, tmp_path):
    res, out = serial_run
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    client = distributed.Client(cluster, set_as_default=False)
    killed = []

    def kill_one(row):
        if killed:
            return
        busy = [w for w, keys in client.processing().items() if keys]
        victim = (busy or sorted(client.scheduler_info()["workers"]))[0]
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)             # as a machine dying would
        killed.append((victim, pid))

    try:
        dist = run(res.spec, tmp_path / "killed", client=client, progress=False,
                   on_row=kill_one)
        pids = set(client.run(os.getpid).values())
    finally:
        client.close()
        cluster.close()
    assert killed, "no worker was killed"
    assert killed[0][1] not in pids                     # the worker process really died
    assert dist.computed == 18 and len(dist.rows) == 18
    assert (tmp_path / "killed" / "results.csv").read_bytes() == \
        (out / "results.csv").read_bytes()


def test_resume_computes_only_missing_rows(serial_run, tmp_path):
    res, out = serial_run
    d = tmp_path / "resume"
    d.mkdir()
    (d / "spec.toml").write_bytes((out / "spec.toml").read_bytes())
    lines = (out / "results.jsonl").read_text().splitlines(keepends=True)
    drop = {(2, 1), (5, 0), (8, 1)}
    kept = [x for x in lines if (json.loads(x)["point"], json.loads(x)["instance"]) not in drop]
    # an interrupted writer leaves a torn last line: it is ignored
    (d / "results.jsonl").write_text("".join(kept) + lines[0][:20])
    seen = []
    again = run(out / "spec.toml", d, resume=True, progress=False,
                on_row=lambda r: seen.append((r["point"], r["instance"])))
    assert sorted(seen) == sorted(drop) and again.computed == 3 and again.reused == 15
    assert (d / "results.csv").read_bytes() == (out / "results.csv").read_bytes()
    assert len((d / "results.jsonl").read_text().splitlines()) == 18
    # resuming a finished sweep computes nothing; a different spec is refused
    assert run(out / "spec.toml", d, resume=True, progress=False).computed == 0
    with pytest.raises(InputError, match="different sweep"):
        run({**res.spec.source, "seed": 99}, d, resume=True, progress=False)
    # without --resume a directory holding results is refused
    with pytest.raises(InputError, match="--resume"):
        run(out / "spec.toml", d, progress=False)


def test_cli_sweep_json_and_resume(serial_run, tmp_path, capsys):
    res, out = serial_run
    d = tmp_path / "cli"
    small = tmp_path / "small.toml"
    small.write_text(res.spec.text.replace('NC = [1, 2, 3]', 'NC = [2]')
                     .replace('"1f:4f:3"', '"1f:4f:2"').replace("instances = 2", "instances = 1"))
    assert main(["sweep", str(small), "--out", str(d), "--json", "--no-progress"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["points"] == 2 and info["rows"] == 2 and info["computed"] == 2
    assert set(info["files"]) == {"csv", "jsonl", "spec", "pareto"}
    assert main(["sweep", str(small), "--out", str(d), "--resume", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "0 computed, 2 resumed" in text
    assert main(["sweep", str(small), "--out", str(tmp_path / "x"), "--workers", "0"]) == 1
    assert "workers" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_resnet_top1_metric(tmp_path):
    res = run({"quantizer": "dgcq", "seed": 3, "instances": 0, "n_sine": 64,
               "metrics": ["enob_static", "resnet_top1"], "resnet": {"images": 4, "calib_images": 20},
               "grid": {"NC": [3]}}, tmp_path / "nn", progress=False)
    (row,) = res.rows
    assert list(row) == ["point", "instance", "NC", "enob_static", "resnet_top1"]
    assert row["resnet_top1"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert row["resnet_top1"] >= 0.5          # an 11-bit converter keeps the network working


def test_netlist_path_beside_the_spec_cost_only_metrics(tmp_path, monkeypatch):
    from dgcq_sim.paths import bundled_netlist

    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "mine.cir").write_bytes(bundled_netlist("dgcq").read_bytes())
    spec = tmp_path / "s.toml"
    spec.write_text('quantizer = "nets/mine.cir"\nmetrics = ["area_um2", "cycles"]\n'
                    '[grid]\nNC = "1:3:3"\n')
    monkeypatch.chdir("/")
    res = run(spec, tmp_path / "out", progress=False)
    assert [(r["instance"], r["NC"]) for r in res.rows] == [(NOMINAL, 1.0), (NOMINAL, 2.0),
                                                            (NOMINAL, 3.0)]
    assert res.rows[0]["area_um2"] < res.rows[2]["area_um2"]
    assert res.rows[0]["cycles"] < res.rows[2]["cycles"]
    assert res.pareto is None and not (tmp_path / "out" / "pareto.png").exists()
    assert run(spec, tmp_path / "out", resume=True, progress=False).computed == 0
