"""ADC-aware fine-tuning of a CIFAR ResNet: straight-through estimators through the weight,
activation and partial-sum quantizers (:mod:`.layers`), from the pretrained weights.

Recipe (defaults): AdamW (or SGD with Nesterov momentum 0.9) with weight decay 5e-4 on the
weights, learning rate ``lr`` with cosine decay to 0 over all steps (``schedule="constant"``:
held at ``lr``), batch 128, cross-entropy
plus ``distill`` x the KL divergence from the float network's predictions (``teacher``,
default the starting model; name the pretrained model when continuing from a fine-tuned
archive, whose own float pass is no teacher); random
crop 32x32 of the image zero-padded by 4 + random horizontal flip, fresh every epoch (the
pretrained models' augmentation, ``../shared/models/README.md``).  Learned partial-sum
ranges (``learn_ranges``) and weight-scale gains per column (``column_gains``) or per array
and column (``array_gains``; the record's ``weight_gain``) train with Adam at
``range_lr``.  BatchNorm is folded into the convolutions before training (fine-tuning from
converged statistics).  Shared 8/4-bit weights (seed 001): every step adds the loss of the
same network with the derived 4-bit codes, so one weight set serves both.  VS-Quant QAT
(seed 003, ``vsquant=(V, S)``, digital): every layer with per-vector S-bit integer scales
over V reduction rows, weights and activations.  Everything is seeded: same seed, same archive.

Stochastic weight averaging (``swa_every=N``): every N optimizer steps the trained
parameters (weights, biases, log ranges and log gains) join a uniform running average, and
the archives written hold that average instead of the last step's weights (the in-run form
of :mod:`dgcq_sim.nn.average`, with many more points of the trajectory; usually with
``schedule="constant"``).

The archive written (every epoch, atomically; with ``keep_epochs`` also ``OUT-epN.npz``
after epoch N, checkpoints for :mod:`dgcq_sim.nn.average`) is a plain model archive plus the ``cim``
record of :mod:`dgcq_sim.nn.record`; ``dgcq-sim nn-eval --model OUT`` evaluates it with
the scales and ranges it was trained with.
"""

from __future__ import annotations

from . import _require  # noqa: F401

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ...errors import InputError, ParameterError
from ...outputs import check_output_file
from ..data import Dataset, load_calibration_set, load_train_set
from ..forward import top1
from ..quant import QuantConfig, check_vsquant
from ..quantizer_spec import check_overrides, load_transfer
from ..record import make_record
from .network import to_cim
from .resnet import resnet_to_torch, save_archive


@dataclass
class TrainConfig:
    """What ``dgcq-sim train`` does (see the module docstring)."""

    model: str = "resnet20"
    quantizer: str | None = "ideal:3"
    params: dict = field(default_factory=dict)   # a netlist quantizer's .param overrides
    ideal: bool = False                          # ... and every non-ideality off
    out: str = "model-ft.npz"
    keep_epochs: bool = False                    # also write OUT-epN.npz after epoch N
    rows: int = 128
    row_split: str = "packed"
    mid_tread: bool = False
    input_bits_per_cycle: int = 8
    weight_bits_per_cell: int = 8
    signed: str = "differential"
    epochs: int = 1
    limit: int | None = None
    holdout: int = 0                             # strided training images kept out, scored
    batch: int = 128
    lr: float = 1e-3
    schedule: str = "cosine"                     # "cosine" (decay to 0) or "constant"
    swa_every: int = 0                           # >0: archives hold the SWA of every Nth step
    range_lr: float = 0.01
    weight_decay: float = 5e-4
    learn_ranges: bool = True
    column_gains: bool = False
    array_gains: bool = False                    # gains per array and column (implies column_gains)
    optimizer: str = "adam"
    distill: float = 1.0
    teacher: str | None = None
    init_ranges: str = "search"
    weights_shared: tuple | None = None
    vsquant: tuple | None = None
    weight_bits: int = 8
    act_bits: int = 8
    seed: int = 0
    calib: str = "bundled"
    data: str | None = None
    threads: int | None = None
    progress: bool = True

    def check(self) -> None:
        for name, lo in (("epochs", 1), ("batch", 1), ("rows", 16)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ParameterError(f"{name} must be an integer >= {lo}, got {v!r}")
        if self.limit is not None and (isinstance(self.limit, bool) or
                                       not isinstance(self.limit, int) or self.limit < 1):
            raise ParameterError(f"limit must be an integer >= 1 (images), got {self.limit!r}")
        if isinstance(self.holdout, bool) or not isinstance(self.holdout, int) or self.holdout < 0:
            raise ParameterError(f"holdout must be an integer >= 0 (images), got {self.holdout!r}")
        for name in ("lr", "range_lr", "weight_decay"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0 or v > 10:
                raise ParameterError(f"{name} must be a number in [0, 10], got {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ParameterError(f"seed must be an integer >= 0, got {self.seed!r}")
        if self.schedule not in ("cosine", "constant"):
            raise ParameterError(f"schedule must be 'cosine' or 'constant', got "
                                 f"{self.schedule!r}")
        if (isinstance(self.swa_every, bool) or not isinstance(self.swa_every, int)
                or self.swa_every < 0):
            raise ParameterError(f"swa_every must be an integer >= 0 (optimizer steps; 0 = "
                                 f"no weight averaging), got {self.swa_every!r}")
        if self.optimizer not in ("adam", "sgd"):
            raise ParameterError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if not isinstance(self.distill, (int, float)) or not 0 <= self.distill <= 100:
            raise ParameterError(f"distill must be a weight in [0, 100], got {self.distill!r}")
        if self.init_ranges not in ("search", "max"):
            raise ParameterError(f"init_ranges must be 'search' or 'max', got {self.init_ranges!r}")
        QuantConfig(weight_bits=self.weight_bits, act_bits=self.act_bits)   # 2..8 each
        if not isinstance(self.params, dict) or not isinstance(self.ideal, bool):
            raise ParameterError(f"params must be a mapping NAME -> value and ideal a bool, "
                                 f"got {self.params!r}, {self.ideal!r}")
        check_overrides(self.quantizer, self.params, self.ideal)
        if self.weights_shared and self.weight_bits != 8:
            raise ParameterError(f"weights_shared derives 4-bit codes from 8-bit ones; "
                                 f"weight_bits must be 8, got {self.weight_bits}")
        if self.vsquant is not None:
            if self.quantizer is not None or self.weights_shared:
                raise ParameterError("vsquant (VS-Quant QAT, digital) needs quantizer None and "
                                     "no weights_shared")
            check_vsquant(self.vsquant)
        if (self.column_gains or self.array_gains) and (self.quantizer is None
                                                         or self.weights_shared):
            raise ParameterError("column_gains and array_gains scale the weight codes of CIM "
                                 "layers: they need a quantizer and no weights_shared")
        if self.weights_shared not in (None, (8, 4)):
            raise ParameterError(f"weights_shared must be (8, 4) (seed 001's shared 8- and "
                                 f"4-bit weights), got {self.weights_shared!r}")


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random 32x32 crop of the zero-padded (by 4) uint8 NHWC batch + random h-flip."""
    n = x.shape[0]
    pad = torch.nn.functional.pad(x, (0, 0, 4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,), generator=gen)
    dx = torch.randint(0, 9, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    ar = torch.arange(32)
    rows = (dy[:, None] + ar[None, :])                      # (n, 32)
    cols = (dx[:, None] + ar[None, :])
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    bi = torch.arange(n)[:, None, None]
    return pad[bi, rows[:, :, None], cols[:, None, :]]


def _normalizer(mean, std):
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)

    def norm(x_uint8_nhwc: torch.Tensor) -> torch.Tensor:
        x = x_uint8_nhwc.permute(0, 3, 1, 2).float() * np.float32(1 / 255)
        return (x - m) / s
    return norm


def search_ranges(model: str, net, calib: Dataset, record: dict | None = None) -> dict:
    """Starting partial-sum ranges: the numpy path's exhaustive range search (seed 002,
    ``range_method="search"``) on the calibration images, layer by layer; {layer: P}.
    With a fine-tuned archive's ``record`` the search runs on its activation scales (the
    network's own float pass is no calibration source)."""
    from ..cim import CimModel
    from ..model import load_model
    from ..quant import QuantConfig, collect_act_stats, quantize_model
    from ..record import apply_record
    numpy_net = load_model(model)
    qm = quantize_model(numpy_net, None, QuantConfig(), stats=collect_act_stats(numpy_net, calib.x))
    if record is not None:
        apply_record(qm, record, model)
    cm = CimModel(qm, net.tf, replace(net.cfg, range_method="search"))
    return cm.calibrate(calib.x)


def _kl(logits: torch.Tensor, teacher_log_p: torch.Tensor) -> torch.Tensor:
    """KL(teacher || student) per image: distillation from the float network."""
    return torch.nn.functional.kl_div(torch.log_softmax(logits, dim=1), teacher_log_p,
                                      log_target=True, reduction="batchmean")


def _resume_state(cfg: TrainConfig, net) -> tuple[dict | None, bool]:
    """The ``cim`` record a fine-tuned ``cfg.model`` archive was trained with (activation
    scales, partial-sum ranges), or None for a model without a record; and whether its
    ranges must be searched again.  Its float pass is no calibration source (the weights
    live in the quantized regime), so training continues from the record.  The bits,
    VS-Quant vectors and mapping must be this run's, but for the array geometry and the
    converter's zero point (``rows``, ``row_split``, ``mid_tread``): with other ones the
    partial sums or the levels move, so the ranges are searched again on the record's
    activation scales.  The quantizer may differ (e.g. from
    an ideal ADC on to the circuit's transfer function: the trained ranges are the starting
    ranges)."""
    from ..model import resolve_model_path
    from ..record import read_record, remapped_fields
    rec = read_record(resolve_model_path(cfg.model))
    if rec is None:
        return None, False
    if (rec["quantizer"] is None) != (cfg.quantizer is None):
        raise ParameterError(f"model {cfg.model!r} was fine-tuned "
                             f"{'digital' if rec['quantizer'] is None else 'on CIM arrays'}; "
                             f"continue it the same way (quantizer {rec['quantizer']!r} in "
                             f"its record, {cfg.quantizer!r} here)")
    want = {"vsquant": list(cfg.vsquant) if cfg.vsquant else None,
            "weight_bits": cfg.weight_bits, "act_bits": cfg.act_bits}
    have = {"vsquant": rec.get("vsquant"),
            "weight_bits": rec.get("weight_bits", 8), "act_bits": rec.get("act_bits", 8)}
    diff = {k: (have[k], want[k]) for k in want if have[k] != want[k]}
    if diff:
        raise ParameterError(f"model {cfg.model!r} was fine-tuned with a different setup; "
                             f"continue it with the same one (record vs this run: {diff})")
    return rec, bool(remapped_fields(rec, net.cfg, f"model {cfg.model!r}"))


class Trainer:
    """The pieces of one fine-tuning run: the starting float network ``base``, the float
    ``teacher`` (``base`` unless ``cfg.teacher`` names another), the quantized ``net``
    (calibrated, ranges initialized), the optimizers and :meth:`step`."""

    def __init__(self, cfg: TrainConfig, total_steps: int):
        self.cfg = cfg
        calib = load_calibration_set(cfg.calib)
        self.base = resnet_to_torch(cfg.model)
        self.teacher = resnet_to_torch(cfg.teacher) if cfg.teacher else self.base
        if (self.teacher.mean, self.teacher.std) != (self.base.mean, self.base.std):
            raise ParameterError(f"teacher {cfg.teacher!r} normalizes its input with mean/std "
                                 f"{self.teacher.mean}/{self.teacher.std}, the model with "
                                 f"{self.base.mean}/{self.base.std}; they must agree")
        self.net = to_cim(self.base, load_transfer(cfg.quantizer, cfg.params, cfg.ideal,
                                                   cfg.seed), rows=cfg.rows,
                          row_split=cfg.row_split, mid_tread=cfg.mid_tread,
                          input_bits_per_cycle=cfg.input_bits_per_cycle,
                          weight_bits_per_cell=cfg.weight_bits_per_cell, signed=cfg.signed,
                          learn_ranges=cfg.learn_ranges and cfg.quantizer is not None,
                          seed=cfg.seed, vsquant=cfg.vsquant, weight_bits=cfg.weight_bits,
                          act_bits=cfg.act_bits,
                          learn_gains="array" if cfg.array_gains else cfg.column_gains)
        self.norm = _normalizer(self.base.mean, self.base.std)
        rec, remapped = _resume_state(cfg, self.net)
        if rec is not None:                    # continue a fine-tuned archive
            self.net.load_quant_state(rec["layers"])
            if remapped and cfg.quantizer is not None:
                self.net.load_quant_state(search_ranges(cfg.model, self.net, calib, rec))
        else:
            self.net.calibrate(self.norm(torch.from_numpy(calib.x)))
            if cfg.quantizer is not None and cfg.init_ranges == "search":
                self.net.load_quant_state(search_ranges(cfg.model, self.net, calib))
        named = list(self.net.named_parameters())
        quant_params = ("range_log", "gain_log")     # ranges and column gains: Adam at range_lr
        weights = [p for n, p in named if not n.endswith(quant_params)]
        ranges = [p for n, p in named if n.endswith(quant_params) and p.requires_grad]
        if cfg.optimizer == "sgd":
            self.opt = torch.optim.SGD(weights, lr=cfg.lr, momentum=0.9, nesterov=True,
                                       weight_decay=cfg.weight_decay)
        else:
            self.opt = torch.optim.AdamW(weights, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.opt_r = torch.optim.Adam(ranges, lr=cfg.range_lr) if ranges else None
        total = max(1, int(total_steps))
        factor = ((lambda s: 1.0) if cfg.schedule == "constant" else
                  (lambda s: 0.5 * (1 + np.cos(np.pi * min(s, total) / total))))
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, factor)
        # SWA: a copy of the network whose parameters are the running mean of the trained
        # ones (buffers, the calibrated scales, are fixed during training and stay as copied)
        self.swa = (torch.optim.swa_utils.AveragedModel(self.net, use_buffers=False)
                    if cfg.swa_every else None)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.steps = 0

    def loss(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(training loss, logits) of a normalized batch: cross-entropy (+ distillation from
        the float network, + the shared 4-bit weights' loss)."""
        cfg, net = self.cfg, self.net
        logits = net(xb)
        loss = self.loss_fn(logits, yb)
        teacher = None
        if cfg.distill:
            with torch.no_grad():
                teacher = torch.log_softmax(self.teacher(xb), dim=1)
            loss = loss + cfg.distill * _kl(logits, teacher)
        if cfg.weights_shared:
            net.set_weight_mode("shared4")
            try:
                l4 = net(xb)
                loss = loss + self.loss_fn(l4, yb)
                if teacher is not None:
                    loss = loss + cfg.distill * _kl(l4, teacher)
            finally:
                net.set_weight_mode(None)
        return loss, logits

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[float, torch.Tensor]:
        """One optimizer step on a normalized batch; returns (loss, logits)."""
        self.net.train()
        loss, logits = self.loss(xb, yb)
        if not torch.isfinite(loss):
            raise InputError(f"training diverged at step {self.steps} (loss {float(loss)}); "
                             f"lower --lr (now {self.cfg.lr})")
        self.opt.zero_grad(set_to_none=True)
        if self.opt_r:
            self.opt_r.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if self.opt_r:
            self.opt_r.step()
        self.sched.step()
        self.steps += 1
        if self.swa is not None and self.steps % self.cfg.swa_every == 0:
            self.swa.update_parameters(self.net)
        return float(loss.detach()), logits.detach()

    def written(self):
        """The network the archives hold: the weight average with ``swa_every``, else the
        network being trained."""
        return self.swa.module if self.swa is not None else self.net


def scored_top1(tr: Trainer, data: Dataset, batch: int = 250) -> float:
    """Top-1 of the network the archives hold on ``data`` (no augmentation, no gradients:
    the exact mode, the numpy path's codes)."""
    net = tr.written()
    net.eval()
    with torch.no_grad():
        logits = [net(tr.norm(torch.from_numpy(data.x[s:s + batch]))).cpu().numpy()
                  for s in range(0, len(data), batch)]
    return top1(np.concatenate(logits), data.y)


def epoch_path(out: Path, epoch: int) -> Path:
    """Where ``keep_epochs`` writes the archive after ``epoch``: ``OUT-epN.npz``."""
    return out.with_name(f"{out.stem}-ep{epoch}{out.suffix or '.npz'}")


def train(cfg: TrainConfig, train_set: Dataset | None = None) -> dict:
    """Fine-tune ``cfg.model`` through ``cfg.quantizer``; write ``cfg.out`` every epoch.

    Returns {"out", "epochs", "steps", "images" (trained on), "holdout_images", "seconds",
    "history": [{"epoch", "loss", "train_top1", "holdout_top1" (with ``cfg.holdout``),
    "swa_snapshots" (with ``cfg.swa_every``), "seconds"}], "record", "transfer": the
    TransferFunction trained through or None}.
    ``cfg.holdout`` images (strided, after ``limit``) are kept out of training and scored
    after every epoch: select checkpoints on them, not on the test set.
    """
    cfg.check()
    out = check_output_file(cfg.out, "out")
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))
    torch.manual_seed(cfg.seed)
    ds = train_set if train_set is not None else load_train_set(cfg.data, cfg.limit)
    if cfg.limit is not None and train_set is not None:
        ds = ds.subset(cfg.limit)
    held = None
    if cfg.holdout:
        ds, held = ds.holdout(cfg.holdout)
    per_epoch = -(-len(ds) // cfg.batch)
    if cfg.swa_every > per_epoch:
        raise ParameterError(f"swa_every {cfg.swa_every} exceeds the {per_epoch} optimizer "
                             f"steps of one epoch ({len(ds)} images, batch {cfg.batch}): the "
                             f"first archive would hold no average")
    tr = Trainer(cfg, per_epoch * cfg.epochs)
    if cfg.threads:     # again: numba's OpenMP launch in the range search resets the count
        torch.set_num_threads(int(cfg.threads))
    gen = torch.Generator().manual_seed(cfg.seed)
    xs, ys = torch.from_numpy(ds.x), torch.from_numpy(ds.y)
    t0, history, record = time.perf_counter(), [], None
    for epoch in range(cfg.epochs):
        perm = torch.randperm(len(ds), generator=gen)
        bar = tqdm(total=len(ds), desc=f"train {epoch + 1}/{cfg.epochs}", unit="img",
                   disable=not cfg.progress, leave=False)
        loss_sum, correct, seen = 0.0, 0, 0
        for s in range(0, len(ds), cfg.batch):
            idx = perm[s:s + cfg.batch]
            yb = ys[idx]
            loss, logits = tr.step(tr.norm(augment(xs[idx], gen)), yb)
            n = int(yb.shape[0])
            loss_sum += loss * n
            correct += int((logits.argmax(1) == yb).sum())
            seen += n
            bar.update(n)
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", top1=f"{correct / seen:.3f}")
        bar.close()
        row = {"epoch": epoch + 1, "loss": loss_sum / seen, "train_top1": correct / seen}
        if tr.swa is not None:
            row["swa_snapshots"] = int(tr.swa.n_averaged)
        if held is not None:
            row["holdout_top1"] = scored_top1(tr, held)
        history.append({**row, "seconds": time.perf_counter() - t0})
        net = tr.written()
        record = make_record(cfg.quantizer, net.cfg, net.quant_state(),
                             weight_bits=cfg.weight_bits, act_bits=cfg.act_bits,
                             weights_shared=cfg.weights_shared, vsquant=cfg.vsquant,
                             params=cfg.params, ideal=cfg.ideal)
        info = {k: v for k, v in asdict(cfg).items() if k != "progress"}
        train_info = {"config": info, "history": history, "torch": torch.__version__}
        save_archive(net, out, record, train_info=train_info)
        if cfg.keep_epochs:     # checkpoints to average (dgcq-sim nn-average)
            save_archive(net, epoch_path(out, epoch + 1), record, train_info=train_info)
    return {"out": str(out), "epochs": cfg.epochs, "steps": tr.steps,
            "images": len(ds), "holdout_images": 0 if held is None else len(held),
            "seconds": time.perf_counter() - t0, "history": history,
            "record": record, "transfer": tr.net.tf}
