"""Helpers for the netlist tests: run ngspice's operating point on a netlist text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest


def ngspice_op(netlist: str, tmp_path: Path) -> dict[str, float]:
    """Node voltages of ngspice's ``op`` analysis of ``netlist`` (which must not end in .end)."""
    exe = shutil.which("ngspice")
    assert exe is not None, "ngspice binary not found on PATH (install it: apt-get install ngspice)"
    path = tmp_path / "op.cir"
    path.write_text(netlist + "\n.control\nop\nprint all\n.endc\n.end\n", encoding="utf-8")
    proc = subprocess.run([exe, "-b", str(path)], capture_output=True, text=True, timeout=60)
    out = proc.stdout + proc.stderr
    # ngspice -b exits 1 with "no simulations run" when only a .control op ran: judge by output.
    assert "error" not in out.lower(), out
    found = dict(re.findall(r"^(\S+) = (\S+)$", out, re.M))
    assert found, out
    return {k.lower(): float(v) for k, v in found.items()}


@pytest.fixture
def ngspice(tmp_path):
    """``ngspice(netlist_text) -> {node: voltage}`` from an ngspice op analysis."""
    return lambda text: ngspice_op(text, tmp_path)
