"""Accuracy of ResNet-20/18 on CIFAR-10 with simulated quantizers on every CIM partial sum.

One JSON line per figure; PNGs in benchmarks/out/.  Sections:
  main      float, int8 digital, ideal ADC 4/6/8/10/12 b, SAR 8/11 b, coarse-only 11 b, DGCQ
            3+8 (ideal and default parasitics), partial-sum ranges by max and by search
  sweep     accuracy vs ideal-ADC bits 2..8, with and without the range search
  vsquant   top-1 for W/A bits 3..8 x scale bits 4..8 (V = 16) vs plain per-channel
  shared    shared 8/4-bit weights (4-bit derived from the 8-bit codes), weight clip options
  acc       digital dot-product output kept to B bits: truncate / round / saturate
  resnet18  ResNet-18 on 1 000 images for the main rows

  python benchmarks/nn_accuracy.py --quick             # bundled 1 000 images, small tables
  python benchmarks/nn_accuracy.py                     # full 10 000 images (long)
  python benchmarks/nn_accuracy.py --tf-dir tfs/       # reuse/save characterized TFs
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nn_common import OUT, emit, transfer  # noqa: E402

from dgcq_sim.nn.cim import CimConfig, CimModel  # noqa: E402
from dgcq_sim.nn.data import load_calibration_set, load_test_set  # noqa: E402
from dgcq_sim.nn.forward import predict, top1  # noqa: E402
from dgcq_sim.nn.model import load_model  # noqa: E402
from dgcq_sim.nn.quant import collect_act_stats, quantize_model  # noqa: E402

SECTIONS = ("main", "sweep", "vsquant", "shared", "acc", "resnet18")
MAIN_TFS = ["ideal4", "ideal6", "ideal8", "ideal10", "ideal12", "sar8_ideal", "sar8_parasitic",
            "sar11_ideal", "sar11_parasitic", "coarse11_ideal", "coarse11_parasitic",
            "dgcq3+8_ideal", "dgcq3+8_parasitic"]


def cim_top1(qm, tf, data, calib, method, seed=0):
    cm = CimModel(qm, tf, CimConfig(range_method=method))
    cm.calibrate(calib.x)
    return top1(cm.predict(data.x, rng=np.random.default_rng(seed)), data.y)


def section_main(net, qm, data, calib, args, label):
    out = []
    f = top1(predict(net, data.x), data.y)
    i8 = top1(qm.predict(data.x), data.y)
    emit(figure="nn_accuracy", model=label, images=len(data), quantizer="float", top1=f)
    emit(figure="nn_accuracy", model=label, images=len(data), quantizer="int8 digital", top1=i8)
    names = args.tfs or MAIN_TFS
    for name in names:
        if "coarse" in name and not args.with_coarse and not (
                args.tf_dir and (Path(args.tf_dir) / f"{name}.npz").is_file()):
            emit(figure="nn_accuracy", model=label, quantizer=name, skipped=
                 "coarse-only 2048-iteration characterization takes many minutes here; "
                 "pass --with-coarse or a --tf-dir holding it")
            continue
        tf = transfer(name, args.tf_dir)
        for method in ("max", "search"):
            t0 = time.perf_counter()
            acc = cim_top1(qm, tf, data, calib, method)
            emit(figure="nn_accuracy", model=label, images=len(data), quantizer=name,
                 bits=int(tf.bits), noise=not tf.is_noise_free if hasattr(tf, "is_noise_free") else None,
                 range=method, top1=acc, drop_vs_int8=i8 - acc, seconds=time.perf_counter() - t0)
            out.append((name, int(tf.bits), method, acc))
    return f, i8, out


def section_sweep(qm, data, calib, args, f, i8):
    from dgcq_sim.transfer import TransferFunction
    curves = {"max": [], "search": []}
    bits = list(range(2, 9))
    for b in bits:
        for method in curves:
            acc = cim_top1(qm, TransferFunction.ideal(b, 0.0, 1.0), data, calib, method)
            curves[method].append(acc)
            emit(figure="nn_accuracy_vs_adc_bits", images=len(data), adc_bits=b, range=method, top1=acc)
    return bits, curves


def section_vsquant(qm, data, args):
    wa = range(3, 9)
    for b in wa:
        plain = top1(qm.with_config(weight_bits=b, act_bits=b).predict(data.x), data.y)
        row = {"per_channel": plain}
        for s in range(4, 9):
            row[f"S{s}"] = top1(qm.with_config(weight_bits=b, act_bits=b, vs_vector=16,
                                               vs_scale_bits=s).predict(data.x), data.y)
        emit(figure="vsquant_table", images=len(data), wa_bits=b, vector=16, **row)


def section_shared(qm, data):
    for clip in ("max", "percentile", "mse"):
        q8 = qm.with_config(weight_clip=clip)
        q4 = qm.with_config(weight_clip=clip, shared_4bit=True)
        emit(figure="shared_8_4_weights", images=len(data), weight_clip=clip,
             top1_8bit=top1(q8.predict(data.x), data.y), top1_4bit_derived=top1(q4.predict(data.x), data.y),
             top1_4bit_requantized=top1(qm.with_config(weight_bits=4, weight_clip=clip).predict(data.x), data.y))


def section_acc(qm, data):
    res = {}
    for mode in ("truncate", "round", "saturate"):
        res[mode] = []
        for b in range(10, 27, 2):
            acc = top1(qm.with_config(acc_bits=b, acc_mode=mode).predict(data.x), data.y)
            res[mode].append((b, acc))
            emit(figure="accumulator_bits", images=len(data), mode=mode, acc_bits=b, top1=acc)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="bundled 1 000 images; 300 for the tables")
    ap.add_argument("--images", type=int, default=None, help="override the ResNet-20 image count")
    ap.add_argument("--tf-dir", default=None, help="directory of <name>.npz TransferFunctions")
    ap.add_argument("--tfs", nargs="*", default=None, help=f"main-table quantizers (default {MAIN_TFS})")
    ap.add_argument("--sections", nargs="*", default=list(SECTIONS), choices=SECTIONS)
    ap.add_argument("--with-coarse", action="store_true", help="characterize coarse-only 2048 now")
    args = ap.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    n = args.images or (1000 if args.quick else 10000)
    data = load_test_set("full" if n > 1000 else "bundled").subset(n)
    small = data.subset(300) if args.quick else data.subset(1000)
    calib = load_calibration_set()
    net = load_model("resnet20")
    stats = collect_act_stats(net, calib.x)
    qm = quantize_model(net, None, stats=stats)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = i8 = None
    main_rows = []
    if "main" in args.sections:
        f, i8, main_rows = section_main(net, qm, data, calib, args, "resnet20")
    if "sweep" in args.sections:
        bits, curves = section_sweep(qm, data, calib, args, f, i8)
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for method, ys in curves.items():
            ax.plot(bits, [100 * y for y in ys], "o-", label=f"ideal ADC, range {method}")
        for name, b, method, acc in main_rows:
            if not name.startswith("ideal"):
                ax.plot([b], [100 * acc], "s" if method == "max" else "^",
                        label=f"{name} ({method})")
        if f is not None:
            ax.axhline(100 * f, color="k", ls="--", lw=0.8, label="float")
            ax.axhline(100 * i8, color="gray", ls=":", lw=0.8, label="int8 digital")
        ax.set_xlabel("ADC bits (nominal)")
        ax.set_ylabel("top-1 (%)")
        ax.set_title(f"ResNet-20, {len(data)} CIFAR-10 test images, R=128, 8b in, 8b cells", fontsize=9)
        ax.legend(fontsize=6, ncol=2)
        fig.tight_layout()
        fig.savefig(OUT / "nn_accuracy_vs_bits.png", dpi=120)
        plt.close(fig)
    if "vsquant" in args.sections:
        section_vsquant(qm, small, args)
    if "shared" in args.sections:
        section_shared(qm, small)
    if "acc" in args.sections:
        res = section_acc(qm, small)
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        for mode, pts in res.items():
            ax.plot([b for b, _ in pts], [100 * a for _, a in pts], "o-", label=mode)
        ax.set_xlabel("accumulator bits B")
        ax.set_ylabel("top-1 (%)")
        ax.set_title(f"ResNet-20 int8, {len(small)} images: dot-product output width", fontsize=9)
        ax.legend()
        fig.tight_layout()
        fig.savefig(OUT / "nn_accumulator_bits.png", dpi=120)
        plt.close(fig)
    if "resnet18" in args.sections:
        net18 = load_model("resnet18")
        d18 = load_test_set("bundled").subset(300 if args.quick else 1000)
        q18 = quantize_model(net18, calib.x)
        a18 = argparse.Namespace(**{**vars(args), "tfs": ["ideal8", "dgcq3+8_parasitic"]})
        section_main(net18, q18, d18, calib, a18, "resnet18")


if __name__ == "__main__":
    main()
