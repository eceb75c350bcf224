"""ENOB error budget: each non-ideality of a quantizer turned on alone, from the ideal circuit.

Which knobs count as non-idealities comes from the architecture's parameter specs (every
parameter with an ``ideal`` value that the design sets differently) and from its parasitic
capacitors (removed by ``ideal=True``, put back one parameter at a time).  Every evaluation
uses the same seed, so "all" equals ``dgcq-sim enob`` of the same design.  Random
instance-level effects (KC mismatch, SIGMA_VOS offsets) only show with Monte Carlo
(``mc``): the nominal design has none.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from matplotlib.figure import Figure
from tqdm import tqdm

from .errors import InputError
from .evaluate import evaluate_quantizer
from .quantizers import load_quantizer
from .quantizers.load import parasitic_capacitors

def _value(m: dict, key: str) -> float:
    v = m[key]
    return float(v["mean"] if isinstance(v, dict) else v)


def _summary(m: dict) -> dict:
    return {"enob": _value(m, "enob_sine"), "enob_static": _value(m, "enob_static"),
            "lossless_bits": _value(m, "lossless_bits"), "dnl_max": _value(m, "dnl_max"),
            "inl_max": _value(m, "inl_max")}


def budget_items(q_real, user: Mapping[str, float]) -> list[tuple[str, float, str]]:
    """(PARAM, value, unit) of every non-ideality of the real design ``q_real``.

    Parameters the user fixed are part of the design, not items."""
    arch = q_real.architecture
    specs = arch.params()
    fixed = {k.lower() for k in user}
    items = []
    for key, spec in specs.items():
        if spec.ideal is None or key in fixed or key not in q_real.params:
            continue
        if float(q_real.params[key]) != float(spec.ideal):
            items.append((spec.name, float(q_real.params[key]), spec.unit))
    seen = set()
    for name, words in parasitic_capacitors(q_real.circuit, arch, q_real._text).items():
        params = sorted(w for w in words if w in q_real.params and w not in fixed) or (
            [name] if name in q_real.params else [])
        for w in params:
            if w not in seen:
                seen.add(w)
                unit = specs[w].unit if w in specs else "F"
                items.append((w.upper(), float(q_real.params[w]), unit))
    return items


def error_budget(netlist, params: Mapping[str, float] | None = None, *, seed: int = 0,
                 n_sine: int = 2 ** 14, mc: int | None = None, progress: bool = False) -> dict:
    """ENOB (sine, static), lossless bits, DNL/INL of the ideal design, of the design with
    every non-ideality (= ``dgcq-sim enob``), and with each non-ideality alone.

    Returns {"ideal": {...}, "all": {...}, "items": [{"param", "value", "unit", "enob",
    "enob_static", "lossless_bits", "loss_bits", "loss_bits_static"}, ...]} with the items
    sorted by bits of sine-fit ENOB lost (largest first).
    """
    user = dict(params or {})

    def run(q) -> dict:
        return _summary(evaluate_quantizer(q, rng=np.random.default_rng(seed), n_sine=n_sine,
                                           mc=mc, progress=False))

    real = load_quantizer(netlist, user, ideal=False, seed=seed)
    ideal = run(load_quantizer(netlist, user, ideal=True, seed=seed))
    items = budget_items(real, user)
    rows = []
    for name, value, unit in tqdm(items, desc="budget", unit="item", disable=not progress):
        m = run(load_quantizer(netlist, {**user, name: value}, ideal=True, seed=seed))
        rows.append({"param": name, "value": value, "unit": unit, **m,
                     "loss_bits": ideal["enob"] - m["enob"],
                     "loss_bits_static": ideal["enob_static"] - m["enob_static"]})
    rows.sort(key=lambda r: (-r["loss_bits"], -r["loss_bits_static"], r["param"]))
    return {"architecture": real.kind, "params": user, "seed": seed, "n_sine": n_sine,
            "mc": mc, "ideal": ideal, "all": run(real), "items": rows}


def plot_budget(path, budget: dict) -> Figure:
    """Tornado chart of ``budget`` written to ``path`` (.png): bits of ENOB lost per
    non-ideality alone (sine fit and static), largest on top, with the ideal -> all
    totals in the title.  Returns the Figure (for tests to inspect)."""
    from .report.plots import _save

    rows = budget["items"]
    if not rows:
        raise InputError("the budget has no items to plot (the design is already ideal)")
    fig = Figure(figsize=(8, 0.42 * len(rows) + 1.8))
    ax = fig.subplots()
    y = np.arange(len(rows))[::-1]
    ax.barh(y + 0.2, [r["loss_bits"] for r in rows], height=0.4, color="tab:blue",
            label="sine-fit ENOB lost")
    ax.barh(y - 0.2, [r["loss_bits_static"] for r in rows], height=0.4, color="tab:orange",
            label="static ENOB lost")
    ax.set_yticks(y, [f"{r['param']} = {r['value']:.3g} {r['unit']}".rstrip() for r in rows],
                  fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("bits lost against the ideal circuit (each non-ideality alone)")
    i, a = budget["ideal"], budget["all"]
    ax.set_title(f"{budget['architecture']} error budget: ENOB {i['enob']:.2f} ideal -> "
                 f"{a['enob']:.2f} with all (static {i['enob_static']:.2f} -> "
                 f"{a['enob_static']:.2f})", fontsize=9)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    _save(fig, path)
    return fig


def format_budget(b: dict) -> str:
    """Table of a budget, largest loss first (no "-0.000": :func:`dgcq_sim.display.fixed`)."""
    from .display import fixed

    i, a = b["ideal"], b["all"]

    def cols(enob, static, lossless, lost=None, lost_static=None) -> str:
        text = f"{fixed(enob, 3, 8)}{fixed(static, 3, 8)}{fixed(lossless, 0, 9)}"
        return text if lost is None else text + f"{fixed(lost, 3, 8)}{fixed(lost_static, 3, 9)}"

    lines = [f"{b['architecture']} error budget (seed {b['seed']}, {b['n_sine']} sine samples"
             + (f", mean of {b['mc']} instances" if b["mc"] else "") + ")",
             f"  {'non-ideality':<24}{'ENOB':>8}{'static':>8}{'lossless':>9}{'lost':>8}"
             f"{'lost st.':>9}",
             f"  {'ideal':<24}" + cols(i["enob"], i["enob_static"], i["lossless_bits"])]
    for r in b["items"]:
        what = f"{r['param']}={r['value']:.3g}{(' ' + r['unit']) if r['unit'] else ''}"
        lines.append(f"  {what:<24}" + cols(r["enob"], r["enob_static"], r["lossless_bits"],
                                            r["loss_bits"], r["loss_bits_static"]))
    lines.append(f"  {'all':<24}" + cols(a["enob"], a["enob_static"], a["lossless_bits"],
                                         i["enob"] - a["enob"],
                                         i["enob_static"] - a["enob_static"]))
    return "\n".join(lines)
