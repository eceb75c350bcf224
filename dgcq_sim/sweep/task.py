"""One sweep task: (point, instance) -> one result row.  Runs in-process or on a Dask worker.

Seeds depend only on (spec seed, point index, instance), never on which worker runs the task
or in what order, so every way of running a sweep gives the same rows.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .spec import COST_METRICS, NOMINAL, SweepSpec

_NOISE_TAG = 0x5EE9        # separates the noise stream from the design seed stream
_NN_TAG = 0x5EEA


def design_seed(seed: int, point: int) -> int:
    """Seed of point ``point``'s quantizer (its mismatch and offset draws per instance)."""
    return int(np.random.SeedSequence([seed, point]).generate_state(1, np.uint32)[0])


def noise_rng(seed: int, point: int, instance: int, tag: int = _NOISE_TAG) -> np.random.Generator:
    """Generator of the conversion noise of (point, instance); instance NOMINAL allowed."""
    return np.random.default_rng([seed, point, instance - NOMINAL, tag])


def load_point(spec: SweepSpec, point: int):
    """The nominal quantizer of point ``point`` (raises ParameterError for bad overrides)."""
    from ..quantizers import load_quantizer

    return load_quantizer(spec.quantizer, params=spec.point_params(point), ideal=spec.ideal,
                          seed=design_seed(spec.seed, point))


def _plain(v):
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    return v


def evaluate_task(spec: SweepSpec, point: int, instance: int) -> dict:
    """Row of (point, instance): index columns, axis values, the spec's metrics."""
    q = load_point(spec, point)
    if instance != NOMINAL:
        q = q.instance(instance)
    metrics = spec.metrics
    values: dict = {}
    wanted = [m for m in metrics if m != "resnet_top1"]
    if wanted and all(m in COST_METRICS for m in wanted):
        from ..cost import estimate

        cost = estimate(q.hardware())
        values.update({m: getattr(cost, m) for m in wanted})
    elif wanted:
        from ..evaluate import evaluate_quantizer

        res = evaluate_quantizer(q, rng=noise_rng(spec.seed, point, instance),
                                 n_sine=spec.n_sine, ramp_per_code=spec.ramp_per_code,
                                 progress=False)
        values.update({m: res[m] for m in wanted})
    if "resnet_top1" in metrics:
        values["resnet_top1"] = resnet_top1(spec, q, point, instance)
    row = {"point": int(point), "instance": int(instance), **spec.point_values(point)}
    for m in metrics:
        v = _plain(values[m])
        row[m] = v
    return row


def resnet_top1(spec: SweepSpec, q, point: int, instance: int) -> float:
    """ResNet top-1 (fraction) on ``spec.resnet['images']`` strided bundled CIFAR-10 test
    images with ``q``'s transfer function on every CIM partial sum (as ``dgcq-sim nn-eval``:
    int8 network, ranges calibrated on ``calib_images`` bundled training images)."""
    from ..nn.cim import CimConfig
    from ..nn.data import load_calibration_set
    from ..nn.evaluate import evaluate

    cfg = spec.resnet or {}
    rng = noise_rng(spec.seed, point, instance, _NN_TAG)
    tf = q.characterize(rng=rng)
    nn_seed = int(rng.integers(0, 2 ** 31))
    res = evaluate(cfg.get("model", "resnet20"), "bundled", tf=tf,
                   cim=CimConfig(rows=int(cfg.get("rows", 128))), limit=int(cfg["images"]),
                   seed=nn_seed, progress=False,
                   calib=load_calibration_set("bundled").subset(int(cfg.get("calib_images", 500))))
    top1 = float(res["top1"])
    return top1 if math.isfinite(top1) else float("nan")
