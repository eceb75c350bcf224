"""CIFAR-10 images for the NN path: the bundled subsets and the full sets in ``../shared/data``.

Images are uint8 NHWC (N, 32, 32, 3), labels uint8/int (N,).  The shared test file is sorted
by class, so every subset here is taken with a stride, never as the first N images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..archive import check_input_file, read_npz, require
from ..errors import InputError
from ..paths import DATA_DIR, REPO_DIR

SHARED_DATA = REPO_DIR.parent / "shared" / "data"
BUNDLED_TEST = DATA_DIR / "cifar10_test_1000.npz"     # x[::10] of the full test set
BUNDLED_CALIB = DATA_DIR / "cifar10_calib_500.npz"    # x[::10] of cifar10_calib.npz
BUNDLED_REFERENCE = DATA_DIR / "resnet20_reference.npz"  # first 256 test images + torch logits


def strided(total: int, n: int) -> np.ndarray:
    """Indices of ``n`` of ``total`` items spread evenly, first and last included (the one
    subset rule: class-sorted files give class-balanced subsets)."""
    return np.linspace(0, total - 1, n).round().astype(np.int64)


@dataclass
class Dataset:
    """Images ``x`` uint8 (N, 32, 32, 3) NHWC and integer labels ``y`` (N,)."""

    x: np.ndarray
    y: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def subset(self, limit: int | None) -> "Dataset":
        """Every k-th image so that ``limit`` images remain (the file is class-sorted)."""
        if limit is None or limit >= len(self):
            return self
        if limit < 1:
            raise InputError(f"image limit must be >= 1, got {limit}")
        idx = strided(len(self), limit)
        return Dataset(self.x[idx], self.y[idx], f"{self.source}[{limit} strided]")

    def holdout(self, n: int) -> tuple["Dataset", "Dataset"]:
        """(the rest, ``n`` strided images): a class-balanced held-out split, disjoint from
        the rest and the same for every seed (so checkpoints of runs with other seeds are
        compared on the same images)."""
        idx = strided(len(self), check_holdout(n, len(self), self.source or "the split"))
        keep = np.ones(len(self), bool)
        keep[idx] = False
        return (Dataset(self.x[keep], self.y[keep], f"{self.source}[without {n} held out]"),
                Dataset(self.x[idx], self.y[idx], f"{self.source}[{n} held out]"))


def check_holdout(n, total: int, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n < total:
        raise InputError(f"holdout must be an integer in 1..{total - 1} (images of {what}, "
                         f"{total} in all), got {n!r}")
    return int(n)


def check_images(x: np.ndarray, what: str = "images") -> np.ndarray:
    """Refuse anything but uint8 (N, 32, 32, 3) NHWC; return it unchanged."""
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1:] != (32, 32, 3):
        raise InputError(f"{what} must have shape (N, 32, 32, 3) NHWC, got {x.shape}")
    if x.dtype != np.uint8:
        raise InputError(f"{what} must be uint8 pixels, got dtype {x.dtype}")
    if x.shape[0] == 0:
        raise InputError(f"{what} is empty (shape {x.shape})")
    return x


def load_npz_dataset(path: str | Path, what: str = "data file") -> Dataset:
    """Read an ``.npz`` with ``x`` uint8 (N, 32, 32, 3) and ``y`` (N,).

    A missing file -> InputError; a file that is not a readable archive of plain arrays,
    or lacks ``x``/``y`` -> ModelFileError naming the file (``what`` names its role) and key.
    """
    path = check_input_file(path, what, InputError)
    arrs = read_npz(path, what, keys=("x", "y"))
    x = require(arrs, "x", path, what)
    y = require(arrs, "y", path, what)
    x = check_images(x, f"key 'x' of {path}")
    if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise InputError(f"key 'y' of {path} must be integer of shape ({x.shape[0]},), "
                         f"got {y.dtype} {y.shape}")
    return Dataset(x, y.astype(np.int64), str(path))


def load_test_set(data: str | Path = "bundled") -> Dataset:
    """Test images: ``"bundled"`` (1 000, stride 10), ``"full"`` (``../shared/data``),
    ``"holdout:N"`` (the N training images ``train --holdout N`` keeps out) or a path."""
    m = re.fullmatch(r"holdout:(\d+)", str(data))
    if m:
        return load_train_set(holdout=int(m.group(1)))
    if str(data) == "bundled":
        return load_npz_dataset(BUNDLED_TEST)
    if str(data) == "full":
        return load_npz_dataset(SHARED_DATA / "cifar10_test.npz")
    return load_npz_dataset(data)


def load_calibration_set(data: str | Path = "bundled") -> Dataset:
    """Calibration images (training split): ``"bundled"`` (500), ``"full"`` (5 000) or a path."""
    if str(data) == "bundled":
        return load_npz_dataset(BUNDLED_CALIB, "calibration file")
    if str(data) == "full":
        return load_npz_dataset(SHARED_DATA / "cifar10_calib.npz", "calibration file")
    return load_npz_dataset(data, "calibration file")


def load_reference() -> tuple[np.ndarray, np.ndarray]:
    """The first 256 test images and torch's fp32 ResNet-20 logits for them, (256, 10)."""
    arrs = read_npz(BUNDLED_REFERENCE, "reference file", keys=("x", "logits"))
    return (require(arrs, "x", BUNDLED_REFERENCE, "reference file"),
            require(arrs, "logits", BUNDLED_REFERENCE, "reference file"))


TRAIN_JPEG = SHARED_DATA / "cifar10_train_jpeg.npz"


def train_data_path(path: str | Path | None = None) -> Path:
    """The training-split file (default ``../shared/data/cifar10_train_jpeg.npz``); a missing
    one -> InputError naming the expected path."""
    p = Path(path) if path is not None else TRAIN_JPEG
    if not p.is_file():
        raise InputError(f"training data not found: expected {p} (the CIFAR-10 training "
                         f"split as JPEG bytes, see ../shared/data/README.md)")
    return p


def load_train_set(path: str | Path | None = None, limit: int | None = None,
                   holdout: int | None = None) -> Dataset:
    """The CIFAR-10 training split (50 000 JPEGs as raw bytes, ``../shared/data/
    cifar10_train_jpeg.npz``; see its README), decoded with Pillow to uint8 NHWC.

    limit: decode only a strided subset of that many images (the file is class-sorted).
    holdout: decode only the ``holdout`` images that ``Dataset.holdout`` keeps out of the
    whole split (what ``train --holdout N`` without ``--limit`` scores).
    A missing file -> InputError naming the expected path; a damaged one -> ModelFileError.
    """
    import io

    from PIL import Image, UnidentifiedImageError

    p = train_data_path(path)
    what = "training data file"
    arrs = read_npz(p, what, keys=("jpeg", "offsets", "y"))
    jpeg, offsets, y = (require(arrs, k, p, what) for k in ("jpeg", "offsets", "y"))
    n = int(y.shape[0])
    if offsets.shape != (n + 1,) or jpeg.dtype != np.uint8 or offsets[-1] != jpeg.size \
            or (np.diff(offsets) <= 0).any():
        raise InputError(f"{p}: keys 'jpeg'/'offsets'/'y' are inconsistent "
                         f"(offsets {offsets.shape}, y {y.shape}, jpeg {jpeg.size} bytes)")
    if holdout is not None:
        idx = strided(n, check_holdout(holdout, n, str(p)))
    else:
        idx = np.arange(n) if limit is None or limit >= n else strided(n, max(1, int(limit)))
    x = np.empty((idx.size, 32, 32, 3), np.uint8)
    for j, i in enumerate(idx):
        try:
            img = Image.open(io.BytesIO(jpeg[offsets[i]:offsets[i + 1]].tobytes())).convert("RGB")
        except (UnidentifiedImageError, OSError) as exc:
            raise InputError(f"{p}: image {i} does not decode ({exc})") from None
        a = np.asarray(img)
        if a.shape != (32, 32, 3):
            raise InputError(f"{p}: image {i} decodes to shape {a.shape}, expected (32, 32, 3)")
        x[j] = a
    return Dataset(x, y[idx].astype(np.int64), f"{p}[{idx.size}]")
