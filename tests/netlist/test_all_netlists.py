"""Every netlist in the repository parses: guards netlists/*.cir and tests/**/*.cir.

Deliberately broken fixtures belong under a directory named ``invalid/`` (skipped here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dgcq_sim.netlist import Circuit, load_netlist
from dgcq_sim.paths import NETLIST_DIR

REPO = Path(__file__).resolve().parents[2]


def all_netlists() -> list[Path]:
    found = sorted(NETLIST_DIR.glob("*.cir")) + sorted((REPO / "tests").rglob("*.cir"))
    # the corpus of public netlists (tests/netlist/corpus) has its own test with expected outcomes
    return [p for p in found if not {"invalid", "corpus"} & set(p.relative_to(REPO).parts)]


def test_the_glob_finds_at_least_the_parser_fixture():
    assert REPO / "tests" / "netlist" / "data" / "sc_integrator.cir" in all_netlists()


@pytest.mark.parametrize("path", all_netlists(), ids=lambda p: str(p.relative_to(REPO)))
def test_netlist_parses(path):
    circuit = load_netlist(path)
    assert isinstance(circuit, Circuit)
    assert circuit.elements and circuit.nodes
    assert all(el.loc is not None and el.loc.path == str(path) for el in circuit.elements)
