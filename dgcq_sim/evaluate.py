"""Evaluate one quantizer: ENOB (sine fit and static), SINAD, DNL/INL, lossless bits and cost.

Works on anything with the quantizer interface (``vmin``, ``vmax``, ``n_codes``,
``convert(v, noise, rng)`` returning ``.codes``/``.estimate``, ``hardware()``, and
``instance(k)`` for Monte Carlo), so the synthetic quantizers of the tests and the
netlist-backed quantizers of :mod:`dgcq_sim.quantizers` go through the same code.
"""

from __future__ import annotations

import math

import numpy as np
from tqdm import tqdm

from .cost import CostModel, estimate, walden_fom
from .errors import InputError, ParameterError, QuantizerError
from .display import show
from .metrics import code_density, coherent_cycles, coherent_sine, lossless_bits, sine_metrics
from .metrics import static_enob, uniform_ramp

#: keys of the dict :func:`evaluate_quantizer` returns (each a number, or with ``mc`` a
#: {"mean", "p5", "p95"} dict).
METRIC_KEYS = ("enob_sine", "enob_static", "sinad_db", "sinad_fft_db", "enob_fft", "dnl_max",
               "inl_max", "missing_codes", "lossless_bits", "cycles", "latency_s",
               "area_unit_caps", "area_um2", "energy_j", "walden_fom_j")

#: largest ramp for the code-density test (samples)
MAX_RAMP = 1 << 18


def _convert(q, v: np.ndarray, rng: np.random.Generator):
    res = q.convert(v, noise=True, rng=rng)
    codes = np.asarray(res.codes)
    est = np.asarray(res.estimate, dtype=np.float64)
    if codes.shape != v.shape or est.shape != v.shape:
        raise QuantizerError(f"quantizer returned codes {codes.shape} / estimate {est.shape} "
                             f"for {v.shape} inputs")
    if not np.all(np.isfinite(est)):
        raise QuantizerError("quantizer returned a non-finite estimate")
    return codes, est


def _evaluate_one(q, rng: np.random.Generator, n_sine: int, ramp_per_code: int,
                  model: CostModel | None, records: dict | None = None) -> dict:
    vmin, vmax, n_codes = float(q.vmin), float(q.vmax), int(q.n_codes)
    # dynamic: coherent near-full-scale sine, IEEE 1241 fit (ENOB relative to the full scale)
    cycles = coherent_cycles(n_sine)
    v = coherent_sine(n_sine, cycles, vmin, vmax)
    _, est = _convert(q, v, rng)
    sm = sine_metrics(est, vmin, vmax, frequency=cycles / n_sine)
    # static: slow ramp over the full scale, ramp_per_code samples per LSB
    n_ramp = min(max(ramp_per_code * n_codes, 1024), MAX_RAMP)
    x = uniform_ramp(n_ramp, vmin, vmax)
    codes, est_r = _convert(q, x, rng)
    lin = code_density(codes, n_codes, "ramp")
    if records is not None:
        records.update(sine_estimate=est, sine_cycles=int(cycles), ramp_vin=x,
                       ramp_codes=np.asarray(codes), ramp_estimate=est_r,
                       dnl_codes=lin.codes, dnl=lin.dnl, inl=lin.inl,
                       inl_codes=np.arange(lin.first_code + 1, lin.last_code + 1))
    max_bits = int(math.ceil(math.log2(n_codes))) + 1
    lossless = lossless_bits(lambda u: _convert(q, u, rng)[1], vmin, vmax, max_bits)
    cost = estimate(q.hardware(), model)
    return {
        "enob_sine": sm.enob, "enob_static": static_enob(est_r, x, vmin, vmax),
        "sinad_db": sm.sinad_db, "sinad_fft_db": sm.sinad_fft_db, "enob_fft": sm.enob_fft,
        "dnl_max": lin.dnl_max, "inl_max": lin.inl_max, "missing_codes": lin.missing_codes,
        # which codes are missing (the first 32), e.g. code 0 below a positive offset
        "missing_code_list": [int(c) for c in lin.missing[:32]],
        "lossless_bits": lossless, "cycles": cost.cycles, "latency_s": cost.latency_s,
        "area_unit_caps": cost.area_unit_caps, "area_um2": cost.area_um2,
        "energy_j": cost.energy_j, "walden_fom_j": walden_fom(cost.energy_j, sm.enob)
        if math.isfinite(sm.enob) else 0.0,
    }


def evaluate_quantizer(q, *, rng: np.random.Generator, n_sine: int = 2 ** 14,
                       mc: int | None = None, ramp_per_code: int = 16,
                       model: CostModel | None = None, progress: bool = True,
                       records: dict | None = None) -> dict:
    """Metrics and cost of quantizer ``q``.

    q: a quantizer (see module docstring).
    rng: random Generator for the conversion noise (Monte Carlo instances get children of it).
    n_sine: samples of the coherent sine record (>= 16).
    mc: None for the nominal quantizer; K >= 1 to evaluate mismatch instances q.instance(0..K-1).
    ramp_per_code: ramp samples per code of the code-density test (capped at 2^18 samples).
    model: cost assumptions (default :class:`CostModel`).
    progress: tqdm bar on stderr for Monte Carlo.
    records: optional dict, filled (nominal run only) with the raw records behind the
        figures: ``sine_estimate`` and ``sine_cycles`` (the coherent record), ``ramp_vin``,
        ``ramp_codes``, ``ramp_estimate``, ``dnl_codes``, ``dnl`` (LSB), ``inl_codes``, ``inl``
        (LSB, at the transition into each code).

    Returns a dict with the keys of :data:`METRIC_KEYS`: ``enob_sine`` (IEEE 1241 sine-fit ENOB
    relative to the full scale, bits), ``enob_static`` (uniform-input ENOB, bits), ``sinad_db``
    (fit SINAD, dB), ``sinad_fft_db`` / ``enob_fft`` (coherent FFT SINAD and its
    (SINAD-1.76)/6.02), ``dnl_max`` / ``inl_max`` (ramp code density, endpoint INL, LSB),
    ``missing_codes``, ``lossless_bits``, ``cycles``, ``latency_s`` (s), ``area_unit_caps``,
    ``area_um2``, ``energy_j`` (J per conversion), ``walden_fom_j`` (J/conv-step).  With ``mc``
    each value is {"mean", "p5", "p95"} over the instances, plus ``"mc": K``.
    """
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if isinstance(n_sine, bool) or not isinstance(n_sine, (int, np.integer)) or n_sine < 16:
        raise ParameterError(f"n_sine must be an integer >= 16, got {show(n_sine)}")
    if isinstance(ramp_per_code, bool) or not isinstance(ramp_per_code, (int, np.integer)) \
            or ramp_per_code < 1:
        raise ParameterError(f"ramp_per_code must be an integer >= 1, got {show(ramp_per_code)}")
    for attr in ("vmin", "vmax", "n_codes", "convert", "hardware"):
        if not hasattr(q, attr):
            raise InputError(f"object of type {type(q).__name__} is not a quantizer: no {attr!r}")
    if mc is None:
        return _evaluate_one(q, rng, int(n_sine), int(ramp_per_code), model, records)
    if isinstance(mc, bool) or not isinstance(mc, (int, np.integer)) or mc < 1:
        raise ParameterError(f"mc must be a positive integer (number of instances), got {show(mc)}")
    if not hasattr(q, "instance"):
        raise InputError(f"quantizer {type(q).__name__} has no instance(k): no Monte Carlo")
    runs = []
    for k, child in enumerate(tqdm(rng.spawn(int(mc)), desc="Monte Carlo", unit="instance",
                                   disable=not progress)):
        runs.append(_evaluate_one(q.instance(k), child, int(n_sine), int(ramp_per_code), model))
    out: dict = {"mc": int(mc)}
    for key in METRIC_KEYS:
        vals = np.array([r[key] for r in runs], dtype=np.float64)
        out[key] = {"mean": float(vals.mean()), "p5": float(np.percentile(vals, 5)),
                    "p95": float(np.percentile(vals, 95))}
    return out
