"""Figures and CSV tables of the single-quantizer commands (``enob``, ``convert``, ``tran``).

Each ``*_figure`` function builds a :class:`matplotlib.figure.Figure` from plain arrays
(no pyplot state; tests read the axes back) and :func:`save_png` writes it; each
``*_csv`` function returns the CSV text.  Units are in the axis labels and CSV headers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..errors import InputError

from .plots import save_png  # noqa: F401  (one PNG writer for every figure)

#: harmonics marked on the spectrum (2nd .. MAX_HARMONIC-th)
MAX_HARMONIC = 9


def write_text(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.write_text(text)
    return path


def _csv(header: Sequence[str], columns: Sequence[np.ndarray]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in zip(*columns):
        w.writerow([repr(float(x)) if isinstance(x, (float, np.floating)) else int(x)
                    for x in row])
    return buf.getvalue()


# ---------------------------------------------------------------- enob: spectrum, DNL/INL
def spectrum(estimate: np.ndarray, cycles: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Single-sided power spectrum (dBFS-like, relative to the fundamental) of a coherent
    record: (bins (N/2+1,), power dB (N/2+1,), harmonic bins 2..MAX_HARMONIC folded)."""
    y = np.asarray(estimate, np.float64)
    n = y.size
    spec = np.abs(np.fft.rfft(y - y.mean())) ** 2
    ref = spec[cycles] if spec[cycles] > 0 else 1.0
    db = 10 * np.log10(np.maximum(spec / ref, 1e-30))
    harm = []
    for h in range(2, MAX_HARMONIC + 1):
        k = (h * cycles) % n
        k = n - k if k > n // 2 else k
        harm.append(int(k))
    return np.arange(spec.size), db, harm


def enob_figure(title: str, estimate: np.ndarray, cycles: int, codes: np.ndarray,
                dnl: np.ndarray, inl_codes: np.ndarray, inl: np.ndarray, enob: float) -> Figure:
    """Spectrum of the sine record with the fundamental and harmonics marked (top) and DNL
    (per code) / INL (at the transition into each code) vs code (bottom)."""
    bins, db, harm = spectrum(estimate, cycles)
    n = np.asarray(estimate).size
    fig = Figure(figsize=(8, 7))
    ax1, ax2 = fig.subplots(2, 1)
    ax1.plot(bins[1:] / n, db[1:], lw=0.6, color="tab:blue", label="spectrum (DC removed)")
    ax1.plot([cycles / n], [db[cycles]], "o", color="tab:green", label=f"fundamental (bin {cycles})")
    ax1.plot(np.asarray(harm) / n, db[harm], "v", color="tab:red",
             label=f"harmonics 2..{MAX_HARMONIC}")
    for h, k in enumerate(harm, start=2):
        ax1.annotate(str(h), (k / n, db[k]), textcoords="offset points", xytext=(0, 4),
                     ha="center", fontsize=7, color="tab:red")
    ax1.set_xlabel("frequency (cycles per sample)")
    ax1.set_ylabel("power relative to the fundamental (dB)")
    ax1.set_title(f"{title}: sine-record spectrum, ENOB {enob:.2f} bit")
    ax1.legend(fontsize=8, loc="upper right")
    ax1.grid(alpha=0.3)
    ax2.plot(codes, dnl, lw=0.7, label="DNL", color="tab:blue")
    ax2.plot(inl_codes, inl, lw=0.7, label="INL (endpoint fit)", color="tab:orange")
    ax2.set_xlabel("output code")
    ax2.set_ylabel("error (LSB)")
    ax2.set_title("DNL and INL vs code (ramp code density)")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def enob_csv(codes: np.ndarray, dnl: np.ndarray, inl_codes: np.ndarray,
             inl: np.ndarray) -> str:
    """code, dnl_lsb (width of the code; empty where not measured), inl_lsb (at the
    transition into the code; empty where none), for every code of either list."""
    dnl_at = dict(zip(np.asarray(codes).tolist(), np.asarray(dnl, float).tolist()))
    inl_at = dict(zip(np.asarray(inl_codes).tolist(), np.asarray(inl, float).tolist()))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("code", "dnl_lsb", "inl_lsb"))
    for c in sorted(set(dnl_at) | set(inl_at)):
        w.writerow((c, repr(dnl_at[c]) if c in dnl_at else "",
                    repr(inl_at[c]) if c in inl_at else ""))
    return buf.getvalue()


# ---------------------------------------------------------------- convert: transfer
def transfer_figure(title: str, vin: np.ndarray, codes: np.ndarray, estimate: np.ndarray,
                    lsb: float, points: Mapping[str, np.ndarray] | None = None) -> Figure:
    """Code vs input (top) and code error (estimate - input, LSB) vs input (bottom) on a
    ramp; ``points`` (vin, codes) of the converted inputs are marked."""
    vin = np.asarray(vin, float)
    err = (np.asarray(estimate, float) - vin) / lsb
    fig = Figure(figsize=(8, 6.5))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    ax1.step(vin, codes, where="post", lw=0.8, label="ramp")
    if points is not None:
        ax1.plot(points["vin"], points["codes"], "o", color="tab:red", label="--vin inputs")
    ax1.set_ylabel("output code")
    ax1.set_title(f"{title}: transfer curve")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    ax2.plot(vin, err, lw=0.6)
    ax2.set_xlabel("input voltage (V)")
    ax2.set_ylabel("code error: estimate - input (LSB)")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def transfer_csv(vin: np.ndarray, codes: np.ndarray, estimate: np.ndarray, lsb: float) -> str:
    vin = np.asarray(vin, float)
    est = np.asarray(estimate, float)
    return _csv(("vin_v", "code", "estimate_v", "error_lsb"),
                (vin, np.asarray(codes, np.int64), est, (est - vin) / lsb))


# ---------------------------------------------------------------- tran: waveforms
def waveform_figure(title: str, t: np.ndarray, v: Mapping[str, np.ndarray],
                    sweep: Mapping[str, np.ndarray] | None = None) -> Figure:
    """Node voltages vs time, one line per node (and per sweep sample), phase ends marked."""
    t = np.asarray(t, float)
    if not v:
        raise InputError("no node voltages to plot")
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    scale, unit = _time_scale(float(t[-1]) if t.size else 1.0)
    for node, vals in v.items():
        vals = np.atleast_2d(vals)
        for s in range(vals.shape[0]):
            label = f"v({node})"
            if sweep and vals.shape[0] > 1:
                label += " " + ", ".join(f"{k}={float(x[s]):.3g}" for k, x in sweep.items())
            ax.plot(t * scale, vals[s], marker=".", ms=3, lw=0.8, label=label)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("node voltage (V)")
    ax.set_title(f"{title}: node voltages at phase ends")
    ax.grid(alpha=0.3)
    if sum(np.atleast_2d(x).shape[0] for x in v.values()) <= 12:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _time_scale(tmax: float) -> tuple[float, str]:
    for scale, unit in ((1e12, "ps"), (1e9, "ns"), (1e6, "µs"), (1e3, "ms")):
        if abs(tmax) * scale < 1e4:
            return scale, unit
    return 1.0, "s"


def waveform_csv(t: np.ndarray, v: Mapping[str, np.ndarray],
                 sweep: Mapping[str, np.ndarray] | None = None) -> str:
    """Long format: sample, t_s, then one v(node) column per node (sweep values too)."""
    t = np.asarray(t, float)
    nodes = list(v)
    n_s = np.atleast_2d(v[nodes[0]]).shape[0] if nodes else 1
    sweep = dict(sweep or {})
    cols: list[list] = [[], []] + [[] for _ in sweep] + [[] for _ in nodes]
    for s in range(n_s):
        for i, ti in enumerate(t):
            cols[0].append(s)
            cols[1].append(float(ti))
            for j, vals in enumerate(sweep.values()):
                cols[2 + j].append(float(vals[s]))
            for j, n in enumerate(nodes):
                cols[2 + len(sweep) + j].append(float(np.atleast_2d(v[n])[s, i]))
    header = ["sample", "t_s", *(f"{k}" for k in sweep), *(f"v({n})_v" for n in nodes)]
    return _csv(header, [np.asarray(c) for c in cols])
