"""ENOB error budget: items from the specs and parasitics, "all" = the enob result."""

import json

import numpy as np
import pytest

from dgcq_sim.budget import budget_items, error_budget, format_budget, plot_budget
from dgcq_sim.cli import main
from dgcq_sim.evaluate import evaluate_quantizer
from dgcq_sim.quantizers import load_quantizer


@pytest.fixture(scope="module")
def sar_budget():
    return error_budget("sar", {"NBITS": 6}, seed=3, n_sine=2048)


def test_all_reproduces_enob_of_the_design(sar_budget):
    m = evaluate_quantizer(load_quantizer("sar", {"NBITS": 6}, seed=3),
                           rng=np.random.default_rng(3), n_sine=2048, progress=False)
    assert sar_budget["all"]["enob"] == pytest.approx(m["enob_sine"], abs=1e-12)
    assert sar_budget["all"]["enob_static"] == pytest.approx(m["enob_static"], abs=1e-12)
    assert sar_budget["ideal"]["enob"] == pytest.approx(6, abs=0.05)


def test_items_are_the_non_idealities_sorted_by_loss(sar_budget):
    names = [r["param"] for r in sar_budget["items"]]
    # every spec'd non-ideality the SAR netlist sets away from ideal, and its parasitic
    assert {"CPTOP", "RON", "ROFF", "VOS", "VNOISE", "TEMP", "KC"} <= set(names)
    assert "NBITS" not in names and "SIGMA_VOS" not in names     # design / already ideal
    losses = [r["loss_bits"] for r in sar_budget["items"]]
    assert losses == sorted(losses, reverse=True)
    row = {r["param"]: r for r in sar_budget["items"]}
    # CPTOP = 2 fF on CT = 64 fF: DAC gain CT/(CT+CPTOP) = 0.97 stretches the codes by
    # 3 % = 2 LSB at 6 bits; the top codes clip: the largest loss, static and sine fit
    assert names[0] == "CPTOP" and row["CPTOP"]["loss_bits_static"] > 1.0
    assert row["CPTOP"]["loss_bits"] > 0.5
    # KC acts only through instances: nothing in the nominal design
    assert row["KC"]["loss_bits"] == 0 and row["KC"]["loss_bits_static"] == 0


def test_user_fixed_parameters_are_design_not_items():
    q = load_quantizer("sar", {"NBITS": 6, "VOS": 0.0})
    names = [n for n, _, _ in budget_items(q, {"NBITS": 6, "VOS": 0.0})]
    assert "VOS" not in names and "CPTOP" in names


def test_cli_json_and_tornado_plot(tmp_path, capsys):
    png = tmp_path / "b.png"
    assert main(["budget", "flash", "--param", "NBITS=3", "--n-sine", "1024", "--json",
                 "--plot", str(png)]) == 0
    b = json.loads(capsys.readouterr().out)
    assert set(b) >= {"ideal", "all", "items"} and b["architecture"] == "flash"
    assert all({"param", "value", "enob", "enob_static", "loss_bits"} <= set(r)
               for r in b["items"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = plot_budget(tmp_path / "c.png", b)
    ax = fig.axes[0]
    assert "bits lost" in ax.get_xlabel()
    assert len(ax.patches) == 2 * len(b["items"])          # sine + static bar per item
    assert len(ax.get_yticklabels()) == len(b["items"])
    assert main(["budget", "flash", "--plot", str(tmp_path / "x.txt")]) == 1


def test_netlist_with_op_amp_limits_budgets_them_with_the_design_gbw(tmp_path):
    """SR and VOUT_MIN/VOUT_MAX set by the netlist itself are items; they need GBW > 0 (the
    ideal circuit has GBW = 0), so each is evaluated with the design's GBW, says so, and is
    measured against the ideal circuit with that GBW (= the GBW item alone).  The swing is
    one item (VOUT_MIN alone with VOUT_MAX = 0 is no valid swing once VOUT_MIN > 0).  The
    swing here is wide enough never to clamp: with the clamp engaged the all-on coarse design
    (AOL = 3000) currently misses the stepper's error allowance."""
    from importlib.resources import files

    text = (files("dgcq_sim") / "netlists" / "coarse.cir").read_text()
    assert ".param AOL=3000 GBW=0 " in text
    text = text.replace(".param AOL=3000 GBW=0 ",
                        ".param SR=5e8 VOUT_MIN=-2 VOUT_MAX=3\n.param AOL=3000 GBW=5g ")
    path = tmp_path / "coarse_limits.cir"
    path.write_text(text)
    b = error_budget(str(path), {"NITER": 3}, seed=1, n_sine=64)
    row = {r["param"]: r for r in b["items"]}
    assert {"SR", "VOUT_MIN", "GBW"} <= set(row) and "VOUT_MAX" not in row
    assert row["SR"]["with"] == {"GBW": 5e9}
    assert row["VOUT_MIN"]["with"] == {"VOUT_MAX": 3.0, "GBW": 5e9}
    assert row["GBW"]["with"] == {}
    for name in ("SR", "VOUT_MIN"):
        assert row[name]["against"] == {"GBW": 5e9}
        assert row[name]["reference_enob"] == row["GBW"]["enob"]
        assert row[name]["loss_bits"] == row["GBW"]["enob"] - row[name]["enob"]
    assert row["GBW"]["against"] == {} and row["GBW"]["reference_enob"] == b["ideal"]["enob"]
    table = format_budget(b)
    assert "with GBW=5e+09 Hz" in table and "with VOUT_MAX=3 V, GBW=5e+09 Hz" in table
