"""Weight averaging of fine-tuned checkpoints (``dgcq-sim nn-average``).

Checkpoints of one fine-tuning run (or of runs continued from one another) lie in one
basin of the loss; their average generalizes better than any of them (stochastic weight
averaging).  BatchNorm is folded in these archives (identity BN), so no statistics need
re-estimating.  The archive written holds:

* every float array: the arithmetic mean over the checkpoints (weights, folded biases);
* the ``cim`` record of the first, with each layer's positive scalars (``act_scale``,
  ``psum_range``) and column gains (``weight_gain``) the geometric mean (they act as
  multiplicative scales); the mapping, quantizer and bits must be the same in all.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..archive import scalar_text
from ..errors import InputError, ModelFileError
from ..outputs import check_output_file
from .model import model_from_arrays, read_model_arrays, resolve_model_path
from .record import read_record

#: the record's per-layer multiplicative fields, averaged geometrically
_SCALE_FIELDS = ("act_scale", "psum_range", "weight_gain")


def _same_setup(rec: dict) -> dict:
    """The record's fields that every averaged checkpoint must share."""
    out = {k: v for k, v in rec.items() if k != "layers"}
    out["layers"] = {n: (st["act_signed"], st["analog"], np.shape(st.get("weight_gain", ())))
                     for n, st in rec["layers"].items()}
    return out


def average_archives(models: list, out: str | Path) -> dict:
    """Average the checkpoints ``models`` (paths or bundled names; at least 2) into the
    archive ``out`` (written atomically; nothing is written on error).  Returns
    {"out", "models", "record": bool}."""
    if not isinstance(models, (list, tuple)) or len(models) < 2:
        raise InputError(f"averaging needs at least 2 model archives, got {models!r}")
    out = check_output_file(out, "out")
    paths = [resolve_model_path(m) for m in models]
    arrays = [read_model_arrays(p) for p in paths]
    for p, a in zip(paths, arrays):
        model_from_arrays(a, p)                     # a loadable ResNet archive, named if not
    recs = [read_record(p) for p in paths]
    if any(r is None for r in recs) and not all(r is None for r in recs):
        raise ModelFileError("some archives have a cim record and some not: average "
                             "checkpoints fine-tuned the same way")
    if recs[0] is not None:
        setup = _same_setup(recs[0])
        for p, r in zip(paths[1:], recs[1:]):
            other = _same_setup(r)
            diff = sorted(k for k in setup if setup[k] != other.get(k))
            if diff:
                raise ModelFileError(f"model file {str(p)!r} was fine-tuned with another "
                                     f"setup than {str(paths[0])!r} (record fields {diff})")
    first = arrays[0]
    names = sorted(k for k in first if first[k].dtype.kind == "f")      # weights, biases
    for p, a in zip(paths[1:], arrays[1:]):
        for k in names:
            if k not in a or a[k].shape != first[k].shape or a[k].dtype != first[k].dtype:
                got = f"{a[k].dtype}{a[k].shape}" if k in a else "missing"
                raise ModelFileError(f"model file {str(p)!r}: array {k!r} is {got}, "
                                     f"{first[k].dtype}{first[k].shape} in "
                                     f"{str(paths[0])!r}: not checkpoints of one network")
    # float arrays: the mean (in float64); the others (the architecture text) the first's
    merged = {k: v for k, v in first.items() if k not in ("cim", "train_info")}
    for k in names:
        merged[k] = np.mean([a[k].astype(np.float64) for a in arrays], axis=0).astype(
            first[k].dtype)
    if recs[0] is not None:
        rec = json.loads(scalar_text(first["cim"], "cim", paths[0], "model file"))
        for name, st in rec["layers"].items():
            for f in _SCALE_FIELDS:
                if st.get(f) is None:
                    continue
                logs = np.log(np.array([r["layers"][name][f] for r in recs], np.float64))
                mean = np.exp(logs.mean(axis=0))       # finite: read_record checked each > 0
                st[f] = mean.tolist() if isinstance(st[f], list) else float(mean)
        merged["cim"] = np.array(json.dumps(rec))
    merged["train_info"] = np.array(json.dumps({"averaged": [str(p) for p in paths]}))
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez_compressed(tmp, **merged)
    tmp.replace(out)
    return {"out": str(out), "models": [str(p) for p in paths], "record": recs[0] is not None}
