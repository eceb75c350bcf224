"""Helpers shared by the NN benchmarks: transfer functions by name, JSON lines, output dir."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"

# name -> (netlist, params, ideal)
QUANTIZERS = {
    "sar8_ideal": ("sar", {"NBITS": 8}, True),
    "sar8_parasitic": ("sar", {"NBITS": 8}, False),
    "sar11_ideal": ("sar", {"NBITS": 11}, True),
    "sar11_parasitic": ("sar", {"NBITS": 11}, False),
    "coarse11_ideal": ("coarse", {"NITER": 2048}, True),
    "coarse11_parasitic": ("coarse", {"NITER": 2048}, False),
    "dgcq3+8_ideal": ("dgcq", {"NC": 3, "NF": 8}, True),
    "dgcq3+8_parasitic": ("dgcq", {"NC": 3, "NF": 8}, False),
}


def emit(**fields) -> None:
    """Print one JSON line (one figure) to stdout."""
    print(json.dumps(fields), flush=True)


def merge_rows(name: str, rows: list, key: str) -> list:
    """Write ``OUT/name`` (a JSON list) with ``rows``; the rows already there whose ``key``
    was not run this time are kept (a partial rerun refreshes only its own). Returns all."""
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    old = json.loads(path.read_text()) if path.exists() else []
    ran = {r[key] for r in rows}
    merged = [r for r in old if r.get(key) not in ran] + rows
    path.write_text(json.dumps(merged, indent=1))
    return merged


def transfer(name: str, tf_dir: str | None = None, seed: int = 0):
    """TransferFunction by benchmark name: ``ideal<B>``, a key of QUANTIZERS, loaded from
    ``tf_dir/<name>.npz`` when present, else characterized now (and timed)."""
    from dgcq_sim.transfer import TransferFunction
    if name.startswith("ideal"):
        return TransferFunction.ideal(int(name[5:]), 0.0, 1.0)
    if tf_dir:
        path = Path(tf_dir) / f"{name}.npz"
        if path.is_file():
            return TransferFunction.load(path)
    from dgcq_sim.quantizers import load_quantizer
    netlist, params, ideal = QUANTIZERS[name]
    t0 = time.perf_counter()
    tf = load_quantizer(netlist, params=params, ideal=ideal, seed=seed).characterize(
        rng=np.random.default_rng(seed))
    print(f"characterized {name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if tf_dir:
        Path(tf_dir).mkdir(parents=True, exist_ok=True)
        tf.save(Path(tf_dir) / f"{name}.npz")
    return tf
