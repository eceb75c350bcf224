"""Short findings computed from the demo's numbers (never canned prose).

Every sentence is built from the values in a results mapping (the structure
:func:`dgcq_sim.report.demo.run_demo` returns and ``results.json`` stores): change the numbers
and the text changes with them.  Missing entries are skipped, not invented.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from ..display import show
from ..errors import InputError

# A ratio within this factor of 1 reads "about the same".
_SAME = 1.05


def find_row(results: Mapping, kind: str, variant: str) -> Mapping | None:
    """The quantizer row of ``results["quantizers"]`` with this kind and variant, or None."""
    for row in results.get("quantizers", ()):
        if row.get("kind") == kind and row.get("variant") == variant:
            return row
    return None


def _num(row: Mapping | None, key: str) -> float | None:
    if row is None:
        return None
    v = row.get(key)
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def ratio_phrase(other: float, ours: float, fewer: str, more: str) -> str:
    """"3.2× less area" style comparison of ``ours`` against ``other`` (both > 0).

    fewer / more: the words for ours < other and ours > other ("less area", "more area").
    """
    if not (other > 0 and ours > 0):
        raise InputError(f"ratio needs two positive values, got {show(other)} and {show(ours)}")
    r = other / ours
    if r >= _SAME:
        return f"{r:.3g}× {fewer}"
    if r <= 1 / _SAME:
        return f"{1 / r:.3g}× {more}"
    return f"about the same {fewer.split()[-1]}"


def _fmt_si(value: float, unit: str) -> str:
    for scale, prefix in ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"),
                          (1.0, "")):
        if abs(value) < 1000 * scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def design_keys(results: Mapping) -> list[str]:
    """Design keys (architecture names) of the results, in the order of the run; the first
    is the design the report is about (the DGCQ in the default demo)."""
    return list(dict.fromkeys(r.get("kind") for r in results.get("quantizers", ())))


def _enob_headline(results: Mapping) -> list[str]:
    keys = design_keys(results)
    if not keys:
        return []
    d = find_row(results, keys[0], "ideal")
    e_d = _num(d, "enob_sine")
    if e_d is None:
        return []
    parts = [f"{d['name']} (ideal) reaches {e_d:.2f} ENOB"]
    a_d, l_d = _num(d, "area_um2"), _num(d, "latency_s")
    for key in keys[1:]:
        o = find_row(results, key, "ideal")
        a_o, l_o, e_o = _num(o, "area_um2"), _num(o, "latency_s"), _num(o, "enob_sine")
        if not (a_d and a_o and l_d and l_o) or e_o is None:
            continue
        parts.append(f"— {ratio_phrase(a_o, a_d, 'less area', 'more area')} than the "
                     f"{o['name']} ({a_d:.4g} vs {a_o:.4g} µm²) and "
                     f"{ratio_phrase(l_o, l_d, 'less latency', 'more latency')} than the "
                     f"{o['name']} ({_fmt_si(l_d, 's')} vs {_fmt_si(l_o, 's')} per "
                     f"conversion; {o['name']} ENOB {e_o:.2f})")
    return [" ".join(parts) + "."]


def _parasitic_loss(results: Mapping) -> list[str]:
    losses = []
    for kind in design_keys(results):
        i, p = find_row(results, kind, "ideal"), find_row(results, kind, "parasitic")
        e_i, e_p = _num(i, "enob_sine"), _num(p, "enob_sine")
        if e_i is not None and e_p is not None:
            losses.append((kind, i["name"], e_i, e_p, _num(i, "enob_static"),
                           _num(p, "enob_static")))
    if not losses:
        return []

    def change(ei: float, ep: float) -> str:
        return f"{'loses' if ei - ep >= 0 else 'gains'} {abs(ei - ep):.2f}"

    head = losses[0]
    text = (f"With default parasitics the {head[1]} {change(head[2], head[3])} bits of sine-fit "
            f"ENOB ({head[2]:.2f} → {head[3]:.2f})")
    others = [f"the {name} {change(ei, ep)} ({ei:.2f} → {ep:.2f})"
              for _, name, ei, ep, _, _ in losses[1:]]
    if others:
        text += "; " + ", ".join(others)
    worst = max(losses, key=lambda t: t[2] - t[3])
    text += f". Largest sine-fit ENOB loss: {worst[1]}."
    static = [t for t in losses if t[4] is not None and t[5] is not None]
    if static:
        # The sine fit removes gain and offset errors; the static ENOB (estimate vs true
        # input) keeps them, which is where accumulated coarse-loop loss shows.
        text += " Static ENOB (gain and offset errors included): " + ", ".join(
            f"{name} {si:.2f} → {sp:.2f}" for _, name, _, _, si, sp in static)
        worst_s = max(static, key=lambda t: t[4] - t[5])
        text += f"; largest static loss: {worst_s[1]}."
    return [text]


def _lossless_claim(results: Mapping, claimed_bits: int = 12) -> list[str]:
    keys = design_keys(results)
    if not keys:
        return []
    d_i, d_p = find_row(results, keys[0], "ideal"), find_row(results, keys[0], "parasitic")
    lb_i, lb_p = _num(d_i, "lossless_bits"), _num(d_p, "lossless_bits")
    if lb_i is None:
        return []
    levels = _num(d_i, "bits")
    holds_i = lb_i >= claimed_bits
    text = (f"The slides' claim of {claimed_bits} lossless bits for {d_i['name']} "
            f"{'holds' if holds_i else 'does not hold'} for the ideal circuit: it recovers "
            f"{lb_i:g} bits of integer inputs exactly")
    if levels is not None:
        text += f" out of {levels:g} bits of output codes"
        if levels < claimed_bits:
            text += (f" (the design has only 2^{levels:g} levels, so {claimed_bits} bits cannot be"
                     f" reached whatever the circuit quality)")
    if lb_p is not None:
        text += (f"; with default parasitics it recovers {lb_p:g} bits "
                 f"({'claim holds' if lb_p >= claimed_bits else 'claim fails'})")
    text += "."
    # The sweep tells whether more coarse levels (N*g*2^f >= 2^12) reach the claim.
    for label, s in (results.get("sweep") or {}).items():
        if s.get("kind") != keys[0] or not s.get("lossless_bits"):
            continue
        hit = [(n, lb) for n, lb in zip(s["iterations"], s["lossless_bits"]) if lb >= claimed_bits]
        if hit:
            text += (f" {label}: {claimed_bits} lossless bits are reached with N = {hit[0][0]:g} "
                     f"coarse iterations ({hit[0][1]} bits).")
        else:
            text += (f" {label}: no swept N (up to {max(s['iterations']):g}) reaches "
                     f"{claimed_bits} lossless bits (best {max(s['lossless_bits'])}).")
    return [text]


def _accuracy(results: Mapping) -> list[str]:
    nn = results.get("nn") or {}
    f1, i8 = nn.get("float_top1"), nn.get("int8_top1")
    rows = [r for r in results.get("quantizers", ()) if r.get("top1") is not None]
    if f1 is None or i8 is None or not rows:
        return []
    n = nn.get("n_images", "?")
    ranked = sorted(rows, key=lambda r: r["top1"])
    lo, hi = ranked[0], ranked[-1]
    text = (f"ResNet-20 on {n} CIFAR-10 images: float {100 * f1:.1f} %, int8 digital "
            f"{100 * i8:.1f} %. Highest with a quantizer: {hi['name']} ({hi['variant']}) at "
            f"{100 * hi['top1']:.1f} % ({_signed_points(hi['top1'] - i8)} vs int8); lowest: "
            f"{lo['name']} ({lo['variant']}) at {100 * lo['top1']:.1f} % "
            f"({_signed_points(lo['top1'] - i8)}).")
    d = find_row(results, design_keys(results)[0], "parasitic")
    if d is not None and d.get("top1") is not None:
        text += (f" {d['name']} with parasitics: {100 * d['top1']:.1f} % "
                 f"({_signed_points(d['top1'] - i8)} vs int8).")
    if isinstance(n, int):
        # One image is 1/n of the accuracy: differences of a few images are not findings.
        text += f" (One image = {100 / n:.2g} points on this subset.)"
    return [text]


def _energy(results: Mapping) -> list[str]:
    nn = results.get("nn") or {}
    rows = [r for r in results.get("quantizers", ())
            if r.get("energy_per_image_j") is not None]
    if not rows:
        return []
    conv = nn.get("conversions_per_image")
    lo = min(rows, key=lambda r: r["energy_per_image_j"])
    hi = max(rows, key=lambda r: r["energy_per_image_j"])
    text = (f"ResNet-20 energy per image (ADC conversions x the cost model's energy per "
            f"conversion + digital shift-and-add, requantization and the digital stem/fc; "
            f"analog array and memory not included): lowest {lo['name']} ({lo['variant']}) "
            f"{_fmt_si(lo['energy_per_image_j'], 'J')}, ADC {100 * lo['adc_energy_fraction']:.0f} %"
            f"; highest {hi['name']} ({hi['variant']}) {_fmt_si(hi['energy_per_image_j'], 'J')}"
            f", ADC {100 * hi['adc_energy_fraction']:.0f} %.")
    if nn.get("energy_digital_j") is not None:
        text += f" Digital periphery alone: {_fmt_si(nn['energy_digital_j'], 'J')}"
        text += f" per image ({conv} conversions)." if conv else " per image."
    return [text]


def wilson_interval(p, n: int, z: float = 1.96):
    """95 % (z = 1.96) Wilson score interval (lo, hi) of a proportion ``p`` (scalar or array)
    measured on ``n`` trials, e.g. a top-1 accuracy on n images."""
    n = max(int(n), 1)
    p = np.asarray(p, dtype=float)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _resolution(results: Mapping) -> list[str]:
    """Where accuracy breaks: per architecture, the fewest bits whose top-1 (and that of every
    higher swept resolution) has the int8 top-1 inside its 95 % interval."""
    res = results.get("resolution") or {}
    nn = results.get("nn") or {}
    i8, n = nn.get("int8_top1"), nn.get("n_images")
    if not res.get("series") or i8 is None or not isinstance(n, int):
        return []
    parts = []
    for s in res["series"]:
        bits, top1 = s.get("bits") or [], s.get("top1") or []
        if not bits or len(bits) != len(top1):
            continue
        lo, hi = wilson_interval(top1, n)
        ok = [bool(a <= i8 <= b) for a, b in zip(lo, hi)]
        first = next((k for k in range(len(ok)) if all(ok[k:])), None)
        curve = ", ".join(f"{b} b {100 * t:.1f} %" for b, t in zip(bits, top1))
        verdict = (f"matches int8 from {bits[first]} bits" if first is not None else
                   f"does not reach int8 within the swept {bits[0]}-{bits[-1]} bits")
        parts.append(f"{s['name']} {verdict} ({curve})")
    if not parts:
        return []
    return [f"ResNet-20 top-1 vs converter resolution ({res.get('variant', 'parasitic')} "
            f"converters, {n} images, int8 digital {100 * i8:.1f} %; \"matches\" = int8 inside "
            f"the 95 % interval at that and every higher swept resolution): "
            + "; ".join(parts) + "."]


def _signed_points(delta: float) -> str:
    return f"{100 * delta:+.1f} points"


def _sweep(results: Mapping) -> list[str]:
    out = []
    for label, s in (results.get("sweep") or {}).items():
        iters, enob = s.get("iterations") or [], s.get("enob") or []
        if len(iters) < 2 or len(iters) != len(enob):
            continue
        k = max(range(len(enob)), key=lambda j: enob[j])
        if k == len(enob) - 1:
            out.append(f"{label}: ENOB still rises at the largest N = {iters[k]:g} "
                       f"({enob[0]:.2f} bits at N = {iters[0]:g} → {enob[k]:.2f} bits).")
        else:
            out.append(f"{label}: ENOB peaks at {enob[k]:.2f} bits at N = {iters[k]:g} and falls "
                       f"to {enob[-1]:.2f} bits at N = {iters[-1]:g} (more iterations add loss).")
    return out


def compute_findings(results: Mapping, claimed_lossless_bits: int = 12) -> list[str]:
    """Findings (one sentence group per list item) from a demo results mapping.

    results: ``{"quantizers": [row, ...], "nn": {...}, "sweep": {...}}`` as written to
        results.json; rows carry ``name, kind, variant, bits, enob_sine, lossless_bits,
        latency_s, area_um2, top1 ...`` (SI units).
    claimed_lossless_bits: the precision claimed for the first design (the DGCQ slides
        claim 12).
    """
    if not isinstance(results, Mapping):
        raise InputError(f"results must be a mapping, got {type(results).__name__}")
    return [*_enob_headline(results), *_parasitic_loss(results),
            *_lossless_claim(results, claimed_lossless_bits), *_accuracy(results),
            *_resolution(results), *_energy(results), *_sweep(results)]


def format_findings(findings: Sequence[str]) -> str:
    """Markdown bullet list of findings."""
    return "\n".join(f"- {f}" for f in findings)
