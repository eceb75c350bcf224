"""The demo pipeline behind ``dgcq-sim demo``: characterize, evaluate, run the CNN, report.

On the embedded defaults (bundled netlists, ResNet-20 and the 1 000-image CIFAR-10 subset) it

1. loads DGCQ 3+8, an 11-bit SAR and an 11-bit coarse-only quantizer (NITER = 2048), each
   ideal and with the netlists' default parasitics;
2. evaluates each (ENOB, DNL/INL, lossless bits, cycles, latency, area, energy);
3. characterizes each into a TransferFunction and runs ResNet-20 with every CIM partial sum
   passed through it, next to the float and int8-digital baselines;
4. sweeps ENOB against the number of coarse iterations (coarse-only and DGCQ c+8 splits);
5. draws the plots and writes ``report.md`` and ``results.json``.

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

    @classmethod
    def preset(cls, quick: bool = False, seed: int = 0) -> "DemoConfig":
        """The full run, or the quick one.

        quick reduces: sine samples 16384 -> 4096, DNL ramp 16 -> 4 samples per code,
        transfer-function noise fit 512 x 32 -> 128 x 16 noisy conversions, staircase
        search 16 -> 4 points per LSB (transitions are still bisected to float64), ResNet-20
        images 200 -> 16, range-calibration images 32 -> 4 and 500 -> 50, sweeps 7 + 5 ->
        3 + 3 points (DGCQ NC = 2, 3, 4).  The quantizers themselves (DGCQ 3+8, SAR 11b, coarse 2048) are the same.
        """
        if not quick:
            return cls(seed=seed)
        return cls(seed=seed, quick=True, n_sine=2 ** 12, n_ramp=2 ** 13, n_images=16,
                   coarse_sweep=(16, 64, 256), dgcq_sweep=(2, 3, 4), sweep_n_sine=2 ** 11,
                   ramp_per_code=4, n_noise=128, noise_points=16, points_per_lsb=4,
                   calib_images=4, stats_images=50)

    def describe(self) -> str:
        """One sentence saying what this run computes (goes into report.md)."""
        return (f"{self.n_sine} sine samples per quantizer, {self.n_images} CIFAR-10 test "
                f"images, coarse sweep N = {list(self.coarse_sweep)}, DGCQ sweep NC = "
                f"{list(self.dgcq_sweep)} (+8 fine bits), {self.sweep_n_sine} sine samples per "
                f"sweep point.")


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


def run_demo(out_dir: str | Path = "dgcq_report", config: DemoConfig | None = None,
             progress: bool = True, log: Callable[[str], None] | None = None,
             cost_model=None) -> DemoResult:
    """Run the whole demo and write its report into ``out_dir``.

    out_dir: report directory (created; refused up front if it is a file or not writable).
    config: sizes and seed (default: the full run, seed 0).
    progress: show tqdm bars on stderr.
    log: optional callable receiving one-line status messages.
    cost_model: :class:`~dgcq_sim.cost.CostModel` of the area/latency/energy columns
        (default: the documented defaults, docs/cost.md).
    Returns a :class:`DemoResult`.
    """
    # Imported here so the report/plot half of this package works without the simulator.
    from ..evaluate import evaluate_quantizer
    from ..quantizers import load_quantizer
    from . import nn_eval

    cfg = config or DemoConfig()
    out = check_out_dir(out_dir)
    say = log or (lambda _msg: None)
    timings: dict[str, float] = {}
    t_start = time.perf_counter()

    n_steps = (len(cfg.designs) * len(VARIANTS) * 2
               + len(VARIANTS) * (len(cfg.coarse_sweep) + len(cfg.dgcq_sweep)))
    bar = tqdm(total=n_steps, desc="dgcq-sim demo", unit="step", disable=not progress)
    rows, tfs, curves = [], {}, {}
    # 1-2. evaluate and characterize each design, ideal and with parasitics.
    t0 = time.perf_counter()
    for design in cfg.designs:
        for variant in VARIANTS:
            tag = f"{design.key}/{variant}"
            bar.set_postfix_str(f"evaluate {tag}")
            q = load_quantizer(design.key, params=design.params, ideal=(variant == "ideal"),
                               seed=cfg.seed)
            m = evaluate_quantizer(q, rng=step_rng(cfg.seed, f"eval {tag}"), n_sine=cfg.n_sine,
                                   ramp_per_code=cfg.ramp_per_code, progress=False,
                                   model=cost_model)
            rows.append(_metrics_row(design, variant, q, m))
            bar.update()
            bar.set_postfix_str(f"characterize {tag}")
            tfs[(design.key, variant)] = q.characterize(
                step_rng(cfg.seed, f"char {tag}"), n_noise=cfg.n_noise,
                noise_points=cfg.noise_points, points_per_lsb=cfg.points_per_lsb)
            curves.setdefault(design.key, []).append(_transfer_curve(q, variant, cfg.n_ramp))
            bar.update()
    timings["quantizers"] = time.perf_counter() - t0

    # 3. ResNet-20 with each transfer function on every partial sum.
    t0 = time.perf_counter()
    bar.set_postfix_str("ResNet-20")
    nn = nn_eval.evaluate_resnet20(
        {(k, v): tf for (k, v), tf in tfs.items()}, n_images=cfg.n_images,
        rng_for=lambda tag: step_rng(cfg.seed, f"nn {tag}"), progress=progress,
        calib_images=cfg.calib_images, stats_images=cfg.stats_images)
    from ..nn.energy import energy_per_image
    for row in rows:
        row["top1"] = nn["top1"][(row["key"], row["variant"])]
        if nn.get("operation_counts"):
            e = energy_per_image(nn["operation_counts"], row.get("energy_j"))
            row["energy_per_image_j"] = e["energy_per_image_j"]
            row["adc_energy_fraction"] = e["adc_energy_fraction"]
            nn["energy_digital_j"] = e["energy_digital_j"]
            nn["energy_assumptions_j"] = e["energy_assumptions_j"]
    nn_summary = {k: v for k, v in nn.items() if k != "top1"}
    timings["resnet20"] = time.perf_counter() - t0

    # 4. ENOB vs coarse iterations.
    t0 = time.perf_counter()
    sweep: dict[str, dict] = {}
    for variant in VARIANTS:
        for label, key, values, params_of, iters_of in (
                ("coarse-only", "coarse", cfg.coarse_sweep, lambda n: {"NITER": n}, lambda n: n),
                ("DGCQ c+8", "dgcq", cfg.dgcq_sweep, lambda c: {"NC": c, "NF": 8},
                 lambda c: 2 ** c)):
            xs, ys, lossless, static = [], [], [], []
            for val in values:
                bar.set_postfix_str(f"sweep {key} {val} {variant}")
                q = load_quantizer(key, params=params_of(val), ideal=(variant == "ideal"),
                                   seed=cfg.seed)
                m = evaluate_quantizer(q, rng=step_rng(cfg.seed, f"sweep {key} {val} {variant}"),
                                       n_sine=cfg.sweep_n_sine, ramp_per_code=4,
                                       progress=False)
                xs.append(int(iters_of(val)))
                ys.append(float(m["enob_sine"]))
                static.append(float(m["enob_static"]))
                lossless.append(int(m["lossless_bits"]))
                bar.update()
            sweep[f"{label}, {variant}"] = {"kind": key, "variant": variant, "iterations": xs,
                                           "enob": ys, "enob_static": static,
                                           "lossless_bits": lossless,
                                           "parameter": list(values)}
    timings["sweep"] = time.perf_counter() - t0

    # 4b. error budget of the first design (each non-ideality alone, from the ideal circuit).
    t0 = time.perf_counter()
    from ..budget import error_budget

    first = cfg.designs[0]
    bar.set_postfix_str(f"budget {first.key}")
    budget = error_budget(first.key, first.params, seed=cfg.seed, n_sine=cfg.sweep_n_sine)
    budget["name"] = first.name
    timings["budget"] = time.perf_counter() - t0
    bar.close()

    results = {
        "config": {**asdict(cfg), "description": cfg.describe()},
        "quantizers": rows,
        "nn": nn_summary,
        "sweep": sweep,
        "budget": budget,
    }
    results["findings"] = compute_findings(results)

    # 5. plots and report.
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    written = draw_plots(out, results, curves)
    timings["plots"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    report, rjson = write_report(out, results, {cap: p.name for cap, p in written.items()},
                                 timings)
    say(f"wrote {report} and {rjson}")
    return DemoResult(results, report, rjson, written, timings)


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
    if nn:
        written["ResNet-20 accuracy"] = plots.plot_accuracy(
            out / "accuracy.png",
            {f"{r['name']}, {r['variant']}": r["top1"] for r in results["quantizers"]},
            nn["float_top1"], nn["int8_top1"], nn["n_images"])
    return written
