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


@pytest.fixture
def figures(monkeypatch):
    """Every Figure the plot functions save, captured before it is written."""
    from dgcq_sim.report import plots

    got = []
    orig = plots._save

    def spy(fig, path):
        got.append(fig)
        return orig(fig, path)

    monkeypatch.setattr(plots, "_save", spy)
    return got


def _lines(ax):
    return {ln.get_label(): ln for ln in ax.get_lines()}


def _ramp(n_codes=256, gain=1.0):
    v = np.linspace(0.0, 1.0, 4001)
    lsb = 1.0 / n_codes
    codes = np.clip(np.floor(gain * v / lsb), 0, n_codes - 1)
    return v, codes, ((codes + 0.5) * lsb - v) / lsb, lsb


def test_plot_transfer_writes_png(tmp_path, figures):
    v, c, e, lsb = _ramp()
    v2, c2, e2, _ = _ramp(gain=0.97)
    out = plot_transfer(tmp_path / "t.png", "DGCQ", [TransferCurve("ideal", v, c, e),
                                                     TransferCurve("parasitic", v2, c2, e2)], lsb)
    assert _is_png(out)
    (fig,) = figures
    axes = [ax for ax in fig.axes if ax.get_lines()]
    assert len(axes) == 2
    labels = " ".join(ax.get_xlabel() + " " + ax.get_ylabel() for ax in axes)
    assert "(V)" in labels and "code" in labels and "LSB" in labels
    for ax in axes:   # both variants drawn, x data = the input ramp 0..1 V
        xs = [np.asarray(ln.get_xdata(), float) for ln in ax.get_lines() if np.size(ln.get_xdata()) > 100]
        assert len(xs) >= 2 and all(x.min() == 0.0 and x.max() == 1.0 for x in xs)
    ys = [np.asarray(ln.get_ydata(), float) for ln in axes[0].get_lines()
          if np.size(ln.get_ydata()) > 100]
    assert max(y.max() for y in ys) == 255 and min(y.min() for y in ys) == 0  # codes 0..255


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


def test_plot_enob_vs_iterations(tmp_path, figures):
    out = plot_enob_vs_iterations(
        tmp_path / "e.png",
        {"coarse, ideal": ([16, 64, 256], [4, 6, 8]), "coarse, parasitic": ([16, 64, 256], [4, 5.5, 5])},
        references={"SAR 11b, ideal": 10.9},
        ideal_bits=[("log2 N", [16, 256], [4, 8])])
    assert _is_png(out)
    ax = next(ax for ax in figures[0].axes if ax.get_lines())
    assert "bit" in ax.get_ylabel() and ax.get_xscale() == "log"
    lines = _lines(ax)
    par = next(ln for k, ln in lines.items() if "parasitic" in k)
    np.testing.assert_allclose(par.get_xdata(), [16, 64, 256])
    np.testing.assert_allclose(par.get_ydata(), [4, 5.5, 5])
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


def test_enob_plot_shows_static_enob_and_lossless_bits(tmp_path, figures):
    plot_enob_vs_iterations(
        tmp_path / "e2.png", {"DGCQ c+8, parasitic": ([4, 8, 16], [9.1, 9.9, 10.7])},
        static={"DGCQ c+8, parasitic": [8.0, 9.0, 9.5]},
        lossless={"DGCQ c+8, parasitic": [8, 8, 9]})
    enob_ax, loss_ax = figures[-1].axes
    lines = _lines(enob_ax)
    np.testing.assert_allclose(lines["DGCQ c+8, parasitic (static)"].get_ydata(), [8, 9, 9.5])
    assert "static" in enob_ax.get_ylabel() and "lossless" in loss_ax.get_ylabel()
    np.testing.assert_allclose(_lines(loss_ax)["DGCQ c+8, parasitic"].get_ydata(), [8, 8, 9])


def test_accuracy_plot_is_on_a_full_axis_with_binomial_intervals(tmp_path, figures):
    plot_accuracy(tmp_path / "acc.png", {"DGCQ, ideal": 0.9, "SAR, parasitic": 0.5}, 0.91,
                  0.9, 100)
    ax = figures[-1].axes[0]
    assert ax.get_ylim() == (0.0, 100.0) and "binomial" in ax.get_title()
    # Wilson 95 % interval of 50/100: 40.4 .. 59.6 %
    caps = [ln for ln in ax.get_lines() if ln.get_marker() == "_"]
    ys = sorted(float(y) for ln in caps for y in ln.get_ydata())
    assert any(abs(y - 40.38) < 0.1 for y in ys) and any(abs(y - 59.62) < 0.1 for y in ys)


def test_accuracy_vs_bits_plot_content(tmp_path, figures):
    from dgcq_sim.report.plots import plot_accuracy_vs_bits

    plot_accuracy_vs_bits(tmp_path / "r.png", {"SAR": ([4, 6, 8], [0.1, 0.5, 0.9]),
                                               "DGCQ 3+f": ([5, 8, 11], [0.2, 0.8, 0.91])},
                          0.91, 0.9, 100)
    ax = figures[-1].axes[0]
    assert ax.get_ylim() == (0.0, 100.0) and "bits" in ax.get_xlabel()
    assert "binomial" in ax.get_title() and "100 test images" in ax.get_title()
    assert [int(t) for t in ax.get_xticks()] == [4, 5, 6, 8, 11]
    lines = {c.get_label(): c.lines[0] for c in ax.containers}     # errorbar: data line
    np.testing.assert_allclose(lines["SAR"].get_ydata(), [10, 50, 90])
    np.testing.assert_allclose(lines["DGCQ 3+f"].get_ydata(), [20, 80, 91])
    # the points sit at their bits (a small offset keeps two series apart)
    assert np.all(np.abs(lines["SAR"].get_xdata() - [4, 6, 8]) < 0.1)
    # error bars are the 95 % Wilson interval: 50 of 100 -> 40.38 .. 59.62 %
    caps = [ln for ln in ax.get_lines() if ln.get_marker() == "_"]
    ys = sorted(float(y) for ln in caps for y in ln.get_ydata())
    assert any(abs(y - 40.38) < 0.1 for y in ys) and any(abs(y - 59.62) < 0.1 for y in ys)
    hlines = {ln.get_label(): ln.get_ydata()[0] for ln in ax.get_lines()
              if ln.get_label().startswith(("float32", "int8", "chance"))}
    assert hlines == {"float32: 91.0 %": 91.0, "int8 digital: 90.0 %": 90.0,
                      "chance (10 classes)": 10.0}


def test_accuracy_vs_bits_refuses_bad_series(tmp_path):
    from dgcq_sim.report.plots import plot_accuracy_vs_bits

    with pytest.raises(InputError, match="fraction"):
        plot_accuracy_vs_bits(tmp_path / "a.png", {"SAR": ([4, 8], [10.0, 90.0])}, 0.9, 0.9, 10)
    with pytest.raises(InputError, match="increase"):
        plot_accuracy_vs_bits(tmp_path / "b.png", {"SAR": ([8, 4], [0.1, 0.9])}, 0.9, 0.9, 10)
    with pytest.raises(InputError, match="2 bits but 1"):
        plot_accuracy_vs_bits(tmp_path / "c.png", {"SAR": ([4, 8], [0.1])}, 0.9, 0.9, 10)
    with pytest.raises(InputError, match="at least one"):
        plot_accuracy_vs_bits(tmp_path / "d.png", {}, 0.9, 0.9, 10)
