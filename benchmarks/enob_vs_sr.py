"""DGCQ 3+8 ENOB vs op-amp slew rate SR, against the slew-then-settle closed form.

The bundled DGCQ 3+8 with the netlist's parasitics (RON = 500 ohm, AOL = 3000), noise off
(TEMP = VNOISE = VNOISE_C = 0, so the static error is what the op-amp does), a one-pole
op-amp of GBW = 10 GHz (far above the GBW knee of benchmarks/enob_vs_gbw.py) and a slew
limit SR (the B-source model of dgcq_sim/quantizers/opamp_limits.py; every step
time-stepped).  Closed form: an integrate phase of T = TCLK/2 moves the integrator output
by up to dV = VREF*max(GAIN, CREF/CF) (1 V); the op-amp slews for (dV - SR*tau)/SR, then
settles linearly with tau = 1/(2 pi beta GBW), beta = CF/(CF+CS+CREF+CPAR), leaving
e = SR*tau*exp(-(T - t_slew)/tau).  The knee is the SR at which e = 2^-(NF+1)*VREF (half a
fine LSB at a full-scale step); below SR = dV/T the step is not even slewed through.  The
ENOBs come from a coherent sine (IEEE 1241 fit) and a uniform ramp (static ENOB), each
``--n`` samples (the full evaluate_quantizer record would take minutes per point at
~5 ms per time-stepped conversion).  Prints one JSON line per point (with the
time-stepping cost: trial steps and microseconds per conversion, and the linear kernel's
for comparison), the measured knee (largest SR at which static ENOB has lost 0.5 bit
against SR = inf) next to the closed form, and writes benchmarks/out/enob_vs_sr.png.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dgcq_sim.metrics.signals import coherent_cycles, coherent_sine, uniform_ramp
from dgcq_sim.metrics.sine import sine_metrics, static_enob
from dgcq_sim.quantizers import load_quantizer

OUT = Path(__file__).resolve().parent / "out"
QUIET = {"TEMP": 0, "VNOISE": 0, "VNOISE_C": 0}


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def measure(q, n: int) -> dict:
    """Sine-fit and static ENOB of ``q`` (noise-free codes) from ``n``-sample records, and
    the conversion time (after a warm-up call)."""
    cycles = coherent_cycles(n)
    sine = coherent_sine(n, cycles, q.vmin, q.vmax)
    ramp = uniform_ramp(n, q.vmin, q.vmax)
    q.convert(sine[:16], noise=False)          # compile / load the kernels and tables first
    t0 = time.perf_counter()
    est_s = q.convert(sine, noise=False).estimate
    est_r = q.convert(ramp, noise=False).estimate
    dt = time.perf_counter() - t0
    return {"enob_sine": sine_metrics(est_s, q.vmin, q.vmax, frequency=cycles / n).enob,
            "enob_static": static_enob(est_r, ramp, q.vmin, q.vmax),
            "us_per_conversion": 1e6 * dt / (2 * n)}


def slew_error(sr: float, dv: float, tau: float, t: float) -> float:
    """Closed-form error left at the end of a phase of t seconds after a dv step (V)."""
    t_slew = max(dv - sr * tau, 0.0) / sr
    if t_slew >= t:
        return dv - sr * t                      # still slewing when the phase ends
    return min(dv, sr * tau) * math.exp(-(t - t_slew) / tau)


def knee_closed_form(dv: float, tau: float, t: float, allowed: float) -> float:
    """Smallest SR (V/s) whose closed-form error is at most ``allowed`` (bisection)."""
    lo, hi = dv / t, 1e15
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if slew_error(mid, dv, tau, t) > allowed else (lo, mid)
    return hi


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=9, help="SR values, log-spaced")
    ap.add_argument("--sr-min", type=float, default=2e8)
    ap.add_argument("--sr-max", type=float, default=2e10)
    ap.add_argument("--gbw", type=float, default=10e9)
    ap.add_argument("--n", type=int, default=2048, help="samples of each record")
    ap.add_argument("--quick", action="store_true", help="5 points, 512-sample records")
    args = ap.parse_args(argv)
    if args.quick:
        args.points, args.n = 5, 512
    srs = np.geomspace(args.sr_min, args.sr_max, args.points)
    base_params = {**QUIET, "GBW": args.gbw}
    lin = load_quantizer("dgcq", base_params)
    p = lin.params
    t_half = p["tclk"] / 2
    beta = p["cf"] / (p["cf"] + p["cs"] + p["cref"] + p["cpar"])
    tau = 1.0 / (2 * math.pi * beta * args.gbw)
    dv = p["vref"] * max(p["gain"], p["cref"] / p["cf"])
    allowed = p["vref"] * 2.0 ** -(int(p["nf"]) + 1)
    ref = measure(lin, args.n)
    emit(figure="enob_vs_sr_reference", sr="inf (linear op-amp)", gbw_hz=args.gbw,
         method=lin.method, **ref)
    sine, static = [], []
    for sr in srs:
        q = load_quantizer("dgcq", {**base_params, "SR": float(sr)})
        m = measure(q, args.n)
        emit(figure="enob_vs_sr", sr_v_per_s=float(sr), sr_v_per_ns=float(sr) * 1e-9,
             gbw_hz=args.gbw, enob_sine=m["enob_sine"], enob_static=m["enob_static"],
             closed_form_error_v=slew_error(float(sr), dv, tau, t_half),
             trial_steps_per_conversion=q.nonlinear.last_trial_steps,
             us_per_conversion=m["us_per_conversion"],
             linear_us_per_conversion=ref["us_per_conversion"])
        sine.append(m["enob_sine"])
        static.append(m["enob_static"])
    knee_cf = knee_closed_form(dv, tau, t_half, allowed)
    lost = [ref["enob_static"] - s for s in static]
    knee = next((float(s) for s, lo in zip(srs[::-1], lost[::-1]) if lo >= 0.5), None)
    emit(figure="enob_vs_sr_knee", linear_enob_static=ref["enob_static"],
         measured_knee_sr_v_per_s=knee, closed_form_knee_sr_v_per_s=knee_cf,
         slew_through_sr_v_per_s=dv / t_half, tau_s=tau, beta=beta, t_phase_s=t_half,
         step_v=dv, allowed_error_v=allowed)
    fig = Figure(figsize=(7.5, 4.6))
    ax = fig.subplots()
    ax.semilogx(srs * 1e-9, static, "o-", label="static ENOB")
    ax.semilogx(srs * 1e-9, sine, "x--", label="sine-fit ENOB")
    ax.axhline(ref["enob_static"], color="k", lw=0.6, ls=":", label="linear op-amp (SR = inf)")
    ax.axvline(knee_cf * 1e-9, color="r", ls="-.", lw=0.8,
               label="closed-form knee: error = 2^-(NF+1) VREF")
    ax.axvline(dv / t_half * 1e-9, color="gray", ls="--", lw=0.8, label="SR = dV/T (slew only)")
    ax.set_xlabel("op-amp slew rate SR (V/ns)")
    ax.set_ylabel("ENOB (bits)")
    ax.set_title(f"DGCQ 3+8: ENOB vs slew rate (GBW = {args.gbw / 1e9:g} GHz, noise off)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    OUT.mkdir(exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(OUT / "enob_vs_sr.png", dpi=110)
    emit(figure="plot", path=str(OUT / "enob_vs_sr.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
