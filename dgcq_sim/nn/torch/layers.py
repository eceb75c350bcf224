"""Quantized Conv2d / Linear for torch: int weights per channel, int activations per tensor,
digital (exact integer MACs) or on CIM arrays with every partial sum through a converter.

The arithmetic is the numpy path's (:mod:`dgcq_sim.nn.quant`, :mod:`dgcq_sim.nn.cim`), step
for step, so the same weights, scales and ranges give the same codes:

* activation codes ``clip(rint(x * float32(1/a_scale)), lo, qmax)``, ``a_scale = clip/qmax``;
* weight codes per output channel ``clip(round(w / s), -qmax, qmax)``, ``s = max|w|/qmax``
  in float64 (optionally the shared 4-bit codes ``round(w8/16)`` of seed 001);
* reduction rows in im2col order (kh, kw, Cin), cut into arrays of ``rows`` rows; input and
  weight bit slices, the signed scheme, and the plane order row block > input slice >
  weight slice as :func:`dgcq_sim.nn.cim._iter_planes`; all-zero slices skipped likewise;
* per plane: ``v = p*k + v0`` -> converter -> ``acc += (vh - v0)*(f/k) - f*e0`` (float64 when
  gradients are off, the exact mode; float32 while training);
* VS-Quant (seed 003, digital layers only): per-vector integer scales over ``V``
  consecutive reduction rows as :func:`dgcq_sim.nn.quant._quantize_weights_vs` and
  :func:`dgcq_sim.nn.quant.vs_quantize_input`, the activations in im2col order.

Backward: straight-through estimators — rounding passes gradients unchanged inside the
clipping range and none outside; the converter passes ``d vh / d v = 1`` inside its input
range and 0 outside (clipped partial sums); bit slices share the gradient of the value they
slice.  With learned ranges the partial-sum range of each layer is ``P0 * exp(r)`` with a
trainable ``r`` (seed 001's trainable range; the LSQ-style gradient follows from the
straight-through converter).
"""

from __future__ import annotations

from . import _require  # noqa: F401

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import InputError
from ..cim import largest_block, psum_bound, row_blocks, zero_volts
from ..quant import EXACT_F32


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Round half to even (like ``np.rint``), gradient 1."""
    return x + (torch.round(x) - x).detach()


def derive_4bit_ste(w8: torch.Tensor) -> torch.Tensor:
    """Shared 4-bit codes from 8-bit ones (:func:`dgcq_sim.nn.quant.derive_4bit`): rounding
    shift by 4, half away from zero, clipped to +-7; gradient of ``w8/16``."""
    exact = torch.clamp(torch.sign(w8) * torch.floor((w8.abs() + 8) / 16), -7, 7)
    return w8 / 16 + (exact - w8 / 16).detach()


def _nbits(q: int) -> int:
    return int(q).bit_length()


class Context:
    """State shared by every quantized layer of one network.

    mode: ``"run"`` (quantized), ``"float"`` (plain float layers), ``"act_stats"`` (float,
    recording every input's range), ``"psum_calib"`` (quantized, noise-free, choosing the
    missing partial-sum ranges). generator: the noise source (None: noise-free).
    weight_mode: ``None`` or ``"shared4"`` (run the 8-bit codes at 4 bits).
    """

    def __init__(self):
        self.mode = "run"
        self.generator: torch.Generator | None = None
        self.weight_mode: str | None = None
        self.trace: dict | None = None      # layer name -> list of codes (tests)


def conv_geometry(conv: torch.nn.Conv2d) -> tuple:
    """(padding given to ``F.conv2d``, explicit ``F.pad`` widths or None, ``F.pad`` mode) that
    reproduce ``conv``'s own padding: symmetric zero padding stays in the convolution;
    ``padding='same'`` with an even effective kernel (PyTorch puts the odd pixel at the
    right/bottom) and the reflect/replicate/circular modes are applied to the input first,
    which is exact (the padded pixels are quantized like any other input)."""
    kh, kw = conv.kernel_size
    if isinstance(conv.padding, str):
        if conv.padding == "valid":
            pads = ((0, 0), (0, 0))
        else:                                   # "same": total d*(k-1), the odd one after
            tot = [d * (k - 1) for d, k in zip(conv.dilation, (kh, kw))]
            pads = tuple((t // 2, t - t // 2) for t in tot)
    else:
        pads = tuple((p, p) for p in conv.padding)
    symmetric = all(lo == hi for lo, hi in pads)
    if conv.padding_mode == "zeros" and symmetric:
        return tuple(lo for lo, _ in pads), None, "constant"
    mode = "constant" if conv.padding_mode == "zeros" else conv.padding_mode
    return (0, 0), (pads[1][0], pads[1][1], pads[0][0], pads[0][1]), mode


class QuantLayer(torch.nn.Module):
    """A Conv2d (any stride, padding, dilation and groups) or Linear, quantized.

    A grouped convolution maps every output column onto the arrays of its own group's
    ``Cin/groups * kh * kw`` rows (a depthwise convolution: kh*kw rows per column).

    The original module's ``weight`` and ``bias`` parameters are taken over (same names, so
    a state_dict keeps its keys). ``analog``: on CIM arrays through ``adc``, else digital.
    """

    def __init__(self, inner, name: str, ctx: Context, cim, analog: bool, adc,
                 weight_bits: int = 8, act_bits: int = 8, learn_ranges: bool = False,
                 vsquant: tuple | None = None, learn_gains: bool = False):
        super().__init__()
        if vsquant is not None and analog:
            raise InputError(f"layer {name}: VS-Quant layers are digital; they are not "
                             f"mapped to CIM arrays")
        if vsquant is not None and getattr(inner, "groups", 1) != 1:
            raise InputError(f"layer {name}: VS-Quant of a grouped convolution (groups="
                             f"{inner.groups}) is not supported")
        #: (vector length V, largest integer vector scale 2**S - 1) or None
        self.vs = None if vsquant is None else (int(vsquant[0]), 2 ** int(vsquant[1]) - 1)
        self.name, self.ctx, self.cim, self.analog, self.adc = name, ctx, cim, analog, adc
        self.is_conv = isinstance(inner, torch.nn.Conv2d)
        self.weight = inner.weight
        self.bias = inner.bias
        if self.is_conv:
            self.kernel, self.stride = inner.kernel_size, inner.stride
            self.dilation, self.groups = inner.dilation, inner.groups
            self.padding, self.pre_pad, self.pad_mode = conv_geometry(inner)
        self.weight_bits, self.act_bits = int(weight_bits), int(act_bits)
        self.w_qmax = 2 ** (self.weight_bits - 1) - 1
        self.register_buffer("act_scale", torch.zeros((), dtype=torch.float64))
        self.register_buffer("act_signed", torch.zeros((), dtype=torch.bool))
        self.register_buffer("psum_range", torch.zeros((), dtype=torch.float64))
        self.range_log = torch.nn.Parameter(torch.zeros(()), requires_grad=bool(learn_ranges))
        # weight-scale gain g = gain_ref * exp(gain_log) per output column (Cout,) or, with
        # learn_gains="array", per array and column (arrays, Cout): codes
        # round(w/(g*wmax/qmax)) (see weight_codes); learned on analog layers only.
        # gain_ref (float64) holds given gains exactly: a record's gains are the numpy
        # path's, bit for bit, until training moves gain_log off 0
        if learn_gains not in (False, True, "column", "array"):
            raise InputError(f"learn_gains must be False, True/'column' or 'array', got "
                             f"{learn_gains!r}")
        cout = inner.weight.shape[0]
        shape = ((len(row_blocks(inner.weight[0].numel(), cim)), cout)
                 if learn_gains == "array" and analog else (cout,))
        self.gain_log = torch.nn.Parameter(torch.zeros(shape),
                                           requires_grad=bool(learn_gains) and analog)
        self.register_buffer("gain_ref", torch.ones(shape, dtype=torch.float64))
        self._amax, self._amin = 0.0, 0.0

    # ------------------------------------------------------------------ quantization state
    @property
    def a_qmax(self) -> int:
        return 2 ** (self.act_bits - 1) - 1 if bool(self.act_signed) else 2 ** self.act_bits - 1

    @property
    def a_scale(self) -> float:
        """Activation value per code (float64, as ``QLayer.a_scale``)."""
        return float(self.act_scale)

    @property
    def k(self) -> int:
        return int(self.weight[0].numel())

    def has_act_range(self) -> bool:
        return float(self.act_scale) > 0

    def has_psum_range(self) -> bool:
        return not self.analog or float(self.psum_range) > 0

    def set_act_range(self, clip: float, signed: bool) -> None:
        """Codes span ``[-clip, clip]`` (signed input) or ``[0, clip]``: ``a_scale =
        clip/qmax`` (VS-Quant: ``clip/(qmax*smax)``, the float scale under the integer
        vector scales) as :func:`dgcq_sim.nn.quant.quantize_model` computes it."""
        self.act_signed.fill_(bool(signed))
        per = self.a_qmax * (self.vs[1] if self.vs else 1)
        self.act_scale.fill_((float(clip) if clip > 0 else 1.0) / per)

    # ------------------------------------------------------------------ pieces
    def column_gains(self) -> torch.Tensor:
        """Weight-scale gains float64, (Cout,) per output column or (arrays, Cout) per array
        and column (1: codes span the column's largest weight)."""
        return self.gain_ref * torch.exp(self.gain_log.double())

    def array_gains(self) -> bool:
        """Whether the gains are per array and column (2-D ``gain_log``)."""
        return self.gain_log.ndim == 2

    def set_gains(self, gains) -> None:
        """Set the gains from a (Cout,) or (arrays, Cout) float64 array (of
        :func:`dgcq_sim.nn.quant.check_weight_gain`): column gains on a layer with per-array
        gains are copied to every array; per-array gains make the layer's gains per array
        (a new ``gain_log`` keeping ``requires_grad``: set them before building an
        optimizer)."""
        ref = torch.as_tensor(np.asarray(gains, np.float64))
        if ref.ndim == 2 and not self.analog:
            raise InputError(f"layer {self.name}: per-array gains belong to analog layers")
        if ref.ndim == 1 and self.array_gains():
            ref = ref.expand(self.gain_log.shape[0], -1)
        dev = self.gain_log.device
        with torch.no_grad():
            if ref.shape != self.gain_log.shape:
                self.gain_log = torch.nn.Parameter(torch.zeros(ref.shape, device=dev),
                                                   requires_grad=self.gain_log.requires_grad)
            self.gain_log.zero_()
            self.gain_ref = ref.to(dev, torch.float64).clone()

    def has_gains(self) -> bool:
        return (bool(self.gain_log.requires_grad) or bool((self.gain_log.detach() != 0).any())
                or bool((self.gain_ref != 1).any()))

    def weight_codes(self) -> tuple[torch.Tensor, torch.Tensor, int]:
        """(integer codes float64 in the weight's own layout with STE, per-output-channel
        scale (Cout,) float64, qmax).

        Scale ``g * wmax / qmax`` with the column gain g (:func:`dgcq_sim.nn.quant.
        weight_gain_scale`): g < 1 spreads a column's codes (its partial sums fill more of
        the converter's range, its largest weights clip at qmax), g > 1 narrows them.  The
        gain is learned through both the codes and the output scale, which gives it the
        learned-step-size gradient of a per-column converter range (the quantization error
        ``est - p`` of every conversion)."""
        w = self.weight.double()
        qmax = self.w_qmax
        wmax = w.detach().abs().reshape(w.shape[0], -1).amax(dim=1)
        base = torch.where(wmax > 0, wmax, torch.ones_like(wmax)) / qmax
        if self.array_gains():
            # per-array gains: every weight at its array's gain (masks are one-hot over the
            # arrays, so the sum is exact); the arrays' sums are scaled back in
            # cim_accumulate, the output scale is the plain per-channel one
            g = torch.einsum("bc,b...->c...", self.column_gains(),
                             self.block_masks().to(w.device, torch.float64))
            codes = torch.clamp(round_ste(w / (_per_channel(base, w) * g)), -qmax, qmax)
            scale = base
        else:
            # gains 1 (gain_log 0) multiply exactly: no branch, no device sync in the hot path
            scale = base * self.column_gains()
            codes = torch.clamp(round_ste(w / _per_channel(scale, w)), -qmax, qmax)
        if self.ctx.weight_mode == "shared4":
            if self.has_gains():
                raise InputError(f"layer {self.name}: column gains and shared 4-bit weights "
                                 f"do not combine")
            if self.weight_bits != 8:
                raise InputError(f"layer {self.name}: shared 4-bit weights derive from 8-bit "
                                 f"codes, weight_bits is {self.weight_bits}")
            return derive_4bit_ste(codes), scale * 16.0, 7
        return codes, scale, qmax

    def act_codes(self, x: torch.Tensor) -> torch.Tensor:
        lo = -self.a_qmax if bool(self.act_signed) else 0
        inv = torch.tensor(1.0 / self.a_scale, dtype=torch.float32, device=x.device)
        return torch.clamp(round_ste(x.float() * inv), lo, self.a_qmax)

    def _mac(self, a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Integer MACs of codes ``a`` with weight codes ``w`` (own layout, possibly
        stacked along the output channels); exact: integers below 2**24 in float32."""
        if self.is_conv:
            return F.conv2d(a, w, None, self.stride, self.padding, self.dilation, self.groups)
        return F.linear(a, w)

    def _row_sums(self, a: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """``sum(a)`` over the reduction rows selected by ``rows`` (weight shape[1:], 0/1)
        per output: (N, Cout, ...) for a grouped convolution (each column sums its own
        group's inputs), else (N, 1, ...), which broadcasts over the columns."""
        g = self.groups if self.is_conv else 1
        s = self._mac(a, rows.to(a.dtype).expand(g, *rows.shape))
        return s if g == 1 else s.repeat_interleave(self.weight.shape[0] // g, dim=1)

    def padded(self, x: torch.Tensor) -> torch.Tensor:
        """The input with the padding that the convolution itself does not do."""
        if not self.is_conv or self.pre_pad is None:
            return x
        # reflect mirrors inside the image (pad < size); circular wraps once (pad <= size)
        limit = {"reflect": 0, "circular": 1}.get(self.pad_mode)
        if limit is not None:
            (left, right, top, bottom), (h, w) = self.pre_pad, x.shape[-2:]
            if max(left, right) >= w + limit or max(top, bottom) >= h + limit:
                raise InputError(f"layer {self.name}: {self.pad_mode} padding {self.pre_pad} "
                                 f"(left, right, top, bottom) does not fit a {h}x{w} input: it "
                                 f"must be {'below' if limit == 0 else 'at most'} the size")
        return F.pad(x, self.pre_pad, mode=self.pad_mode)

    def _output(self, acc: torch.Tensor, scale: torch.Tensor, exact: bool):
        """Rescale the integer accumulator (N, Cout, ...) and add the bias."""
        s = _per_channel(self.a_scale * scale, acc, dim=1)
        y = (acc.double() * s).float() if exact else acc * s.float()
        if self.bias is not None:
            y = y + _per_channel(self.bias, y, dim=1)
        return y

    def float_forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.is_conv:
            return F.conv2d(self.padded(x), self.weight, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)
        return F.linear(x, self.weight, self.bias)

    # ------------------------------------------------------------------ forward
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mode = self.ctx.mode
        if mode == "float":
            return self.float_forward(x)
        if mode == "act_stats":
            xd = x.detach()
            self._amax = max(self._amax, float(xd.max()))
            self._amin = min(self._amin, float(xd.min()))
            return self.float_forward(x)
        # the CIM arithmetic runs on a batch (N, features) / (N, C, H, W): a Linear's leading
        # dimensions (tokens, time steps) and an unbatched input are folded into N and back
        lead = self._batch_shape(x)
        if lead is not None:
            y = self.forward(x.reshape(-1, *x.shape[len(lead):]))
            return y.reshape(*lead, *y.shape[1:])
        if not self.has_act_range():
            raise InputError(f"layer {self.name}: no activation range: call calibrate()")
        if not bool(torch.isfinite(x.detach()).all()):
            raise InputError(f"layer {self.name}: non-finite inputs (inf/NaN activations)")
        x = self.padded(x)
        exact = not torch.is_grad_enabled()
        if self.vs is not None:
            return self.vs_forward(x, exact)
        a = self.act_codes(x)
        w_int, w_scale, w_qmax = self.weight_codes()
        # exact integer sums: the whole reduction (digital) or one array's rows (CIM)
        rows = largest_block(self.k, self.cim) if self.analog else self.k
        bound = rows * self.a_qmax * w_qmax
        mm = torch.float32 if bound < EXACT_F32 else torch.float64
        if not self.analog:
            acc = self._mac(a.to(mm), w_int.to(mm))
        else:
            acc = self.cim_accumulate(a.to(mm), w_int, w_qmax, mm, exact)
        if self.ctx.trace is not None:
            self.ctx.trace.setdefault(self.name, []).append(a.detach())
        return self._output(acc, w_scale, exact)

    def _batch_shape(self, x: torch.Tensor) -> tuple | None:
        """The leading shape to fold into one batch dimension, or None where ``x`` is
        already (N, in_features) / (N, C, H, W); a wrong rank is a typed error."""
        want = 3 if self.is_conv else 1            # dimensions after the batch one
        if x.ndim == want + 1:
            return None
        if x.ndim == want or (not self.is_conv and x.ndim > want + 1):
            return tuple(x.shape[:x.ndim - want])
        takes = "(N, C, H, W) or (C, H, W)" if self.is_conv else "(..., in_features)"
        raise InputError(f"layer {self.name}: input of shape {tuple(x.shape)}; a "
                         f"{'Conv2d' if self.is_conv else 'Linear'} takes {takes}")

    # ------------------------------------------------------------------ VS-Quant
    def im2col(self, x: torch.Tensor) -> torch.Tensor:
        """(rows, K) reduction matrix of the layer input, columns in im2col order
        (kh, kw, Cin) as :func:`dgcq_sim.nn.forward.layer_input_matrix`."""
        if not self.is_conv:
            return x.reshape(x.shape[0], -1)
        cin, kh, kw = self.weight.shape[1:]
        cols = F.unfold(x, (kh, kw), dilation=self.dilation, padding=self.padding,
                        stride=self.stride)                                 # (N, C*kh*kw, L)
        n, _, n_loc = cols.shape
        return cols.reshape(n, cin, kh * kw, n_loc).permute(0, 3, 2, 1).reshape(n * n_loc, -1)

    def vs_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(K, Cout) weight codes times their integer vector scales (STE), and the
        per-channel float scale gamma (Cout,)."""
        v, smax = self.vs
        w = self.weight.double()
        cout = w.shape[0]
        wmat = w.permute(2, 3, 1, 0).reshape(-1, cout) if self.is_conv else w.t()
        k = wmat.shape[0]
        wp = F.pad(wmat, (0, 0, 0, (-k) % v))
        s_vec = wp.detach().abs().reshape(-1, v, cout).amax(dim=1) / self.w_qmax   # (G, Cout)
        gamma = s_vec.amax(dim=0) / smax
        gamma = torch.where(gamma > 0, gamma, torch.ones_like(gamma))
        s_q = torch.clamp(torch.round(s_vec / gamma), 1, smax).repeat_interleave(v, dim=0)
        codes = torch.clamp(round_ste(wp / (s_q * gamma)), -self.w_qmax, self.w_qmax)
        return (codes * s_q)[:k], gamma

    def vs_acts(self, a: torch.Tensor) -> torch.Tensor:
        """VS-Quant activations (rows, K): per vector of V columns ``s_q = clip(rint(
        max|a|/qmax/gamma), 1, smax)``, codes ``clip(rint(a/(s_q*gamma)))`` times s_q."""
        v, smax = self.vs
        lo = -self.a_qmax if bool(self.act_signed) else 0
        k = a.shape[1]
        ap = F.pad(a.double(), (0, (-k) % v)).reshape(a.shape[0], -1, v)
        s_q = torch.clamp(torch.round(ap.detach().abs().amax(dim=2) / self.a_qmax / self.a_scale),
                          1, smax)[..., None]
        codes = torch.clamp(round_ste(ap / (s_q * self.a_scale)), lo, self.a_qmax)
        return (codes * s_q).reshape(a.shape[0], -1)[:, :k]

    def vs_forward(self, x: torch.Tensor, exact: bool) -> torch.Tensor:
        """Digital VS-Quant layer: exact integer MACs (float64 without gradients)."""
        n = x.shape[0]
        a_int = self.vs_acts(self.im2col(x.float()))
        w_eff, gamma = self.vs_weights()
        mm = torch.float64 if exact else torch.float32
        acc = a_int.to(mm) @ w_eff.to(mm)                                   # (rows, Cout)
        if self.is_conv:
            hw = [(x.shape[2 + d] + 2 * self.padding[d]
                   - self.dilation[d] * (self.weight.shape[2 + d] - 1) - 1)
                  // self.stride[d] + 1 for d in range(2)]
            acc = acc.reshape(n, hw[0] * hw[1], -1).permute(0, 2, 1).reshape(n, -1, *hw)
        return self._output(acc, gamma, exact)

    # ------------------------------------------------------------------ CIM arrays
    def block_masks(self) -> torch.Tensor:
        """(row blocks, *weight shape[1:]) bool: the weights of each R-row array.  Rows run
        in im2col order (kh, kw, Cin), as :attr:`dgcq_sim.nn.model.Layer.wmat`."""
        k = self.k
        order = torch.arange(k)
        if self.is_conv:
            cin, kh, kw = self.weight.shape[1:]
            # row index of weight element (c, i, j) is (i*kw + j)*cin + c
            c, i, j = torch.meshgrid(torch.arange(cin), torch.arange(kh), torch.arange(kw),
                                     indexing="ij")
            order = (i * kw + j) * cin + c
        return torch.stack([(order >= r0) & (order < r1) for r0, r1 in row_blocks(k, self.cim)])

    def weight_slices(self, w_int: torch.Tensor, w_qmax: int):
        """[(cell values, digital factor)] as :func:`dgcq_sim.nn.cim.map_layer` (all-zero
        slices dropped); also the offset (offset scheme) and whether sums are unsigned."""
        cfg = self.cim
        b_w = int(cfg.weight_bits_per_cell)
        if cfg.signed == "offset":
            off = w_qmax + 1
            planes, mag_bits = [(w_int + off, 1.0)], _nbits(2 * w_qmax + 1)
        elif cfg.signed == "differential":
            off, planes, mag_bits = 0, [(w_int, 1.0)], _nbits(w_qmax)
        else:
            off, mag_bits = 0, _nbits(w_qmax)
            planes = [(torch.relu(w_int), 1.0), (torch.relu(-w_int), -1.0)]
        n_w, mask = -(-mag_bits // b_w), 2 ** b_w
        slices = []
        for plane, sign in planes:
            if n_w == 1:
                if bool((plane.detach() != 0).any()):
                    slices.append((plane, sign))
                continue
            mag, sgn = plane.abs(), torch.sign(plane.detach())
            for j in range(n_w):
                sh = 2.0 ** (j * b_w)
                exact = sgn * torch.remainder(torch.floor(mag.detach() / sh), mask)
                if bool((exact != 0).any()):
                    slices.append((exact + (plane - plane.detach()) / (n_w * sh), sign * sh))
        return slices, float(off), cfg.signed != "differential"

    def input_slices(self, a: torch.Tensor):
        """[(input slice, digital factor)] as ``cim._input_slices`` (bit-serial slices of
        ``input_bits_per_cycle`` bits; a signed input as a positive and a negative pass)."""
        b_in = int(self.cim.input_bits_per_cycle)
        n_in = -(-_nbits(self.a_qmax) // b_in)
        passes = ([(torch.relu(a), 1.0), (torch.relu(-a), -1.0)] if bool(self.act_signed)
                  else [(a, 1.0)])
        out = []
        for plane, sign in passes:
            if n_in == 1:
                out.append((plane, sign, None))
                continue
            for i in range(n_in):
                sh = 2.0 ** (i * b_in)
                exact = torch.remainder(torch.floor(plane.detach() / sh), 2 ** b_in)
                out.append((exact + (plane - plane.detach()) / (n_in * sh), sign * sh, exact))
        return out

    def effective_range(self) -> torch.Tensor:
        """Partial-sum full scale P (integer units), learned factor included."""
        if not self.range_log.requires_grad:
            return self.psum_range
        return self.psum_range * torch.exp(self.range_log.double())

    def _planes(self, a, w_sl, mm):
        """Every conversion plane: (block, partial sums (N, Cout, ...), factor), in the
        numpy path's order (block > input slice > weight slice); an input slice that is
        zero on a block's input channels is skipped there (as ``cim._input_slices`` does)."""
        masks = self.block_masks().to(a.device)
        nb = masks.shape[0]
        cout = self.weight.shape[0]
        g = self.groups if self.is_conv else 1
        # input channels a block's rows read (a grouped conv: that channel of every group)
        chan = masks.reshape(nb, masks.shape[1], -1).any(dim=2).repeat(1, g) if self.is_conv \
            else masks
        planes = {}
        for i, (a_s, fa, exact) in enumerate(self.input_slices(a)):
            a_s = a_s.to(mm)
            for j, (w_s, fw) in enumerate(w_sl):
                # all blocks in one convolution: (blocks, Cout) output channels, ordered
                # (groups, blocks, Cout/groups) for a grouped one, whose output channels
                # must stay with their group
                stacked = w_s.to(mm)[None] * masks[:, None].to(mm)
                stacked = stacked.reshape(nb, g, cout // g, *w_s.shape[1:]).transpose(0, 1)
                p = self._mac(a_s, stacked.reshape(nb * cout, *w_s.shape[1:]))
                p = p.reshape(p.shape[0], g, nb, cout // g, *p.shape[2:]).transpose(1, 2)
                p = p.reshape(p.shape[0], nb, cout, *p.shape[4:])
                for b in range(nb):
                    if exact is not None:
                        if not bool((exact[:, chan[b]] != 0).any()):
                            continue
                    planes[(b, i, j)] = (b, p[:, b].contiguous(), fa * fw)
        return [planes[key] for key in sorted(planes)]

    def cim_accumulate(self, a, w_int, w_qmax, mm, exact: bool) -> torch.Tensor:
        w_sl, offset, unsigned = self.weight_slices(w_int, w_qmax)
        planes = self._planes(a, w_sl, mm)
        if self.ctx.mode == "psum_calib" and float(self.psum_range) <= 0:
            self._choose_range(planes)
        dt = torch.float64 if exact else torch.float32
        adc = self.adc
        span = adc.vmax - adc.vmin
        v0 = zero_volts(adc.vmin, adc.vmax, adc.n_codes, unsigned, self.cim.mid_tread)
        vh0 = float(adc.apply(torch.full((), v0, dtype=torch.float64))) \
            if self.cim.zero_offset_cal else v0
        gen = None if self.ctx.mode == "psum_calib" else self.ctx.generator
        acc = None
        blocks = {}           # block -> its planes' sum (per-array gains: scaled by block)
        for b, p, f in planes:
            if exact:
                p_range = float(self.effective_range())
                kv = span / p_range if unsigned else span / (2 * p_range)
                e0 = (vh0 - v0) * (1.0 / kv)
                v = p.to(dt) * kv + v0
                est = (adc.apply(v, gen) - v0) * (f / kv) - f * e0
            else:
                est = _Convert.apply(p.to(dt), self.range_log, self.psum_range, adc, f,
                                     unsigned, v0, vh0, gen)
            if self.array_gains():
                blocks[b] = est if b not in blocks else blocks[b] + est
            else:
                acc = est if acc is None else acc + est
        if self.array_gains():
            return self._array_sum(a, blocks, w_int, offset, dt)
        if acc is None:      # every weight slice is zero: the arrays hold nothing
            acc = self._mac(a.to(dt), torch.zeros_like(w_int, dtype=dt))
        if offset:
            acc = acc - offset * self._row_sums(a.to(dt), torch.ones_like(w_int[0]))
        return acc

    def _array_sum(self, a, blocks: dict, w_int, offset: float, dt) -> torch.Tensor:
        """``sum_b g[b] * (array b's estimates - offset * its rows' sum(a))`` in block order,
        as :meth:`dgcq_sim.nn.quant.QLayer.block_sum` (an array without planes counts 0)."""
        gains = self.column_gains().to(dt)
        masks = self.block_masks().to(a.device, dt)
        zero = self._row_sums(a.to(dt), torch.zeros_like(w_int[0]))
        acc = None
        for b in range(masks.shape[0]):
            part = blocks.get(b, zero)
            if offset:
                part = part - offset * self._row_sums(a.to(dt), masks[b])
            part = part * _per_channel(gains[b], part, dim=1)
            acc = part if acc is None else acc + part
        return acc

    def _choose_range(self, planes) -> None:
        """Partial-sum range from this batch's exact partial sums: ``max`` (largest |p|) or
        ``bound`` (never clips), as :meth:`dgcq_sim.nn.cim.CimModel._choose_range`."""
        if self.cim.range_method == "bound":
            self.psum_range.fill_(psum_bound(self.cim, self.k, self.a_qmax, self.w_qmax))
            return
        absmax = max((float(p.detach().abs().max()) for _, p, _ in planes), default=0.0)
        self.psum_range.fill_(absmax if absmax > 0 else 1.0)

    def extra_repr(self) -> str:
        kind = "CIM" if self.analog else "digital"
        return (f"{self.name}: {kind}, w{self.weight_bits}/a{self.act_bits}, "
                f"act_scale={float(self.act_scale):.4g}, psum_range={float(self.psum_range):.4g}")


def _per_channel(v: torch.Tensor, like: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """``v`` (C,) shaped to broadcast along ``dim`` of ``like``."""
    shape = [1] * like.ndim
    shape[dim] = -1
    return v.reshape(shape)


class _Convert(torch.autograd.Function):
    """One plane of partial sums through the converter with straight-through gradients.

    Forward: ``v = p*k + v0`` (k = span/(2P), or span/P unsigned), the TF staircase (noise
    from the generator), ``est = f*(vh - vh0)/k``.  Backward: ``d est/d p = f`` where v is
    inside [vmin, vmax], 0 where clipped; with ``P = P0*exp(r)``,
    ``d est/d r = est - f*p*inside`` (the straight-through converter's exact derivative).
    """

    @staticmethod
    def forward(ctx, p, r, p0, adc, f, unsigned, v0, vh0, gen):
        span = adc.vmax - adc.vmin
        P = p0.to(p.dtype) * torch.exp(r.detach().to(p.dtype))
        kv = span / P if unsigned else span / (2 * P)
        v = (p * kv).add_(v0)
        inside = (v > adc.vmin) & (v < adc.vmax)
        est = adc.apply(v, gen).sub_(vh0).mul_(f / kv)
        ctx.save_for_backward(p, est, inside)
        ctx.f, ctx.needs_r = f, r.requires_grad
        return est

    @staticmethod
    def backward(ctx, g):
        p, est, inside = ctx.saved_tensors
        gp = g * (ctx.f * inside.to(g.dtype))
        gr = None
        if ctx.needs_r:
            gr = (g * (est - ctx.f * p * inside.to(g.dtype))).sum().to(torch.float32).reshape(())
        return gp, gr, None, None, None, None, None, None, None


def check_range_method(method: str) -> None:
    """The torch path chooses ranges by ``max`` or ``bound`` (or takes given ones)."""
    if method not in ("max", "bound"):
        raise InputError(f"range_method {method!r} is numpy-only; the torch path supports "
                         "'max' and 'bound' (or pass ranges=, e.g. from a numpy CimModel "
                         "calibrated with 'search')")

