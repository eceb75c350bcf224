"""PNG plots of the demo report, drawn from plain numbers (no simulation happens here).

Every function takes arrays / mappings, validates them (``InputError`` naming the bad
value), draws on a private :class:`matplotlib.figure.Figure` (no pyplot global state, no
display needed) and writes one PNG.  Axes carry units; legends name each series.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..display import show
from ..errors import InputError
from .findings import wilson_interval

DPI = 110
# One colour per design (in the order they come), one line style / marker fill per variant.
PALETTE = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
           "tab:pink", "tab:olive", "tab:cyan", "tab:gray")


def design_colors(keys) -> dict[str, str]:
    """A colour per distinct key, in order of first appearance."""
    return {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(dict.fromkeys(keys))}


def _family(label: str) -> str:
    """Legend label without its variant: "DGCQ c+8, parasitic" -> "DGCQ c+8"."""
    return label.rsplit(",", 1)[0].strip()
VARIANT_STYLES = {"ideal": "-", "parasitic": "--"}


@dataclass(frozen=True)
class TransferCurve:
    """Static transfer of one quantizer on an input ramp.

    label: legend text (e.g. "ideal", "parasitic").
    vin: input voltages of the ramp, V (1-D, increasing).
    codes: output code at each input (same shape as ``vin``).
    error_lsb: reconstructed value minus input, in LSB (same shape as ``vin``).
    """

    label: str
    vin: np.ndarray
    codes: np.ndarray
    error_lsb: np.ndarray


def _finite_1d(name: str, values, min_len: int = 1) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size < min_len:
        raise InputError(f"{name} must be a 1-D array with at least {min_len} value(s), "
                         f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains NaN or inf")
    return arr


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as a PNG (``DPI``) to ``path``: every figure of the package goes
    through here (InputError unless ``path`` ends in .png in an existing directory)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InputError(f"plot path {str(path)!r} must end in .png")
    if not path.parent.is_dir():
        raise InputError(f"plot directory {str(path.parent)!r} does not exist")
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI)
    return path


_save = save_png   # the name the plot functions call (tests spy on it)


def plot_transfer(path: str | Path, title: str, curves: Sequence[TransferCurve],
                  lsb: float) -> Path:
    """Transfer curve (code vs input) and code error (LSB vs input) of one quantizer.

    path: output PNG.  title: figure title (the quantizer's name).
    curves: one :class:`TransferCurve` per variant (ideal, with parasitics ...).
    lsb: the quantizer's nominal LSB, V (used for the zoom window of the inset).
    Returns the path written.
    """
    if not curves:
        raise InputError("plot_transfer needs at least one curve")
    if not (np.isfinite(lsb) and lsb > 0):
        raise InputError(f"lsb must be a positive finite voltage, got {show(lsb)}")
    fig = Figure(figsize=(10, 4.2))
    ax_t, ax_e = fig.subplots(1, 2)
    for i, c in enumerate(curves):
        vin = _finite_1d(f"{c.label} vin", c.vin, 2)
        codes = _finite_1d(f"{c.label} codes", c.codes, 2)
        err = _finite_1d(f"{c.label} error_lsb", c.error_lsb, 2)
        if not (vin.shape == codes.shape == err.shape):
            raise InputError(f"curve {c.label!r}: vin {vin.shape}, codes {codes.shape} and "
                             f"error_lsb {err.shape} must have the same shape")
        style = VARIANT_STYLES.get(c.label, ["-", "--", ":", "-."][i % 4])
        ax_t.plot(vin, codes, style, lw=1.2, label=c.label)
        ax_e.plot(vin, err, style, lw=0.8, label=c.label, alpha=0.85)
    ax_t.set_xlabel("input voltage Vin (V)")
    ax_t.set_ylabel("output code")
    ax_t.set_title("transfer curve")
    ax_t.grid(alpha=0.3)
    ax_t.legend(loc="upper left")
    # Inset: a few LSB around mid-scale, where the staircase itself is visible.
    v0 = float(np.median(_finite_1d("vin", curves[0].vin)))
    inset = ax_t.inset_axes([0.56, 0.08, 0.4, 0.38])
    for i, c in enumerate(curves):
        vin = np.asarray(c.vin, float)
        sel = np.abs(vin - v0) <= 4 * lsb
        style = VARIANT_STYLES.get(c.label, ["-", "--", ":", "-."][i % 4])
        inset.step(vin[sel], np.asarray(c.codes, float)[sel], style, where="post", lw=1.0)
    inset.set_title("zoom: ±4 LSB at mid-scale", fontsize=7)
    inset.tick_params(labelsize=6)
    ax_e.axhline(0.0, color="k", lw=0.6)
    ax_e.set_xlabel("input voltage Vin (V)")
    ax_e.set_ylabel("code error: estimate − Vin (LSB)")
    ax_e.set_title("code error vs input")
    ax_e.grid(alpha=0.3)
    ax_e.legend(loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_enob_vs_iterations(path: str | Path,
                            series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
                            references: Mapping[str, float] | None = None,
                            ideal_bits: Sequence[tuple[str, Sequence[float], Sequence[float]]] = (),
                            static: Mapping[str, Sequence[float]] | None = None,
                            lossless: Mapping[str, Sequence[float]] | None = None) -> Path:
    """ENOB versus coarse iterations per conversion.

    series: label -> (iterations, sine-fit ENOB in bits); iterations > 0 (log2 axis).
    references: label -> ENOB, drawn as horizontal lines (e.g. the SAR, which has no
        coarse iterations).
    ideal_bits: optional (label, iterations, bits) lines giving the level-count bound.
    static: optional label -> static ENOB per iteration count (drawn as crosses: gain and
        offset errors that the sine fit removes show here).
    lossless: optional label -> lossless bits per iteration count, in a second panel.
    Returns the path written.
    """
    if not series:
        raise InputError("plot_enob_vs_iterations needs at least one series")
    fig = Figure(figsize=(11.5 if lossless else 7.5, 4.8))
    axes = fig.subplots(1, 2 if lossless else 1)
    ax = axes[0] if lossless else axes
    colors = design_colors([_family(k) for k in series] + [_family(k) for k in references or {}])
    for label, (iters, enob) in series.items():
        x = _finite_1d(f"{label} iterations", iters)
        y = _finite_1d(f"{label} ENOB", enob)
        if x.shape != y.shape or np.any(x <= 0):
            raise InputError(f"series {label!r}: iterations {x.shape} must be positive and "
                             f"match ENOB {y.shape}")
        ls = "--" if "parasitic" in label else "-"
        color = colors[_family(label)]
        ax.plot(x, y, ls, marker="o", ms=4, color=color, label=label)
        if static and label in static:
            ys = _finite_1d(f"{label} static ENOB", static[label])
            if ys.shape != x.shape:
                raise InputError(f"series {label!r}: static ENOB {ys.shape} must match {x.shape}")
            ax.plot(x, ys, ls, marker="x", ms=5, lw=0.8, color=color, alpha=0.7,
                    label=f"{label} (static)")
        if lossless and label in lossless:
            yl = _finite_1d(f"{label} lossless bits", lossless[label])
            if yl.shape != x.shape:
                raise InputError(f"series {label!r}: lossless bits {yl.shape} must match "
                                 f"{x.shape}")
            axes[1].plot(x, yl, ls, marker="s", ms=4, color=color, label=label)
    for label, iters, bits in ideal_bits:
        for a in (axes if lossless else [ax]):
            a.plot(_finite_1d(label, iters), _finite_1d(label, bits), ":", color="gray", lw=1,
                   label=label)
    for i, (label, enob) in enumerate((references or {}).items()):
        if not np.isfinite(enob):
            raise InputError(f"reference {label!r} ENOB is not finite: {show(enob)}")
        ax.axhline(enob, color=colors[_family(label)], ls=["-", "--", ":"][i % 3], lw=1,
                   label=label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("coarse iterations per conversion N")
    ax.set_ylabel("ENOB (bits): ● sine fit" + (", × static" if static else ""))
    ax.set_title("ENOB vs coarse iterations")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="best")
    if lossless:
        b = axes[1]
        b.set_xscale("log", base=2)
        b.set_xlabel("coarse iterations per conversion N")
        b.set_ylabel("lossless bits (>= 99.9 % of integer levels exact)")
        b.set_title("lossless bits vs coarse iterations")
        b.grid(alpha=0.3, which="both")
        b.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return _save(fig, path)


def plot_tradeoff(path: str | Path, points: Sequence[Mapping]) -> Path:
    """Precision / area / latency trade-off: ENOB vs area and ENOB vs latency.

    points: mappings with keys ``name`` (str), ``kind`` (architecture name; one colour each),
        ``variant`` ("ideal"|"parasitic"), ``enob`` (bits), ``area_um2`` (µm²),
        ``latency_s`` (s) and optionally ``energy_j`` (J, written next to the marker) and
        ``enob_static`` (bits, drawn as a cross joined to the sine-fit point).
    Filled markers are ideal circuits, open markers the same circuit with parasitics.
    Returns the path written.
    """
    if not points:
        raise InputError("plot_tradeoff needs at least one point")
    fig = Figure(figsize=(11, 5.2))
    ax_a, ax_l = fig.subplots(1, 2, sharey=True)
    colors = design_colors(p.get("kind") for p in points)
    order = list(colors)
    for p in points:
        for key in ("enob", "area_um2", "latency_s"):
            v = p.get(key)
            if v is None or not np.isfinite(v):
                raise InputError(f"trade-off point {p.get('name')!r}: {key} = {show(v)} is not finite")
        if p["area_um2"] <= 0 or p["latency_s"] <= 0:
            raise InputError(f"trade-off point {p.get('name')!r}: area and latency must be > 0")
        color = colors[p.get("kind")]
        ideal = p.get("variant", "ideal") == "ideal"
        kw = dict(s=60, color=color if ideal else "none", edgecolors=color, linewidths=1.5,
                  label=f"{p['name']} ({p.get('variant', 'ideal')})")
        ax_a.scatter(p["area_um2"], p["enob"], **kw)
        ax_l.scatter(p["latency_s"] * 1e9, p["enob"], **kw)
        st = p.get("enob_static")
        if st is not None and np.isfinite(st):
            # static ENOB keeps gain/offset errors that the sine fit removes
            for ax, x in ((ax_a, p["area_um2"]), (ax_l, p["latency_s"] * 1e9)):
                ax.plot([x, x], [p["enob"], st], color=color, lw=0.8, alpha=0.6,
                        ls="-" if ideal else "--")
                ax.scatter(x, st, marker="x", s=40, color=color, linewidths=1.2)
        note = p["name"] if ideal else ""
        if "energy_j" in p and ideal:
            note += f"\n{p['energy_j'] * 1e12:.3g} pJ/conv"
        if note:
            ax_a.annotate(note, (p["area_um2"], p["enob"]), textcoords="offset points",
                          xytext=(6, 4), fontsize=7)
            # Stagger the latency-panel labels: SAR and DGCQ latencies are often close.
            dy = (-12, 6, 4)[order.index(p.get("kind")) % 3]
            ax_l.annotate(p["name"], (p["latency_s"] * 1e9, p["enob"]),
                          textcoords="offset points", xytext=(6, dy), fontsize=7)
    for ax in (ax_a, ax_l):
        ax.set_xscale("log")
        ax.grid(alpha=0.3, which="both")
        ax.margins(x=0.25, y=0.15)
    ax_a.set_xlabel("area (µm²)")
    ax_a.set_ylabel("ENOB (bits): ● sine fit, × static")
    ax_a.set_title("precision vs area")
    ax_l.set_xlabel("latency per conversion (ns)")
    ax_l.set_title("precision vs latency")
    handles, labels = ax_a.get_legend_handles_labels()
    fig.suptitle("filled: ideal circuit; open: with default parasitics")
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=7, frameon=False)
    return _save(fig, path)


def plot_accuracy(path: str | Path, top1: Mapping[str, float], float_top1: float,
                  int8_top1: float, n_images: int) -> Path:
    """ResNet-20 top-1 accuracy with each quantizer on every CIM partial sum.

    top1: bar label -> top-1 accuracy as a fraction in [0, 1].
    float_top1, int8_top1: baselines (fractions), drawn as horizontal lines.
    n_images: number of test images evaluated (shown in the title).
    Returns the path written.
    """
    if not top1:
        raise InputError("plot_accuracy needs at least one bar")
    values = {k: _check_fraction(k, v) for k, v in top1.items()}
    _check_fraction("float_top1", float_top1)
    _check_fraction("int8_top1", int8_top1)
    fig = Figure(figsize=(max(6.5, 1.0 * len(values) + 3), 4.6))
    ax = fig.subplots()
    labels = list(values)
    x = np.arange(len(labels))
    fam = design_colors(_family(lab) for lab in labels)
    colors = [fam[_family(lab)] for lab in labels]
    hatches = ["//" if "parasitic" in lab else "" for lab in labels]
    p = np.array([values[k] for k in labels])
    lo, hi = wilson_interval(p, n_images)       # 95 % interval over n_images images
    yerr = 100 * np.vstack([p - lo, hi - p])
    bars = ax.bar(x, 100 * p, color=colors, edgecolor="k", yerr=yerr, capsize=3,
                  error_kw=dict(lw=0.8))
    for b, h in zip(bars, hatches):
        b.set_hatch(h)
    for b, lab in zip(bars, labels):
        ax.annotate(f"{100 * values[lab]:.1f}", (b.get_x() + b.get_width() / 2, b.get_height()),
                    textcoords="offset points", xytext=(0, -4), ha="center", va="top",
                    fontsize=8, bbox=dict(boxstyle="round,pad=0.15", fc="white", lw=0))
    ax.axhline(100 * float_top1, color="k", ls="-", lw=1.2, label=f"float32: {100 * float_top1:.1f} %")
    ax.axhline(100 * int8_top1, color="crimson", ls="--", lw=1.2,
               label=f"int8 digital: {100 * int8_top1:.1f} %")
    ax.set_xticks(x, labels, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_ylim(0.0, 100.0)
    ax.set_title(f"ResNet-20 on CIFAR-10 ({n_images} test images), every partial sum quantized; "
                 f"bars: 95 % binomial interval", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="upper right", fontsize=8, ncol=2)
    fig.tight_layout()
    return _save(fig, path)


def _check_fraction(name: str, v: float) -> float:
    v = float(v)
    if not (np.isfinite(v) and 0.0 <= v <= 1.0):
        raise InputError(f"accuracy {name!r} = {show(v)} is not a fraction in [0, 1]")
    return v


def plot_accuracy_vs_bits(path: str | Path, series: Mapping[str, tuple[Sequence[int],
                                                                       Sequence[float]]],
                          float_top1: float, int8_top1: float, n_images: int,
                          variant: str = "parasitic") -> Path:
    """ResNet-20 top-1 against converter resolution, one line per architecture.

    series: label -> (bits, top-1 fractions), same lengths, bits increasing.
    float_top1, int8_top1: baselines (fractions), drawn as horizontal lines.
    n_images: images evaluated (95 % Wilson intervals as error bars; in the title).
    variant: which converters these are (in the title).  Returns the path written.
    """
    if not series:
        raise InputError("plot_accuracy_vs_bits needs at least one series")
    fig = Figure(figsize=(7.0, 4.6))
    ax = fig.subplots()
    colors = design_colors(series)
    markers = "osD^vP*X"
    all_bits: list[int] = []
    for i, (label, (bits, top1)) in enumerate(series.items()):
        x = _finite_1d(f"{label} bits", bits)
        p = np.array([_check_fraction(label, v) for v in top1])
        if p.shape != x.shape:
            raise InputError(f"series {label!r}: {x.size} bits but {p.size} accuracies")
        if np.any(np.diff(x) <= 0):
            raise InputError(f"series {label!r}: bits must increase, got {x.tolist()}")
        lo, hi = wilson_interval(p, n_images)
        # a small horizontal offset per series keeps equal-bit points apart
        ax.errorbar(x + 0.06 * (i - (len(series) - 1) / 2), 100 * p,
                    yerr=100 * np.vstack([p - lo, hi - p]), color=colors[label],
                    marker=markers[i % len(markers)], ms=5, lw=1.2, capsize=3, label=label)
        all_bits += [int(b) for b in x]
    ax.axhline(100 * _check_fraction("float_top1", float_top1), color="k", ls="-", lw=1.0,
               label=f"float32: {100 * float_top1:.1f} %")
    ax.axhline(100 * _check_fraction("int8_top1", int8_top1), color="crimson", ls="--", lw=1.0,
               label=f"int8 digital: {100 * int8_top1:.1f} %")
    ax.axhline(10.0, color="gray", ls=":", lw=1.0, label="chance (10 classes)")
    ticks = sorted(set(all_bits))
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_xlabel("converter resolution (bits)")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_ylim(0.0, 100.0)
    ax.set_title(f"ResNet-20 on CIFAR-10 ({n_images} test images) vs ADC bits, {variant} "
                 f"converters\nbars: 95 % binomial interval", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)
