"""One-call accuracy evaluation: float, digital int8 and CIM with a TransferFunction."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..errors import ParameterError
from .chips import check_count, column_maps, summarize_chips
from .cim import CimConfig, CimModel
from .energy import DigitalEnergy, energy_per_image
from .data import Dataset, load_calibration_set, load_test_set
from .forward import predict, top1
from .model import ResNet, load_model
from .quant import QuantConfig, collect_act_stats, quantize_model
from .record import apply_record, record_mapping, record_quant, remapped_fields


def evaluate(model: str | ResNet = "resnet20", data: str | Dataset = "bundled", tf=None,
             quant: QuantConfig | None = None, cim: CimConfig | None = None,
             limit: int | None = None, seed: int = 0, calib: str | Dataset = "bundled",
             batch: int = 50, progress: bool = False, bank=None, chips: int | None = None,
             energy_per_conversion: float | None = None,
             digital_energy: DigitalEnergy | None = None, record: dict | None = None) -> dict:
    """Top-1 of a CIFAR ResNet: float, digital int8, and the configured variant.

    model: ``"resnet20"`` | ``"resnet18"`` | path | loaded :class:`ResNet`.
    data: ``"bundled"`` (1 000 strided test images) | ``"full"`` | path | :class:`Dataset`.
    tf: TransferFunction on every CIM partial sum; None = digital (``quant`` config).
    quant: quantization of the evaluated variant (default int8); the ``int8_top1`` baseline
        always uses the default :class:`QuantConfig` on the same calibration statistics.
    cim: array mapping (default :class:`CimConfig`). limit: strided subset of the images.
    seed: seeds the converter noise Generator (and the chips' column maps). calib:
    calibration images.
    bank: a :class:`~dgcq_sim.transfer.TransferBank` of converter instances (see
        :func:`dgcq_sim.nn.chips.characterize_bank`): per-column converters.  The
        partial-sum ranges are calibrated with ``tf`` (the nominal design), then every
        column of every array converts through the instance its chip's map gives it.
    chips: with ``bank``, evaluate this many chips (chip c: column map from (seed, c),
        noise Generator ``default_rng([seed, c])``); ``top1`` becomes {"mean", "p5",
        "p95", "per_chip"}.  Without ``chips`` one chip (c = 0, noise from
        ``default_rng(seed)``, as the shared-converter path) and ``top1`` stays a float.
    energy_per_conversion: J per conversion from the quantizer's cost model (None:
        unknown); adds ``energy_per_image_j``, ``adc_energy_fraction`` and a breakdown.
    record: the ``cim`` record of a fine-tuned archive (:mod:`dgcq_sim.nn.record`): its
        activation scales, CIM mapping and partial-sum ranges are used instead of a
        calibration (the network as it was trained).  A ``cim`` given with it must hold the
        record's mapping, but for the array geometry and zero point
        (:data:`~dgcq_sim.nn.record.REMAP_FIELDS`): with other ones the network runs on its
        activation scales with partial-sum ranges calibrated anew by ``cim.range_method``
        (``ranges_recalibrated`` lists the fields that moved).
    Returns ``{"top1", "float_top1", "int8_top1", "images", "seconds", ...}`` (fractions).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be an integer >= 0, got {seed!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer))
                              or limit < 1):
        raise ParameterError(f"limit must be an integer >= 1 (images), got {limit!r}")
    if chips is not None:
        chips = check_count("chips", chips)
        if bank is None:
            raise ParameterError("chips needs a bank of converter instances (per-column mode)")
    if bank is not None:
        if len(bank) < 1:
            raise ParameterError("bank must hold at least one instance")
        if tf is None:
            raise ParameterError("per-column converters need tf, the nominal transfer "
                                 "function the ranges are calibrated with")
    # the mapping fields a fine-tuned network runs with other than its own (checked first)
    moved = remapped_fields(record, cim) if None not in (record, cim, tf) else {}
    t0 = time.perf_counter()
    net = model if isinstance(model, ResNet) else load_model(model)
    ds = (data if isinstance(data, Dataset) else load_test_set(data)).subset(limit)
    cal = calib if isinstance(calib, Dataset) else load_calibration_set(calib)
    quant = quant or QuantConfig()
    if record is not None:              # VS-Quant vectors the network was trained with
        quant = record_quant(record, quant)
    stats = collect_act_stats(net, cal.x, batch=batch)
    float_top1 = top1(predict(net, ds.x, batch=batch, progress=progress, desc="float"), ds.y)
    q8 = quantize_model(net, None, QuantConfig(), stats=stats)
    int8_top1 = top1(q8.predict(ds.x, batch=batch, progress=progress), ds.y)
    qm = q8 if quant == QuantConfig() and record is None else \
        quantize_model(net, None, quant, stats=stats)
    rec_ranges = apply_record(qm, record, str(model)) if record is not None else None
    out = {"float_top1": float_top1, "int8_top1": int8_top1, "images": len(ds)}
    if tf is None:
        out["top1"] = int8_top1 if qm is q8 else top1(qm.predict(ds.x, batch=batch,
                                                              progress=progress), ds.y)
    else:
        if quant.vs_vector is not None or quant.acc_bits is not None:
            raise ParameterError("VS-Quant and accumulator truncation are digital options; "
                                 "they cannot be combined with a CIM quantizer")
        if record is not None and not moved:
            cm = CimModel(qm, tf, record_mapping(record, cim), ranges=dict(rec_ranges))
            missing = sorted(set(cm.mapped) - set(rec_ranges))
            if missing:
                raise ParameterError(f"the model's cim record has no partial-sum range for "
                                     f"layers {missing[:3]} (trained with other analog layers)")
            out["ranges"] = dict(rec_ranges)
        elif record is not None:
            cm = CimModel(qm, tf, replace(record_mapping(record, cim), **moved))
            out["ranges"] = cm.calibrate(cal.x)
            out["ranges_recalibrated"] = sorted(moved)
        else:
            cm = CimModel(qm, tf, cim or CimConfig())
            out["ranges"] = cm.calibrate(cal.x)
        out["cim"] = cm.cfg
        out["conversions_per_image"] = cm.conversions_per_image()
        out.update(energy_per_image(cm.operation_counts(), energy_per_conversion,
                                    digital_energy))
        if bank is None:
            logits = cm.predict(ds.x, rng=np.random.default_rng(seed), batch=batch,
                                progress=progress)
            out["top1"] = top1(logits, ds.y)
        else:
            layout = cm.column_layout()
            out["bank"] = len(bank)
            out["converters_per_chip"] = cm.converters_per_chip()
            accs = []
            for c in range(chips or 1):
                cm.use_converters(bank, column_maps(layout, len(bank), seed, c))
                rng = np.random.default_rng(seed if chips is None else [seed, c])
                logits = cm.predict(ds.x, rng=rng, batch=batch, progress=progress)
                accs.append(top1(logits, ds.y))
            out["top1"] = accs[0] if chips is None else summarize_chips(accs)
            out["chips"] = chips
    out["seconds"] = time.perf_counter() - t0
    return out


def with_cim(cfg: CimConfig | None = None, **changes) -> CimConfig:
    """A :class:`CimConfig` with some fields changed (convenience for sweeps)."""
    return replace(cfg or CimConfig(), **changes)
