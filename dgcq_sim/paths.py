"""Locations of the files dgcq_sim ships: bundled netlists and data."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
NETLIST_DIR = PACKAGE_DIR / "netlists"
DATA_DIR = PACKAGE_DIR / "data"


def bundled_netlist(name: str) -> Path:
    """Path of a netlist shipped in ``dgcq_sim/netlists/`` (``"dgcq"`` or ``"dgcq.cir"``)."""
    fname = name if name.endswith(".cir") else name + ".cir"
    path = NETLIST_DIR / fname
    if not path.is_file():
        known = sorted(p.name for p in NETLIST_DIR.glob("*.cir"))
        raise InputError(f"no bundled netlist {fname!r} in {NETLIST_DIR}; known: {known}")
    return path
