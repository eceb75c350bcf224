"""The demo pipeline behind ``dgcq-sim demo``: characterize, evaluate, run the CNN, report.

On the embedded defaults (bundled netlists, ResNet-20 and the 1 000-image CIFAR-10 subset) it

1. loads DGCQ 3+8, an 11-bit SAR and an 11-bit coarse-only quantizer (NITER = 2048), each
   ideal and with the netlists' default parasitics;
2. evaluates each (ENOB, DNL/INL, lossless bits, cycles, latency, area, energy);
3. characterizes each into a TransferFunction, and the converters of the resolution sweep
   (SAR 4-8 bits, DGCQ 3+2..3+5, pipeline 4/6/8 bits, default parasitics);
4. runs ResNet-20 with every CIM partial sum passed through each transfer function, next to
   the float and int8-digital baselines (top-1 vs converter resolution per architecture);
5. sweeps ENOB against the number of coarse iterations (coarse-only and DGCQ c+8 splits);
6. computes the error budget of the first design;
7. draws the plots and writes ``report.md`` and ``results.json``.

One progress bar covers the whole run, in estimated seconds of work per step (conversions
x decisions and phase steps of the quantizer, images of the network), so its ETA follows the
slow steps instead of counting a 13 s characterization and a 0.05 s sweep point alike.

Every random stream comes from the seed and the step's name, so the same seed gives the same
numbers whatever the order or thread count.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from ..errors import InputError
from . import plots
from .findings import compute_findings
from .writer import check_out_dir, write_report


@dataclass(frozen=True)
class Design:
    """One quantizer of the comparison: bundled netlist name, parameter overrides, label."""

    key: str
    name: str
    params: dict


DESIGNS: tuple[Design, ...] = (
    Design("dgcq", "DGCQ 3+8", {"NC": 3, "NF": 8}),
    Design("sar", "SAR 11b", {"NBITS": 11}),
    Design("coarse", "coarse-only 2048", {"NITER": 2048}),
)
VARIANTS = ("ideal", "parasitic")


@dataclass(frozen=True)
class ResolutionSeries:
    """One architecture of the accuracy-vs-resolution sweep (default parasitics).

    key: architecture name.  name: label in the report.  param: the parameter that sets the
    resolution (its values: ``values``); fixed: other overrides (e.g. DGCQ NC = 3).  The
    resolution axis is the loaded quantizer's ``bits``.
    """

    key: str
    name: str
    param: str
    values: tuple[int, ...]
    fixed: dict = field(default_factory=dict)

    def params(self, value: int) -> dict:
        return {**self.fixed, self.param: int(value)}


RESOLUTION: tuple[ResolutionSeries, ...] = (
    ResolutionSeries("sar", "SAR", "NBITS", (4, 5, 6, 7, 8)),
    ResolutionSeries("dgcq", "DGCQ 3+f", "NF", (2, 3, 4, 5), {"NC": 3}),
    ResolutionSeries("pipeline", "pipeline", "NSTAGES", (2, 4, 6)),
)
RESOLUTION_QUICK: tuple[ResolutionSeries, ...] = (
    ResolutionSeries("sar", "SAR", "NBITS", (4, 8)),
    ResolutionSeries("dgcq", "DGCQ 3+f", "NF", (2, 5), {"NC": 3}),
)


@dataclass(frozen=True)
class DemoConfig:
    """Sizes of one demo run.

    seed: master seed of every random stream.
    quick: True for the reduced run (fewer sine samples, images, sweep points).
    n_sine: samples of the sine-fit ENOB test per quantizer.
    n_ramp: points of the input ramp drawn in the transfer / code-error plots.
    n_images: CIFAR-10 test images for the CNN accuracy (taken with a stride, the file is
        class-sorted).
    coarse_sweep: NITER values of the coarse-only ENOB-vs-iterations sweep.
    dgcq_sweep: NC values (coarse bits, N = 2^NC iterations) of the DGCQ c+8 sweep.
    sweep_n_sine: sine samples per sweep point (their ramp uses 4 samples per code).
    ramp_per_code: ramp samples per code of the DNL/INL code-density test.
    n_noise, noise_points: noisy conversions per grid input, and grid inputs, of the
        transfer-function noise fit.
    points_per_lsb: sweep density of the transfer-function staircase search.
    calib_images: calibration images for the per-layer partial-sum ranges.
    stats_images: calibration images for the int8 activation ranges (of the bundled 500).
    designs: the quantizers compared (default :data:`DESIGNS`; one per kind).
    resolution: the accuracy-vs-resolution sweep (default :data:`RESOLUTION`; empty: none);
        a point equal to a design's parasitic variant reuses that design's result.
    """

    seed: int = 0
    quick: bool = False
    n_sine: int = 2 ** 14
    n_ramp: int = 2 ** 15
    n_images: int = 200
    coarse_sweep: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024)
    dgcq_sweep: tuple[int, ...] = (1, 2, 3, 4, 5)
    sweep_n_sine: int = 2 ** 13
    ramp_per_code: int = 16
    n_noise: int = 512
    points_per_lsb: int = 16
    noise_points: int = 32
    calib_images: int = 32
    stats_images: int = 500
    designs: tuple[Design, ...] = DESIGNS
    resolution: tuple[ResolutionSeries, ...] = RESOLUTION

    @classmethod
    def preset(cls, quick: bool = False, seed: int = 0) -> "DemoConfig":
        """The full run, or the quick one.

        quick reduces: sine samples 16384 -> 4096, DNL ramp 16 -> 4 samples per code,
        transfer-function noise fit 512 x 32 -> 128 x 16 noisy conversions, staircase
        search 16 -> 4 points per LSB (transitions are still bisected to float64), ResNet-20
        images 200 -> 16, range-calibration images 32 -> 4 and 500 -> 50, sweeps 7 + 5 ->
        3 + 3 points (DGCQ NC = 2, 3, 4), resolution sweep 12 -> 4 converters
        (:data:`RESOLUTION_QUICK`).  The quantizers themselves (DGCQ 3+8, SAR 11b, coarse
        2048) are the same.
        """
        if not quick:
            return cls(seed=seed)
        return cls(seed=seed, quick=True, n_sine=2 ** 12, n_ramp=2 ** 13, n_images=16,
                   coarse_sweep=(16, 64, 256), dgcq_sweep=(2, 3, 4), sweep_n_sine=2 ** 11,
                   ramp_per_code=4, n_noise=128, noise_points=16, points_per_lsb=4,
                   calib_images=4, stats_images=50, resolution=RESOLUTION_QUICK)

    def describe(self) -> str:
        """One sentence saying what this run computes (goes into report.md)."""
        return (f"{self.n_sine} sine samples per quantizer, {self.n_images} CIFAR-10 test "
                f"images, coarse sweep N = {list(self.coarse_sweep)}, DGCQ sweep NC = "
                f"{list(self.dgcq_sweep)} (+8 fine bits), {self.sweep_n_sine} sine samples per "
                f"sweep point" + ("; ResNet-20 top-1 vs resolution: " + "; ".join(
                    f"{r.name} {r.param} = {list(r.values)}" for r in self.resolution)
                    if self.resolution else "") + ".")


def step_rng(seed: int, step: str) -> np.random.Generator:
    """Generator for one named step: depends only on (seed, step), not on the run order."""
    return np.random.default_rng([seed, zlib.crc32(step.encode())])


@dataclass
class DemoResult:
    """What :func:`run_demo` produced: the results mapping, files written, timings (s)."""

    results: dict
    report: Path
    results_json: Path
    plots: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)



def _metrics_row(design: Design, variant: str, q, m: dict) -> dict:
    keep = ("enob_sine", "enob_static", "sinad_db", "dnl_max", "inl_max", "lossless_bits",
            "cycles", "latency_s", "area_unit_caps", "area_um2", "energy_j")
    row = {"name": design.name, "key": design.key, "kind": q.kind, "variant": variant,
           "bits": int(q.bits), "vmin": float(q.vmin), "vmax": float(q.vmax)}
    for k in keep:
        v = m.get(k)
        row[k] = None if v is None else (int(v) if k == "cycles" else float(v))
    return row


def _transfer_curve(q, variant: str, n_ramp: int) -> plots.TransferCurve:
    vin = np.linspace(q.vmin, q.vmax, n_ramp)
    conv = q.convert(vin, noise=False)
    lsb = (q.vmax - q.vmin) / q.n_codes
    return plots.TransferCurve(variant, vin, np.asarray(conv.codes, float),
                               (np.asarray(conv.estimate, float) - vin) / lsb)


# --- work estimates (seconds on a two-core machine; only their ratios steer the ETA) -------

_CONV_S = 1e-8          # one conversion-unit: one decision or phase step of one conversion
_NOISY_EVAL = 2.0       # a noisy conversion costs about twice a noise-free one ...
_NOISY_FIT = 12.0       # ... and ~12x in the noise fit (stepping kernel, per-step draws)
_IMAGE_S = 5e-3         # one image through the CIM ResNet-20 with one transfer function ...
_TF_S = 0.7             # ... plus its set-up (per-layer tables, range calibration)
_BASE_IMAGE_S = 2.5e-3  # one image through the float or int8 network (and statistics)
_BASE_S = 0.5
_STEP_S = 0.05          # fixed cost of a step (load, compile lookup, bookkeeping)


def _conversion_units(q) -> int:
    """Work of one conversion of ``q``: its decisions plus its phase steps."""
    sched = q.schedule
    return len(sched.decisions) + int(sched.n_steps)


def _eval_work(q, n_sine: int, ramp_per_code: int) -> float:
    n = n_sine + ramp_per_code * q.n_codes
    return _STEP_S + _CONV_S * _conversion_units(q) * n * (_NOISY_EVAL if q.has_noise else 1.0)


def _char_work(q, cfg: "DemoConfig") -> float:
    n = cfg.points_per_lsb * q.n_codes + (_NOISY_FIT * cfg.n_noise * cfg.noise_points
                                          if q.has_noise else 0.0)
    return _STEP_S + _CONV_S * _conversion_units(q) * n


class WorkBar:
    """One tqdm bar over the planned steps, advanced by each step's estimated seconds.

    plan: step label -> estimated seconds (insertion order = run order).  The bar shows the
    percentage of planned work and tqdm's ETA from the average rate since the start
    (``smoothing=0``), so a mis-estimate of one step is averaged, not extrapolated.  At the
    half-way point of the planned work the ETA shown is recorded, and at :meth:`close` the
    time it really took (``eta_check``), so the report can show how good the estimate was.
    """

    def __init__(self, plan: dict[str, float], enabled: bool):
        self.plan = dict(plan)
        self.total = float(sum(self.plan.values()))
        self.done = 0.0
        self.t0 = time.perf_counter()
        self.eta_check: dict[str, float] = {}
        self.bar = tqdm(total=self.total, desc="dgcq-sim demo", disable=not enabled,
                        smoothing=0, bar_format="{desc}: {percentage:3.0f}%|{bar}| "
                                                "[{elapsed}<{remaining}{postfix}]")

    def start(self, label: str) -> None:
        """Show ``label`` (a planned step) as the current step."""
        if label not in self.plan:
            raise KeyError(f"step {label!r} was not planned")
        self.bar.set_postfix_str(label)

    def finish(self, label: str) -> None:
        """Count ``label``'s estimated work as done."""
        w = self.plan.pop(label)
        self.done += w
        self.bar.update(w)
        if "predicted_s" not in self.eta_check and self.done >= self.total / 2 and self.done:
            elapsed = time.perf_counter() - self.t0
            self.eta_check = {"at_s": elapsed,
                              "predicted_s": elapsed * (self.total - self.done) / self.done}

    def close(self) -> None:
        if self.plan:
            raise RuntimeError(f"planned steps never ran: {sorted(self.plan)}")
        if "at_s" in self.eta_check:
            self.eta_check["actual_s"] = time.perf_counter() - self.t0 - self.eta_check["at_s"]
        self.bar.close()


class _Quantizers:
    """Each (architecture, params, ideal) loaded once: the plan and the run share them."""

    def __init__(self, seed: int):
        self.seed, self._cache = seed, {}

    def __call__(self, key: str, params: dict, ideal: bool):
        from ..quantizers import load_quantizer

        k = (key, tuple(sorted(params.items())), bool(ideal))
        if k not in self._cache:
            self._cache[k] = load_quantizer(key, params=params, ideal=ideal, seed=self.seed)
        return self._cache[k]


def _resolution_points(cfg: "DemoConfig"):
    """(series, value, params, reused design key or None) of the resolution sweep, plus the
    designs' parasitic variants that belong to a series (same architecture, its fixed
    parameters) as extra points (``value`` None): their result comes from the design."""
    out = []
    for series in cfg.resolution:
        for v in series.values:
            params = series.params(v)
            same = next((d for d in cfg.designs if d.key == series.key and d.params == params),
                        None)
            out.append((series, v, params, same.key if same else None))
        for d in cfg.designs:
            if d.key == series.key and series.param in d.params and all(
                    d.params.get(k) == val for k, val in series.fixed.items()) and \
                    d.params[series.param] not in series.values:
                out.append((series, None, d.params, d.key))
    return out


def _plan(cfg: "DemoConfig", load: _Quantizers) -> dict[str, float]:
    """Step label -> estimated seconds, in run order."""
    from ..budget import budget_items

    plan: dict[str, float] = {}
    for design in cfg.designs:
        for variant in VARIANTS:
            q = load(design.key, design.params, variant == "ideal")
            tag = f"{design.key}/{variant}"
            plan[f"evaluate {tag}"] = _eval_work(q, cfg.n_sine, cfg.ramp_per_code)
            plan[f"characterize {tag}"] = _char_work(q, cfg) + _CONV_S * cfg.n_ramp * \
                _conversion_units(q)
    res = [(s, v, p) for s, v, p, reused in _resolution_points(cfg) if reused is None]
    for series, v, params in res:
        plan[f"characterize {series.key} {series.param}={v}"] = \
            _char_work(load(series.key, params, False), cfg)
    plan["ResNet-20 float, int8"] = _BASE_S + _BASE_IMAGE_S * (2 * cfg.n_images +
                                                              cfg.stats_images)
    cim = _TF_S + _IMAGE_S * (cfg.n_images + cfg.calib_images)
    for design in cfg.designs:
        for variant in VARIANTS:
            plan[f"ResNet-20 {design.key}/{variant}"] = cim
    for series, v, _ in res:
        plan[f"ResNet-20 {series.key} {series.param}={v}"] = cim
    for variant in VARIANTS:
        for key, values, params_of in _iteration_sweeps(cfg):
            for val in values:
                q = load(key, params_of(val), variant == "ideal")
                plan[f"sweep {key} {val} {variant}"] = _eval_work(q, cfg.sweep_n_sine, 4)
    if cfg.designs:
        first = cfg.designs[0]
        real = load(first.key, first.params, False)
        plan[f"budget {first.key}"] = (len(budget_items(real, first.params)) + 2) * \
            _eval_work(load(first.key, first.params, True), cfg.sweep_n_sine, 16)
    return plan


def _iteration_sweeps(cfg: "DemoConfig"):
    """(architecture, swept values, value -> params) of the ENOB-vs-iterations sweep."""
    return (("coarse", cfg.coarse_sweep, lambda n: {"NITER": n}),
            ("dgcq", cfg.dgcq_sweep, lambda c: {"NC": c, "NF": 8}))


ITERATIONS = {"coarse": lambda n: n, "dgcq": lambda c: 2 ** c}   # coarse iterations N


def run_demo(out_dir: str | Path = "dgcq_report", config: DemoConfig | None = None,
             progress: bool = True, log: Callable[[str], None] | None = None,
             cost_model=None) -> DemoResult:
    """Run the whole demo and write its report into ``out_dir``.

    out_dir: report directory (created; refused up front if it is a file or not writable).
    config: sizes and seed (default: the full run, seed 0).
    progress: show one tqdm bar (with an ETA) on stderr.
    log: optional callable receiving one-line status messages.
    cost_model: :class:`~dgcq_sim.cost.CostModel` of the area/latency/energy columns
        (default: the documented defaults, docs/cost.md).
    Returns a :class:`DemoResult`.
    """
    # Imported here so the report/plot half of this package works without the simulator.
    from ..evaluate import evaluate_quantizer
    from . import nn_eval

    cfg = config or DemoConfig()
    out = check_out_dir(out_dir)
    say = log or (lambda _msg: None)
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    load = _Quantizers(cfg.seed)
    t0 = time.perf_counter()
    bar = WorkBar(_plan(cfg, load), enabled=progress)
    timings["plan"] = time.perf_counter() - t0

    rows, tfs, curves = [], {}, {}
    # 1-3. evaluate and characterize each design, ideal and with parasitics.
    t0 = time.perf_counter()
    for design in cfg.designs:
        for variant in VARIANTS:
            tag = f"{design.key}/{variant}"
            bar.start(f"evaluate {tag}")
            q = load(design.key, design.params, variant == "ideal")
            m = evaluate_quantizer(q, rng=step_rng(cfg.seed, f"eval {tag}"), n_sine=cfg.n_sine,
                                   ramp_per_code=cfg.ramp_per_code, progress=False,
                                   model=cost_model)
            rows.append(_metrics_row(design, variant, q, m))
            bar.finish(f"evaluate {tag}")
            bar.start(f"characterize {tag}")
            tfs[(design.key, variant)] = q.characterize(
                step_rng(cfg.seed, f"char {tag}"), n_noise=cfg.n_noise,
                noise_points=cfg.noise_points, points_per_lsb=cfg.points_per_lsb)
            curves.setdefault(design.key, []).append(_transfer_curve(q, variant, cfg.n_ramp))
            bar.finish(f"characterize {tag}")
    points = _resolution_points(cfg)
    bits_of: dict[tuple, int] = {}
    for series, v, params, reused in points:
        q = load(series.key, params, False)
        bits_of[(series.key, v, tuple(sorted(params.items())))] = int(q.bits)
        if reused is None:
            label = f"{series.key} {series.param}={v}"
            bar.start(f"characterize {label}")
            tfs[("resolution", label)] = q.characterize(
                step_rng(cfg.seed, f"char {label}"), n_noise=cfg.n_noise,
                noise_points=cfg.noise_points, points_per_lsb=cfg.points_per_lsb)
            bar.finish(f"characterize {label}")
    timings["quantizers"] = time.perf_counter() - t0

    # 4. ResNet-20 with each transfer function on every partial sum.
    t0 = time.perf_counter()

    def nn_step(name, starting: bool) -> None:
        label = ("ResNet-20 float, int8" if name == "baselines" else
                 f"ResNet-20 {name[1]}" if name[0] == "resolution" else
                 f"ResNet-20 {name[0]}/{name[1]}")
        (bar.start if starting else bar.finish)(label)

    nn = nn_eval.evaluate_resnet20(
        tfs, n_images=cfg.n_images, rng_for=lambda tag: step_rng(cfg.seed, f"nn {tag}"),
        progress=False, calib_images=cfg.calib_images, stats_images=cfg.stats_images,
        on_step=nn_step)
    from ..nn.energy import energy_per_image
    for row in rows:
        row["top1"] = nn["top1"][(row["key"], row["variant"])]
        if nn.get("operation_counts"):
            e = energy_per_image(nn["operation_counts"], row.get("energy_j"))
            row["energy_per_image_j"] = e["energy_per_image_j"]
            row["adc_energy_fraction"] = e["adc_energy_fraction"]
            nn["energy_digital_j"] = e["energy_digital_j"]
            nn["energy_assumptions_j"] = e["energy_assumptions_j"]
    resolution = _resolution_results(cfg, points, bits_of, nn["top1"])
    nn_summary = {k: v for k, v in nn.items() if k != "top1"}
    timings["resnet20"] = time.perf_counter() - t0

    # 5. ENOB vs coarse iterations.
    t0 = time.perf_counter()
    sweep: dict[str, dict] = {}
    labels = {"coarse": "coarse-only", "dgcq": "DGCQ c+8"}
    for variant in VARIANTS:
        for key, values, params_of in _iteration_sweeps(cfg):
            xs, ys, lossless, static = [], [], [], []
            for val in values:
                step = f"sweep {key} {val} {variant}"
                bar.start(step)
                q = load(key, params_of(val), variant == "ideal")
                m = evaluate_quantizer(q, rng=step_rng(cfg.seed, step), n_sine=cfg.sweep_n_sine,
                                       ramp_per_code=4, progress=False)
                xs.append(int(ITERATIONS[key](val)))
                ys.append(float(m["enob_sine"]))
                static.append(float(m["enob_static"]))
                lossless.append(int(m["lossless_bits"]))
                bar.finish(step)
            sweep[f"{labels[key]}, {variant}"] = {"kind": key, "variant": variant,
                                                 "iterations": xs, "enob": ys,
                                                 "enob_static": static,
                                                 "lossless_bits": lossless,
                                                 "parameter": list(values)}
    timings["sweep"] = time.perf_counter() - t0

    # 6. error budget of the first design (each non-ideality alone, from the ideal circuit).
    t0 = time.perf_counter()
    from ..budget import error_budget

    first = cfg.designs[0]
    bar.start(f"budget {first.key}")
    budget = error_budget(first.key, first.params, seed=cfg.seed, n_sine=cfg.sweep_n_sine)
    budget["name"] = first.name
    bar.finish(f"budget {first.key}")
    timings["budget"] = time.perf_counter() - t0
    bar.close()

    results = {
        "config": {**asdict(cfg), "description": cfg.describe()},
        "quantizers": rows,
        "nn": nn_summary,
        "resolution": resolution,
        "sweep": sweep,
        "budget": budget,
    }
    results["findings"] = compute_findings(results)

    # 7. plots and report.
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    written = draw_plots(out, results, curves)
    timings["plots"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    if bar.eta_check.get("actual_s") is not None:
        timings["ETA shown at half-way"] = bar.eta_check["predicted_s"]
        timings["time it then took"] = bar.eta_check["actual_s"]
    report, rjson = write_report(out, results, {cap: p.name for cap, p in written.items()},
                                 timings)
    say(f"wrote {report} and {rjson}")
    return DemoResult(results, report, rjson, written, timings)


def _resolution_results(cfg: "DemoConfig", points, bits_of, top1: dict) -> dict:
    """``{"variant", "series": [{key, name, param, values, bits, top1, from_design}]}``:
    ResNet-20 top-1 (fractions) against each converter's resolution, sorted by bits."""
    series_out = []
    for series in cfg.resolution:
        pts = []
        for s, v, params, reused in points:
            if s is not series:
                continue
            acc = top1[(reused, "parasitic")] if reused else \
                top1[("resolution", f"{series.key} {series.param}={v}")]
            pts.append((bits_of[(series.key, v, tuple(sorted(params.items())))],
                        int(params[series.param]), float(acc), reused))
        pts.sort()
        series_out.append({"key": series.key, "name": series.name, "param": series.param,
                           "fixed": dict(series.fixed), "values": [p[1] for p in pts],
                           "bits": [p[0] for p in pts], "top1": [p[2] for p in pts],
                           "from_design": [p[3] for p in pts]})
    return {"variant": "parasitic", "series": series_out}


def draw_plots(out: Path, results: dict, curves: dict[str, list[plots.TransferCurve]]
               ) -> dict[str, Path]:
    """Every PNG of the report from a results mapping and the transfer curves.

    out: existing directory.  curves: design key -> curves (one per variant).
    Returns caption -> PNG path.
    """
    if not out.is_dir():
        raise InputError(f"plot directory {str(out)!r} does not exist")
    written: dict[str, Path] = {}
    by_key = {r["key"]: r for r in results["quantizers"] if r["variant"] == "ideal"}
    for key, cs in curves.items():
        row = by_key[key]
        lsb = (row["vmax"] - row["vmin"]) / 2 ** row["bits"]
        written[f"{row['name']}: transfer curve and code error"] = plots.plot_transfer(
            out / f"transfer_{key}.png", row["name"], cs, lsb)
    sweep = results.get("sweep") or {}
    swept = {s["kind"] for s in sweep.values()}
    # designs without an iteration sweep are drawn as horizontal reference lines
    refs = {f"{r['name']}, {r['variant']}": r["enob_sine"] for r in results["quantizers"]
            if r["kind"] not in swept}
    if sweep:
        all_n = sorted({n for s in sweep.values() for n in s["iterations"]})
        written["ENOB vs coarse iterations"] = plots.plot_enob_vs_iterations(
            out / "enob_vs_iterations.png",
            {k: (s["iterations"], s["enob"]) for k, s in sweep.items()},
            references={k: e for k, e in refs.items() if e is not None},
            ideal_bits=[("coarse-only level bound log2(N)", all_n, list(np.log2(all_n)))],
            static={k: s["enob_static"] for k, s in sweep.items() if s.get("enob_static")},
            lossless={k: s["lossless_bits"] for k, s in sweep.items() if s.get("lossless_bits")})
    pts = [dict(name=r["name"], kind=r["kind"], variant=r["variant"], enob=r["enob_sine"],
                enob_static=r["enob_static"], area_um2=r["area_um2"], latency_s=r["latency_s"],
                energy_j=r["energy_j"])
           for r in results["quantizers"]]
    written["precision / area / latency trade-off"] = plots.plot_tradeoff(
        out / "tradeoff.png", pts)
    if (results.get("budget") or {}).get("items"):
        from ..budget import plot_budget

        plot_budget(out / "budget.png", results["budget"])
        written[f"{results['budget'].get('name', 'design')}: ENOB error budget"] = \
            out / "budget.png"
    nn = results.get("nn") or {}
    res = results.get("resolution") or {}
    if nn and any(s.get("bits") for s in res.get("series", ())):
        written["ResNet-20 top-1 vs converter resolution"] = plots.plot_accuracy_vs_bits(
            out / "accuracy_vs_bits.png",
            {s["name"]: (s["bits"], s["top1"]) for s in res["series"] if s.get("bits")},
            nn["float_top1"], nn["int8_top1"], nn["n_images"], res.get("variant", "parasitic"))
    if nn:
        written["ResNet-20 accuracy"] = plots.plot_accuracy(
            out / "accuracy.png",
            {f"{r['name']}, {r['variant']}": r["top1"] for r in results["quantizers"]},
            nn["float_top1"], nn["int8_top1"], nn["n_images"])
    return written
