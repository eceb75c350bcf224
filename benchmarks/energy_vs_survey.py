"""Our energy per conversion next to the ADC state of the art and the thermal-noise bound.

State of the art: B. Murmann, "ADC Performance Survey 1997-2026", github.com/bmurmann/ADC-survey
(ISSCC + VLSI data).  Its Schreier-FoM envelope (plots/foms_plot.ipynb) is
    FoMS_env(fs) = FOMS_ASYMP - 10*log10(sqrt(1 + (fs / F_CORNER)^2))  [dB]
with FOMS_ASYMP = 186.72 dB (mean of the five best FoMS,hf, linear) and F_CORNER = 46.7 MHz,
the values in plots/foms_plot.json (commit 36d15cec, survey revision 2026-08-01).  The survey
repository publishes no Walden-FoM envelope number, so the Walden FoM we print next to ours is
the one a converter on the FoMS envelope would have at our ENOB and rate:
E_env = 10^((SNDR - FoMS_env)/10) / 2 (J per conversion, since FoMS = SNDR + 10 log10(1/(2E)))
and FoMW_env = E_env / 2^ENOB.
Thermal bound: E_min = 8 kT SNR (dgcq_sim.cost.thermal_limit_energy, T = 300 K).

SNDR here is the full-scale-referred 6.02*ENOB + 1.76 with ENOB from the IEEE 1241 sine fit,
fs = 1 / latency (one conversion per latency), P = E * fs.  Designs use the bundled netlists
with default parasitics.  Writes benchmarks/out/energy_vs_survey.png.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from dgcq_sim.cost import (BOLTZMANN, schreier_fom, sndr_from_enob, thermal_limit_energy,
                           walden_fom)
from dgcq_sim.errors import DgcqError
from dgcq_sim.evaluate import evaluate_quantizer
from dgcq_sim.quantizers import load_quantizer

OUT = Path(__file__).resolve().parent / "out"
FOMS_ASYMP_DB = 186.72331722916883   # bmurmann/ADC-survey plots/foms_plot.json
F_CORNER_HZ = 46734517.05669982      # same file


def foms_envelope(fs_hz: float) -> float:
    """Survey Schreier-FoM envelope at Nyquist rate fs, dB."""
    return FOMS_ASYMP_DB - 10 * math.log10(math.sqrt(1 + (fs_hz / F_CORNER_HZ) ** 2))


def emit(**fields) -> None:
    print(json.dumps(fields, default=float), flush=True)


def designs(quick: bool):
    yield "DGCQ 3+8", "dgcq", {"NC": 3, "NF": 8}
    yield "SAR 11b", "sar", {"NBITS": 11}
    yield ("coarse N=256", "coarse", {"NITER": 256}) if quick else \
        ("coarse N=2048", "coarse", {"NITER": 2048})
    if not quick:
        yield "DGCQ 2+6", "dgcq", {"NC": 2, "NF": 6}
        yield "SAR 8b", "sar", {"NBITS": 8}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer designs, shorter records")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    n_sine = 2048 if args.quick else 4096
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    t_all = time.perf_counter()
    for name, family, params in designs(args.quick):
        t1 = time.perf_counter()
        try:
            q = load_quantizer(family, params=params, ideal=False, seed=args.seed)
            m = evaluate_quantizer(q, rng=np.random.default_rng([args.seed, zlib.crc32(name.encode())]),
                                   n_sine=n_sine, ramp_per_code=4, progress=False)
        except DgcqError as exc:
            emit(figure="energy_vs_survey", name=name, params=params, error=str(exc))
            continue
        enob, energy, latency = m["enob_sine"], m["energy_j"], m["latency_s"]
        sndr = sndr_from_enob(enob)
        fs = 1.0 / latency
        power = energy * fs
        fom_s = schreier_fom(sndr, power, fs)
        env = foms_envelope(fs)
        e_env = 10 ** ((sndr - env) / 10) / 2
        e_min = thermal_limit_energy(enob)
        row = dict(name=name, params=params, enob_sine=enob, sndr_db=sndr, fs_hz=fs,
                   energy_j=energy, power_w=power, walden_fom_j=walden_fom(energy, enob),
                   walden_fom_env_j=walden_fom(e_env, enob), schreier_fom_db=fom_s,
                   schreier_env_db=env, energy_env_j=e_env, energy_thermal_j=e_min,
                   x_above_envelope=energy / e_env, x_above_thermal=energy / e_min,
                   db_below_envelope=env - fom_s)
        rows.append(row)
        emit(figure="energy_vs_survey", **row, seconds=time.perf_counter() - t1)
        print(f"# {name}: {energy:.3g} J/conv at ENOB {enob:.2f}: {energy / e_env:.3g}x the "
              f"survey envelope ({e_env:.3g} J), {energy / e_min:.3g}x the 8kT*SNR bound "
              f"({e_min:.3g} J); FoMS {fom_s:.1f} dB vs envelope {env:.1f} dB", file=sys.stderr)
    png = plot(rows)
    emit(figure="energy_vs_survey_plot", png=str(png), n_sine=n_sine,
         seconds=time.perf_counter() - t_all)
    return 0


def plot(rows: list[dict]) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5))
    sndr = np.linspace(20, 100, 200)
    ax.semilogy(sndr, 8 * BOLTZMANN * 300 * 10 ** (sndr / 10), "k--", label="8kT·SNR bound, 300 K")
    ax.semilogy(sndr, 10 ** ((sndr - FOMS_ASYMP_DB) / 10) / 2, "k-",
                label=f"survey FoMS envelope, low fs ({FOMS_ASYMP_DB:.1f} dB)")
    for r in rows:
        ax.semilogy(r["sndr_db"], r["energy_j"], "o")
        ax.annotate(f"{r['name']}\n{r['fs_hz'] / 1e6:.3g} MS/s", (r["sndr_db"], r["energy_j"]),
                    fontsize=7, xytext=(4, 2), textcoords="offset points")
        ax.semilogy(r["sndr_db"], r["energy_env_j"], "x", color="gray")
    ax.set_xlabel("SNDR = 6.02·ENOB + 1.76, dB")
    ax.set_ylabel("energy per conversion, J")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title("Energy per conversion vs ADC survey envelope and thermal bound\n"
                 "(x: envelope at the design's own rate)")
    fig.tight_layout()
    path = OUT / "energy_vs_survey.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    sys.exit(main())
