"""ENOB error budget: each non-ideality of a quantizer turned on alone, from the ideal circuit.

Which knobs count as non-idealities comes from the architecture's parameter specs (every
parameter with an ``ideal`` value that the design sets differently) and from its parasitic
capacitors (removed by ``ideal=True``, put back one parameter at a time).  Every evaluation
uses the same seed, so "all" equals ``dgcq-sim enob`` of the same design.  Random
instance-level effects (KC mismatch, SIGMA_VOS offsets) only show with Monte Carlo
(``mc``): the nominal design has none.

The op-amp limits SR, VOUT_MIN/VOUT_MAX and the op-amp noise VN_OPAMP act on the GBW pole
and need GBW > 0, while the ideal circuit has GBW = 0: such an item is evaluated with the
design's GBW as well (its ``with``), and its bits lost are counted against the ideal circuit
with that GBW (its ``against``; = the GBW item alone), not against the ideal circuit.  The
output swing is one item (VOUT_MIN with the design's VOUT_MAX) when both ends are set.
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

#: items that need a finite op-amp bandwidth (GBW > 0): evaluated with the design's GBW
NEEDS_GBW = ("SR", "VOUT_MIN", "VOUT_MAX", "VN_OPAMP")


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


def item_companions(q_real, items, user: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """For each item name, the design values it is evaluated with besides its own: GBW for
    the items in :data:`NEEDS_GBW` (unless the user fixed GBW, which every evaluation then
    keeps) and, for VOUT_MIN, the design's VOUT_MAX when that is an item too (one swing
    item; VOUT_MAX is then no item of its own, see :func:`error_budget`)."""
    fixed = {k.lower() for k in user}
    names = {name for name, _, _ in items}
    p = q_real.params
    out = {}
    for name, _, _ in items:
        extra = {}
        if name == "VOUT_MIN" and "VOUT_MAX" in names:
            extra["VOUT_MAX"] = float(p["vout_max"])
        if name in NEEDS_GBW and "gbw" not in fixed and float(p.get("gbw", 0.0)) != 0.0:
            extra["GBW"] = float(p["gbw"])
        out[name] = extra
    return out


def error_budget(netlist, params: Mapping[str, float] | None = None, *, seed: int = 0,
                 n_sine: int = 2 ** 14, mc: int | None = None, progress: bool = False) -> dict:
    """ENOB (sine, static), lossless bits, DNL/INL of the ideal design, of the design with
    every non-ideality (= ``dgcq-sim enob``), and with each non-ideality alone.

    Returns {"ideal": {...}, "all": {...}, "items": [{"param", "value", "unit", "with",
    "against", "enob", "enob_static", "lossless_bits", "reference_enob",
    "reference_enob_static", "loss_bits", "loss_bits_static"}, ...]} with the items sorted
    by bits of sine-fit ENOB lost (largest first).  ``with``: design values the item is
    evaluated with besides its own (:func:`item_companions`); ``against``: those of them in
    the circuit its bits lost are counted against (GBW; {} = the ideal circuit), whose
    ENOB is ``reference_enob``.
    """
    user = dict(params or {})

    def run(q) -> dict:
        return _summary(evaluate_quantizer(q, rng=np.random.default_rng(seed), n_sine=n_sine,
                                           mc=mc, progress=False))

    real = load_quantizer(netlist, user, ideal=False, seed=seed)
    ideal = run(load_quantizer(netlist, user, ideal=True, seed=seed))
    items = budget_items(real, user)
    extra = item_companions(real, items, user)
    items = [it for it in items if not (it[0] == "VOUT_MAX" and "VOUT_MAX" in extra.get(
        "VOUT_MIN", {}))]
    # summaries of the ideal circuit + these settings: the GBW item alone is also the
    # reference of the items that need GBW
    done = {(): ideal}

    def alone(settings: dict) -> dict:
        key = tuple(sorted(settings.items()))
        if key not in done:
            done[key] = run(load_quantizer(netlist, {**user, **settings}, ideal=True,
                                           seed=seed))
        return done[key]

    rows = []
    for name, value, unit in tqdm(items, desc="budget", unit="item", disable=not progress):
        against = {k: v for k, v in extra[name].items() if k == "GBW"}
        ref = alone(against)
        m = alone({**extra[name], name: value})
        rows.append({"param": name, "value": value, "unit": unit, "with": extra[name],
                     "against": against, **m, "reference_enob": ref["enob"],
                     "reference_enob_static": ref["enob_static"],
                     "loss_bits": ref["enob"] - m["enob"],
                     "loss_bits_static": ref["enob_static"] - m["enob_static"]})
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
    ax.set_yticks(y, [f"{r['param']} = {r['value']:.3g} {r['unit']}".rstrip()
                      + (" (with " + ", ".join(r["with"]) + ")" if r.get("with") else "")
                      for r in rows], fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("bits lost against the ideal circuit (each non-ideality alone; "
                  "'with GBW': against the ideal circuit with the design's GBW)"
                  if any(r.get("against") for r in rows) else
                  "bits lost against the ideal circuit (each non-ideality alone)")
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
    notes = []
    for r in b["items"]:
        what = _setting(r["param"], r["value"], r["unit"])
        if r.get("with"):
            notes.append(f"  {len(notes) + 1}) {r['param']} with " + ", ".join(
                _setting(k, v) for k, v in r["with"].items()) + (
                "; lost against the ideal circuit with " + ", ".join(
                    _setting(k, v) for k, v in r["against"].items()) +
                f" (ENOB {fixed(r['reference_enob'], 3, 0)}, static "
                f"{fixed(r['reference_enob_static'], 3, 0)})" if r["against"] else ""))
            what += f" ({len(notes)})"
        lines.append(f"  {what:<24}" + cols(r["enob"], r["enob_static"], r["lossless_bits"],
                                            r["loss_bits"], r["loss_bits_static"]))
    lines.append(f"  {'all':<24}" + cols(a["enob"], a["enob_static"], a["lossless_bits"],
                                         i["enob"] - a["enob"],
                                         i["enob_static"] - a["enob_static"]))
    return "\n".join(lines + notes)


def _setting(name: str, value: float, unit: str | None = None) -> str:
    """NAME=value unit (the unit from the parameter catalogue when not given)."""
    if unit is None:
        from .quantizers.params import CATALOGUE

        spec = CATALOGUE.get(name.lower())
        unit = spec.unit if spec is not None else ""
    return f"{name}={value:.3g}{(' ' + unit) if unit else ''}"
