"""Pareto front of a sweep: most ENOB for the least area / latency, and its plot."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

ENOB_KEYS = ("enob_sine", "enob_static")
COST_AXES = (("area_um2", "area (µm²)"), ("latency_s", "latency (s)"))


def pareto_mask(gain: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """True where no other point has gain >= and cost <= with one of them strict."""
    gain, cost = np.asarray(gain, float), np.asarray(cost, float)
    n = len(gain)
    mask = np.zeros(n, dtype=bool)
    for i in range(n):
        if not (math.isfinite(gain[i]) and math.isfinite(cost[i])):
            continue
        dominated = (gain >= gain[i]) & (cost <= cost[i]) & ((gain > gain[i]) | (cost < cost[i]))
        mask[i] = not dominated.any()
    return mask


def per_point(rows: list[dict], key: str) -> dict[int, float]:
    """Mean of ``key`` over each point's instances (non-finite values skipped)."""
    acc: dict[int, list] = {}
    for r in rows:
        v = r.get(key)
        if isinstance(v, (int, float)) and math.isfinite(float(v)):
            acc.setdefault(int(r["point"]), []).append(float(v))
    return {p: float(np.mean(v)) for p, v in acc.items()}


def plot_pareto(rows: list[dict], metrics, path: Path) -> dict | None:
    """Write ENOB vs area and ENOB vs latency (per-point means, Pareto-optimal points marked)
    to ``path``.  Returns {cost key: [Pareto point indices]}, or None (nothing written) when
    the metrics lack an ENOB or both area_um2 and latency_s."""
    enob = next((k for k in ENOB_KEYS if k in metrics), None)
    axes = [(k, label) for k, label in COST_AXES if k in metrics]
    if enob is None or not axes:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    g = per_point(rows, enob)
    fig = Figure(figsize=(5.0 * len(axes), 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    fronts = {}
    for j, (key, label) in enumerate(axes):
        ax = fig.add_subplot(1, len(axes), j + 1)
        c = per_point(rows, key)
        pts = sorted(set(g) & set(c))
        x = np.array([c[p] for p in pts])
        y = np.array([g[p] for p in pts])
        m = pareto_mask(y, x) if pts else np.zeros(0, bool)
        fronts[key] = [p for p, keep in zip(pts, m) if keep]
        ax.scatter(x[~m], y[~m], s=18, color="0.6", label="design point")
        order = np.argsort(x[m])
        ax.plot(x[m][order], y[m][order], "o-", color="C3", ms=6, label="Pareto-optimal")
        for p, xi, yi in zip(np.array(pts)[m], x[m], y[m]):
            ax.annotate(str(p), (xi, yi), textcoords="offset points", xytext=(4, 4),
                        fontsize=7)
        if len(x) and np.all(x > 0) and x.max() / max(x.min(), 1e-300) > 30:
            ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel(f"{enob} (bit)")
        ax.set_title(f"{enob} vs {key.split('_')[0]}")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    return fronts
