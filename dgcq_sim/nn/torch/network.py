"""``to_cim``: the user's own torch network with every Conv2d/Linear on CIM arrays.

Every ``Conv2d`` (any stride, padding, padding mode, dilation and groups) and ``Linear``
(on the last dimension of its input) of a copy of the module is replaced by a
:class:`~dgcq_sim.nn.torch.layers.QuantLayer` (the first and last stay digital int8 unless
``digital_first_last=False``); everything else — BatchNorm, ReLU,
pooling, residual adds in the module's own ``forward`` — runs unchanged in float.  Layers
with parameters that cannot be mapped (Conv1d/3d, transposed convolutions, recurrent
layers, attention, embeddings) raise a typed error naming the layer.
"""

from __future__ import annotations

from . import _require  # noqa: F401

import contextlib
import copy

import torch

from ...errors import InputError, ParameterError
from ..cim import CimConfig, row_blocks
from ..quant import QuantConfig, check_vsquant, check_weight_gain
from .layers import Context, QuantLayer, check_range_method
from .transfer import TorchTransfer, resolve_quantizer

#: Modules with parameters that run in float beside the quantized layers.
FLOAT_LAYERS = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.LayerNorm,
                torch.nn.GroupNorm, torch.nn.PReLU)
SUPPORTED = ("Conv2d (any stride, padding, dilation, groups) and Linear are mapped; "
             "BatchNorm/LayerNorm/GroupNorm/PReLU run in float; parameter-free modules "
             "(activations, pooling, dropout, flatten, containers) run unchanged")


def _check_supported(name: str, mod: torch.nn.Module) -> bool:
    """True for a layer to quantize; raise for one that cannot be mapped."""
    where = f"layer {name!r} ({type(mod).__name__})"
    if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
        return True
    if isinstance(mod, FLOAT_LAYERS):
        return False
    own = [n for n, _ in mod.named_parameters(recurse=False)]
    if own:
        raise InputError(f"{where} has parameters {own} and is not supported; {SUPPORTED}")
    return False


class CimModule(torch.nn.Module):
    """A network whose conv/fc layers are quantized (see :func:`to_cim`).

    ``calibrate(x)`` sets the activation scales (float pass over ``x``, largest |input| of
    every layer) and the partial-sum ranges (``cfg.calib_images`` strided inputs, one
    noise-free quantized pass, layer by layer in network order).  ``forward`` calibrates on
    its first batch if :meth:`calibrate` was never called.  Noise: :meth:`set_noise`.
    """

    def __init__(self, net: torch.nn.Module, ctx: Context, cfg: CimConfig, names: list,
                 tf=None):
        super().__init__()
        self.net, self.ctx, self.cfg, self.tf = net, ctx, cfg, tf
        self.layer_names = list(names)

    # ------------------------------------------------------------------ layers and state
    def quant_layers(self) -> dict:
        """{name: QuantLayer} in network order."""
        return {n: self.net.get_submodule(n) for n in self.layer_names}

    def analog_layers(self) -> list:
        return [n for n, L in self.quant_layers().items() if L.analog]

    @property
    def calibrated(self) -> bool:
        return all(L.has_act_range() and L.has_psum_range() for L in self.quant_layers().values())

    def quant_state(self) -> dict:
        """{layer: {"act_scale", "act_signed", "analog", "psum_range"[, "weight_gain"]}}
        (JSON-ready); the psum range includes a learned factor; ``weight_gain`` (a list, one
        per output column, or a list of such lists, one per array) where a layer has
        gains."""
        out = {}
        for n, L in self.quant_layers().items():
            out[n] = {"act_scale": float(L.act_scale), "act_signed": bool(L.act_signed),
                      "analog": bool(L.analog),
                      "psum_range": float(L.effective_range().detach()) if L.analog else None}
            if L.has_gains():
                out[n]["weight_gain"] = L.column_gains().detach().cpu().tolist()
        return out

    def load_quant_state(self, state: dict) -> None:
        """Set scales and ranges from :meth:`quant_state` output (or a subset: layers
        missing keep theirs; a learned range factor is folded into the range)."""
        layers = self.quant_layers()
        unknown = sorted(set(state) - set(layers))
        if unknown:
            raise InputError(f"quantization state names unknown layers {unknown[:5]}; "
                             f"layers are {self.layer_names[:5]}...")
        for n, st in state.items():
            L = layers[n]
            if not isinstance(st, dict):        # {layer: P}: a partial-sum range only
                st = {"psum_range": st}
            if "act_scale" in st:
                L.act_signed.fill_(bool(st.get("act_signed", False)))
                L.act_scale.fill_(_positive(f"{n}.act_scale", st["act_scale"]))
            if L.analog and st.get("psum_range") is not None:
                L.psum_range.fill_(_positive(f"{n}.psum_range", st["psum_range"]))
                with torch.no_grad():
                    L.range_log.zero_()
            if "weight_gain" in st:
                arrays = len(row_blocks(L.k, self.cfg)) if L.analog else None
                L.set_gains(check_weight_gain(st["weight_gain"], L.weight.shape[0],
                                              f"layer {n}", arrays=arrays))

    # ------------------------------------------------------------------ modes
    @contextlib.contextmanager
    def mode(self, mode: str):
        """Run the network in ``mode`` inside the block: ``"run"`` (quantized), ``"float"``
        (the unquantized network), ``"act_stats"``, ``"psum_calib"``."""
        old = self.ctx.mode
        self.ctx.mode = mode
        try:
            yield self
        finally:
            self.ctx.mode = old

    def set_noise(self, generator: torch.Generator | int | None) -> None:
        """Converter noise from ``generator`` (an int seeds a new CPU Generator); None:
        noise-free."""
        if isinstance(generator, bool):
            raise ParameterError("noise generator must be a torch.Generator, a seed or None")
        if isinstance(generator, int):
            if generator < 0:
                raise ParameterError(f"noise seed must be >= 0, got {generator}")
            generator = torch.Generator().manual_seed(generator)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise ParameterError(f"noise generator must be a torch.Generator, a seed or None, "
                                 f"got {type(generator).__name__}")
        self.ctx.generator = generator

    def set_weight_mode(self, weight_mode: str | None) -> None:
        """``None`` (the trained codes) or ``"shared4"`` (their 4-bit derivation)."""
        if weight_mode not in (None, "shared4"):
            raise ParameterError(f"weight_mode must be None or 'shared4', got {weight_mode!r}")
        self.ctx.weight_mode = weight_mode

    # ------------------------------------------------------------------ calibration
    def calibrate(self, x: torch.Tensor, batch: int = 256) -> dict:
        """Activation scales from all of ``x``, then partial-sum ranges from
        ``cfg.calib_images`` strided inputs of ``x``; returns :meth:`quant_state`."""
        if not isinstance(x, torch.Tensor) or x.ndim < 2 or x.shape[0] < 1:
            raise InputError("calibrate() needs a non-empty batch tensor of network inputs")
        layers = self.quant_layers()
        for L in layers.values():
            L._amax, L._amin = 0.0, 0.0
            L.psum_range.fill_(0.0)
            with torch.no_grad():
                L.range_log.zero_()
        with torch.no_grad(), self.mode("act_stats"):
            for s in range(0, x.shape[0], batch):
                self.net(x[s:s + batch])
        for L in layers.values():
            L.set_act_range(max(L._amax, -L._amin), L._amin < 0)
        n = min(x.shape[0], int(self.cfg.calib_images))
        idx = torch.linspace(0, x.shape[0] - 1, n, dtype=torch.float64).round().long()
        with torch.no_grad(), self.mode("psum_calib"):
            self.net(x[idx])
        return self.quant_state()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.ctx.mode == "run" and not self.calibrated:
            self.calibrate(x)
        return self.net(x)

    def trace_codes(self, x: torch.Tensor) -> dict:
        """{layer: activation codes} of one noise-free quantized pass (for checks)."""
        self.ctx.trace = {}
        try:
            with torch.no_grad():
                self.forward(x)
            return {k: v[0] for k, v in self.ctx.trace.items()}
        finally:
            self.ctx.trace = None


def _positive(what: str, v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {v!r}") from None
    if not (f > 0 and f < float("inf")):
        raise InputError(f"{what} must be a finite number > 0, got {v!r}")
    return f


def to_cim(module: torch.nn.Module, quantizer=None, *, rows: int = 128,
           row_split: str = "packed", mid_tread: bool = False,
           input_bits_per_cycle: int = 8, weight_bits_per_cell: int = 8,
           signed: str = "differential", ranges: dict | None = None,
           digital_first_last: bool = True, range_method: str = "max",
           calib_images: int = 64, zero_offset_cal: bool = True, weight_bits: int = 8,
           act_bits: int = 8, learn_ranges: bool = False, seed: int = 0,
           vsquant: tuple | None = None, learn_gains: bool | str = False) -> CimModule:
    """A copy of ``module`` with every Conv2d/Linear quantized and (but the first and last,
    unless ``digital_first_last=False``) computed on CIM arrays through ``quantizer``.

    quantizer: a TransferFunction, ``"ideal:B"``, a saved ``TF.npz``, a netlist path or a
        registered architecture name (characterized with ``seed``), or None (every layer
        digital int: for weight-only QAT).
    rows, row_split, mid_tread, input_bits_per_cycle, weight_bits_per_cell, signed, range_method,
        calib_images, zero_offset_cal: the CIM mapping of :class:`dgcq_sim.nn.cim.CimConfig` (range
        methods ``max`` and ``bound`` here).
    ranges: a :meth:`CimModule.quant_state` dict, or {layer: partial-sum range}; layers
        not given are calibrated (by ``calibrate(x)`` or on the first batch).
    learn_ranges: make every analog layer's partial-sum range trainable.
    learn_gains: make every analog layer's weight-scale gains trainable: True or
        ``"column"`` one per output column, ``"array"`` one per array and column
        (:meth:`QuantLayer.weight_codes`; the ``weight_gain`` of the record).
    vsquant: (V, S) VS-Quant per-vector S-bit scales over V reduction rows on every layer
        (seed 003; digital, so ``quantizer`` must be None), as ``QuantConfig(vs_vector=V,
        vs_scale_bits=S)`` of the numpy path.
    """
    if not isinstance(module, torch.nn.Module):
        raise InputError(f"to_cim needs a torch.nn.Module, got {type(module).__name__}")
    cfg = CimConfig(rows=rows, row_split=row_split, mid_tread=mid_tread,
                    input_bits_per_cycle=input_bits_per_cycle,
                    weight_bits_per_cell=weight_bits_per_cell, signed=signed,
                    digital_first_last=digital_first_last, range_method=range_method,
                    calib_images=calib_images, zero_offset_cal=zero_offset_cal)
    check_range_method(range_method)
    QuantConfig(weight_bits=weight_bits, act_bits=act_bits)          # 2..8 each
    if vsquant is not None:
        if quantizer is not None:
            raise ParameterError("VS-Quant is a digital option; it cannot be combined with a "
                                 "CIM quantizer (pass quantizer=None)")
        vsquant = check_vsquant(vsquant)
    tf = None if quantizer is None else resolve_quantizer(quantizer, seed)
    adc = None if tf is None else TorchTransfer(tf)
    net = copy.deepcopy(module)
    targets = [n for n, m in net.named_modules() if n and _check_supported(n, m)]
    if isinstance(net, (torch.nn.Conv2d, torch.nn.Linear)):
        raise InputError("to_cim needs a network containing layers, not a bare "
                         f"{type(net).__name__}; wrap it in torch.nn.Sequential")
    if not targets:
        raise InputError(f"module {type(module).__name__} has no Conv2d or Linear layer; "
                         f"{SUPPORTED}")
    ctx = Context()
    digital = {targets[0], targets[-1]} if digital_first_last else set()
    for name in targets:
        parent_name, _, attr = name.rpartition(".")
        parent = net.get_submodule(parent_name) if parent_name else net
        inner = getattr(parent, attr)
        q = QuantLayer(inner, name, ctx, cfg, analog=adc is not None and name not in digital,
                       adc=adc, weight_bits=weight_bits, act_bits=act_bits,
                       learn_ranges=learn_ranges, vsquant=vsquant, learn_gains=learn_gains)
        setattr(parent, attr, q)
    out = CimModule(net, ctx, cfg, targets, tf)
    if adc is not None:
        out.adc = adc              # registered once: buffers follow .to(device)
    if ranges:
        out.load_quant_state(ranges)
    return out
