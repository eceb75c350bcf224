"""numpy forward pass of a folded CIFAR ResNet: im2col convolutions on BLAS, batch streaming.

Every conv/fc goes through an *executor* ``run(layer, x) -> y``: ``x`` is the layer input
(N, H, W, Cin) float32 NHWC, ``y`` the layer output (N, Ho, Wo, Cout) float32 *including* the
folded bias.  The float executor is :func:`float_layer`; the int8 and CIM executors in
:mod:`dgcq_sim.nn.quant` and :mod:`dgcq_sim.nn.cim` replace the matrix product only, so the
network skeleton (residual adds, ReLU, pooling) is shared by all of them.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np
from tqdm import tqdm

from ..errors import InputError, ModelFileError
from .data import check_images
from .model import Layer, ResNet

Executor = Callable[[Layer, np.ndarray], np.ndarray]


def normalize(model: ResNet, x_uint8: np.ndarray) -> np.ndarray:
    """uint8 NHWC pixels -> float32 ``(x/255 - mean)/std`` per channel."""
    mean = np.asarray(model.mean, np.float32)
    std = np.asarray(model.std, np.float32)
    return (x_uint8.astype(np.float32) * np.float32(1 / 255) - mean) / std


def im2col(x: np.ndarray, k: int, stride: int, pad: int) -> tuple[np.ndarray, tuple]:
    """Patches of NHWC ``x`` as a (N*Ho*Wo, k*k*C) matrix, columns ordered (kh, kw, C).

    Channels vary fastest along a row, so consecutive CIM rows (and VS-Quant vectors) run
    along input channels.  :attr:`dgcq_sim.nn.model.Layer.wmat` uses the same order, so a conv
    is ``im2col(x) @ layer.wmat``.  Returns the matrix and (N, Ho, Wo).
    """
    n, h, w, c = x.shape
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    ho = (h + 2 * pad - k) // stride + 1
    wo = (w + 2 * pad - k) // stride + 1
    if k == 1:
        cols = x[:, :stride * ho:stride, :stride * wo:stride, :]
        return np.ascontiguousarray(cols).reshape(n * ho * wo, c), (n, ho, wo)
    out = np.empty((n, ho, wo, k, k, c), x.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, :, i, j, :] = x[:, i:i + stride * ho:stride, j:j + stride * wo:stride, :]
    return out.reshape(n * ho * wo, k * k * c), (n, ho, wo)


def layer_input_matrix(layer: Layer, x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """The (M, K) input matrix of a layer (im2col for convs, ``x`` itself for fc)."""
    if layer.w.shape[2] == 1 and x.ndim == 2:
        return x, (x.shape[0],)
    return im2col(x, layer.w.shape[2], layer.stride, layer.pad)


def float_layer(layer: Layer, x: np.ndarray) -> np.ndarray:
    """Float32 conv/fc with the folded bias (the reference executor)."""
    a, shape = layer_input_matrix(layer, x)
    y = a @ layer.wmat + layer.b
    return y.reshape(*shape, layer.cout)


def forward_batch(model: ResNet, x: np.ndarray, run: Executor = float_layer) -> np.ndarray:
    """Logits (N, classes) float32 of one batch of normalized float32 NHWC images."""
    relu = lambda t: np.maximum(t, 0, out=t)  # noqa: E731
    h = relu(run(model.stem, x))
    for blk in model.blocks:
        y = relu(run(blk.conv1, h))
        y = run(blk.conv2, y)
        y += blk.residual(h, run)
        h = relu(y)
    pooled = h.mean(axis=(1, 2), dtype=np.float32)
    return run(model.fc, pooled)


def iter_batches(n: int, batch: int) -> Iterator[slice]:
    """Consecutive slices of ``batch`` items covering ``range(n)``."""
    if batch < 1:
        raise InputError(f"batch size must be >= 1, got {batch}")
    for s in range(0, n, batch):
        yield slice(s, min(n, s + batch))


def predict(model: ResNet, x_uint8: np.ndarray, run: Executor = float_layer, batch: int = 50,
            progress: bool = False, desc: str = "forward") -> np.ndarray:
    """Logits (N, classes) float32 of uint8 NHWC images, streamed in batches.

    model: folded ResNet from :func:`dgcq_sim.nn.model.load_model`.
    x_uint8: (N, 32, 32, 3) uint8 pixels.
    run: layer executor (float, int8 or CIM).
    batch: images per batch (small batches keep im2col in cache; 50 is fastest here).
    """
    x_uint8 = check_images(x_uint8)
    out = np.empty((x_uint8.shape[0], model.fc.cout), np.float32)
    bar = tqdm(total=x_uint8.shape[0], desc=desc, unit="img", disable=not progress, leave=False)
    for sl in iter_batches(x_uint8.shape[0], batch):
        xb = normalize(model, x_uint8[sl])
        out[sl] = forward_batch(model, xb, run)
        if not np.isfinite(out[sl]).all():
            bar.close()
            _raise_nonfinite(model, xb, run, sl)
        bar.update(sl.stop - sl.start)
    bar.close()
    return out


def _raise_nonfinite(model: ResNet, x: np.ndarray, run: Executor, sl: slice) -> None:
    """Re-run the batch layer by layer and raise naming the first non-finite layer."""
    if not np.isfinite(x).all():
        raise ModelFileError(f"model {model.name}: input normalization gives inf/NaN "
                             f"(std {model.std})")

    def checked(layer: Layer, xin: np.ndarray) -> np.ndarray:
        y = run(layer, xin)
        if not np.isfinite(y).all():
            big = float(np.max(np.abs(xin[np.isfinite(xin)]), initial=0.0))
            raise ModelFileError(
                f"model {model.name}: layer {layer.name} gives non-finite outputs on images "
                f"{sl.start}..{sl.stop - 1} (input |x| up to {big:.3g}; weights/bias or "
                f"BatchNorm statistics out of range?)")
        return y

    forward_batch(model, x, checked)
    raise ModelFileError(f"model {model.name}: non-finite logits on images "
                         f"{sl.start}..{sl.stop - 1} (residual add or pooling overflowed)")


def top1(logits: np.ndarray, y: np.ndarray) -> float:
    """Fraction of images whose arg-max logit equals the label."""
    return float(np.mean(np.argmax(logits, axis=1) == np.asarray(y)))
