"""Training-split decoding, strided subsets and the held-out split (train --holdout)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dgcq_sim.errors import InputError
from dgcq_sim.nn.data import Dataset, load_test_set, load_train_set, strided


@pytest.fixture(scope="module")
def jpeg_split(tmp_path_factory):
    """A 30-image training split in the shared file's layout (JPEG bytes, offsets, y),
    class-sorted like it; returns (path, the decoded images Pillow gives)."""
    rng = np.random.default_rng(3)
    imgs = rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8)
    blobs, decoded = [], []
    for im in imgs:
        b = io.BytesIO()
        Image.fromarray(im).save(b, format="JPEG", quality=90)
        blobs.append(np.frombuffer(b.getvalue(), np.uint8))
        decoded.append(np.asarray(Image.open(io.BytesIO(b.getvalue())).convert("RGB")))
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
    path = tmp_path_factory.mktemp("split") / "train_jpeg.npz"
    np.savez(path, jpeg=np.concatenate(blobs), offsets=offsets,
             y=np.repeat(np.arange(10), 3).astype(np.uint8))
    return path, np.stack(decoded)


def test_decodes_every_image_and_strided_subsets(jpeg_split):
    path, decoded = jpeg_split
    ds = load_train_set(path)
    assert np.array_equal(ds.x, decoded) and ds.y.tolist() == np.repeat(np.arange(10), 3).tolist()
    sub = load_train_set(path, limit=10)
    idx = strided(30, 10)
    assert idx[0] == 0 and idx[-1] == 29 and np.array_equal(sub.x, decoded[idx])
    assert sorted(set(sub.y.tolist())) == list(range(10))    # one of every class
    assert np.array_equal(ds.subset(10).x, sub.x)


def test_holdout_decodes_exactly_the_images_training_keeps_out(jpeg_split):
    path, _ = jpeg_split
    rest, held = load_train_set(path).holdout(10)
    alone = load_train_set(path, holdout=10)
    assert np.array_equal(alone.x, held.x) and np.array_equal(alone.y, held.y)
    assert len(rest) == 20 and sorted(set(held.y.tolist())) == list(range(10))
    seen = {r.tobytes() for r in rest.x}
    assert not any(h.tobytes() in seen for h in held.x)
    for bad in (0, 30, 2.5, True):
        with pytest.raises(InputError, match=r"holdout must be an integer in 1\.\.29"):
            load_train_set(path, holdout=bad)


def test_holdout_split_of_a_dataset():
    ds = Dataset(np.zeros((7, 32, 32, 3), np.uint8), np.arange(7), "seven")
    rest, held = ds.holdout(3)
    assert held.y.tolist() == [0, 3, 6] and rest.y.tolist() == [1, 2, 4, 5]
    with pytest.raises(InputError, match=r"1\.\.6 \(images of seven, 7 in all\), got 7"):
        ds.holdout(7)


def test_holdout_data_name_is_the_default_splits_held_out_images(monkeypatch, jpeg_split):
    import dgcq_sim.nn.data as data
    monkeypatch.setattr(data, "TRAIN_JPEG", jpeg_split[0])
    assert np.array_equal(load_test_set("holdout:5").x, load_train_set(jpeg_split[0], holdout=5).x)
    with pytest.raises(InputError, match="holdout must be an integer in 1..29"):
        load_test_set("holdout:30")
