"""Chip Monte Carlo of ResNet-20 top-1: every converter column of a chip is its own
characterized instance of the design (frozen capacitor mismatch and comparator offsets,
noise per conversion), K chips per design; mean, p5 and p95 over the chips.

Designs: DGCQ 3+8 with the default parasitics and with larger mismatch/offset sigma on the
pretrained network, and the low-bit DGCQ 2+2 (8 fF unit capacitors) on the network
fine-tuned through it (``resnet20-dgcq22-cu8``, evaluated with its record's mapping and
ranges), again with default and larger sigma.
Also DGCQ 2+2 on the mid-tread network (``resnet20-dgcq22-cu8-mt``: the zero partial sum at
a code centre, not on the middle transition).
One JSON line per design; the table goes to benchmarks/out/nn_chips.json (the rows of the
designs run replace theirs, the others are kept).

  python benchmarks/nn_chips.py                          # 10 chips, bank 64, 1 000 images
  python benchmarks/nn_chips.py --chips 20 --images 500 --designs dgcq3+8
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nn_common import emit, merge_rows  # noqa: E402

import numpy as np  # noqa: E402

from dgcq_sim.nn.chips import characterize_bank  # noqa: E402
from dgcq_sim.nn.evaluate import evaluate  # noqa: E402
from dgcq_sim.nn.model import resolve_model_path  # noqa: E402
from dgcq_sim.nn.quantizer_spec import netlist_quantizer  # noqa: E402
from dgcq_sim.nn.record import read_record  # noqa: E402

LARGE_SIGMA = {"KC": "0.05", "SIGMA_VOS": "5m", "SIGMA_VOS_C": "5m"}
# name -> (model, netlist, params)
DESIGNS = {
    "dgcq3+8": ("resnet20", "dgcq", {"NC": "3", "NF": "8"}),
    "dgcq3+8_large_sigma": ("resnet20", "dgcq", {"NC": "3", "NF": "8", **LARGE_SIGMA}),
    "dgcq2+2_cu8": ("resnet20-dgcq22-cu8", "dgcq", {"NC": "2", "NF": "2", "CU": "8f"}),
    "dgcq2+2_cu8_large_sigma": ("resnet20-dgcq22-cu8", "dgcq",
                                {"NC": "2", "NF": "2", "CU": "8f", **LARGE_SIGMA}),
    # the same design with the zero partial sum at a code centre (mid-tread mapping)
    "dgcq2+2_cu8_mid_tread": ("resnet20-dgcq22-cu8-mt", "dgcq",
                              {"NC": "2", "NF": "2", "CU": "8f"}),
    "dgcq2+2_cu8_mid_tread_large_sigma": ("resnet20-dgcq22-cu8-mt", "dgcq",
                                          {"NC": "2", "NF": "2", "CU": "8f", **LARGE_SIGMA}),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chips", type=int, default=10)
    ap.add_argument("--bank", type=int, default=64, help="characterized instances per design")
    ap.add_argument("--images", type=int, default=None,
                    help="strided subset of the bundled 1 000 test images (default all)")
    ap.add_argument("--data", default="bundled")
    ap.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=list(DESIGNS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default=None, help="bank cache directory (default the user's)")
    args = ap.parse_args()
    rows, t0 = [], time.perf_counter()
    for name in args.designs:
        model, netlist, params = DESIGNS[name]
        q = netlist_quantizer(netlist, params, False, args.seed)
        tb = time.perf_counter()
        bank = characterize_bank(q, args.bank, cache_dir=args.cache)
        t_bank = time.perf_counter() - tb
        tf = q.characterize(rng=np.random.default_rng(args.seed))     # nominal: the ranges
        rec = read_record(resolve_model_path(model))
        r = evaluate(model, args.data, tf=tf, bank=bank, chips=args.chips, seed=args.seed,
                     limit=args.images, record=rec)
        t1 = r["top1"]
        rows.append({"design": name, "model": model, "params": params, "chips": args.chips,
                     "bank": args.bank, "images": r["images"], "mean": t1["mean"],
                     "p5": t1["p5"], "p95": t1["p95"], "per_chip": t1["per_chip"],
                     "float_top1": r["float_top1"], "bank_seconds": round(t_bank, 1),
                     "seconds": round(r["seconds"], 1)})
        emit(figure="nn_chip_monte_carlo", **rows[-1])
    merge_rows("nn_chips.json", rows, "design")   # rows of designs not run are kept
    emit(figure="nn_chips_seconds", value=round(time.perf_counter() - t0, 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
