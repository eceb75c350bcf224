"""Compute-in-memory mapping: every conv/fc as R-row arrays whose partial sums go through a
TransferFunction (ideal ADC, SAR, DGCQ ... anything with ``vmin``, ``vmax`` and ``apply``).

Mapping of one layer with integer input codes ``a`` (M, K) and weight codes ``w`` (K, Cout):

* rows: the K reduction rows are cut into ceil(K/R) arrays of at most ``rows`` rows:
  ``packed`` (R rows each, the last one shorter) or ``balanced`` (sizes differ by at most
  one row: K = 144 on 128-row arrays is 72 + 72, not 128 + 16, so no array carries a
  sliver of the layer at a full-layer partial-sum range);
* inputs: unsigned codes are applied ``input_bits_per_cycle`` bits per cycle (bit-serial
  slices ``(a >> i*b_in) & (2**b_in - 1)``); a signed input (the network's first layer, if it
  is mapped) runs as a positive and a negative pass;
* weights: ``weight_bits_per_cell`` bits per cell, slices of the code magnitude, with the sign
  handled by ``signed``:
    - ``differential`` (default): each weight is a positive and a negative cell on a
      differential bit-line pair; the ADC converts the difference, one conversion per array,
      partial sum signed, full scale +-range;
    - ``pos-neg``: separate positive and negative arrays, two unsigned conversions, digital
      subtraction;
    - ``offset``: cells hold ``w + 2**(b-1)`` (unsigned), one conversion; the offset term
      ``2**(b-1) * sum(a)`` is removed digitally (exact);
* ADC: partial sum p (integer) -> voltage at the per-layer range ``[-P, P]`` (differential) or
  ``[0, P]`` -> ``tf.apply`` -> estimate of p; p outside the range saturates (the TF clips);
* digital: estimates are shifted by their input/weight slice positions and added up
  (shift-and-add), then rescaled like the int8 layer.  With ``zero_offset_cal`` the ADC's
  estimate of a zero partial sum, measured once noise-free per layer, is subtracted (digital
  offset calibration; a mid-rise ADC otherwise adds +LSB/2 to every sum).
* zero point: a zero partial sum is converted at mid-scale (differential) or at ``vmin``
  (unsigned) — on a transition of a mid-rise converter, so that the ADC truncates (the code
  of every near-zero sum is decided by its sign, noise and offsets).  With ``mid_tread`` a
  half-LSB input offset (``span / n_codes / 2``, one voltage shift in front of the
  converter) puts the zero sum at the centre of a code instead: the converter rounds to the
  nearest level, and near-zero sums (ReLU zeros) keep their code under noise and mismatch.

Partial-sum range per layer: ``bound`` (the worst case R*max|a|*max|w|: never clips),
``max`` (largest |p| on the calibration images), ``percentile``
(of |p|) or ``search``: the exhaustive data-driven search of extreme partial-sum
quantization (seed 002) — try ``P_max * 2**(-k/3)``, k = 0..search_points-1, and keep the one
with the smallest mean squared error of the layer's recombined output against the exact
integer output, layer by layer in network order with the earlier layers already mapped.
Partial sums are computed exactly (float32 when the bound < 2**24, else float64).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from numba import njit, prange

from ..errors import InputError, ParameterError
from ..display import show
from ._blas import single_blas_thread
from .data import strided
from .forward import layer_input_matrix, predict
from .model import Layer
from .quant import EXACT_F32, QLayer, QuantizedModel, quantize_input

SIGNED_SCHEMES = ("differential", "pos-neg", "offset")
ROW_SPLITS = ("packed", "balanced")
RANGE_METHODS = ("max", "percentile", "search", "bound")


class IdentityTransfer:
    """A perfect 'quantizer' (``apply`` returns its input clipped to the range).

    Used to measure the cost of the CIM mapping without conversion and to check that the
    mapping alone reproduces the digital integer network.
    """

    def __init__(self, vmin: float = 0.0, vmax: float = 1.0):
        self.vmin, self.vmax, self.bits, self.n_codes = float(vmin), float(vmax), 53, 2 ** 53

    def apply(self, v, rng=None) -> np.ndarray:
        return np.clip(np.asarray(v, np.float64), self.vmin, self.vmax)


@dataclass(frozen=True)
class CimConfig:
    """CIM array mapping (see the module docstring).

    rows: rows per array R (16..1024). row_split: ``packed`` | ``balanced`` (how the K rows
    are cut into ceil(K/R) arrays, see :func:`row_blocks`). input_bits_per_cycle: b_in (1..8).
    weight_bits_per_cell: b_w (1..8). signed: ``differential`` | ``pos-neg`` | ``offset``.
    digital_first_last: keep the first conv and the fc digital (int8).
    range_method: ``max`` | ``percentile`` | ``search`` | ``bound``; percentile: of |p| for ``percentile``.
    search_points: candidates of the range search. calib_images: calibration images used for
    the partial-sum ranges. zero_offset_cal: subtract the ADC's zero-sum estimate.
    mid_tread: shift the partial-sum voltage by half a nominal LSB (see :func:`zero_volts`).
    """

    rows: int = 128
    input_bits_per_cycle: int = 8
    weight_bits_per_cell: int = 8
    signed: str = "differential"
    digital_first_last: bool = True
    range_method: str = "max"
    percentile: float = 99.99
    search_points: int = 16
    calib_images: int = 64
    zero_offset_cal: bool = True
    row_split: str = "packed"
    mid_tread: bool = False

    def __post_init__(self):
        if not 16 <= int(self.rows) <= 1024:
            raise ParameterError(f"rows must be in 16..1024, got {show(self.rows)}")
        for name in ("input_bits_per_cycle", "weight_bits_per_cell"):
            if not 1 <= int(getattr(self, name)) <= 8:
                raise ParameterError(f"{name} must be in 1..8, got {show(getattr(self, name))}")
        if self.signed not in SIGNED_SCHEMES:
            raise ParameterError(f"signed must be one of {SIGNED_SCHEMES}, got {self.signed!r}")
        if self.row_split not in ROW_SPLITS:
            raise ParameterError(f"row_split must be one of {ROW_SPLITS}, got {self.row_split!r}")
        if not isinstance(self.mid_tread, (bool, np.bool_)):
            raise ParameterError(f"mid_tread must be true or false, got {self.mid_tread!r}")
        if self.range_method not in RANGE_METHODS:
            raise ParameterError(f"range_method must be one of {RANGE_METHODS}, got {self.range_method!r}")
        if not 50.0 <= float(self.percentile) <= 100.0:
            raise ParameterError(f"percentile must be in [50, 100], got {show(self.percentile)}")
        if not 1 <= int(self.search_points) <= 200:
            raise ParameterError(f"search_points must be in 1..200, got {show(self.search_points)}")
        if int(self.calib_images) < 1:
            raise ParameterError(f"calib_images must be >= 1, got {show(self.calib_images)}")


def row_blocks(k: int, cfg: CimConfig) -> list[tuple[int, int]]:
    """The [r0, r1) reduction rows of each of the ceil(K/R) arrays of a K-row layer.

    ``packed``: R rows per array, the last array holds the rest.  ``balanced``: the same
    number of arrays, sizes differing by at most one row (the larger ones first).
    """
    k, rows = int(k), int(cfg.rows)
    n = -(-k // rows)
    if cfg.row_split == "packed":
        return [(r0, min(k, r0 + rows)) for r0 in range(0, k, rows)]
    base, extra = divmod(k, n)
    edges = [b * base + min(b, extra) for b in range(n + 1)]
    return list(zip(edges[:-1], edges[1:]))


def largest_block(k: int, cfg: CimConfig) -> int:
    """Rows of the largest array of a K-row layer (what bounds one array's partial sum)."""
    return max(r1 - r0 for r0, r1 in row_blocks(k, cfg))


def _nbits(qmax: int) -> int:
    return int(qmax).bit_length()


@dataclass
class MappedLayer:
    """One layer laid out on arrays: weight slices and bookkeeping for recombination."""

    q: QLayer
    w_slices: list            # [(W (K, Cout) array of cell values, factor)]
    in_bits: int
    offset: float             # offset scheme: added per weight code (0 otherwise)
    unsigned_psum: bool
    psum_bound: float         # largest possible |partial sum|
    dtype: type
    n_arrays: int

    @property
    def planes(self) -> int:
        """Partial-sum planes per layer input (row blocks x input slices x weight slices)."""
        passes = 2 if self.q.a_signed else 1
        return self.n_arrays * passes * self.in_bits * len(self.w_slices)

    def conversions_per_output(self) -> int:
        """ADC conversions for one output value (arrays x input slices x weight slices)."""
        passes = 2 if self.q.a_signed else 1
        return self.n_arrays * passes * self.in_bits * len(self.w_slices)


def psum_bound(cfg: CimConfig, k: int, a_qmax: int, w_qmax: int) -> float:
    """Largest possible |partial sum| of one array: rows x largest input slice x largest
    cell value (the ``bound`` range method; never clips)."""
    mag_bits = _nbits(2 * w_qmax + 1) if cfg.signed == "offset" else _nbits(w_qmax)
    rows = largest_block(k, cfg)
    b_in, b_w = int(cfg.input_bits_per_cycle), int(cfg.weight_bits_per_cell)
    return float(rows * min(a_qmax, 2 ** b_in - 1) * min(2 ** mag_bits - 1, 2 ** b_w - 1))


def map_layer(q: QLayer, cfg: CimConfig) -> MappedLayer:
    """Cut a quantized layer's weights into cell slices for the configured scheme."""
    if q.w_vs is not None:
        raise ParameterError(f"layer {q.layer.name}: VS-Quant layers are not mapped to CIM "
                             "arrays (use plain per-channel weights)")
    b_w, b_in = int(cfg.weight_bits_per_cell), int(cfg.input_bits_per_cycle)
    w = q.w_int.astype(np.int64)
    if cfg.signed == "offset":
        off = q.w_qmax + 1
        planes = [(w + off, 1.0)]
        mag_bits = _nbits(2 * q.w_qmax + 1)
    elif cfg.signed == "differential":
        planes, off, mag_bits = [(w, 1.0)], 0, _nbits(q.w_qmax)
    else:
        planes, off, mag_bits = [(np.maximum(w, 0), 1.0), (np.maximum(-w, 0), -1.0)], 0, _nbits(q.w_qmax)
    n_w = -(-mag_bits // b_w)
    mask = 2 ** b_w - 1
    in_mag = _nbits(q.a_qmax)
    n_in = -(-in_mag // b_in)
    if q.block_gain is not None and q.gain_blocks != row_blocks(q.layer.k, cfg):
        raise ParameterError(f"layer {q.layer.name}: its per-array gains belong to arrays of "
                             f"rows {q.gain_blocks}, this mapping cuts the layer into "
                             f"{row_blocks(q.layer.k, cfg)}; run it with the rows and "
                             f"row_split it was trained with")
    bound = psum_bound(cfg, q.layer.k, q.a_qmax, q.w_qmax)
    dtype = np.float32 if bound < EXACT_F32 else np.float64
    slices = []
    for plane, sign in planes:
        mag, sgn = np.abs(plane), np.sign(plane)
        for j in range(n_w):
            cell = sgn * ((mag >> (j * b_w)) & mask)
            if np.any(cell):
                slices.append((cell.astype(dtype), sign * 2.0 ** (j * b_w)))
    return MappedLayer(q, slices, n_in, float(off), cfg.signed != "differential", float(bound),
                       dtype, len(row_blocks(q.layer.k, cfg)))


def _input_slices(a: np.ndarray, m: MappedLayer, cfg: CimConfig) -> Iterator[tuple[np.ndarray, float]]:
    """Bit slices of the input codes with their digital weight (sign and shift)."""
    b_in = int(cfg.input_bits_per_cycle)
    passes = [(np.maximum(a, 0), 1.0), (np.maximum(-a, 0), -1.0)] if m.q.a_signed else [(a, 1.0)]
    for plane, sign in passes:
        if m.in_bits == 1:
            yield plane, sign
            continue
        for i in range(m.in_bits):
            sl = np.floor(plane * (2.0 ** (-i * b_in))) % (2 ** b_in)
            if np.any(sl):
                yield sl.astype(m.dtype), sign * 2.0 ** (i * b_in)


def iter_psums(a: np.ndarray, m: MappedLayer, cfg: CimConfig) -> Iterator[tuple[np.ndarray, float]]:
    """Every array's exact partial sums (M, Cout) with the shift-and-add factor."""
    for _, _, a_sl, w_sl, f in _iter_planes(a, m, cfg):
        yield a_sl @ w_sl, f


def _iter_planes(a: np.ndarray, m: MappedLayer, cfg: CimConfig, only: int | None = None):
    """(row block, weight slice, input slice (M, r), weight slice (r, Cout), factor) of every
    conversion plane (of row block ``only`` alone where given), in the fixed order row
    block > input slice > weight slice."""
    a = a.astype(m.dtype, copy=False)   # integer codes: exact in either dtype
    for rb, (r0, r1) in enumerate(row_blocks(a.shape[1], cfg)):
        if only is not None and rb != only:
            continue
        for a_sl, fa in _input_slices(a[:, r0:r1], m, cfg):
            a_sl = a_sl.astype(m.dtype, copy=False)
            for ws, (w_sl, fw) in enumerate(m.w_slices):
                yield rb, ws, a_sl, w_sl[r0:r1], fa * fw


def zero_volts(vmin: float, vmax: float, n_codes: int, unsigned: bool,
               mid_tread: bool) -> float:
    """Converter input voltage of a zero partial sum: mid-scale (signed sums) or ``vmin``
    (unsigned), plus half a nominal LSB ``(vmax - vmin) / n_codes / 2`` for a mid-tread
    mapping (the zero sum then sits at a code's centre: the converter rounds)."""
    span = vmax - vmin
    v0 = vmin if unsigned else vmin + span / 2
    return v0 + span / (2 * n_codes) if mid_tread else v0


def converter_codes(tf) -> int:
    """Number of output codes of a converter object (a bank: of its instances)."""
    tfs = getattr(tf, "tfs", None)
    n = tfs[0].n_codes if tfs else getattr(tf, "n_codes", None)
    if n is None:
        raise InputError(f"quantizer object {type(tf).__name__} has no n_codes: a mid-tread "
                         f"mapping needs its nominal LSB")
    return int(n)


def as_bank(tf):
    """The :class:`~dgcq_sim.transfer.TransferBank` behind a converter object, or None for
    an object that only offers ``apply`` (converted plane by plane)."""
    from ..transfer import TransferBank, TransferFunction
    if isinstance(tf, TransferBank):
        return tf
    if isinstance(tf, TransferFunction):
        return TransferBank([tf])
    if isinstance(tf, IdentityTransfer):
        return TransferBank(None, tf.vmin, tf.vmax)
    return None


class Adc:
    """Partial sum <-> voltage mapping at one layer's range, through a TransferFunction.

    tf: a TransferFunction, a :class:`~dgcq_sim.transfer.TransferBank` (one instance per
    column, chosen by the ``columns`` map of :func:`cim_accumulate`), an
    :class:`IdentityTransfer`, or any object with ``vmin``, ``vmax`` and ``apply``.
    ``e0`` (``e0s`` per bank instance): the noise-free estimate of a zero partial sum that
    the digital offset calibration subtracts (0 without ``zero_cal``).  ``mid_tread``: the
    zero sum at a code centre (:func:`zero_volts`).
    """

    def __init__(self, tf, p_range: float, unsigned: bool, zero_cal: bool, bank=None,
                 mid_tread: bool = False):
        if not p_range > 0:
            raise ParameterError(f"partial-sum range must be > 0, got {show(p_range)}")
        self.tf, self.p_range = tf, float(p_range)
        self.bank = bank if bank is not None else as_bank(tf)
        span = tf.vmax - tf.vmin
        self.v0 = zero_volts(tf.vmin, tf.vmax, converter_codes(tf) if mid_tread else 1,
                             unsigned, mid_tread)
        self.volts_per_unit = span / p_range if unsigned else span / (2 * p_range)
        self.e0 = 0.0
        self.e0s = np.zeros(len(self.bank) if self.bank is not None else 1)
        if zero_cal:
            if self.bank is not None:
                n = len(self.bank)
                acc = np.zeros((1, n))
                self.bank.accumulate(acc, np.zeros((1, 1, n)), np.arange(n)[None, :],
                                     self.volts_per_unit, self.v0, np.array([1.0 / self.volts_per_unit]),
                                     np.ones(1), self.e0s, None)
                self.e0s = acc[0].copy()
                self.e0 = float(self.e0s[0])
            else:
                self.e0 = float(self.estimate(np.zeros(1), None)[0])
                self.e0s[:] = self.e0

    def estimate(self, p: np.ndarray, rng) -> np.ndarray:
        """Estimated partial sums (float64) for exact ones ``p`` (instance 0 of a bank)."""
        out = np.zeros(p.shape, np.float64)
        self.accumulate(out, p, 1.0, rng)
        return out

    def accumulate(self, acc: np.ndarray, p: np.ndarray, factor: float, rng) -> None:
        """``acc += factor * estimate(p)`` (instance 0 of a bank for every value)."""
        if self.bank is not None:
            if not acc.flags.c_contiguous or acc.shape != p.shape:
                raise InputError(f"acc must be C-contiguous with the shape of p {p.shape}")
            flat = np.ascontiguousarray(p).reshape(1, 1, -1)
            out = acc.reshape(1, -1)
            self.bank.accumulate(out, flat, np.zeros((1, flat.shape[2]), np.int64),
                                 self.volts_per_unit,
                                 self.v0, np.array([factor / self.volts_per_unit]),
                                 np.array([factor]), self.e0s[:1], rng)
            return
        v = np.empty(p.shape, np.float64)
        par = p.size >= PARALLEL_MIN  # thread start-up costs more than small arrays take
        (_to_volts_par if par else _to_volts)(p.reshape(-1), self.volts_per_unit, self.v0,
                                              v.reshape(-1))
        vh = np.ascontiguousarray(self.tf.apply(v, rng), dtype=np.float64)
        (_add_estimate_par if par else _add_estimate)(
            acc.reshape(-1), vh.reshape(-1), self.v0, factor / self.volts_per_unit,
            factor * self.e0)


PARALLEL_MIN = 1 << 16
#: Partial-sum planes buffered per fused conversion call (bytes).
PLANE_BUFFER_BYTES = 64 << 20


@njit(cache=True)
def _to_volts(p, k, v0, out):
    for i in range(p.shape[0]):
        out[i] = p[i] * k + v0


@njit(cache=True, parallel=True)
def _to_volts_par(p, k, v0, out):
    for i in prange(p.shape[0]):
        out[i] = p[i] * k + v0


@njit(cache=True)
def _add_estimate(acc, vh, v0, g, off):
    for i in range(acc.shape[0]):
        acc[i] += (vh[i] - v0) * g - off


@njit(cache=True, parallel=True)
def _add_estimate_par(acc, vh, v0, g, off):
    for i in prange(acc.shape[0]):
        acc[i] += (vh[i] - v0) * g - off


def cim_accumulate(a: np.ndarray, m: MappedLayer, cfg: CimConfig, adc: Adc, rng,
                   columns: np.ndarray | None = None) -> np.ndarray:
    """Recombined accumulator (M, Cout) float64 of the mapped layer for input codes ``a``.

    columns: (row blocks, weight slices, Cout) int bank instance of every physical column
    (None: instance 0 everywhere, the shared converter).  Every plane (row block x input
    slice x weight slice) is one matrix product into a buffer; the buffered planes are
    converted and added in one fused pass (same order and rounding as one ``apply`` per
    plane, one noise seed per plane).  With per-array gains (``QLayer.block_gain``) each
    array's planes are recombined on their own and added with the array's gain.
    """
    if m.q.block_gain is None:
        return _accumulate(a, m, cfg, adc, rng, columns, None)
    return m.q.block_sum(lambda b, r0, r1: _accumulate(a, m, cfg, adc, rng, columns, b))


def _accumulate(a, m: MappedLayer, cfg: CimConfig, adc: Adc, rng, columns, only):
    """:func:`cim_accumulate` of every array, or of array ``only`` alone (its rows' share
    of the offset scheme's ``sum(a)`` term)."""
    cout = m.q.layer.cout
    acc = np.zeros((a.shape[0], cout), np.float64)
    if adc.bank is None:
        for _, _, a_sl, w_sl, f in _iter_planes(a, m, cfg, only):
            adc.accumulate(acc, a_sl @ w_sl, f, rng)
    else:
        plane_bytes = max(1, a.shape[0] * cout * np.dtype(m.dtype).itemsize)
        cap = int(max(1, min(m.planes, PLANE_BUFFER_BYTES // plane_bytes)))
        buf = np.empty((cap, a.shape[0], cout), m.dtype)
        inst = np.zeros((cap, cout), np.int64)
        fac = np.empty(cap)
        j = 0
        for rb, ws, a_sl, w_sl, f in _iter_planes(a, m, cfg, only):
            np.matmul(a_sl, w_sl, out=buf[j])
            if columns is not None:
                inst[j] = columns[rb, ws]
            fac[j] = f
            j += 1
            if j == cap:
                _convert_planes(acc, buf, inst, fac, j, adc, rng)
                j = 0
        if j:
            _convert_planes(acc, buf, inst, fac, j, adc, rng)
    if m.offset:
        r0, r1 = (0, a.shape[1]) if only is None else row_blocks(a.shape[1], cfg)[only]
        acc -= m.offset * a[:, r0:r1].sum(axis=1, dtype=np.float64)[:, None]
    return acc


def _convert_planes(acc, buf, inst, fac, j, adc: Adc, rng) -> None:
    f = fac[:j]
    adc.bank.accumulate(acc, buf[:j], inst[:j], adc.volts_per_unit, adc.v0,
                        f / adc.volts_per_unit, f, adc.e0s, rng)


@dataclass
class CimModel:
    """A quantized network on CIM arrays with ``tf`` converting every partial sum.

    qmodel: digital quantized network (plain per-channel weights). tf: TransferFunction-like
    object. cfg: mapping. ranges: partial-sum full scale per analog layer (integer units),
    filled by :meth:`calibrate`.
    """

    qmodel: QuantizedModel
    tf: object
    cfg: CimConfig = field(default_factory=CimConfig)
    ranges: dict = field(default_factory=dict)
    columns: dict | None = None

    def __post_init__(self):
        self._check_tf(self.tf)
        layers = self.qmodel.model.layers()
        digital = {layers[0].name, layers[-1].name} if self.cfg.digital_first_last else set()
        self.mapped = {L.name: map_layer(self.qmodel.layers[L.name], self.cfg)
                       for L in layers if L.name not in digital}
        self._adcs: dict[str, Adc] = {}
        self._rng = None
        self._calib_mode = False
        self._bank = as_bank(self.tf)

    @staticmethod
    def _check_tf(tf) -> None:
        from ..transfer import TransferBank
        if isinstance(tf, TransferBank):
            return
        for attr in ("vmin", "vmax", "apply"):
            if not hasattr(tf, attr):
                raise InputError(f"quantizer object lacks {attr!r}: pass a TransferFunction")

    def use_converters(self, tf, columns: dict | None = None) -> None:
        """Convert with ``tf`` from now on (ranges kept): a TransferFunction shared by every
        column (``columns`` None), or a TransferBank with ``columns`` = {layer: (row blocks,
        weight slices, Cout) instance indices} (see :mod:`dgcq_sim.nn.chips`)."""
        self._check_tf(tf)
        if columns is not None:
            layout = self.column_layout()
            for name, shape in layout.items():
                got = np.shape(columns.get(name, ()))
                if got != shape:
                    raise InputError(f"column map of layer {name} has shape {got}, "
                                     f"expected {shape}")
        if tf is not self.tf:
            self.tf, self._bank, self._adcs = tf, as_bank(tf), {}
        self.columns = columns

    def column_layout(self) -> dict:
        """{analog layer: (row blocks, weight slices, Cout)}: its physical converter columns
        (input slices and passes reuse a column's converter), in network order."""
        return {name: (m.n_arrays, len(m.w_slices), m.q.layer.cout)
                for name, m in self.mapped.items()}

    def converters_per_chip(self) -> int:
        """Physical columns (one converter each) of all analog layers."""
        return int(sum(int(np.prod(s)) for s in self.column_layout().values()))

    # ---------------------------------------------------------------- bookkeeping
    def _outputs(self, hw: int) -> dict:
        """Output values per image of every conv/fc."""
        model = self.qmodel.model
        outs = {model.stem.name: model.stem.cout * hw * hw, model.fc.name: model.fc.cout}
        size = hw
        for blk in model.blocks:
            size //= blk.conv1.stride
            for L in (blk.conv1, blk.conv2, blk.shortcut):
                if L is not None:
                    outs[L.name] = L.cout * size * size
        return outs

    def conversions_per_image(self, hw: int = 32) -> int:
        """ADC conversions to classify one image of ``hw`` x ``hw`` pixels."""
        outs = self._outputs(hw)
        return int(sum(outs[n] * m.conversions_per_output() for n, m in self.mapped.items()))

    def operation_counts(self, hw: int = 32) -> dict:
        """Per image: ``conversions``, ``analog_outputs`` (values of mapped layers, each
        requantized once), ``digital_macs`` (MACs of the layers kept digital) and
        ``array_gain_mults`` (per-array gains: one multiply per array and output value)."""
        outs = self._outputs(hw)
        layers = {L.name: L for L in self.qmodel.model.layers()}
        return {"conversions": self.conversions_per_image(hw),
                "analog_outputs": int(sum(outs[n] for n in self.mapped)),
                "digital_macs": int(sum(outs[n] * layers[n].k for n in layers
                                        if n not in self.mapped)),
                "array_gain_mults": int(sum(outs[n] * m.n_arrays for n, m in self.mapped.items()
                                            if m.q.block_gain is not None))}

    def _adc(self, name: str) -> Adc:
        if name not in self._adcs:
            self._adcs[name] = self._make_adc(self.ranges[name], self.mapped[name])
        return self._adcs[name]

    def _make_adc(self, p_range: float, m: MappedLayer) -> Adc:
        return Adc(self.tf, p_range, m.unsigned_psum, self.cfg.zero_offset_cal,
                   bank=self._bank, mid_tread=self.cfg.mid_tread)

    # ---------------------------------------------------------------- executor
    def run_layer(self, layer: Layer, x: np.ndarray) -> np.ndarray:
        """Layer executor: digital int for unmapped layers, CIM arrays + ADC otherwise."""
        if layer.name not in self.mapped:
            return self.qmodel.run_layer(layer, x)
        m = self.mapped[layer.name]
        # codes straight in the partial-sum dtype (integers <= 255: exact either way)
        a, shape = layer_input_matrix(layer, quantize_input(m.q, x).astype(m.dtype, copy=False))
        if layer.name not in self.ranges:
            if not self._calib_mode:
                raise InputError(f"no partial-sum range for layer {layer.name}: call calibrate()")
            self.ranges[layer.name] = self._choose_range(
                a, m, None if self.columns is None else self.columns[layer.name])
        cols = None if self.columns is None else self.columns[layer.name]
        acc = cim_accumulate(a, m, self.cfg, self._adc(layer.name), self._rng, columns=cols)
        return self.qmodel.finish(layer, acc, shape)

    def _choose_range(self, a: np.ndarray, m: MappedLayer, cols=None) -> float:
        if self.cfg.range_method == "bound":
            return m.psum_bound
        absmax, samples = 0.0, []
        rng = np.random.default_rng(0)
        for p, _ in iter_psums(a, m, self.cfg):
            ap = np.abs(p).reshape(-1)
            absmax = max(absmax, float(ap.max()))
            samples.append(ap[rng.integers(0, ap.size, min(ap.size, 50000))])
        if absmax == 0:
            return 1.0
        if self.cfg.range_method == "max":
            return absmax
        if self.cfg.range_method == "percentile":
            return max(float(np.percentile(np.concatenate(samples), self.cfg.percentile)), 1.0)
        exact = cim_accumulate(a, m, self.cfg, Adc(IdentityTransfer(), m.psum_bound * 2,
                                                   m.unsigned_psum, False), None)
        best, best_p = np.inf, absmax
        for k in range(int(self.cfg.search_points)):
            cand = absmax * 2.0 ** (-k / 3)
            if cand < 1.0:
                break
            est = cim_accumulate(a, m, self.cfg, self._make_adc(cand, m), None, columns=cols)
            err = float(np.mean((est - exact) ** 2))
            if err < best:
                best, best_p = err, cand
        return best_p

    def calibrate(self, x_calib: np.ndarray, batch: int | None = None) -> dict:
        """Set every analog layer's partial-sum range from calibration images (noise-free).

        x_calib: uint8 images; ``cfg.calib_images`` of them (strided) are used in one batch.
        Returns {layer: range in partial-sum units}.
        """
        n = min(len(x_calib), int(self.cfg.calib_images))
        idx = strided(len(x_calib), n)
        self.ranges, self._adcs = {}, {}
        self._calib_mode, self._rng = True, None
        try:
            with single_blas_thread():
                predict(self.qmodel.model, x_calib[idx], run=self.run_layer, batch=batch or n)
        finally:
            self._calib_mode = False
        return dict(self.ranges)

    def predict(self, x_uint8: np.ndarray, rng: np.random.Generator | None = None,
                batch: int = 50, progress: bool = False) -> np.ndarray:
        """Logits with every analog partial sum through ``tf`` (noise drawn from ``rng``;
        None = noise-free)."""
        missing = [n for n in self.mapped if n not in self.ranges]
        if missing:
            raise InputError(f"no partial-sum range for layers {missing[:3]}...: call calibrate()")
        self._rng = rng
        try:
            with single_blas_thread():   # BLAS spin-waiting would slow the numba kernels
                return predict(self.qmodel.model, x_uint8, run=self.run_layer, batch=batch,
                               progress=progress, desc="CIM")
        finally:
            self._rng = None
