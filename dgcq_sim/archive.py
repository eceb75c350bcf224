"""Read ``.npz`` archives (transfer functions, models, image sets) without ever leaking a
numpy / zipfile / zlib traceback.

:func:`read_npz` opens the archive itself with :mod:`zipfile`, reads each member's ``.npy``
header first and refuses one whose declared shape needs more bytes than the member holds
(a truncated or bit-flipped header) *before* allocating the array, refuses pickled (object)
arrays, and turns every failure (not a zip, bad CRC, zlib error, truncated member, bad
header, a text file, a directory) into :class:`~dgcq_sim.errors.ModelFileError` whose
message names the file and the key.  The typed-field helpers (:func:`scalar_int`,
:func:`scalar_float`, :func:`scalar_text`) do the same for fields of the wrong type.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Iterable

import numpy as np

from .errors import InputError, ModelFileError

#: An archive holding more than this many bytes of arrays is refused before reading
#: (memory guard; the bundled files are < 10 MB, CIFAR-10 test + ResNet-18 < 200 MB).
MAX_ARCHIVE_BYTES = 8 * 2 ** 30
#: Largest array one member may declare, in elements (guards a corrupt shape header).
MAX_MEMBER_ELEMENTS = 2 ** 31

_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
                NotImplementedError, RuntimeError, TypeError, OverflowError, MemoryError,
                SyntaxError, UnicodeDecodeError)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def check_input_file(path: str | Path, what: str, missing=InputError) -> Path:
    """``path`` as a Path to an existing regular file; ``missing`` (an error class) if not."""
    p = Path(path)
    try:
        ok = p.is_file()
    except (OSError, ValueError) as exc:   # name too long, NUL byte, ...
        raise missing(f"{what} {str(path)!r}: {_describe(exc)}") from None
    if not ok:
        why = "is a directory, not a file" if p.is_dir() else "does not exist (no such file)"
        raise missing(f"{what} {str(path)!r} {why}")
    return p


def read_npz(path: str | Path, what: str = "archive",
             keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path`` (or only ``keys``), as a dict.

    ``what`` names the file's role in messages ("model file", "data file", ...).  Raises
    :class:`ModelFileError` naming the file (and the key) for anything but a well-formed
    archive of plain (non-object) arrays; a missing file is also a ModelFileError.
    """
    p = check_input_file(path, what, ModelFileError)
    wanted = None if keys is None else set(keys)
    try:
        zf = zipfile.ZipFile(p)
    except _READ_ERRORS as exc:
        raise ModelFileError(f"{what} {str(p)!r} is not a .npz archive "
                             f"({_describe(exc)})") from None
    out: dict[str, np.ndarray] = {}
    with zf:
        try:
            infos = zf.infolist()
        except _READ_ERRORS as exc:   # pragma: no cover - infolist is a plain list
            raise ModelFileError(f"{what} {str(p)!r}: corrupt archive ({_describe(exc)})") \
                from None
        total = 0
        for info in infos:
            name = info.filename
            key = name[:-4] if name.endswith(".npy") else name
            if wanted is not None and key not in wanted:
                continue
            if not name.endswith(".npy"):
                raise ModelFileError(f"{what} {str(p)!r}: member {name!r} is not a .npy "
                                     f"array (not an archive written by numpy.savez)")
            total += int(info.file_size)
            if total > MAX_ARCHIVE_BYTES:
                raise ModelFileError(f"{what} {str(p)!r}: the arrays declare more than "
                                     f"{MAX_ARCHIVE_BYTES} bytes (corrupt or far too large)")
            out[key] = _read_member(zf, info, p, what, key)
    return out


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, p: Path, what: str,
                 key: str) -> np.ndarray:
    fmt = np.lib.format
    where = f"{what} {str(p)!r}, key {key!r}"
    try:
        with zf.open(info) as f:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = fmt.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
            if dtype.hasobject:
                raise ModelFileError(f"{where}: holds Python objects (pickled data); only "
                                     f"plain numeric/text arrays are read")
            n = 1
            for d in shape:
                n *= int(d)
            if n > MAX_MEMBER_ELEMENTS or n * dtype.itemsize > info.file_size:
                raise ModelFileError(f"{where}: header declares shape {shape} of {dtype} "
                                     f"({n * dtype.itemsize} bytes) but the member holds "
                                     f"{info.file_size} bytes (truncated or corrupt)")
            buf = bytearray(n * dtype.itemsize)
            view, got = memoryview(buf), 0
            while got < len(buf):
                k = f.readinto(view[got:])
                if not k:
                    raise ModelFileError(f"{where}: truncated array data ({got} of "
                                         f"{len(buf)} bytes)")
                got += k
            f.read()        # to the end: lets zipfile check the CRC
    except ModelFileError:
        raise
    except _READ_ERRORS as exc:
        raise ModelFileError(f"{where}: corrupt ({_describe(exc)})") from None
    arr = np.frombuffer(buf, dtype=dtype)
    if fortran and len(shape) > 1:
        return arr.reshape(shape[::-1]).T
    return arr.reshape(shape)


def require(arrays: dict, key: str, p, what: str) -> np.ndarray:
    """``arrays[key]``; ModelFileError naming the file and key if it is absent."""
    if key not in arrays:
        raise ModelFileError(f"{what} {str(p)!r} lacks key {key!r}")
    return arrays[key]


def scalar_int(a: np.ndarray, key: str, p, what: str) -> int:
    """A 0-d (or 1-element) integer field as int; ModelFileError for any other type."""
    a = np.asarray(a)
    if a.size != 1 or a.dtype.kind not in "iu":
        raise ModelFileError(f"{what} {str(p)!r}: key {key!r} must be one integer, got "
                             f"{a.dtype} of shape {a.shape}")
    return int(a.reshape(()))


def scalar_float(a: np.ndarray, key: str, p, what: str) -> float:
    """A 0-d real number field (integer or float dtype) as a finite float."""
    a = np.asarray(a)
    if a.size != 1 or a.dtype.kind not in "iuf":
        raise ModelFileError(f"{what} {str(p)!r}: key {key!r} must be one real number, got "
                             f"{a.dtype} of shape {a.shape}")
    v = float(a.reshape(()))
    if not np.isfinite(v):
        raise ModelFileError(f"{what} {str(p)!r}: key {key!r} = {v} is not finite")
    return v


def scalar_text(a: np.ndarray, key: str, p, what: str) -> str:
    """A 0-d string field (numpy unicode or bytes) as str."""
    a = np.asarray(a)
    if a.size != 1 or a.dtype.kind not in "US":
        raise ModelFileError(f"{what} {str(p)!r}: key {key!r} must be a text string, got "
                             f"{a.dtype} of shape {a.shape}")
    v = a.reshape(()).item()
    if isinstance(v, bytes):
        try:
            v = v.decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError(f"{what} {str(p)!r}: key {key!r} is not UTF-8 text") from None
    return str(v)
