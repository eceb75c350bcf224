"""The demo's summary table, ``report.md`` and ``results.json``.

The table and report are pure functions of a results mapping (see
:func:`dgcq_sim.report.demo.run_demo`); ``results.json`` holds only numbers that the seed
determines, so two runs with the same seed write identical files (timings go to report.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Mapping, Sequence

from ..errors import InputError
from ..outputs import check_output_dir
from .findings import compute_findings, format_findings

# (header, row key, scale, format): value shown = row[key] * scale.
TABLE_COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("ENOB sine (bit)", "enob_sine", 1.0, "{:.2f}"),
    ("ENOB static (bit)", "enob_static", 1.0, "{:.2f}"),
    ("lossless (bit)", "lossless_bits", 1.0, "{:g}"),
    ("DNL max (LSB)", "dnl_max", 1.0, "{:.2f}"),
    ("INL max (LSB)", "inl_max", 1.0, "{:.2f}"),
    ("cycles", "cycles", 1.0, "{:g}"),
    ("latency (ns)", "latency_s", 1e9, "{:.4g}"),
    ("area (unit-cap eq., all blocks)", "area_unit_caps", 1.0, "{:.4g}"),
    ("area (µm²)", "area_um2", 1.0, "{:.4g}"),
    ("energy (pJ)", "energy_j", 1e12, "{:.3g}"),
    ("ResNet-20 top-1 (%)", "top1", 100.0, "{:.1f}"),
    ("ResNet-20 energy/image (nJ)", "energy_per_image_j", 1e9, "{:.4g}"),
)


def _cell(row: Mapping, key: str, scale: float, fmt: str) -> str:
    v = row.get(key)
    if v is None:
        return "—"
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    return fmt.format(v * scale)


def format_table(results: Mapping) -> str:
    """Markdown table: one row per quantizer variant, then the float and int8 baselines.

    results: mapping with ``quantizers`` (rows of metrics in SI units; top-1 as a fraction)
        and optionally ``nn`` (``float_top1``, ``int8_top1`` fractions).
    Columns are padded so the table also reads well on a terminal.
    """
    rows = results.get("quantizers")
    if not rows:
        raise InputError("results has no quantizer rows to tabulate")
    header = ["quantizer", "variant", *(c[0] for c in TABLE_COLUMNS)]
    body = [[str(r.get("name", "?")), str(r.get("variant", "?")),
             *(_cell(r, *c[1:]) for c in TABLE_COLUMNS)] for r in rows]
    nn = results.get("nn") or {}
    for label, key in (("float32 (no quantizer)", "float_top1"), ("int8 digital", "int8_top1")):
        if nn.get(key) is not None:
            cells = ["—"] * len(TABLE_COLUMNS)
            cells[[c[1] for c in TABLE_COLUMNS].index("top1")] = f"{100 * float(nn[key]):.1f}"
            body.append([label, "baseline", *cells])
    return _markdown(header, body)


def format_resolution_table(results: Mapping) -> str | None:
    """Markdown table of ResNet-20 top-1 (%) vs converter bits, one column per architecture
    (``results["resolution"]``), or None without one.  A value taken from the main table's
    design is marked with *."""
    series = [s for s in (results.get("resolution") or {}).get("series", ()) if s.get("bits")]
    if not series:
        return None
    bits = sorted({b for s in series for b in s["bits"]})
    header = ["bits", *(f"{s['name']} ({s['param']})" for s in series)]
    body = []
    for b in bits:
        cells = [str(b)]
        for s in series:
            k = s["bits"].index(b) if b in s["bits"] else None
            if k is None:
                cells.append("—")
                continue
            reused = (s.get("from_design") or [None] * len(s["bits"]))[k]
            cells.append(f"{100 * float(s['top1'][k]):.1f}{' *' if reused else ''} "
                         f"({s['param']}={s['values'][k]})")
        body.append(cells)
    return _markdown(header, body)


def _markdown(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A padded markdown table (reads well on a terminal too)."""
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(b) for b in body)])


def check_out_dir(out_dir: str | Path) -> Path:
    """Refuse an output directory that cannot be created or written, before any work.

    out_dir: directory for the report; it may not exist yet (it is created later), but
    it must not be a file, every name in it must fit the file system, and a probe file must
    be creatable (and is removed again) in it or its nearest existing ancestor.  Returns
    the path.
    """
    return check_output_dir(out_dir, "--out")


def results_json(results: Mapping) -> str:
    """Deterministic JSON text of a results mapping (sorted keys, floats as repr)."""
    def clean(o):
        if isinstance(o, float) and not math.isfinite(o):
            return str(o)  # JSON has no NaN/inf; keep them visible as strings
        if isinstance(o, Mapping):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        return o
    return json.dumps(clean(results), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_report(results: Mapping, plots: Mapping[str, str], timings: Mapping[str, float] | None
                  = None) -> str:
    """Markdown text of report.md.

    results: the demo results mapping.  plots: caption -> PNG file name (relative to the
    report).  timings: optional step -> seconds (wall clock), listed at the end.
    """
    cfg = results.get("config") or {}
    findings = results.get("findings") or compute_findings(results)
    lines = [
        "# dgcq-sim demo report", "",
        f"Seed {cfg.get('seed', '?')}; {'quick' if cfg.get('quick') else 'full'} run. "
        f"{cfg.get('description', '')}".rstrip(), "",
        "## Results", "",
        format_table(results), "",
        "ENOB sine: IEEE 1241 four-parameter sine fit of a coherent near-full-scale sine, noise "
        "on (gain and offset errors are fitted away); ENOB static: rms of estimate − input on "
        "a slow full-scale ramp, noise on (gain and offset errors included); lossless: largest "
        "b for which ≥ 99.9 % of the 2^b integer input levels come back exactly; DNL/INL: "
        "code density on the ramp (endpoint INL), LSB; cycles, latency, area, energy: "
        "`dgcq_sim.cost` default model per conversion; top-1: ResNet-20 with every CIM partial "
        "sum through the quantizer's characterized transfer function (noise on).", "",
    ]
    resolution = format_resolution_table(results)
    if resolution:
        res = results["resolution"]
        nn = results.get("nn") or {}
        lines += ["## ResNet-20 top-1 vs converter resolution", "",
                  f"Top-1 (%) on the same {nn.get('n_images', '?')} images with every CIM "
                  f"partial sum through each converter ({res.get('variant', 'parasitic')}: the "
                  f"netlists' default non-idealities, noise on); int8 digital "
                  f"{100 * float(nn.get('int8_top1', float('nan'))):.1f} %, float "
                  f"{100 * float(nn.get('float_top1', float('nan'))):.1f} %. * = the design of "
                  f"the table above.", "", resolution, ""]
    lines += [
        "## Findings", "",
        format_findings(findings), "",
    ]
    budget = results.get("budget")
    if budget and budget.get("items"):
        from ..budget import format_budget

        lines += [f"## Error budget: {budget.get('name', budget.get('architecture'))}", "",
                  "Each non-ideality of the design turned on alone in the ideal circuit (bits of "
                  "sine-fit and static ENOB lost; `dgcq-sim budget`):", "", "```",
                  format_budget(budget), "```", ""]
    lines += ["## Plots", ""]
    for caption, fname in plots.items():
        lines += [f"### {caption}", "", f"![{caption}]({fname})", ""]
    if timings:
        lines += ["## Timing (wall clock, this machine)", ""]
        lines += [f"- {k}: {v:.1f} s" for k, v in timings.items()]
        lines.append("")
    return "\n".join(lines)


def write_report(out_dir: str | Path, results: Mapping, plots: Mapping[str, str],
                 timings: Mapping[str, float] | None = None) -> tuple[Path, Path]:
    """Write ``report.md`` and ``results.json`` into ``out_dir`` (created if needed).

    Returns (report path, results path).
    """
    out = check_out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = out / "report.md"
    rjson = out / "results.json"
    rjson.write_text(results_json(results), encoding="utf-8")
    report.write_text(render_report(results, plots, timings), encoding="utf-8")
    return report, rjson
