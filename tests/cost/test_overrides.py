"""Cost-model constants: documented on docs/cost.md, overridable from TOML and NAME=VALUE."""

import dataclasses
import json
from pathlib import Path

import pytest

from dgcq_sim.cli import main
from dgcq_sim.cost import CostModel
from dgcq_sim.cost.overrides import cost_model_from
from dgcq_sim.errors import InputError, ParameterError

DOC = Path(__file__).resolve().parents[2] / "docs" / "cost.md"


def test_every_constant_is_documented_with_unit_and_default():
    text = DOC.read_text()
    rows = {line.split("|")[1].strip().strip("`"): line for line in text.splitlines()
            if line.startswith("| `")}
    for f in dataclasses.fields(CostModel):
        assert f.name in rows, f"{f.name} missing from docs/cost.md"
        cells = [c.strip() for c in rows[f.name].split("|")[1:-1]]
        assert len(cells) == 5 and all(cells), rows[f.name]        # name unit default what source
        shown = cells[2].split()[0]
        assert (shown == "1/3" and f.default == 1 / 3) or float(shown) == f.default, cells[2]
    assert "(cost.md)" in (DOC.parent / "index.md").read_text()
    assert "all blocks" in text and "comparators, op-amps and logic" in text


def test_toml_then_params(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('comparator_energy = 80e-15\nOPAMP_AREA = "250p"\n[cost]\nclock_period = 5e-9\n')
    m = cost_model_from(p, ["clock_period=2n"])
    assert m.comparator_energy == 80e-15 and m.opamp_area == pytest.approx(250e-12)
    assert m.clock_period == pytest.approx(2e-9)                  # the param wins
    assert m.cap_density == CostModel().cap_density


@pytest.mark.parametrize("text, message", [
    ("nope = 1\n", "unknown cost-model constant 'nope'"),
    ("clock_period = 0\n", "clock_period must be positive"),
    ("comparator_energy = -1e-15\n", "comparator_energy must be positive"),
    ("comparator_energy = true\n", "must be a number"),
    ("comparator_energy = 'x1'\n", "comparator_energy"),
    ("[cost\n", "not valid TOML"),
])
def test_bad_toml_refused(text, message, tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(text)
    with pytest.raises((ParameterError, InputError), match=message):
        cost_model_from(p)


def test_enob_uses_the_override(capsys):
    base = ["enob", "sar", "--param", "NBITS=4", "--ideal", "--n-sine", "256", "--json"]
    assert main(base) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(base + ["--cost-param", "comparator_energy=1p"]) == 0
    b = json.loads(capsys.readouterr().out)
    # 4 decisions per conversion: +4 x (1 pJ - 50 fJ)
    assert b["energy_j"] - a["energy_j"] == pytest.approx(4 * (1e-12 - 50e-15), rel=1e-9)
    assert b["cost_model"]["comparator_energy"] == 1e-12


def test_demo_refuses_bad_cost_before_work(tmp_path, capsys):
    assert main(["demo", "--quick", "--no-progress", "--out", str(tmp_path / "r"),
                 "--cost-param", "opamp=1"]) == 1
    assert "unknown cost-model constant 'opamp'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
