"""The one rule for input voltages given to a converter.

:meth:`Quantizer.convert <dgcq_sim.quantizers.Quantizer.convert>` and
:meth:`TransferFunction.convert / apply <dgcq_sim.transfer.TransferFunction.convert>` both
check their input with :func:`real_voltages`:

* anything ``numpy.asarray`` turns into a **real numeric** array is accepted: float
  (any width), signed or unsigned integer arrays, Python ints/floats and lists of them,
  any shape (the result keeps it);
* **refused** with :class:`~dgcq_sim.errors.InputError`: complex (the imaginary part is never
  dropped silently), bool, strings and bytes, datetime64/timedelta64, structured and object
  arrays, ragged lists;
* the array must be **non-empty** and every value **finite** (NaN/inf refused, naming how
  many and the first one);
* at most :data:`MAX_CONVERT_VALUES` values per call, and the call's working memory
  (``bytes_per_value`` per value) must fit in the memory available now: both are checked
  before anything is allocated (convert larger arrays in chunks).

Values outside the converter's range ``[vmin, vmax]`` are not an error: they are clipped.
"""

from __future__ import annotations

import os

import numpy as np

from .errors import InputError

#: Largest number of input values one ``convert`` call accepts (memory guard: a quantizer
#: needs ~ (32 + 8 G) bytes per value for inputs, stage sums, codes and estimates).
MAX_CONVERT_VALUES = 200_000_000


def available_memory() -> int | None:
    """Bytes of memory available now (``MemAvailable`` of /proc/meminfo), None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_work_size(n: int, bytes_per_value: int, what: str = "input values") -> None:
    """InputError if ``n`` values at ``bytes_per_value`` each exceed the limits above."""
    if n > MAX_CONVERT_VALUES:
        raise InputError(f"{n} {what} in one call exceed the limit of {MAX_CONVERT_VALUES} "
                         f"(memory); convert in chunks")
    need = int(n) * int(bytes_per_value)
    if need < 2 ** 28:          # small calls (the common case) skip reading /proc/meminfo
        return
    avail = available_memory()
    if avail is not None and need > avail:
        raise InputError(f"{n} {what} need ~{need / 2 ** 30:.1f} GiB of working memory, "
                         f"{avail / 2 ** 30:.1f} GiB are available; convert in chunks")


def real_voltages(v, *, bytes_per_value: int = 48, check_finite: bool = True,
                  what: str = "input voltages") -> np.ndarray:
    """``v`` as a non-empty, finite float64 array of the same shape; InputError otherwise.

    bytes_per_value: working memory the caller will allocate per value (checked with
    :func:`check_work_size` before any allocation, including the float64 cast).
    check_finite: False when the caller's kernel counts NaN/inf itself (it must then raise
    :func:`nonfinite_error`).
    """
    if isinstance(v, (str, bytes)):
        raise InputError(f"{what} must be real numbers (V), got {type(v).__name__} {v[:40]!r}")
    try:
        arr = np.asarray(v)
    except (TypeError, ValueError, OverflowError, RecursionError, MemoryError) as exc:
        raise InputError(f"{what} must be a real float array, got {type(v).__name__} "
                         f"({str(exc)[:120]})") from None
    if arr.dtype.kind not in "fiu":
        raise InputError(f"{what} must be real numbers (V), got dtype {arr.dtype} "
                         f"({type(v).__name__})")
    if arr.size == 0:
        raise InputError(f"{what}: the array is empty (shape {arr.shape})")
    cast = 0 if arr.dtype == np.float64 else 8
    check_work_size(arr.size, bytes_per_value + cast, what)
    arr = arr.astype(np.float64, copy=False)
    if check_finite:
        bad = ~np.isfinite(arr)
        if bad.any():
            raise nonfinite_error(arr, what)
    return arr


def nonfinite_error(arr: np.ndarray, what: str = "input voltages") -> InputError:
    """The InputError for an array holding NaN/inf (count, first value and flat index)."""
    flat = arr.reshape(-1)
    bad = ~np.isfinite(flat)
    k = int(np.flatnonzero(bad)[0])
    return InputError(f"{what} contain {int(bad.sum())} non-finite value(s) (NaN or inf), "
                      f"first {float(flat[k])} at flat index {k}")
