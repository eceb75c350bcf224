"""ResNet-20 accuracy of several transfer functions, sharing one float / int8 baseline.

A thin layer over :mod:`dgcq_sim.nn`: the model, the test subset, the calibration statistics
and the int8 network are built once; each TransferFunction then gets its own CIM model
(partial-sum ranges calibrated on the calibration images) and its own noise Generator.
"""

from __future__ import annotations

from typing import Callable, Hashable, Mapping

import numpy as np

from ..errors import InputError
from ..display import show


def evaluate_resnet20(tfs: Mapping[Hashable, object], n_images: int,
                      rng_for: Callable[[str], np.random.Generator], progress: bool = False,
                      batch: int = 50, calib_images: int = 64,
                      stats_images: int = 500,
                      on_step: Callable[[object, bool], None] | None = None) -> dict:
    """Top-1 of the bundled ResNet-20 with each transfer function on every CIM partial sum.

    tfs: key -> TransferFunction (anything with ``vmin``, ``vmax``, ``apply``).
    n_images: test images, a strided subset of the bundled 1 000 (1..1000).
    rng_for: key text -> Generator for that quantizer's conversion noise.
    progress: tqdm bars on stderr.  batch: images per forward batch.
    calib_images: calibration images for each layer's partial-sum range (``CimConfig``).
    stats_images: calibration images (strided) for the int8 activation statistics.
    on_step: optional ``on_step(name, starting)`` called before (True) and after (False) each
        step: ``"baselines"`` (statistics, float and int8 networks), then each key of ``tfs``
        (for one progress bar over a larger run).
    Returns ``{"model", "n_images", "float_top1", "int8_top1", "top1": {key: fraction},
    "conversions_per_image", "operation_counts"}`` (per image: conversions, analog outputs,
    digital MACs, for the energy per image); accuracies are fractions in [0, 1].
    """
    from ..nn import (collect_act_stats, load_calibration_set, load_model, load_test_set,
                      predict, quantize_model, top1)
    from ..nn.cim import CimConfig, CimModel
    from ..nn.quant import QuantConfig

    if isinstance(n_images, bool) or not isinstance(n_images, (int, np.integer)) \
            or not 1 <= n_images <= 1000:
        raise InputError(f"n_images must be an integer in 1..1000, got {show(n_images)}")
    step = on_step or (lambda _name, _starting: None)
    step("baselines", True)
    net = load_model("resnet20")
    ds = load_test_set("bundled").subset(int(n_images))
    cal = load_calibration_set("bundled").subset(int(stats_images))
    stats = collect_act_stats(net, cal.x, batch=batch)
    float_top1 = top1(predict(net, ds.x, batch=batch, progress=progress, desc="float"), ds.y)
    q8 = quantize_model(net, None, QuantConfig(), stats=stats)
    int8_top1 = top1(q8.predict(ds.x, batch=batch, progress=progress), ds.y)
    out: dict = {"model": "resnet20", "n_images": len(ds), "float_top1": float(float_top1),
                 "int8_top1": float(int8_top1), "top1": {}}
    step("baselines", False)
    cfg = CimConfig(calib_images=int(calib_images))
    for key, tf in tfs.items():
        step(key, True)
        cm = CimModel(q8, tf, cfg)
        cm.calibrate(cal.x)
        tag = "/".join(map(str, key)) if isinstance(key, tuple) else str(key)
        logits = cm.predict(ds.x, rng=rng_for(tag), batch=batch, progress=progress)
        out["top1"][key] = float(top1(logits, ds.y))
        out["conversions_per_image"] = int(cm.conversions_per_image())
        out["operation_counts"] = cm.operation_counts()
        step(key, False)
    out["cim"] = {"rows": cfg.rows, "input_bits_per_cycle": cfg.input_bits_per_cycle,
                  "weight_bits_per_cell": cfg.weight_bits_per_cell, "signed": cfg.signed,
                  "range_method": cfg.range_method,
                  "digital_first_last": cfg.digital_first_last,
                  "calib_images": cfg.calib_images}
    return out
