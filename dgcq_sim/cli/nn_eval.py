"""``dgcq-sim nn-eval``: CIFAR-10 top-1 of a ResNet with a quantizer on every CIM partial sum."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "CIFAR-10 accuracy of ResNet-20/18 with a quantizer on every CIM partial sum"
DESCRIPTION = """\
Run a CIFAR ResNet (numpy, BN folded) quantized to int8 (per-channel weights, calibrated
activations) and mapped onto compute-in-memory arrays of R rows; every array's partial sum is
converted by the chosen quantizer's transfer function and recombined by shift-and-add.
Prints float, digital-int8 and the mapped top-1.

--quantizer:
  (none)       digital integer network only (with --weights-bits / --vsquant options)
  ideal:BITS   ideal uniform ADC of BITS bits (1..24)
  NAME|PATH    a quantizer netlist (bundled: dgcq, sar, coarse), characterized once
               with --param overrides (e.g. --param NC=3 --param NF=8)
  FILE.npz     a saved TransferFunction (TransferFunction.save)

Examples:
  dgcq-sim nn-eval --quantizer ideal:6 --range search --limit 200
  dgcq-sim nn-eval --quantizer dgcq --param NC=3 --param NF=8 --json
"""


def register(subparsers) -> None:
    """Add the ``nn-eval`` subcommand."""
    p = subparsers.add_parser("nn-eval", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet20", metavar="resnet20|resnet18|PATH",
                   help="bundled ResNet-20 (default), ResNet-18 from ../shared/models, or an "
                        ".npz in the layout of docs/nn.md")
    p.add_argument("--data", default="bundled", metavar="bundled|full|PATH",
                   help="test images: bundled 1000-image subset (default), 'full' "
                        "(../shared/data/cifar10_test.npz) or an .npz with x (N,32,32,3) uint8, y")
    p.add_argument("--calib", default="bundled", metavar="bundled|full|PATH",
                   help="calibration images (default: bundled 500 training images)")
    p.add_argument("--quantizer", default=None, metavar="ideal:BITS|NETLIST|TF.npz",
                   help="converter of every partial sum (default: none, digital network)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="netlist parameter override (repeatable; SI value)")
    p.add_argument("--ideal", action="store_true",
                   help="with a netlist quantizer: turn every non-ideality off")
    p.add_argument("--rows", type=int, default=128, metavar="R", help="rows per CIM array (16..1024, default 128)")
    p.add_argument("--input-bits-per-cycle", type=int, default=8, metavar="N",
                   help="input bits applied per cycle (1..8, default 8: one cycle)")
    p.add_argument("--weight-bits-per-cell", type=int, default=8, metavar="N",
                   help="weight bits per cell (1..8, default 8: one cell)")
    p.add_argument("--signed", default="differential", choices=("differential", "pos-neg", "offset"),
                   help="signed-weight scheme (default differential bit-line pair)")
    p.add_argument("--all-analog", action="store_true",
                   help="map the first conv and the fc too (default: digital)")
    p.add_argument("--range", default="max", choices=("max", "percentile", "search", "bound"),
                   help="per-layer partial-sum range (default max on calibration images)")
    p.add_argument("--weights-bits", type=int, default=8, choices=(8, 4),
                   help="8, or 4 derived from the 8-bit codes (shared weights)")
    p.add_argument("--vsquant", default=None, metavar="V/S",
                   help="VS-Quant: vector length V and scale bits S (digital only), e.g. 16/4")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="use N strided images")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the converter noise")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.set_defaults(func=run)


def load_transfer(spec: str | None, params: dict, ideal: bool, seed: int):
    """TransferFunction from a --quantizer spec (lazy imports: the simulator only if needed)."""
    import numpy as np

    from ..errors import ParameterError
    if spec is None:
        return None
    from ..transfer import TransferFunction
    if spec.startswith("ideal:"):
        try:
            bits = int(spec.split(":", 1)[1])
        except ValueError:
            raise ParameterError(f"--quantizer ideal:BITS needs an integer, got {spec!r}") from None
        return TransferFunction.ideal(bits, 0.0, 1.0)
    if spec.endswith(".npz"):
        return TransferFunction.load(spec)
    from ..quantizers import load_quantizer
    q = load_quantizer(spec, params=params or None, ideal=ideal, seed=seed)
    return q.characterize(rng=np.random.default_rng(seed))


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the result (text or --json); errors propagate as DgcqError."""
    from ..errors import ParameterError
    from ..netlist import parse_param_assignments
    from ..nn.cim import CimConfig
    from ..nn.evaluate import evaluate
    from ..nn.quant import QuantConfig

    vs = {}
    if args.vsquant:
        try:
            v, s = (int(t) for t in args.vsquant.split("/"))
        except ValueError:
            raise ParameterError(f"--vsquant expects V/S integers, e.g. 16/4, got {args.vsquant!r}") from None
        vs = {"vs_vector": v, "vs_scale_bits": s}
    if args.limit is not None and args.limit < 1:
        raise ParameterError(f"--limit must be >= 1, got {args.limit}")
    quant = QuantConfig(shared_4bit=args.weights_bits == 4, **vs)
    cim = CimConfig(rows=args.rows, input_bits_per_cycle=args.input_bits_per_cycle,
                    weight_bits_per_cell=args.weight_bits_per_cell, signed=args.signed,
                    digital_first_last=not args.all_analog, range_method=args.range)
    model = args.model
    if model not in ("resnet20", "resnet18") and not Path(model).is_file():
        from ..errors import ModelFileError
        raise ModelFileError(f"--model {model!r}: no such file (or use resnet20 / resnet18)")
    tf = load_transfer(args.quantizer, parse_param_assignments(args.param), args.ideal, args.seed)
    res = evaluate(model, args.data, tf=tf, quant=quant, cim=cim, limit=args.limit,
                   seed=args.seed, calib=args.calib, progress=not args.no_progress)
    if args.json:
        keys = ("top1", "float_top1", "int8_top1", "images", "seconds")
        extra = {k: res[k] for k in ("conversions_per_image",) if k in res}
        print(json.dumps({**{k: res[k] for k in keys}, **extra}))
    else:
        print(f"model {model}, {res['images']} images, quantizer {args.quantizer or 'digital'}")
        print(f"  float top-1   {100 * res['float_top1']:.2f} %")
        print(f"  int8  top-1   {100 * res['int8_top1']:.2f} %")
        print(f"  this  top-1   {100 * res['top1']:.2f} %")
        if "conversions_per_image" in res:
            print(f"  ADC conversions per image {res['conversions_per_image']}")
        print(f"  {res['seconds']:.1f} s")
    sys.stdout.flush()
    return 0
