"""ResNet-20 top-1 vs ideal partial-sum ADC bits (2..8): post-training quantization with the
largest-sum range and with the range search (seed 002), the search on balanced arrays
(``row_split="balanced"``) and on balanced mid-tread arrays (``mid_tread=True``: a half-LSB
offset puts the zero partial sum at a code centre), and the ADC-aware fine-tuned archives (``dgcq-sim train``)
evaluated with the mapping and ranges they were trained with.

One JSON line per point; a PNG and a JSON table in benchmarks/out/.

  python benchmarks/nn_finetune.py                       # bundled 1 000 test images
  python benchmarks/nn_finetune.py --data full           # the 10 000-image test set
  python benchmarks/nn_finetune.py --models resnet20-adc3 resnet20-adc2 /tmp/x.npz
  python benchmarks/nn_finetune.py --variants --models /tmp/x.npz   # one new column only

Rows of variants not run this time are kept in the JSON (and the PNG).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nn_common import OUT, emit, merge_rows  # noqa: E402

from dgcq_sim.nn.cim import CimConfig  # noqa: E402
from dgcq_sim.nn.evaluate import evaluate  # noqa: E402
from dgcq_sim.nn.model import bundled_models, resolve_model_path  # noqa: E402
from dgcq_sim.nn.record import read_record  # noqa: E402
from dgcq_sim.transfer import TransferFunction  # noqa: E402


PTQ_VARIANTS = {"ptq_max": CimConfig(range_method="max"),
                "ptq_search": CimConfig(range_method="search"),
                "ptq_search_balanced": CimConfig(range_method="search", row_split="balanced"),
                "ptq_search_balanced_mid_tread": CimConfig(range_method="search",
                                                           row_split="balanced", mid_tread=True)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="bundled")
    ap.add_argument("--images", type=int, default=None, help="strided subset of the test images")
    ap.add_argument("--bits", type=int, nargs="+", default=[2, 3, 4, 5, 6, 7, 8])
    ap.add_argument("--models", nargs="*", default=None,
                    help="fine-tuned archives (default: every bundled resnet20-* archive)")
    ap.add_argument("--variants", nargs="*", default=list(PTQ_VARIANTS),
                    choices=list(PTQ_VARIANTS), help="PTQ variants to run (default all)")
    args = ap.parse_args()
    models = args.models if args.models is not None else bundled_models()
    # digital QAT archives (shared 8/4-bit weights, VS-Quant) have no partial sums to convert
    models = [m for m in models if (read_record(resolve_model_path(m)) or {}).get("quantizer")]
    rows, t0 = [], time.perf_counter()
    for bits in args.bits:
        tf = TransferFunction.ideal(bits, 0.0, 1.0)
        for variant in args.variants:
            cim = PTQ_VARIANTS[variant]
            r = evaluate("resnet20", args.data, tf=tf, cim=cim, limit=args.images)
            rows.append({"variant": variant, "bits": bits, "top1": r["top1"],
                         "images": r["images"], "float_top1": r["float_top1"]})
            emit(figure="nn_top1_vs_adc_bits", **rows[-1])
        for m in models:
            rec = read_record(resolve_model_path(m))
            r = evaluate(m, args.data, tf=tf, record=rec, limit=args.images)
            rows.append({"variant": f"finetuned:{Path(m).stem}", "bits": bits,
                         "top1": r["top1"], "images": r["images"]})
            emit(figure="nn_top1_vs_adc_bits", **rows[-1])
    _plot(merge_rows("nn_finetune.json", rows, "variant"), OUT / "nn_finetune.png")
    emit(figure="nn_finetune_seconds", value=time.perf_counter() - t0)
    return 0


def _plot(rows, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for v in dict.fromkeys(r["variant"] for r in rows):
        pts = sorted((r["bits"], 100 * r["top1"]) for r in rows if r["variant"] == v)
        ax.plot(*zip(*pts), marker="o", label=v)
    fl = next((r["float_top1"] for r in rows if "float_top1" in r), None)
    if fl is not None:
        ax.axhline(100 * fl, color="k", ls="--", lw=0.8, label="float")
    ax.set_xlabel("ideal partial-sum ADC bits (128-row arrays, 8-bit inputs and cells)")
    ax.set_title("fine-tuned: each archive's own row split", fontsize=9)
    ax.set_ylabel("ResNet-20 top-1 (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    raise SystemExit(main())
