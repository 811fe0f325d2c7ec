"""A task's data the way Keras users hold it: arrays (x, y), or (x_train, y_train, x_test, y_test), or a
`Dataset`; without test arrays a sixth of the samples is set aside as the test set (always the same
ones). Samples are kept as they are (a task's data need not be images)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from archsearch.core.data import Dataset, load_image_folder, read_npz
from archsearch.core.errors import DataError

MIN_SAMPLES = 10


def as_dataset(data: Any, what: str = "data") -> Dataset:
    """`data` as a `Dataset`; one line naming `what` when it is none of the accepted forms."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, Mapping):
        data = tuple(data.get(k) for k in ("x_train", "y_train", "x_test", "y_test"))
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 4):
        raise DataError(f"{what}: expected arrays (x, y) or (x_train, y_train, x_test, y_test), "
                        f"got {type(data).__name__}")
    arrays = [None if a is None else np.asarray(a) for a in data]
    x_train, y_train = arrays[0], arrays[1]
    _check_pair(x_train, y_train, f"{what}: x_train, y_train")
    if len(arrays) == 4 and arrays[2] is not None:
        x_test, y_test = arrays[2], arrays[3]
        _check_pair(x_test, y_test, f"{what}: x_test, y_test")
        if x_test.shape[1:] != x_train.shape[1:]:
            raise DataError(f"{what}: x_test samples are {x_test.shape[1:]}, x_train's {x_train.shape[1:]}")
    else:
        held = max(1, len(x_train) // 6)
        order = np.random.default_rng(0).permutation(len(x_train))
        x_test, y_test = x_train[order[:held]], y_train[order[:held]]
        x_train, y_train = x_train[order[held:]], y_train[order[held:]]
    if len(x_train) < MIN_SAMPLES:
        raise DataError(f"{what}: {len(x_train)} training samples; at least {MIN_SAMPLES} are needed")
    return Dataset(_floats(x_train, what), _floats(x_test, what), y_train, y_test, source=what)


def load_arrays(path: str | Path) -> Dataset:
    """A task's data from an .npz holding x_train, y_train (and optionally x_test, y_test), or from a folder
    of images (one subfolder per class: the labels; unlabelled: each image is its own target)."""
    if Path(path).is_dir():
        images = load_image_folder(path)
        if images.y_train is None:
            return replace(images, y_train=images.x_train, y_test=images.x_test)
        return images
    arrays = read_npz(Path(path))
    missing = [name for name in ("x_train", "y_train") if name not in arrays]
    if missing:
        raise DataError(f"--data {path}: needs arrays named x_train and y_train (found: {', '.join(arrays) or 'none'})")
    return as_dataset(arrays, f"--data {path}")


def _check_pair(x: np.ndarray | None, y: np.ndarray | None, what: str) -> None:
    if x is None or y is None:
        raise DataError(f"{what}: both arrays are needed (an autoencoder's y is its x)")
    if x.ndim < 2 or len(x) != len(y):
        raise DataError(f"{what}: {len(x)} samples of shape {x.shape[1:]} against {len(y)} targets")


def _floats(x: np.ndarray, what: str) -> np.ndarray:
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    if not np.isfinite(x).all():
        raise DataError(f"{what}: contains NaN or infinite values")
    return x
