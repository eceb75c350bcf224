"""Speed of the NN path: ResNet-20 with a DGCQ transfer function on every partial sum.

Prints one JSON line per figure (images/s, ratios measured in this run, numba compile time
apart) and writes benchmarks/out/nn_speed.png.  Peak memory: ``ru_maxrss`` of this process
(run under ``/usr/bin/time -v`` for the same figure from outside).

  python benchmarks/nn_speed.py                 # ResNet-20, 10 000 images (full set)
  python benchmarks/nn_speed.py --images 1000   # shorter
  python benchmarks/nn_speed.py --model resnet18 --images 1000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nn_common import OUT, QUANTIZERS, emit, transfer  # noqa: E402

from dgcq_sim.nn.cim import CimConfig, CimModel, IdentityTransfer  # noqa: E402
from dgcq_sim.nn.data import load_calibration_set, load_test_set  # noqa: E402
from dgcq_sim.nn.forward import predict, top1  # noqa: E402
from dgcq_sim.nn.model import load_model  # noqa: E402
from dgcq_sim.nn.quant import quantize_model  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet20")
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--tf", default=None, help="DGCQ TransferFunction .npz (default: characterize "
                                               "DGCQ 3+8 with default parasitics)")
    ap.add_argument("--tf-dir", default=None)
    ap.add_argument("--skip-identity", action="store_true")
    ap.add_argument("--bank", type=int, default=16,
                    help="per-column run: bank of this many DGCQ 3+8 instances (default 16, "
                         "cached in ~/.cache/dgcq_sim; 0 skips the per-column run)")
    args = ap.parse_args()

    data = load_test_set("full" if args.images > 1000 else "bundled").subset(args.images)
    net = load_model(args.model)
    calib = load_calibration_set()
    if args.tf:
        from dgcq_sim.transfer import TransferFunction
        tf = TransferFunction.load(args.tf)
    else:
        tf = transfer("dgcq3+8_parasitic", args.tf_dir)
    qm = quantize_model(net, calib.x)
    cfg = CimConfig()
    base = dict(model=args.model, images=len(data), rows=cfg.rows, b_in=cfg.input_bits_per_cycle,
                b_w=cfg.weight_bits_per_cell, signed=cfg.signed)

    # numba compile (first call) apart from throughput
    cm = CimModel(qm, tf, cfg)
    _, t_cal = timed(lambda: cm.calibrate(calib.x))
    _, t_first = timed(lambda: cm.predict(data.x[:2], rng=np.random.default_rng(0)))
    _, t_second = timed(lambda: cm.predict(data.x[:2], rng=np.random.default_rng(0)))
    emit(figure="nn_speed_compile", **base, first_call_s=t_first, second_call_s=t_second,
         compile_s_estimate=max(0.0, t_first - t_second), range_calibration_s=t_cal,
         conversions_per_image=cm.conversions_per_image())

    results = {}
    lg, t = timed(lambda: predict(net, data.x))
    results["float"] = (t, top1(lg, data.y))
    lg, t = timed(lambda: qm.predict(data.x))
    results["int8 digital"] = (t, top1(lg, data.y))
    if not args.skip_identity:
        ci = CimModel(qm, IdentityTransfer(), cfg)
        ci.ranges = dict(cm.ranges)
        lg, t = timed(lambda: ci.predict(data.x))
        results["CIM identity"] = (t, top1(lg, data.y))
    cq = CimModel(qm, tf.without_noise(), cfg)
    cq.ranges = dict(cm.ranges)
    lg, t = timed(lambda: cq.predict(data.x))
    results["CIM DGCQ noise-free"] = (t, top1(lg, data.y))
    lg, t = timed(lambda: cm.predict(data.x, rng=np.random.default_rng(0)))
    results["CIM DGCQ"] = (t, top1(lg, data.y))
    if args.bank > 0:
        from dgcq_sim.nn.chips import characterize_bank, column_maps
        from dgcq_sim.quantizers import load_quantizer
        netlist, params, ideal = QUANTIZERS["dgcq3+8_parasitic"]
        bank = characterize_bank(load_quantizer(netlist, params=params, ideal=ideal, seed=0),
                                 args.bank)
        cp = CimModel(qm, tf, cfg)
        cp.ranges = dict(cm.ranges)
        cp.use_converters(bank, column_maps(cp.column_layout(), len(bank), 0, 0))
        cp.predict(data.x[:2], rng=np.random.default_rng(0))
        lg, t = timed(lambda: cp.predict(data.x, rng=np.random.default_rng(0)))
        results[f"CIM DGCQ per-column (bank {len(bank)})"] = (t, top1(lg, data.y))

    conv = cm.conversions_per_image() * len(data)
    t_dgcq = results["CIM DGCQ"][0]
    for name, (t, acc) in results.items():
        row = dict(figure="nn_speed", **base, run=name, seconds=t, images_per_s=len(data) / t,
                   top1=acc)
        if name.startswith("CIM"):
            row["conversions_per_s"] = conv / t
        emit(**row)
    ratios = {"dgcq_over_float": t_dgcq / results["float"][0],
              "dgcq_noise_free_over_float": results["CIM DGCQ noise-free"][0] / results["float"][0]}
    pc = [k for k in results if "per-column" in k]
    if pc:
        ratios["per_column_over_shared"] = results[pc[0]][0] / t_dgcq
    if "CIM identity" in results:
        ti = results["CIM identity"][0]
        ratios.update(dgcq_over_identity=t_dgcq / ti,
                      dgcq_noise_free_over_identity=results["CIM DGCQ noise-free"][0] / ti,
                      identity_over_float=ti / results["float"][0])
    emit(figure="nn_speed_ratios", **base, **ratios, target_dgcq_over_identity=1.5, target_dgcq_over_float=3.0,
         target_per_column_over_shared=1.5,
         peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    OUT.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    names = list(results)
    ax.barh(names, [len(data) / results[n][0] for n in names], color="tab:blue")
    ax.set_xlabel("images / s (2-core machine)")
    ax.set_title(f"{args.model}, {len(data)} images, R={cfg.rows}, b_in={cfg.input_bits_per_cycle}, "
                 f"b_w={cfg.weight_bits_per_cell}, {cfg.signed}", fontsize=9)
    fig.tight_layout()
    fig.savefig(OUT / f"nn_speed_{args.model}.png", dpi=120)


if __name__ == "__main__":
    main()
