"""One BLAS thread while the CIM path interleaves BLAS products with numba kernels.

OpenBLAS worker threads keep spinning for a while after each call; the numba (OpenMP)
threads of the conversion kernel that runs right after then share the cores with them, and
on 2 cores the CIM forward pass ran 2x slower than with one BLAS thread (measured with
OPENBLAS_NUM_THREADS=1, benchmarks/nn_speed.py).  :func:`single_blas_thread` sets the
OpenBLAS thread count of this process to 1 for the duration of a ``with`` block and restores
it after (the same calls threadpoolctl makes); where no OpenBLAS is found it does nothing.
Results do not change: the products are exact integer sums.
"""

from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager

_LOCK = threading.Lock()
_API = None          # (get, set) or False when unavailable


def _find_api():
    global _API
    if _API is not None:
        return _API
    _API = False
    try:
        import numpy  # noqa: F401  (loads numpy's BLAS)
        with open("/proc/self/maps") as f:
            libs = sorted({ln.split()[-1] for ln in f if "openblas" in ln.lower()
                           and ln.split()[-1].startswith("/")})
    except OSError:
        return _API
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for pre, suf in (("scipy_", "64_"), ("", "64_"), ("", "")):
            get = getattr(lib, f"{pre}openblas_get_num_threads{suf}", None)
            put = getattr(lib, f"{pre}openblas_set_num_threads{suf}", None)
            if get is not None and put is not None:
                get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                _API = (get, put)
                return _API
    return _API


@contextmanager
def single_blas_thread():
    """Run the block with one OpenBLAS thread (no-op without OpenBLAS)."""
    api = _find_api()
    if not api:
        yield
        return
    get, put = api
    with _LOCK:
        before = int(get())
        put(1)
    try:
        yield
    finally:
        with _LOCK:
            put(before)
