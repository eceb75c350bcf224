"""Synthetic demo results for the report tests (no simulation involved)."""

from __future__ import annotations

import copy

import pytest

ROWS = [
    dict(name="DGCQ 3+8", kind="dgcq", variant="ideal", bits=11, enob_sine=10.9, enob_static=10.95,
         lossless_bits=11, dnl_max=0.01, inl_max=0.02, cycles=18, latency_s=180e-9,
         area_unit_caps=260.0, area_um2=2100.0, energy_j=1.2e-12, top1=0.885),
    dict(name="DGCQ 3+8", kind="dgcq", variant="parasitic", bits=11, enob_sine=9.7,
         enob_static=9.9, lossless_bits=8, dnl_max=0.6, inl_max=1.4, cycles=18,
         latency_s=180e-9, area_unit_caps=260.0, area_um2=2100.0, energy_j=1.3e-12, top1=0.874),
    dict(name="SAR 11b", kind="sar", variant="ideal", bits=11, enob_sine=10.95, enob_static=10.99,
         lossless_bits=11, dnl_max=0.0, inl_max=0.0, cycles=13, latency_s=130e-9,
         area_unit_caps=2049.0, area_um2=9800.0, energy_j=4.1e-12, top1=0.886),
    dict(name="SAR 11b", kind="sar", variant="parasitic", bits=11, enob_sine=10.1,
         enob_static=10.3, lossless_bits=9, dnl_max=0.4, inl_max=0.7, cycles=13,
         latency_s=130e-9, area_unit_caps=2049.0, area_um2=9800.0, energy_j=4.3e-12, top1=0.88),
    dict(name="coarse 2048", kind="coarse", variant="ideal", bits=11, enob_sine=10.9,
         enob_static=10.97, lossless_bits=11, dnl_max=0.02, inl_max=0.03, cycles=2050,
         latency_s=20.5e-6, area_unit_caps=4.0, area_um2=900.0, energy_j=40e-12, top1=0.884),
    dict(name="coarse 2048", kind="coarse", variant="parasitic", bits=11, enob_sine=6.2,
         enob_static=6.4, lossless_bits=4, dnl_max=3.0, inl_max=30.0, cycles=2050,
         latency_s=20.5e-6, area_unit_caps=4.0, area_um2=900.0, energy_j=41e-12, top1=0.61),
]


def make_results() -> dict:
    return {
        "config": {"seed": 0, "quick": True},
        "quantizers": copy.deepcopy(ROWS),
        "nn": {"model": "resnet20", "n_images": 200, "float_top1": 0.89, "int8_top1": 0.886},
        "sweep": {
            "coarse, ideal": {"iterations": [16, 64, 256, 1024], "enob": [4.0, 6.0, 8.0, 10.0]},
            "coarse, parasitic": {"iterations": [16, 64, 256, 1024], "enob": [4.0, 5.8, 6.3, 5.1]},
            "DGCQ c+8, ideal": {"kind": "dgcq", "iterations": [4, 8, 16], "enob": [10, 11, 12],
                                "lossless_bits": [10, 11, 12]},
            "DGCQ c+8, parasitic": {"kind": "dgcq", "iterations": [4, 8, 16],
                                    "enob": [9, 9.7, 10.1], "lossless_bits": [8, 8, 9]},
        },
    }


@pytest.fixture
def results() -> dict:
    return make_results()
