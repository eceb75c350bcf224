"""Plot functions write real, non-empty PNGs from synthetic data and refuse bad input."""

from __future__ import annotations

import numpy as np
import pytest

from dgcq_sim.errors import InputError
from dgcq_sim.report.plots import (TransferCurve, plot_accuracy, plot_enob_vs_iterations,
                                   plot_tradeoff, plot_transfer)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    data = path.read_bytes()
    # A real figure of this size compresses to well over 10 kB.
    return data[:8] == PNG_MAGIC and len(data) > 10_000


def _ramp(n_codes=256, gain=1.0):
    v = np.linspace(0.0, 1.0, 4001)
    lsb = 1.0 / n_codes
    codes = np.clip(np.floor(gain * v / lsb), 0, n_codes - 1)
    return v, codes, ((codes + 0.5) * lsb - v) / lsb, lsb


def test_plot_transfer_writes_png(tmp_path):
    v, c, e, lsb = _ramp()
    v2, c2, e2, _ = _ramp(gain=0.97)
    out = plot_transfer(tmp_path / "t.png", "DGCQ", [TransferCurve("ideal", v, c, e),
                                                     TransferCurve("parasitic", v2, c2, e2)], lsb)
    assert _is_png(out)


def test_plot_transfer_rejects_mismatched_and_nan(tmp_path):
    v, c, e, lsb = _ramp()
    with pytest.raises(InputError, match="same shape"):
        plot_transfer(tmp_path / "t.png", "x", [TransferCurve("ideal", v, c[:-1], e[:-1])], lsb)
    e_bad = e.copy()
    e_bad[3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        plot_transfer(tmp_path / "t.png", "x", [TransferCurve("ideal", v, c, e_bad)], lsb)
    with pytest.raises(InputError, match="lsb"):
        plot_transfer(tmp_path / "t.png", "x", [TransferCurve("ideal", v, c, e)], 0.0)
    assert not (tmp_path / "t.png").exists()


def test_plot_enob_vs_iterations(tmp_path):
    out = plot_enob_vs_iterations(
        tmp_path / "e.png",
        {"coarse, ideal": ([16, 64, 256], [4, 6, 8]), "coarse, parasitic": ([16, 64, 256], [4, 5.5, 5])},
        references={"SAR 11b, ideal": 10.9},
        ideal_bits=[("log2 N", [16, 256], [4, 8])])
    assert _is_png(out)
    with pytest.raises(InputError, match="positive"):
        plot_enob_vs_iterations(tmp_path / "bad.png", {"x": ([0, 4], [1, 2])})


def test_plot_tradeoff_and_accuracy(tmp_path, results):
    pts = [dict(name=r["name"], kind=r["kind"], variant=r["variant"], enob=r["enob_sine"],
                area_um2=r["area_um2"], latency_s=r["latency_s"], energy_j=r["energy_j"])
           for r in results["quantizers"]]
    assert _is_png(plot_tradeoff(tmp_path / "s.png", pts))
    top1 = {f"{r['name']}, {r['variant']}": r["top1"] for r in results["quantizers"]}
    assert _is_png(plot_accuracy(tmp_path / "a.png", top1, 0.89, 0.886, 200))
    with pytest.raises(InputError, match="fraction"):
        plot_accuracy(tmp_path / "b.png", {"x": 88.5}, 0.89, 0.886, 200)  # percent, not fraction
    pts[0]["area_um2"] = float("nan")
    with pytest.raises(InputError, match="area_um2"):
        plot_tradeoff(tmp_path / "c.png", pts)


def test_plot_path_must_be_png_in_existing_dir(tmp_path):
    v, c, e, lsb = _ramp()
    with pytest.raises(InputError, match=".png"):
        plot_transfer(tmp_path / "t.jpg", "x", [TransferCurve("ideal", v, c, e)], lsb)
    with pytest.raises(InputError, match="does not exist"):
        plot_transfer(tmp_path / "nope" / "t.png", "x", [TransferCurve("ideal", v, c, e)], lsb)
