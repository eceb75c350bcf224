"""``dgcq-sim train``: ADC-aware fine-tuning of a CIFAR ResNet (needs the ``train`` extra)."""

from __future__ import annotations

import argparse
import json

from ._common import (add_mapping_arguments, add_quantizer_overrides, mapping_options,
                      nonneg_int, parse_vsquant, positive_int, quantizer_params)

DESCRIPTION = """\
Fine-tune a pretrained CIFAR ResNet with every CIM partial sum through a quantizer
(straight-through estimators; learned per-layer partial-sum ranges, started from the range
search), on the CIFAR-10 training split (../shared/data/cifar10_train_jpeg.npz), with random
crop + flip.  Writes --out every epoch: a model archive with a 'cim' record of the mapping,
activation scales and ranges it was trained with; `dgcq-sim nn-eval --model OUT` uses them.
Needs PyTorch: pip install 'dgcq-sim[train]'.

quantizer:
  ideal:BITS   ideal uniform ADC of BITS bits
  NETLIST      a quantizer netlist or registered architecture (characterized, noise on;
               --param NAME=VALUE overrides, --ideal; both go into the record)
  TF.npz       a saved transfer function
  none         no CIM quantizer: every layer digital int8 (with --weights-shared 8,4
               or --vsquant V/S)
"""

EPILOG = """\
examples (the bundled archives' own recipes are in docs/nn.md):
  dgcq-sim train --quantizer ideal:3 --row-split balanced --epochs 1 --out adc3.npz
  dgcq-sim train --model resnet20-adc3 --teacher resnet20 --quantizer dgcq --param NC=2 \\
                 --param NF=2 --param CU=8f --row-split balanced --lr 5e-4 --epochs 1 \\
                 --out dgcq22-cu8.npz
  dgcq-sim train --quantizer ideal:3 --row-split balanced --mid-tread --lr 1e-4 --epochs 2 \\
                 --out adc3-mt.npz
  dgcq-sim train --model resnet20-adc3-mt --teacher resnet20 --quantizer dgcq --param NC=2 \\
                 --param NF=2 --param CU=8f --lr 1e-4 --out dgcq22-cu8-mt.npz
                 (the mapping options default to the model's record: its arrays)
  dgcq-sim train --model resnet20-adc3 --teacher resnet20 --quantizer ideal:3 \\
                 --array-gains --lr 2e-5 --schedule constant --swa 25 --epochs 2 \\
                 --out adc3-swa.npz
  dgcq-sim train --quantizer none --weights-shared 8,4 --epochs 1 --out w84.npz
  dgcq-sim train --quantizer none --vsquant 16/4 --epochs 1 --lr 5e-5 --out resnet20-vs.npz
  dgcq-sim nn-eval --model adc3.npz --data full
"""


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= v <= 10:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 10], got {text!r}")
    return v


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="ADC-aware fine-tuning of a ResNet (PyTorch)",
                              description=DESCRIPTION, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet20", metavar="resnet20|resnet18|PATH",
                   help="pretrained model to start from (default resnet20): a name, an "
                        ".npz archive or a CIFAR ResNet state_dict .pt/.pth")
    p.add_argument("--quantizer", required=True, metavar="ideal:BITS|NETLIST|TF.npz|none")
    p.add_argument("--out", required=True, metavar="MODEL.npz", help="archive to write")
    add_quantizer_overrides(p)
    add_mapping_arguments(p)
    p.add_argument("--epochs", type=positive_int, default=1, metavar="E")
    p.add_argument("--limit", type=positive_int, default=None, metavar="N",
                   help="train on N strided training images (default all 50 000)")
    p.add_argument("--batch", type=positive_int, default=128, metavar="B")
    p.add_argument("--lr", type=_positive_float, default=1e-3,
                   help="peak learning rate (cosine decay to 0 unless --schedule constant; "
                        "default 1e-3)")
    p.add_argument("--schedule", default="cosine", choices=("cosine", "constant"),
                   help="learning-rate schedule: cosine decay to 0 over all steps (default) "
                        "or held at --lr (the usual one with --swa)")
    p.add_argument("--swa", type=nonneg_int, default=0, metavar="N",
                   help="stochastic weight averaging: every N optimizer steps the weights, "
                        "ranges and gains join a uniform running average, and --out (and "
                        "OUT-epN) hold that average (default 0: the last step's weights)")
    p.add_argument("--optimizer", default="adam", choices=("adam", "sgd"),
                   help="AdamW (default) or SGD with Nesterov momentum 0.9")
    p.add_argument("--distill", type=_positive_float, default=1.0, metavar="W",
                   help="weight of the KL distillation from the float network (0 = off)")
    p.add_argument("--teacher", default=None, metavar="resnet20|resnet18|PATH",
                   help="float network to distill from (default: --model; give the "
                        "pretrained model when --model is an archive fine-tuned before)")
    p.add_argument("--range-lr", type=_positive_float, default=0.01,
                   help="Adam learning rate of the log partial-sum ranges")
    p.add_argument("--fixed-ranges", action="store_true",
                   help="keep the partial-sum ranges at their calibrated values")
    p.add_argument("--keep-epochs", action="store_true",
                   help="also write OUT-epN.npz after epoch N (checkpoints to average with "
                        "`dgcq-sim nn-average`)")
    p.add_argument("--column-gains", action="store_true",
                   help="learn a weight-scale gain per output column of every CIM layer: its "
                        "codes spread or narrow so its partial sums use the converter's range "
                        "(stored in the archive's record as weight_gain)")
    p.add_argument("--array-gains", action="store_true",
                   help="learn the weight-scale gain per array and output column instead "
                        "(each array of a column its own converter gain, taken back in the "
                        "digital recombination; column gains of a resumed archive seed "
                        "every array)")
    p.add_argument("--init-ranges", default="search", choices=("search", "max"),
                   help="starting ranges: the numpy range search (default) or the largest sum")
    p.add_argument("--weights-shared", default=None, metavar="8,4",
                   help="one weight set for 8- and 4-bit inference (seed 001): adds the loss "
                        "of the derived 4-bit codes every step")
    p.add_argument("--weight-bits", type=positive_int, default=8, metavar="B",
                   help="bits of the per-channel weight codes (2..8, default 8)")
    p.add_argument("--act-bits", type=positive_int, default=8, metavar="B",
                   help="bits of the activation codes (2..8, default 8)")
    p.add_argument("--vsquant", default=None, metavar="V/S",
                   help="VS-Quant QAT (seed 003; with --quantizer none): per-vector S-bit "
                        "scales over V reduction rows on every layer, e.g. 16/4")
    p.add_argument("--holdout", type=nonneg_int, default=0, metavar="N",
                   help="keep N strided training images (after --limit) out of training and "
                        "report their top-1 after every epoch (holdout_top1): choose "
                        "checkpoints on them, not on the test set (default 0)")
    p.add_argument("--data", default=None, metavar="TRAIN.npz",
                   help="training split (default ../shared/data/cifar10_train_jpeg.npz)")
    p.add_argument("--calib", default="bundled", metavar="bundled|full|PATH")
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the data order, augmentation and converter noise")
    p.add_argument("--threads", type=positive_int, default=None, help="torch threads")
    p.add_argument("--eval-limit", type=positive_int, default=1000, metavar="N",
                   help="evaluate the written archive on N bundled test images (numpy path)")
    p.add_argument("--no-eval", action="store_true", help="skip that evaluation")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ParameterError
    from ..nn.data import train_data_path
    from ..outputs import check_output_file

    shared = None
    if args.weights_shared is not None:
        if args.weights_shared.replace(" ", "") != "8,4":
            raise ParameterError(f"--weights-shared supports 8,4 (seed 001), got "
                                 f"{args.weights_shared!r}")
        shared = (8, 4)
    quantizer = None if args.quantizer.lower() == "none" else args.quantizer
    params = quantizer_params(args)
    vsquant = parse_vsquant(args.vsquant)
    if vsquant is not None and (quantizer is not None or shared is not None):
        raise ParameterError("--vsquant trains a digital VS-Quant network: use it with "
                             "--quantizer none and without --weights-shared")
    out = check_output_file(args.out, "--out")
    if not str(out).endswith(".npz"):
        raise ParameterError(f"--out {args.out!r} must end in .npz")
    data = train_data_path(args.data)          # checked before any work
    from ..nn.model import resolve_model_path
    from ..nn.record import read_record
    mapping = mapping_options(args, read_record(resolve_model_path(args.model)))
    from ..nn.torch.train import TrainConfig, train   # torch only from here on
    cfg = TrainConfig(model=args.model, quantizer=quantizer, params=params,
                      ideal=bool(args.ideal), out=str(out), **mapping,
                      epochs=args.epochs, limit=args.limit, holdout=args.holdout, batch=args.batch, lr=args.lr,
                      range_lr=args.range_lr, schedule=args.schedule, swa_every=args.swa,
                      optimizer=args.optimizer, distill=args.distill, teacher=args.teacher,
                      learn_ranges=not args.fixed_ranges, column_gains=args.column_gains,
                      array_gains=args.array_gains,
                      keep_epochs=args.keep_epochs,
                      init_ranges=args.init_ranges, weights_shared=shared, vsquant=vsquant,
                      weight_bits=args.weight_bits, act_bits=args.act_bits, seed=args.seed,
                      calib=args.calib, data=str(data), threads=args.threads,
                      progress=not args.no_progress)
    res = train(cfg)
    summary = {k: res[k] for k in ("out", "epochs", "steps", "images", "holdout_images",
                                   "seconds", "history")}
    if not args.no_eval:
        from ..nn.evaluate import evaluate
        rec = read_record(out)
        ev = evaluate(str(out), "bundled", tf=res["transfer"], limit=args.eval_limit,
                      seed=args.seed, calib=args.calib, record=rec,
                      progress=not args.no_progress)
        summary["eval"] = {"images": ev["images"], "top1": ev["top1"],
                           "int8_top1_recalibrated": ev["int8_top1"]}
    if args.json:
        print(json.dumps(summary))
    else:
        h = res["history"][-1]
        print(f"wrote {res['out']}: {res['epochs']} epoch(s), {res['steps']} steps on "
              f"{res['images']} images in {res['seconds']:.0f} s; last epoch loss "
              f"{h['loss']:.4f}, train top-1 {100 * h['train_top1']:.2f} %")
        for row in res["history"] if res["holdout_images"] else ():
            print(f"  epoch {row['epoch']}: top-1 on the {res['holdout_images']} held-out "
                  f"training images {100 * row['holdout_top1']:.2f} %")
        if "eval" in summary:
            print(f"  test top-1 on {summary['eval']['images']} bundled images: "
                  f"{100 * summary['eval']['top1']:.2f} %  (nn-eval --model {res['out']})")
    return 0
