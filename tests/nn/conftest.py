"""Shared fixtures of the NN tests: the bundled ResNet-20, data and a calibrated int8 model."""

from __future__ import annotations

import pytest

from dgcq_sim.nn.data import load_calibration_set, load_test_set
from dgcq_sim.nn.model import load_model
from dgcq_sim.nn.quant import collect_act_stats, quantize_model


@pytest.fixture(scope="session")
def r20():
    return load_model("resnet20")


@pytest.fixture(scope="session")
def test_set():
    return load_test_set("bundled")


@pytest.fixture(scope="session")
def calib():
    return load_calibration_set("bundled")


@pytest.fixture(scope="session")
def stats(r20, calib):
    return collect_act_stats(r20, calib.x[::2])


@pytest.fixture(scope="session")
def qm(r20, stats):
    return quantize_model(r20, None, stats=stats)
