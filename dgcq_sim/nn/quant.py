"""Post-training quantization: int8 per-channel weights, calibrated activations, VS-Quant,
shared 8/4-bit weights and a B-bit accumulator, with the integer arithmetic emulated exactly.

Exactness: every product of integer codes is an integer and so is every sum.  The matrix
product runs in float32 when the worst case ``K * max|a_int| * max|w_int|`` (times the VS-Quant
scale maxima) is below 2**24, where every partial sum is an exactly representable integer in
any summation order, and in float64 otherwise (exact below 2**53; a larger bound is refused).
Only the final rescaling ``acc * s_a * s_w + b`` is float.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numba import njit, prange

from ..errors import ParameterError
from ..display import show
from .forward import float_layer, layer_input_matrix, predict
from .model import Layer, ResNet

ACT_CALIBRATIONS = ("max", "percentile", "mse")
WEIGHT_CLIPS = ("max", "percentile", "mse")
ACC_MODES = ("saturate", "truncate", "round")
EXACT_F32 = 2 ** 24
EXACT_F64 = 2 ** 53


@dataclass(frozen=True)
class QuantConfig:
    """How to quantize a network (all integers are symmetric, zero point 0).

    weight_bits: bits of the per-channel weight codes (2..8); codes in ±(2**(b-1)-1).
    act_bits: bits of activation codes (2..8): post-ReLU inputs use [0, 2**b-1], signed
        inputs (the normalized image) ±(2**(b-1)-1).
    act_calibration: per-layer activation range from the calibration set: ``max``,
        ``percentile`` (of |x|, see ``percentile``) or ``mse`` (clip minimizing the
        quantization MSE over a grid).
    weight_clip: per-channel weight range: ``max``, ``percentile`` or ``mse`` (offline
        profiling of the weights as they are finally used, incl. the derived 4-bit codes).
    shared_4bit: run the 8-bit weight codes at 4 bits, derived from the 8-bit integers by a
        rounding right shift by 4 (``w4 = round(w8/16)``, clipped to ±7, scale x16) rather
        than re-quantized from float (needs weight_bits = 8).
    acc_bits / acc_mode: keep the dot-product output to ``acc_bits`` bits by ``truncate``
        (drop LSBs of the worst-case-width accumulator), ``round`` (same, rounded) or
        ``saturate`` (keep LSBs, clip); None = full width.
    vs_vector / vs_scale_bits: VS-Quant per-vector scales over ``vs_vector`` consecutive
        reduction elements, quantized to ``vs_scale_bits``-bit unsigned integers under a
        per-channel (weights) / per-layer (activations) float scale; None = per-channel only.
    """

    weight_bits: int = 8
    act_bits: int = 8
    act_calibration: str = "max"
    percentile: float = 99.99
    weight_clip: str = "max"
    shared_4bit: bool = False
    acc_bits: int | None = None
    acc_mode: str = "saturate"
    vs_vector: int | None = None
    vs_scale_bits: int = 4

    def __post_init__(self):
        for name in ("weight_bits", "act_bits"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or not 2 <= v <= 8:
                raise ParameterError(f"{name} must be an integer in 2..8, got {show(v)}")
        if self.act_calibration not in ACT_CALIBRATIONS:
            raise ParameterError(f"act_calibration must be one of {ACT_CALIBRATIONS}, got {self.act_calibration!r}")
        if self.weight_clip not in WEIGHT_CLIPS:
            raise ParameterError(f"weight_clip must be one of {WEIGHT_CLIPS}, got {self.weight_clip!r}")
        if not 50.0 <= float(self.percentile) <= 100.0:
            raise ParameterError(f"percentile must be in [50, 100], got {self.percentile!r}")
        if self.shared_4bit and self.weight_bits != 8:
            raise ParameterError(f"shared_4bit derives 4-bit codes from 8-bit ones; weight_bits must be 8, got {self.weight_bits}")
        if self.acc_mode not in ACC_MODES:
            raise ParameterError(f"acc_mode must be one of {ACC_MODES}, got {self.acc_mode!r}")
        if self.acc_bits is not None and not 2 <= int(self.acc_bits) <= 52:
            raise ParameterError(f"acc_bits must be in 2..52 or None, got {self.acc_bits!r}")
        if self.vs_vector is not None:
            if not 1 <= int(self.vs_vector) <= 4096:
                raise ParameterError(f"vs_vector must be in 1..4096 or None, got {self.vs_vector!r}")
            if not 1 <= int(self.vs_scale_bits) <= 10:
                raise ParameterError(f"vs_scale_bits must be in 1..10, got {self.vs_scale_bits!r}")


def check_vsquant(vs) -> tuple[int, int]:
    """VS-Quant's (vector length V, scale bits S) as integers, in QuantConfig's ranges
    (V in 1..4096, S in 1..10); ParameterError naming the problem otherwise."""
    try:
        v, s = vs
    except (TypeError, ValueError):
        raise ParameterError(f"vsquant must be (V, S) integers, got {vs!r}") from None
    if not all(isinstance(t, (int, np.integer)) and not isinstance(t, bool) for t in (v, s)):
        raise ParameterError(f"vsquant must be (V, S) integers, got {vs!r}")
    QuantConfig(vs_vector=int(v), vs_scale_bits=int(s))
    return int(v), int(s)


@dataclass
class QLayer:
    """Integer form of one layer.

    w_int: (K, Cout) float array of integer weight codes; w_scale: (Cout,) V per code
    (weights unit-less: value = code * scale). a_scale: activation value per code (per-layer
    float; for VS-Quant the float scale gamma under the integer vector scales).
    a_signed: input has negative values (two-sided code range). w_vs: (G, Cout) integer
    per-vector weight scales (VS-Quant) or None.
    """

    layer: Layer
    w_int: np.ndarray
    w_scale: np.ndarray
    a_scale: float
    a_signed: bool
    a_qmax: int
    w_qmax: int
    w_vs: np.ndarray | None = None
    vs_vector: int | None = None
    vs_smax: int = 0
    w_eff: np.ndarray | None = None
    #: per-array gains (arrays, Cout) of the row blocks ``gain_blocks`` [(r0, r1)]: array
    #: b's codes are ``round(w / (g[b] * wmax/qmax))`` and its sums count ``g[b]`` times
    #: (:func:`apply_weight_gain`); None: one gain per column, folded into ``w_scale``
    block_gain: np.ndarray | None = None
    gain_blocks: list | None = None

    def block_sum(self, block_acc) -> np.ndarray:
        """``sum_b g[b] * block_acc(b, r0, r1)`` over the per-array gain blocks, in block
        order (the recombination of per-array gains, :func:`apply_weight_gain`)."""
        acc = None
        for b, (r0, r1) in enumerate(self.gain_blocks):
            part = block_acc(b, r0, r1) * self.block_gain[b]
            acc = part if acc is None else acc + part
        return acc

    @property
    def acc_bound(self) -> float:
        """Worst-case |accumulator| in integer units."""
        s2 = float(self.vs_smax) ** 2 if self.w_vs is not None else 1.0
        return float(self.layer.k) * self.a_qmax * self.w_qmax * s2

    @property
    def acc_full_bits(self) -> int:
        """Bits of a two's-complement accumulator that never overflows."""
        return int(np.ceil(np.log2(self.acc_bound + 1))) + 1


@dataclass
class ActStats:
    """Calibration statistics of one layer input: |x| max, sign, a value sample."""

    amax: float
    signed: bool
    sample: np.ndarray


def collect_act_stats(model: ResNet, x_calib: np.ndarray, batch: int = 50,
                      sample_per_batch: int = 20000, seed: int = 0) -> dict[str, ActStats]:
    """Run the float network on calibration images and record every layer input's range.

    x_calib: uint8 (N, 32, 32, 3). Returns {layer name: ActStats}; the sample holds up to
    ``sample_per_batch`` uniformly drawn input values per batch (for percentile / MSE).
    """
    rng = np.random.default_rng(seed)
    acc: dict[str, list] = {}

    def record(layer: Layer, x: np.ndarray) -> np.ndarray:
        flat = x.reshape(-1)
        mx, mn = float(np.max(flat)), float(np.min(flat))
        pick = flat[rng.integers(0, flat.size, min(sample_per_batch, flat.size))]
        st = acc.setdefault(layer.name, [0.0, False, []])
        st[0] = max(st[0], mx, -mn)
        st[1] = st[1] or mn < 0
        st[2].append(pick.astype(np.float32))
        return float_layer(layer, x)

    predict(model, x_calib, run=record, batch=batch)
    return {k: ActStats(v[0], v[1], np.concatenate(v[2])) for k, v in acc.items()}


def _qrange(bits: int, signed: bool) -> tuple[int, int]:
    return (-(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)


def _mse_clip(values: np.ndarray, amax: float, lo: int, hi: int, n_grid: int = 60) -> float:
    """Clip c in (0.1..1]*amax minimizing mean((x - Q_c(x))^2) on the sample."""
    best, best_c = np.inf, amax
    v = values.astype(np.float64)
    for c in amax * np.linspace(0.1, 1.0, n_grid):
        s = c / hi
        err = np.mean((v - np.clip(np.round(v / s), lo, hi) * s) ** 2)
        if err < best:
            best, best_c = err, c
    return float(best_c)


def act_range(stats: ActStats, cfg: QuantConfig) -> float:
    """Clipping value of one layer input (same units as the activations)."""
    if stats.amax <= 0:
        return 1.0  # an all-zero input: any scale is exact
    if cfg.act_calibration == "max":
        return stats.amax
    if cfg.act_calibration == "percentile":
        return max(float(np.percentile(np.abs(stats.sample), cfg.percentile)), 1e-12)
    lo, hi = _qrange(cfg.act_bits, stats.signed)
    return _mse_clip(stats.sample, stats.amax, lo, hi)


def derive_4bit(w8: np.ndarray) -> np.ndarray:
    """4-bit codes from 8-bit codes: rounding shift by 4 (half away from zero), clip ±7."""
    return np.clip(np.sign(w8) * np.floor((np.abs(w8) + 8) / 16), -7, 7)


def _clip_scale(clip: np.ndarray, qmax: int) -> np.ndarray:
    """Per-channel scale (Cout,) that maps the clip value to code qmax (1/qmax where 0)."""
    return np.where(clip > 0, clip, 1.0) / qmax


def _weight_codes(w: np.ndarray, scale: np.ndarray, qmax: int) -> np.ndarray:
    """Symmetric integer codes of (K, Cout) weights at per-channel ``scale``."""
    return np.clip(np.round(w / scale), -qmax, qmax)


def _quantize_weights_plain(w: np.ndarray, cfg: QuantConfig) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-channel symmetric codes of (K, Cout) weights -> (w_int, scale, qmax)."""
    qmax = 2 ** (cfg.weight_bits - 1) - 1
    absw = np.abs(w.astype(np.float64))
    wmax = absw.max(axis=0)
    if cfg.weight_clip == "percentile":
        clip = np.percentile(absw, cfg.percentile, axis=0)
    elif cfg.weight_clip == "mse":
        clip = np.empty_like(wmax)
        for c in range(w.shape[1]):
            best = np.inf
            for cand in wmax[c] * np.linspace(0.3, 1.0, 36):
                s = max(cand, 1e-30) / qmax
                q = np.clip(np.round(w[:, c] / s), -qmax, qmax)
                err = np.sum((w[:, c] - q * s) ** 2)
                if cfg.shared_4bit:  # profile the derived 4-bit weights too
                    err += np.sum((w[:, c] - derive_4bit(q) * 16 * s) ** 2)
                if err < best:
                    best, clip[c] = err, cand
    else:
        clip = wmax
    scale = _clip_scale(clip, qmax)
    w_int = _weight_codes(w, scale, qmax)
    if cfg.shared_4bit:
        return derive_4bit(w_int), scale * 16.0, 7
    return w_int, scale, qmax


def check_weight_gain(gains, cout: int, where: str, arrays: int | None = None) -> np.ndarray:
    """Weight-scale gains as float64: (cout,) one per output column or, where ``arrays``
    is given, (arrays, cout) one per array and column; finite numbers > 0.
    ParameterError naming ``where`` otherwise."""
    try:
        g = np.asarray(gains, dtype=np.float64)
    except (TypeError, ValueError):
        g = None
    shapes = [(cout,)] + ([(arrays, cout)] if arrays else [])
    if (g is None or g.shape not in shapes or isinstance(gains, (str, bytes))
            or not np.isfinite(g).all() or not (g > 0).all()):
        want = f"{cout} finite numbers > 0 (one per output column)"
        if arrays:
            want += f" or {arrays} such lists (one per array of rows)"
        raise ParameterError(f"{where}: weight_gain must be {want}, got {str(gains)[:80]}")
    return g


def weight_gain_scale(w: np.ndarray, qmax: int, gains: np.ndarray) -> np.ndarray:
    """Per-column weight scale (Cout,) with column gains: ``g * wmax / qmax`` (wmax = the
    column's largest |weight|); codes ``clip(round(w/scale), ±qmax)``.  A gain below 1
    spreads the column's codes, so its partial sums fill more of the converter's range (a
    per-column converter gain folded into the weights; the digital per-channel scale takes
    it back), at the cost of clipping its largest weights."""
    return _clip_scale(np.abs(w.astype(np.float64)).max(axis=0), qmax) * gains


def apply_weight_gain(q: "QLayer", gains, shared_4bit: bool = False,
                      blocks: list | None = None) -> None:
    """Re-quantize ``q``'s per-channel weight codes with ``gains`` (a fine-tuned record's
    ``weight_gain``, :func:`weight_gain_scale`): (Cout,) column gains, or (arrays, Cout)
    per-array gains on the row blocks ``blocks`` [(r0, r1)] of the layer's arrays.

    Per-array gains: the rows of array b are coded at ``g[b] * wmax/qmax``; ``w_scale``
    stays ``wmax/qmax`` and array b's (converted) partial sums are multiplied by ``g[b]``
    in the digital recombination (:meth:`QLayer.block_sum`): each array of a column gets
    its own converter gain, folded into its weights."""
    where = f"layer {q.layer.name}"
    if q.w_vs is not None or shared_4bit:
        raise ParameterError(f"{where}: column gains (weight_gain) apply to plain per-channel "
                             f"weights, not VS-Quant or shared 4-bit ones")
    g = check_weight_gain(gains, q.layer.cout, where,
                          arrays=None if blocks is None else len(blocks))
    w = q.layer.wmat
    if g.ndim == 1:
        scale = weight_gain_scale(w, q.w_qmax, g)
        q.w_int = _weight_codes(w, scale, q.w_qmax).astype(q.w_int.dtype)
        q.w_scale, q.block_gain, q.gain_blocks = scale, None, None
        return
    if blocks is None:
        raise ParameterError(f"{where}: per-array gains need the layer's array rows")
    base = weight_gain_scale(w, q.w_qmax, np.ones(q.layer.cout))
    w_int = np.empty_like(q.w_int)
    for b, (r0, r1) in enumerate(blocks):
        w_int[r0:r1] = _weight_codes(w[r0:r1], base * g[b], q.w_qmax)
    q.w_int, q.w_scale = w_int, base
    q.block_gain, q.gain_blocks = g, [(int(r0), int(r1)) for r0, r1 in blocks]


def _vs_pad(k: int, v: int) -> int:
    return (-k) % v


def _quantize_weights_vs(w: np.ndarray, cfg: QuantConfig):
    """VS-Quant weights: per-vector S-bit integer scales under a per-channel float scale."""
    v, smax = int(cfg.vs_vector), 2 ** int(cfg.vs_scale_bits) - 1
    qmax = 2 ** (cfg.weight_bits - 1) - 1
    k, cout = w.shape
    wp = np.concatenate([w.astype(np.float64), np.zeros((_vs_pad(k, v), cout))])
    g = wp.shape[0] // v
    vec_max = np.abs(wp.reshape(g, v, cout)).max(axis=1)            # (G, Cout)
    s_vec = vec_max / qmax
    gamma = s_vec.max(axis=0) / smax
    gamma = np.where(gamma > 0, gamma, 1.0)
    s_q = np.clip(np.round(s_vec / gamma), 1, smax)                 # integer vector scales
    eff = np.repeat(s_q, v, axis=0) * gamma                          # (Kp, Cout)
    w_int = np.clip(np.round(wp / eff), -qmax, qmax)[:k]
    return w_int, gamma, qmax, s_q


def quantize_model(model: ResNet, x_calib: np.ndarray, cfg: QuantConfig | None = None,
                   stats: dict[str, ActStats] | None = None) -> "QuantizedModel":
    """Quantize every conv/fc of ``model`` (PTQ), calibrating activations on ``x_calib``.

    x_calib: uint8 calibration images; stats: reuse :func:`collect_act_stats` output.
    """
    cfg = cfg or QuantConfig()
    stats = stats or collect_act_stats(model, x_calib)
    qlayers = {}
    for layer in model.layers():
        st = stats[layer.name]
        lo, hi = _qrange(cfg.act_bits, st.signed)
        clip = act_range(st, cfg)
        w = layer.wmat
        if cfg.vs_vector is not None:
            w_int, w_scale, w_qmax, w_vs = _quantize_weights_vs(w, cfg)
            smax = 2 ** int(cfg.vs_scale_bits) - 1
            q = QLayer(layer, w_int, w_scale, clip / (hi * smax), st.signed, hi, w_qmax,
                       w_vs=w_vs, vs_vector=int(cfg.vs_vector), vs_smax=smax)
        else:
            w_int, w_scale, w_qmax = _quantize_weights_plain(w, cfg)
            q = QLayer(layer, w_int, w_scale, clip / hi, st.signed, hi, w_qmax)
        if q.acc_bound >= EXACT_F64:
            raise ParameterError(f"layer {layer.name}: accumulator bound {q.acc_bound:.3g} "
                                 "exceeds 2**53, integer emulation would not be exact")
        q.w_int = q.w_int.astype(np.float32 if q.acc_bound < EXACT_F32 else np.float64)
        if q.w_vs is not None:  # weight codes times their integer vector scales (exact)
            q.w_eff = q.w_int * np.repeat(q.w_vs, q.vs_vector, axis=0)[:layer.k].astype(q.w_int.dtype)
        qlayers[layer.name] = q
    return QuantizedModel(model, cfg, qlayers, stats)


def quantize_input(q: QLayer, x: np.ndarray) -> np.ndarray:
    """Activation codes (float array of integers) of a layer input, per-tensor scale."""
    lo = -q.a_qmax if q.a_signed else 0
    return np.clip(np.rint(x * np.float32(1.0 / q.a_scale)), lo, q.a_qmax).astype(q.w_int.dtype)


def vs_quantize_input(q: QLayer, a: np.ndarray) -> np.ndarray:
    """VS-Quant activations of an im2col matrix: codes times integer vector scales.

    Per vector of ``vs_vector`` columns: s = max|a|/qmax, s_q = clip(round(s/gamma), 1,
    smax), code = clip(round(a/(s_q gamma))); returns code * s_q (exact integers, float64).
    """
    lo = -q.a_qmax if q.a_signed else 0
    out = np.empty(a.shape, q.w_int.dtype)  # float32 where the accumulator bound allows
    _vs_act_kernel(np.ascontiguousarray(a, dtype=np.float32), int(q.vs_vector),
                   float(q.a_scale), float(lo), float(q.a_qmax), float(q.vs_smax), out)
    return out


@njit(cache=True, parallel=True)
def _vs_act_kernel(a, v, gamma, lo, qmax, smax, out):
    m, k = a.shape
    for r in prange(m):
        for g0 in range(0, k, v):
            g1 = min(k, g0 + v)
            amax = 0.0
            for j in range(g0, g1):
                amax = max(amax, abs(a[r, j]))
            s_q = min(max(np.rint(amax / qmax / gamma), 1.0), smax)
            step = s_q * gamma
            for j in range(g0, g1):
                out[r, j] = min(max(np.rint(a[r, j] / step), lo), qmax) * s_q


def limit_accumulator(acc: np.ndarray, q: QLayer, bits: int | None, mode: str) -> np.ndarray:
    """Keep an exact integer accumulator to ``bits`` bits (see :class:`QuantConfig`)."""
    if bits is None:
        return acc
    if mode == "saturate":
        top = 2.0 ** (bits - 1) - 1
        return np.clip(acc, -top, top)
    shift = max(0, q.acc_full_bits - bits)
    step = 2.0 ** shift
    if mode == "truncate":
        return np.floor(acc / step) * step
    return np.floor(acc / step + 0.5) * step


@dataclass
class QuantizedModel:
    """A quantized network; call :meth:`executor` to get the digital int8 layer executor."""

    model: ResNet
    cfg: QuantConfig
    layers: dict[str, QLayer]
    stats: dict[str, ActStats] = field(repr=False, default_factory=dict)

    def integer_acc(self, layer: Layer, x: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Exact integer accumulator (M, Cout) of a layer for float input ``x``."""
        q = self.layers[layer.name]
        if q.w_vs is not None:
            a, shape = layer_input_matrix(layer, x)
            a_int = vs_quantize_input(q, a)
            return a_int @ q.w_eff, shape
        a, shape = layer_input_matrix(layer, quantize_input(q, x))
        if q.block_gain is not None:
            return q.block_sum(lambda b, r0, r1: a[:, r0:r1] @ q.w_int[r0:r1]), shape
        return a @ q.w_int, shape

    def finish(self, layer: Layer, acc: np.ndarray, shape: tuple) -> np.ndarray:
        """Rescale an integer accumulator to float32 outputs and add the folded bias."""
        q = self.layers[layer.name]
        y = (acc * (q.a_scale * q.w_scale)).astype(np.float32) + layer.b
        return y.reshape(*shape, layer.cout)

    def run_layer(self, layer: Layer, x: np.ndarray) -> np.ndarray:
        """Digital integer executor (exact integer MACs, optional B-bit accumulator)."""
        acc, shape = self.integer_acc(layer, x)
        acc = limit_accumulator(acc, self.layers[layer.name], self.cfg.acc_bits, self.cfg.acc_mode)
        return self.finish(layer, acc, shape)

    def predict(self, x_uint8: np.ndarray, batch: int = 50, progress: bool = False) -> np.ndarray:
        """Logits of the digital quantized network."""
        return predict(self.model, x_uint8, run=self.run_layer, batch=batch, progress=progress,
                       desc="int digital")

    def with_config(self, **changes) -> "QuantizedModel":
        """Re-quantize with some config fields changed, reusing the calibration statistics."""
        return quantize_model(self.model, None, replace(self.cfg, **changes), stats=self.stats)
