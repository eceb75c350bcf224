"""The corpus of public netlists (tests/netlist/corpus, origin in ORIGIN.md): each file's
outcome (simulates, parses without .tran, refused for a named feature) is as recorded in
manifest.json, and every one that simulates agrees with ngspice at flat phase ends."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dgcq_sim.engine import simulate
from dgcq_sim.errors import NetlistError, SimulationError
from dgcq_sim.netlist import load_netlist

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())
TOL = 100e-6


def outcome(path: Path) -> tuple[str, str]:
    try:
        c = load_netlist(path)
    except NetlistError as err:
        return "refused", err.reason
    if c.tran is None:
        return "no_tran", ""
    try:
        simulate(c)
    except SimulationError as err:
        return "error", str(err)
    return "simulates", ""


def test_corpus_size_and_counts():
    assert len(MANIFEST) >= 50
    assert all((CORPUS / "ngspice" / e["path"]).is_file() for e in MANIFEST)


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["path"] for e in MANIFEST])
def test_outcome_is_as_recorded(entry):
    status, reason = outcome(CORPUS / "ngspice" / entry["path"])
    assert status == entry["status"], reason
    if status == "refused":
        assert reason[:60] == entry["reason"][:60]


SIMULATES = [e["path"] for e in MANIFEST if e["status"] == "simulates"]


@pytest.mark.ngspice
@pytest.mark.parametrize("path", SIMULATES)
def test_simulating_netlists_agree_with_ngspice(path):
    from dgcq_sim.spice import flat_end_times, ngspice_tran
    c = load_netlist(CORPUS / "ngspice" / path)
    t = flat_end_times(c)
    t = t[t > 0]          # with UIC ngspice writes no point at t = 0
    eng = simulate(c, at=t)
    nodes = [n for n in c.nodes if n in eng.v]
    ng = ngspice_tran(c, t, nodes=nodes)
    err = max(float(np.abs(eng.v[n][0] - ng.v[n]).max()) for n in nodes)
    assert err < TOL, f"{path}: {err * 1e6:.2f} uV"
