"""Precision vs area vs latency vs energy of coarse-only, SAR and DGCQ designs; Pareto fronts.

Designs (bundled netlists, default parasitics, nominal instance, noise on):
  coarse-only  NITER = 2^b, b = 4 .. 10 (quick: .. 8; a coarse conversion costs N iterations)
  SAR          NBITS = 4 .. 12 (quick: .. 10)
  DGCQ         NC = 1 .. 4, NF = 4 .. 9 (quick: NC 1 .. 3, NF 4, 6, 8)
Each is evaluated with dgcq_sim.evaluate.evaluate_quantizer (sine-fit ENOB, cost from the
default CostModel).  A design is Pareto-optimal when no other design has ENOB >= and area,
latency (and energy) <= with one strictly better.  The summary line says, from these numbers,
which DGCQ designs are on the front, which designs of the other families each DGCQ design
dominates, and which designs dominate it.
Writes benchmarks/out/tradeoffs.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from dgcq_sim.errors import DgcqError
from dgcq_sim.evaluate import evaluate_quantizer
from dgcq_sim.quantizers import load_quantizer

OUT = Path(__file__).resolve().parent / "out"
FAMILY_COLOR = {"coarse": "tab:orange", "sar": "tab:blue", "dgcq": "tab:green"}


def emit(**fields) -> None:
    print(json.dumps(fields, default=float), flush=True)


def designs(quick: bool):
    for b in range(4, (8 if quick else 10) + 1):
        yield f"coarse N={2 ** b}", "coarse", {"NITER": 2 ** b}
    for n in range(4, (10 if quick else 12) + 1):
        yield f"SAR {n}b", "sar", {"NBITS": n}
    for c in range(1, (3 if quick else 4) + 1):
        for f in ((4, 6, 8) if quick else range(4, 10)):
            yield f"DGCQ {c}+{f}", "dgcq", {"NC": c, "NF": f}


def dominates(a: dict, b: dict, keys) -> bool:
    """a dominates b: ENOB >=, every cost <=, one strictly better."""
    ge = a["enob_sine"] >= b["enob_sine"] and all(a[k] <= b[k] for k in keys)
    gt = a["enob_sine"] > b["enob_sine"] or any(a[k] < b[k] for k in keys)
    return ge and gt


def pareto(rows: list[dict], keys) -> list[dict]:
    return [r for r in rows if not any(dominates(o, r, keys) for o in rows if o is not r)]


def summary(rows: list[dict], keys) -> dict:
    front = pareto(rows, keys)
    dg = [r for r in rows if r["family"] == "dgcq"]
    others = [r for r in rows if r["family"] != "dgcq"]
    beats = {r["name"]: [o["name"] for o in others if dominates(r, o, keys)] for r in dg}
    beaten = {r["name"]: [o["name"] for o in others if dominates(o, r, keys)] for r in dg}
    on_front = [r["name"] for r in front if r["family"] == "dgcq"]
    wins = sorted(n for n, v in beats.items() if v)
    loses = sorted(n for n, v in beaten.items() if v)
    text = (f"objectives ENOB up, {', '.join(keys)} down: {len(on_front)} of {len(dg)} DGCQ designs "
            f"on the Pareto front ({', '.join(on_front) or 'none'}); DGCQ designs that dominate "
            f"another family's design: {', '.join(wins) or 'none'}; DGCQ designs dominated by a "
            f"coarse/SAR design: {', '.join(loses) or 'none'}; front members of other families: "
            f"{', '.join(r['name'] for r in front if r['family'] != 'dgcq') or 'none'}")
    return {"front": [r["name"] for r in front], "dgcq_on_front": on_front,
            "dgcq_dominates": {k: v for k, v in beats.items() if v},
            "dgcq_dominated_by": {k: v for k, v in beaten.items() if v}, "text": text}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer designs, shorter records")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    n_sine = 2048 if args.quick else 4096
    OUT.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    q = load_quantizer("sar", params={"NBITS": 4}, ideal=False, seed=args.seed)
    q.convert(np.linspace(q.vmin, q.vmax, 16), noise=True, rng=np.random.default_rng(0))
    emit(figure="warmup", what="first load + 16 conversions (numba compile or cache load)",
         seconds=time.perf_counter() - t0)

    rows = []
    t_all = time.perf_counter()
    for name, family, params in designs(args.quick):
        t1 = time.perf_counter()
        try:
            q = load_quantizer(family, params=params, ideal=False, seed=args.seed)
            m = evaluate_quantizer(q, rng=np.random.default_rng([args.seed, zlib.crc32(name.encode())]),
                                   n_sine=n_sine, ramp_per_code=4, progress=False)
        except DgcqError as exc:
            emit(figure="tradeoff_point", name=name, family=family, params=params, error=str(exc))
            continue
        row = {"name": name, "family": family, "params": params, "bits": int(q.bits),
               **{k: m[k] for k in ("enob_sine", "lossless_bits", "dnl_max", "inl_max",
                                    "cycles", "latency_s", "area_um2", "area_unit_caps",
                                    "energy_j")}}
        rows.append(row)
        emit(figure="tradeoff_point", **row, seconds=time.perf_counter() - t1)
    for keys in (("area_um2", "latency_s"), ("area_um2", "latency_s", "energy_j")):
        emit(figure="tradeoff_summary", **summary(rows, keys))
    png = plot(rows)
    emit(figure="tradeoffs_plot", png=str(png), n_sine=n_sine, designs=len(rows),
         seconds=time.perf_counter() - t_all)
    return 0


def plot(rows: list[dict]) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes_keys = (("area_um2", "area, um^2"), ("latency_s", "latency, s"),
                 ("energy_j", "energy per conversion, J"))
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    for ax, (key, xlabel) in zip(axes, axes_keys):
        for fam, color in FAMILY_COLOR.items():
            pts = [r for r in rows if r["family"] == fam]
            ax.scatter([r[key] for r in pts], [r["enob_sine"] for r in pts], c=color,
                       label=fam, s=22)
        front = sorted(pareto(rows, (key,)), key=lambda r: r[key])
        ax.step([r[key] for r in front], [r["enob_sine"] for r in front], "k-", where="post",
                lw=1, label=f"Pareto front (ENOB vs {key.split('_')[0]})")
        for r in front:
            ax.annotate(r["name"], (r[key], r["enob_sine"]), fontsize=6, xytext=(3, -8),
                        textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("ENOB (sine fit), bit")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Precision vs area / latency / energy (default parasitics)")
    fig.tight_layout()
    path = OUT / "tradeoffs.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    sys.exit(main())
