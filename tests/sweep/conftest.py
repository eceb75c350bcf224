"""Shared pieces of the sweep tests: the issue's example spec and its serial run."""

from __future__ import annotations

import pytest

EXAMPLE = """\
quantizer = "dgcq"          # registered architecture or netlist path
seed = 5
instances = 2               # Monte Carlo instances per point (0 = nominal only)
metrics = ["enob_sine", "enob_static", "lossless_bits", "area_um2", "latency_s", "energy_j"]
n_sine = 256
[params]                    # fixed .param overrides, SPICE suffixes allowed
VOS_C = "2m"
[grid]                      # axes: lists, or "start:stop:count"
NC = [1, 2, 3]
CPTOP = "1f:4f:3"
"""


@pytest.fixture(scope="session")
def example_spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def serial_run(example_spec, tmp_path_factory):
    """(result, out dir) of the example run serially, in-process."""
    from dgcq_sim.sweep import run

    out = tmp_path_factory.mktemp("serial") / "out"
    return run(example_spec, out, progress=False), out
