"""``dgcq-sim demo``: bad --out refused before any work, a tiny end-to-end run is reproducible,
and (slow) two ``--quick`` runs with the same seed write identical results.json."""

from __future__ import annotations

import json

import pytest

from dgcq_sim.cli import main
from dgcq_sim.report.demo import DemoConfig, Design, ResolutionSeries, run_demo, step_rng

TINY = DemoConfig(
    seed=3, quick=True, n_sine=1024, n_ramp=2048, n_images=4, coarse_sweep=(8, 16),
    dgcq_sweep=(1, 2), sweep_n_sine=256, ramp_per_code=2, n_noise=32, noise_points=4,
    calib_images=2, stats_images=20,
    designs=(Design("dgcq", "DGCQ 2+4", {"NC": 2, "NF": 4}), Design("sar", "SAR 6b", {"NBITS": 6}),
             Design("coarse", "coarse-only 64", {"NITER": 64})),
    # SAR 3 and 6 (6 = the design above, reused); DGCQ 2+1 and, from the design, 2+4
    resolution=(ResolutionSeries("sar", "SAR", "NBITS", (3, 6)),
                ResolutionSeries("dgcq", "DGCQ 2+f", "NF", (1,), {"NC": 2})))

PNGS = {"transfer_dgcq.png", "transfer_sar.png", "transfer_coarse.png",
        "enob_vs_iterations.png", "tradeoff.png", "accuracy.png", "budget.png",
        "accuracy_vs_bits.png"}


def test_bad_out_is_refused_and_nothing_written(tmp_path, capsys):
    f = tmp_path / "taken"
    f.write_text("not a directory")
    assert main(["demo", "--quick", "--no-progress", "--out", str(f)]) == 1
    err = capsys.readouterr().err
    assert "not a directory" in err and str(f) in err
    assert f.read_text() == "not a directory"
    assert main(["demo", "--quick", "--no-progress", "--out", str(f / "sub")]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


@pytest.mark.parametrize("n, message", [("0", "must be >= 1, got 0"),
                                        ("1001", "must be <= 1000, got 1001")])
def test_images_out_of_range_is_a_usage_error(tmp_path, capsys, n, message):
    with pytest.raises(SystemExit) as info:
        main(["demo", "--no-progress", "--images", n, "--out", str(tmp_path / "r")])
    assert info.value.code == 2
    assert f"--images: {message}" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_tiny_demo_end_to_end_is_reproducible(tmp_path):
    a = run_demo(tmp_path / "a", TINY, progress=False)
    b = run_demo(tmp_path / "b", TINY, progress=False)
    assert a.results_json.read_bytes() == b.results_json.read_bytes()
    res = json.loads(a.results_json.read_text())
    assert {p.name for p in (tmp_path / "a").glob("*.png")} == PNGS
    rows = {(r["kind"], r["variant"]): r for r in res["quantizers"]}
    assert len(rows) == 6
    # An ideal quantizer resolves its own bits: sine-fit ENOB within 0.1 bit of log2(codes).
    for kind, bits in (("dgcq", 6), ("sar", 6), ("coarse", 6)):
        assert rows[(kind, "ideal")]["bits"] == bits
        assert abs(rows[(kind, "ideal")]["enob_sine"] - bits) < 0.1
        assert rows[(kind, "ideal")]["lossless_bits"] == bits
    assert 0.0 <= res["nn"]["int8_top1"] <= 1.0 and res["nn"]["n_images"] == 4
    md = a.report.read_text()
    assert "| DGCQ 2+4" in md and "## Findings" in md and "## Error budget: DGCQ 2+4" in md
    assert res["budget"]["items"] and res["budget"]["all"]["enob"] <= res["budget"]["ideal"]["enob"]
    for finding in res["findings"]:
        assert finding in md
    # accuracy vs resolution: bits from the loaded converters, design points reused
    sar, dgcq = res["resolution"]["series"]
    assert (sar["bits"], sar["values"], sar["from_design"]) == ([3, 6], [3, 6], [None, "sar"])
    assert sar["top1"][1] == rows[("sar", "parasitic")]["top1"]
    assert (dgcq["bits"], dgcq["values"], dgcq["from_design"]) == ([3, 6], [1, 4], [None, "dgcq"])
    assert dgcq["top1"][1] == rows[("dgcq", "parasitic")]["top1"]
    assert "## ResNet-20 top-1 vs converter resolution" in md and "| bits" in md
    assert "ResNet-20 top-1 vs converter resolution" in " ".join(res["findings"])
    # the progress bar's half-way ETA and the time it then took are reported
    assert "ETA shown at half-way" in a.timings and a.timings["time it then took"] > 0


def test_step_streams_depend_on_seed_and_step_only():
    x = step_rng(3, "eval dgcq/parasitic").standard_normal(4)
    assert (x == step_rng(3, "eval dgcq/parasitic").standard_normal(4)).all()
    assert not (x == step_rng(4, "eval dgcq/parasitic").standard_normal(4)).any()
    assert not (x == step_rng(3, "eval sar/parasitic").standard_normal(4)).any()


@pytest.mark.slow
def test_tiny_demo_other_seed_changes_noisy_numbers(tmp_path):
    a = run_demo(tmp_path / "a", TINY, progress=False)
    c = run_demo(tmp_path / "c", DemoConfig(**{**TINY.__dict__, "seed": 4}), progress=False)
    ra, rc = (json.loads(r.results_json.read_text()) for r in (a, c))
    noisy = [(x["enob_sine"], y["enob_sine"]) for x, y in zip(ra["quantizers"], rc["quantizers"])
             if x["variant"] == "parasitic"]
    assert any(x != y for x, y in noisy)


@pytest.mark.slow
def test_quick_cli_twice_same_seed_identical(tmp_path, capsys):
    for d in ("q1", "q2"):
        assert main(["demo", "--quick", "--no-progress", "--seed", "5",
                     "--out", str(tmp_path / d)]) == 0
    out = capsys.readouterr().out
    assert "| DGCQ 3+8" in out and "int8 digital" in out
    assert (tmp_path / "q1" / "results.json").read_bytes() == \
        (tmp_path / "q2" / "results.json").read_bytes()
    assert {p.name for p in (tmp_path / "q1").glob("*.png")} == PNGS
