"""The ``cim`` record of a fine-tuned model archive: the mapping and per-layer quantization
it was trained with, so that evaluation reproduces training's network exactly.

JSON object (key ``cim`` of the ``.npz``, written by ``dgcq-sim train``)::

    {"format": 1, "quantizer": "ideal:3" | NETLIST | TF.npz | null,
     "params": {NAME: "VALUE"}, "ideal": false (optional; a NETLIST quantizer's --param
               overrides and --ideal, as it was characterized for training),
     "mapping": {rows, input_bits_per_cycle, weight_bits_per_cell, signed,
                 digital_first_last, zero_offset_cal, row_split (optional, "packed"),
                 mid_tread (optional, false)},
     "weight_bits": 8, "act_bits": 8, "weights_shared": [8, 4] | null,
     "vsquant": [V, S] | null (optional; VS-Quant digital layers, seed 003),
     "layers": {name: {"act_scale": float, "act_signed": bool, "analog": bool,
                       "psum_range": float | null,
                       "weight_gain": [float per output column] (optional: learned
                       column gains, :func:`dgcq_sim.nn.quant.weight_gain_scale`) or
                       [[float per output column] per array] (per-array gains of an
                       analog layer, :func:`dgcq_sim.nn.quant.apply_weight_gain`)}}}

:func:`read_record` validates it (typed errors naming the file and field);
:func:`apply_record` sets the activation scales of a :class:`QuantizedModel` and returns the
:class:`CimConfig` and partial-sum ranges to build the :class:`CimModel` with.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

from ..archive import read_npz, scalar_text
from ..errors import ModelFileError, ParameterError
from .cim import CimConfig, row_blocks
from .model import is_state_dict_file
from .quant import QuantConfig, QuantizedModel, apply_weight_gain, check_vsquant
from .quantizer_spec import quantizer_kind

FORMAT = 1
MAPPING_FIELDS = ("rows", "input_bits_per_cycle", "weight_bits_per_cell", "signed",
                  "digital_first_last", "zero_offset_cal", "row_split", "mid_tread")
# fields an older record may lack, with the value it was written under
MAPPING_DEFAULTS = {"row_split": "packed", "mid_tread": False}
# array geometry and the converter's zero point: a fine-tuned network may continue with
# other ones (its partial sums or levels move, so its ranges are searched anew)
REMAP_FIELDS = ("rows", "row_split", "mid_tread")


def read_record(path: str | Path) -> dict | None:
    """The validated ``cim`` record of a model archive, or None if it has none (a PyTorch
    state_dict never has one: it is not opened here, :func:`load_model` reads it once)."""
    if is_state_dict_file(path):
        return None
    arrs = read_npz(path, "model file", keys=["cim"])
    if "cim" not in arrs:
        return None
    where = f"model file {str(path)!r}: key 'cim'"
    try:
        rec = json.loads(scalar_text(arrs["cim"], "cim", path, "model file"))
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"{where} is not JSON: {exc}") from None
    if not isinstance(rec, dict) or rec.get("format") != FORMAT:
        raise ModelFileError(f"{where}: expected a JSON object with format {FORMAT}")
    mapping = rec.get("mapping")
    if isinstance(mapping, dict):
        for k, v in MAPPING_DEFAULTS.items():
            mapping.setdefault(k, v)
    if not isinstance(mapping, dict) or set(MAPPING_FIELDS) - set(mapping):
        raise ModelFileError(f"{where}: field 'mapping' must hold {', '.join(MAPPING_FIELDS)}")
    try:
        CimConfig(**{k: mapping[k] for k in MAPPING_FIELDS})
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{where}: field 'mapping': {exc}") from None
    layers = rec.get("layers")
    if not isinstance(layers, dict) or not layers:
        raise ModelFileError(f"{where}: field 'layers' must be a non-empty object")
    for name, st in layers.items():
        ok = (isinstance(st, dict) and _finite_pos(st.get("act_scale"))
              and isinstance(st.get("act_signed"), bool) and isinstance(st.get("analog"), bool)
              and (not st["analog"] or _finite_pos(st.get("psum_range"))))
        if not ok:
            raise ModelFileError(f"{where}: field 'layers.{name}' needs act_scale > 0, "
                                 f"act_signed, analog and (analog) psum_range > 0, got {st!r}")
        gains = st.get("weight_gain", [1.0])
        if not _gain_list(gains, st["analog"]):
            raise ModelFileError(f"{where}: field 'layers.{name}.weight_gain' must be a list "
                                 f"of numbers > 0 (one per output column) or, on an analog "
                                 f"layer, a list of such lists of one length (one per "
                                 f"array), got {str(gains)[:80]}")
    q = rec.get("quantizer")
    if q is not None and not isinstance(q, str):
        raise ModelFileError(f"{where}: field 'quantizer' must be a string or null")
    params = rec.setdefault("params", {})
    if not (isinstance(params, dict) and all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in params.items())):
        raise ModelFileError(f"{where}: field 'params' must map parameter names to value "
                             f"strings, got {params!r}")
    if not isinstance(rec.setdefault("ideal", False), bool):
        raise ModelFileError(f"{where}: field 'ideal' must be true or false, got "
                             f"{rec['ideal']!r}")
    if (params or rec["ideal"]) and quantizer_kind(q) != "netlist":
        raise ModelFileError(f"{where}: fields 'params'/'ideal' belong to a netlist "
                             f"quantizer, the record's is {q!r}")
    try:                               # the bits and VS-Quant vectors, as QuantConfig takes them
        QuantConfig(weight_bits=rec.get("weight_bits", 8), act_bits=rec.get("act_bits", 8))
        vs = rec.get("vsquant")
        if vs is not None:
            check_vsquant(vs)
    except ParameterError as exc:
        raise ModelFileError(f"{where}: field {exc}") from None
    if vs is not None and q is not None:
        raise ModelFileError(f"{where}: VS-Quant records are digital; 'quantizer' must be "
                             f"null, got {q!r}")
    return rec


def record_quant(rec: dict, quant=None):
    """The :class:`QuantConfig` the record's network was trained with (weight and
    activation bits, VS-Quant vectors) on top of ``quant``."""
    quant = quant or QuantConfig()
    vs = rec.get("vsquant")
    have = None if quant.vs_vector is None else (quant.vs_vector, quant.vs_scale_bits)
    want = None if vs is None else (int(vs[0]), int(vs[1]))
    if have is not None and have != want:
        raise ParameterError(f"VS-Quant {have[0]}/{have[1]} differs from the {want} the model "
                             f"was trained with; evaluate without it, or recalibrate")
    bits = {k: int(rec.get(k, 8)) for k in ("weight_bits", "act_bits")}
    for k, b in bits.items():
        if getattr(quant, k) not in (8, b):      # 8: the default, taken as "not given"
            raise ParameterError(f"{k} {getattr(quant, k)} differs from the {b} the model was "
                                 f"trained with")
    if want is not None:
        bits.update(vs_vector=want[0], vs_scale_bits=want[1])
    return replace(quant, **bits)


def _gain_list(gains, analog: bool) -> bool:
    """A record's ``weight_gain``: a non-empty list of numbers > 0 (column gains) or, on
    an analog layer, a non-empty list of such lists of one length (per-array gains)."""
    if not (isinstance(gains, list) and gains):
        return False
    if all(isinstance(g, list) for g in gains):
        return analog and len({len(g) for g in gains}) == 1 and all(
            _gain_list(g, False) for g in gains)
    return all(map(_finite_pos, gains))


def has_array_gains(rec: dict) -> bool:
    """Whether some layer of the record has per-array gains (a 2-D ``weight_gain``)."""
    return any(isinstance(st.get("weight_gain", [1.0])[0], list)
               for st in rec["layers"].values())


def _finite_pos(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def record_mapping(rec: dict, cim: CimConfig | None = None) -> CimConfig:
    """The record's mapping on top of ``cim`` (its range method etc. kept)."""
    return replace(cim or CimConfig(), **{k: rec["mapping"][k] for k in MAPPING_FIELDS})


def remapped_fields(rec: dict, cim: CimConfig, source: str = "the model") -> dict:
    """{field: cim's value} of the :data:`REMAP_FIELDS` where ``cim`` differs from the record
    (run or trained on other arrays or with another zero point: the ranges must be
    calibrated or searched anew); a difference in any other mapping field is refused (the
    network was trained with it), naming ``source``."""
    diff = {k: getattr(cim, k) for k in MAPPING_FIELDS if getattr(cim, k) != rec["mapping"][k]}
    fixed = {k: f"{rec['mapping'][k]!r} (asked: {v!r})" for k, v in diff.items()
             if k not in REMAP_FIELDS}
    geometry = sorted(set(diff) & {"rows", "row_split"})
    if geometry and has_array_gains(rec):
        fixed.update({k: f"{rec['mapping'][k]!r} (asked: {diff[k]!r}; its per-array gains "
                         f"belong to those arrays)" for k in geometry})
    if fixed:
        raise ParameterError(f"{source} was fine-tuned with a different setup: " + ", ".join(
            f"{k}={v}" for k, v in fixed.items()) + "; run it with its own mapping (a mapping "
            "option not given takes the record's)")
    return diff


def apply_record(qm: QuantizedModel, rec: dict, source: str = "model") -> dict:
    """Set every layer's activation scale and sign (and column gains, re-quantizing its
    weights) from the record; return the partial-sum ranges {layer: P} of its analog
    layers."""
    missing = sorted(set(qm.layers) - set(rec["layers"]))
    if missing:
        raise ModelFileError(f"{source}: the cim record lacks layers {missing[:5]}")
    ranges = {}
    cfg = record_mapping(rec)
    for name, q in qm.layers.items():
        st = rec["layers"][name]
        q.a_signed = bool(st["act_signed"])
        bits = qm.cfg.act_bits
        q.a_qmax = 2 ** (bits - 1) - 1 if q.a_signed else 2 ** bits - 1
        q.a_scale = float(st["act_scale"])
        if "weight_gain" in st:
            try:
                apply_weight_gain(q, st["weight_gain"], qm.cfg.shared_4bit,
                                  blocks=row_blocks(q.layer.k, cfg))
            except ParameterError as exc:
                raise ModelFileError(f"{source}: the cim record's {exc}") from None
        if st["analog"]:
            ranges[name] = float(st["psum_range"])
    return ranges


def make_record(quantizer: str | None, cfg: CimConfig, layers: dict, weight_bits: int = 8,
                act_bits: int = 8, weights_shared=None, vsquant=None, params=None,
                ideal: bool = False) -> dict:
    """A record (see the module docstring) from a torch CimModule's ``quant_state()``."""
    return {"format": FORMAT, "quantizer": quantizer,
            "params": {str(k): str(v) for k, v in (params or {}).items()},
            "ideal": bool(ideal),
            "mapping": {k: getattr(cfg, k) for k in MAPPING_FIELDS},
            "weight_bits": int(weight_bits), "act_bits": int(act_bits),
            "weights_shared": list(weights_shared) if weights_shared else None,
            "vsquant": [int(t) for t in vsquant] if vsquant else None,
            "layers": layers}
