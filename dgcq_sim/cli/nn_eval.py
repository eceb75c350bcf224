"""``dgcq-sim nn-eval``: CIFAR-10 top-1 of a ResNet with a quantizer on every CIM partial sum."""

from __future__ import annotations

import argparse
import json
import sys

from ..nn.quantizer_spec import (check_overrides, load_transfer, netlist_quantizer,
                                 quantizer_kind)
from ._common import (add_images_argument, add_mapping_arguments, add_quantizer_overrides,
                      fmt_num, mapping_options, nonneg_int, parse_vsquant)

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

Per-column converters (netlist quantizers): --per-column gives every column of every
array its own Monte Carlo instance (frozen mismatch KC and comparator offsets SIGMA_VOS),
drawn from a bank of --bank K characterized instances (default 64, cached as one .npz per
design under --cache DIR); the column -> instance map of chip c depends on (--seed, c)
only.  --chips K evaluates K chips; JSON top1 is then {mean, p5, p95, per_chip}.

Energy per image (JSON energy_per_image_j, adc_energy_fraction): conversions x the
quantizer's cost-model energy per conversion + digital shift-and-add, requantization and
the digital layers (docs/nn.md lists the per-operation energies); unknown (null) for
ideal:BITS and saved transfer functions, which carry no hardware description.

Examples:
  dgcq-sim nn-eval --quantizer ideal:6 --range search --images 200
  dgcq-sim nn-eval --quantizer dgcq --param NC=3 --param NF=8 --json
  dgcq-sim nn-eval --quantizer dgcq --param NC=3 --param NF=8 --chips 10 --json
"""


def register(subparsers) -> None:
    """Add the ``nn-eval`` subcommand."""
    p = subparsers.add_parser("nn-eval", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet20", metavar="resnet20|resnet18|PATH",
                   help="bundled ResNet-20 (default), ResNet-18 from ../shared/models, a "
                        "bundled fine-tuned archive by name, an .npz in the layout of "
                        "docs/nn.md, or a CIFAR ResNet state_dict .pt/.pth (needs torch)")
    p.add_argument("--data", default="bundled", metavar="bundled|full|holdout:N|PATH",
                   help="test images: bundled 1000-image subset (default), 'full' "
                        "(../shared/data/cifar10_test.npz), 'holdout:N' (the N training "
                        "images `train --holdout N` keeps out: choose checkpoints on them) "
                        "or an .npz with x (N,32,32,3) uint8, y")
    p.add_argument("--calib", default="bundled", metavar="bundled|full|PATH",
                   help="calibration images (default: bundled 500 training images)")
    p.add_argument("--quantizer", default=None, metavar="ideal:BITS|NETLIST|TF.npz",
                   help="converter of every partial sum (default: none, digital network)")
    add_quantizer_overrides(p)
    add_mapping_arguments(p)
    p.add_argument("--all-analog", action="store_true",
                   help="map the first conv and the fc too (default: digital)")
    p.add_argument("--range", default="max", choices=("max", "percentile", "search", "bound"),
                   help="per-layer partial-sum range (default max on calibration images)")
    p.add_argument("--weights-bits", type=int, default=8, choices=(8, 4),
                   help="8, or 4 derived from the 8-bit codes (shared weights)")
    p.add_argument("--vsquant", default=None, metavar="V/S",
                   help="VS-Quant: vector length V and scale bits S (digital only), e.g. 16/4")
    add_images_argument(p, old="--limit",
                        help="use N strided test images (>= 1; default all); the same "
                             "option as demo --images")
    p.add_argument("--seed", type=nonneg_int, default=0, metavar="S",
                   help="seed of the converter noise and of a netlist's mismatch (>= 0)")
    p.add_argument("--per-column", action="store_true",
                   help="one converter instance per column (frozen mismatch and offsets), "
                        "drawn from a bank of characterized instances (netlist quantizers)")
    p.add_argument("--bank", type=int, default=None, metavar="K",
                   help="instances in the bank (>= 1, default 64; cached, see --cache)")
    p.add_argument("--chips", type=int, default=None, metavar="K",
                   help="Monte Carlo over K chips (each its own column -> instance map); "
                        "top1 becomes {mean, p5, p95, per_chip}; implies --per-column")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="bank cache directory (default $DGCQ_SIM_CACHE or ~/.cache/dgcq_sim)")
    p.add_argument("--recalibrate", action="store_true",
                   help="a fine-tuned archive (dgcq-sim train) carries the CIM mapping, "
                        "activation scales and partial-sum ranges it was trained with, and "
                        "the quantizer (used when --quantizer is not given); they are used "
                        "unless this flag asks for a fresh calibration")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the result (text or --json); errors propagate as DgcqError.

    Every argument and file is checked before the network or the simulator runs: option
    values, --param syntax (and that the quantizer takes parameters), the model, test and
    calibration files; only then is a netlist quantizer characterized.
    """
    import dataclasses

    from ..errors import ParameterError
    from ..netlist import parse_param_assignments
    from ..nn.cim import CimConfig
    from ..nn.data import load_calibration_set, load_test_set
    from ..nn.evaluate import evaluate
    from ..nn.model import load_model, resolve_model_path
    from ..nn.quant import QuantConfig

    from ..nn.record import read_record
    model_path = resolve_model_path(args.model)
    record = None if args.recalibrate else read_record(model_path)
    vs_pair = parse_vsquant(args.vsquant)
    if vs_pair is None and record is not None and record.get("vsquant"):
        vs_pair = tuple(record["vsquant"])                      # as it was trained
    vs = {} if vs_pair is None else {"vs_vector": vs_pair[0], "vs_scale_bits": vs_pair[1]}
    quant = QuantConfig(shared_4bit=args.weights_bits == 4, **vs)
    cim = CimConfig(**mapping_options(args, record), digital_first_last=not args.all_analog,
                    range_method=args.range)
    params = parse_param_assignments(args.param)
    if record is not None and args.quantizer is None and record["quantizer"] is not None:
        args.quantizer = record["quantizer"]            # as it was trained
        if not params and not args.ideal:
            params, args.ideal = dict(record["params"]), record["ideal"]
    kind = quantizer_kind(args.quantizer)
    if record is not None and kind != "digital":
        from ..nn.record import remapped_fields
        remapped_fields(record, cim)                   # a fixed field asked otherwise: refused
    per_column = bool(args.per_column or args.chips is not None or args.bank is not None)
    from ..nn.chips import DEFAULT_BANK, check_count
    if args.chips is not None:
        check_count("--chips", args.chips)
    if args.bank is not None:
        check_count("--bank", args.bank)
    if per_column and kind != "netlist":
        raise ParameterError(f"--per-column/--bank/--chips need a netlist quantizer (its "
                             f"Monte Carlo instances are characterized), got "
                             f"{'no --quantizer' if kind == 'digital' else args.quantizer}")
    check_overrides(args.quantizer, params, args.ideal)
    if kind != "digital" and (quant.vs_vector is not None or quant.acc_bits is not None):
        raise ParameterError("--vsquant is a digital option; it cannot be combined with "
                             "--quantizer")
    net = load_model(model_path)
    test = load_test_set(args.data).subset(args.images)
    calib = load_calibration_set(args.calib)
    tf, bank, e_conv, q = None, None, None, None
    if kind == "netlist":
        import numpy as np

        from ..cost import estimate
        q = netlist_quantizer(args.quantizer, params, args.ideal, args.seed)
        from ..errors import DgcqError
        try:
            e_conv = float(estimate(q.hardware()).energy_j)
        except DgcqError:      # a netlist without declared resources: energy unknown
            e_conv = None
        tf = q.characterize(rng=np.random.default_rng(args.seed))
        if per_column:
            from ..nn.chips import characterize_bank
            bank = characterize_bank(q, args.bank or DEFAULT_BANK, cache_dir=args.cache,
                                     progress=not args.no_progress)
    else:
        tf = load_transfer(args.quantizer, params, args.ideal, args.seed)
    res = evaluate(net, test, tf=tf, quant=quant, cim=cim, seed=args.seed, calib=calib,
                   progress=not args.no_progress, bank=bank, chips=args.chips,
                   energy_per_conversion=e_conv, record=record)
    cim = res.get("cim", cim)                          # the mapping it ran on
    if args.json:
        keys = ("top1", "float_top1", "int8_top1", "images", "seconds")
        extra = {k: res[k] for k in ("conversions_per_image", "energy_per_image_j",
                                     "adc_energy_fraction", "energy_per_conversion_j",
                                     "energy_digital_j", "energy_breakdown_j",
                                     "energy_assumptions_j", "energy_note", "bank",
                                     "converters_per_chip", "chips",
                                     "ranges_recalibrated") if k in res}
        if tf is not None:
            extra["per_column"] = per_column
        out = {**{k: res[k] for k in keys}, **extra,
               "model": args.model, "model_path": str(model_path), "data": str(args.data),
               "calib": str(args.calib), "images_requested": args.images, "seed": args.seed,
               "quantizer": args.quantizer or "digital", "quantizer_kind": kind,
               "params": params, "ideal": bool(args.ideal),
               "quant": {"weights_bits": args.weights_bits,
                         "vsquant": None if vs_pair is None else "/".join(map(str, vs_pair))},
               "cim": dataclasses.asdict(cim) if tf is not None else None,
               "trained_record": record is not None}
        if tf is not None:
            out["transfer"] = {"bits": tf.bits, "n_codes": tf.n_codes, "vmin": tf.vmin,
                               "vmax": tf.vmax, "noise_free": bool(tf.is_noise_free)}
            out["ranges"] = {k: float(v) for k, v in res.get("ranges", {}).items()}
        print(json.dumps(out))
    else:
        print(f"model {args.model}, {res['images']} images, quantizer "
              f"{args.quantizer or 'digital'}"
              + (" (" + ", ".join(f"{k}={fmt_num(v)}" for k, v in params.items()) + ")"
                 if params else ""))
        if tf is not None:
            print(f"  CIM mapping: {cim.rows} rows ({cim.row_split}"
                  f"{', mid-tread' if cim.mid_tread else ''}), "
                  f"{cim.input_bits_per_cycle} input bit(s)/cycle, "
                  f"{cim.weight_bits_per_cell} weight bit(s)/cell, "
                  f"{cim.signed}, range "
                  f"{'from the record' if record and 'ranges_recalibrated' not in res else cim.range_method}"
                  f"{'' if cim.digital_first_last else ', first/last layers analog too'}")
        print(f"  float top-1   {100 * res['float_top1']:.2f} %")
        print(f"  int8  top-1   {100 * res['int8_top1']:.2f} %")
        t1 = res["top1"]
        if isinstance(t1, dict):
            print(f"  this  top-1   mean {100 * t1['mean']:.2f} %, p5 {100 * t1['p5']:.2f} %, "
                  f"p95 {100 * t1['p95']:.2f} % over {len(t1['per_chip'])} chips "
                  f"(bank of {res['bank']} instances)")
        else:
            print(f"  this  top-1   {100 * t1:.2f} %"
                  + (f" (per-column, bank of {res['bank']})" if "bank" in res else ""))
        if "conversions_per_image" in res:
            print(f"  ADC conversions per image {res['conversions_per_image']}")
        if "energy_digital_j" in res:
            if res.get("energy_per_image_j") is None:
                print(f"  energy per image: unknown (no hardware description for the ADC; "
                      f"digital periphery {res['energy_digital_j'] * 1e9:.3g} nJ)")
            else:
                print(f"  energy per image {res['energy_per_image_j'] * 1e9:.3g} nJ "
                      f"(ADC {100 * res['adc_energy_fraction']:.1f} %)")
        print(f"  {res['seconds']:.1f} s")
    sys.stdout.flush()
    return 0
