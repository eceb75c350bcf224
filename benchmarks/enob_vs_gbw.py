"""DGCQ 3+8 ENOB vs op-amp gain-bandwidth GBW*TCLK, against the single-pole closed form.

Two variants of the bundled DGCQ 3+8: "ideal" (ideal=True, only GBW set: the op-amp pole
is the only error) and "default" (the netlist's parasitics, RON = 500 ohm, AOL = 3000,
noise off: TEMP = VNOISE = VNOISE_C = 0, so the static error is what settling does).
Closed form: an integrate phase of T = TCLK/2 transfers the charge incompletely by
e = exp(-T/tau), tau = 1/(2 pi beta GBW), beta = CF/(CF+CS+CREF+CPAR).  Input and
reference charge are short by the same factor, so the count is unaffected and the residue
the SAR reads is scaled by (1 - e): it costs half a fine LSB at a full-scale residue when
e = 2^-(NF+1), the closed-form knee GBW_knee = ln(2^(NF+1)) / (2 pi beta T).  Prints one
JSON line per point, the measured knee (largest GBW at which static ENOB has lost 0.5 bit
against GBW = inf) next to the closed form, and writes benchmarks/out/enob_vs_gbw.png.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dgcq_sim.evaluate import evaluate_quantizer
from dgcq_sim.quantizers import load_quantizer

OUT = Path(__file__).resolve().parent / "out"
QUIET = {"TEMP": 0, "VNOISE": 0, "VNOISE_C": 0}
VARIANTS = {"ideal": ({}, True), "default": (QUIET, False)}


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=13, help="GBW values, log-spaced")
    ap.add_argument("--gbw-min", type=float, default=5e8)
    ap.add_argument("--gbw-max", type=float, default=2e11)
    ap.add_argument("--n-sine", type=int, default=2 ** 13)
    ap.add_argument("--quick", action="store_true", help="7 points, 4096 sine samples")
    args = ap.parse_args(argv)
    if args.quick:
        args.points, args.n_sine = 7, 2 ** 12
    gbws = np.geomspace(args.gbw_min, args.gbw_max, args.points)
    fig = Figure(figsize=(7.5, 4.6))
    ax = fig.subplots()
    for variant, (params, ideal) in VARIANTS.items():
        base = load_quantizer("dgcq", params, ideal=ideal)
        p = base.params
        t_half = p["tclk"] / 2
        beta = p["cf"] / (p["cf"] + p["cs"] + p["cref"] + p["cpar"])
        ref = evaluate_quantizer(base, rng=np.random.default_rng(0), n_sine=args.n_sine,
                                 progress=False)
        xs, sine, static = [], [], []
        for gbw in gbws:
            q = load_quantizer("dgcq", {**params, "GBW": float(gbw)}, ideal=ideal)
            m = evaluate_quantizer(q, rng=np.random.default_rng(0), n_sine=args.n_sine,
                                   progress=False)
            err = math.exp(-t_half * 2 * math.pi * beta * gbw)
            emit(figure="enob_vs_gbw", variant=variant, gbw_hz=float(gbw),
                 gbw_tclk=float(gbw * p["tclk"]), enob_sine=m["enob_sine"],
                 enob_static=m["enob_static"], closed_form_settling_error=err)
            xs.append(gbw * p["tclk"])
            sine.append(m["enob_sine"])
            static.append(m["enob_static"])
        knee_cf = math.log(2 ** (int(p["nf"]) + 1)) / (2 * math.pi * beta * t_half)
        lost = [ref["enob_static"] - s for s in static]
        knee = next((float(g) for g, lo in zip(gbws[::-1], lost[::-1]) if lo >= 0.5), None)
        emit(figure="enob_vs_gbw_knee", variant=variant, ideal_bandwidth_enob_static=
             ref["enob_static"], measured_knee_gbw_hz=knee, closed_form_knee_gbw_hz=knee_cf,
             beta=beta, t_phase_s=t_half)
        line, = ax.semilogx(xs, static, "o-", label=f"{variant}: static ENOB")
        ax.semilogx(xs, sine, "x--", color=line.get_color(), label=f"{variant}: sine-fit ENOB")
        ax.axhline(ref["enob_static"], color=line.get_color(), lw=0.6, ls=":")
        ax.axvline(knee_cf * p["tclk"], color=line.get_color(), ls="-.", lw=0.8,
                   label=f"{variant}: closed-form knee, e = 2^-(NF+1)")
    ax.set_xlabel("GBW x TCLK (op-amp unity-gain bandwidth x clock period)")
    ax.set_ylabel("ENOB (bits)")
    ax.set_title("DGCQ 3+8: ENOB vs op-amp bandwidth (noise off; dotted: GBW = inf)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    OUT.mkdir(exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(OUT / "enob_vs_gbw.png", dpi=110)
    emit(figure="plot", path=str(OUT / "enob_vs_gbw.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
