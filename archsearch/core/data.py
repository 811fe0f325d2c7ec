"""Images for the search: Fashion-MNIST from disk (or downloaded where Keras would), or the user's own
images (an `.npz`, or a folder).

Pixels are scaled to [0, 1] and given a channel axis: arrays are (N, H, W, C) float32. Fitness is
measured on a validation split carved from the training images; the test images only report the end.
"""

from __future__ import annotations

import gzip
import struct
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archsearch.core.errors import DataError
from archsearch.core.image_folder import hold_out_test, read_image_folder

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
KERAS_CACHE_DIR = Path.home() / ".keras" / "datasets" / "fashion-mnist"
FASHION_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"  # where Keras fetches it
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Dataset:
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None
    source: str = ""

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])


@dataclass(frozen=True)
class DataSplits:
    """The three disjoint sets every candidate of a run sees: train, validation (fitness), test; with
    their class labels when the data set has them (transfer learning needs them)."""

    x_train: np.ndarray
    x_val: np.ndarray
    x_test: np.ndarray
    source: str = ""
    y_train: np.ndarray | None = None
    y_val: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])


def class_count(dataset: Dataset, needs: str) -> int:
    """The number of classes a classifier of the data needs (labels 0..count-1 in the training or test
    labels); one line naming `needs` (as `require_labels`) when the data has no labels."""
    require_labels(dataset, needs)
    return int(max(dataset.y_train.max(), dataset.y_test.max())) + 1


def require_labels(dataset: Dataset, needs: str, arrays: tuple[str, ...] = ("y_train", "y_test")) -> None:
    """One-line `DataError` when the data lacks the class labels a command relies on. `needs` is the
    message's subject and verb, naming the flag where one asked for labels ("--objectives nmi: latent
    metrics need")."""
    missing = [name for name in arrays if getattr(dataset, name) is None]
    if missing:
        raise DataError(f"{needs} class labels, and the data ({dataset.source or 'given'}) has no "
                        f"{' or '.join(missing)}")


def load_dataset(data_dir: str | Path | None = None, data_file: str | Path | None = None) -> Dataset:
    """Fashion-MNIST, or the user's own images: an .npz of arrays, or a folder of images (one subfolder
    per class, or unlabelled)."""
    if data_file is not None and Path(data_file).is_dir():
        return load_image_folder(data_file)
    if data_file is not None:
        return load_npz(data_file)
    return load_fashion_mnist(data_dir)


def load_image_folder(folder: str | Path) -> Dataset:
    """A folder of images (`core.image_folder`), a sixth of them held out as the test set."""
    images, labels, _ = read_image_folder(folder)
    x_train, y_train, x_test, y_test = hold_out_test(images, labels)
    if len(x_train) < 10:
        raise DataError(f"--data {folder}: {len(images)} images; at least 12 are needed")
    return Dataset(_as_images(x_train, f"--data {folder}"), _as_images(x_test, f"--data {folder}"), y_train, y_test,
                   source=str(folder))


def fashion_mnist_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """Where the IDX files are looked for, in order."""
    return ([Path(data_dir).expanduser()] if data_dir else []) + [KERAS_CACHE_DIR, DEBIAN_DIR]


def load_fashion_mnist(data_dir: str | Path | None = None) -> Dataset:
    """Reads the four IDX files from the first directory that has them, else downloads them."""
    searched = fashion_mnist_dirs(data_dir)
    if data_dir is not None and not _idx_paths(Path(data_dir).expanduser()):
        raise DataError(f"--data-dir {data_dir}: no Fashion-MNIST IDX files there "
                        f"({', '.join(n + '[.gz]' for n in IDX_FILES.values())})")
    for directory in searched:
        paths = _idx_paths(directory)
        if paths:
            arrays = {name: _read_idx(path) for name, path in paths.items()}
            return Dataset(_as_images(arrays["x_train"]), _as_images(arrays["x_test"]),
                           arrays["y_train"], arrays["y_test"], source=str(directory))
    try:
        download_fashion_mnist(KERAS_CACHE_DIR)
    except OSError as exc:  # no internet
        raise DataError(
            f"Fashion-MNIST not found in {', '.join(map(str, searched))} and the download failed "
            f"({type(exc).__name__}); install it with `apt-get install dataset-fashion-mnist` "
            "or pass --data-dir") from None
    return load_fashion_mnist(KERAS_CACHE_DIR)


def download_fashion_mnist(directory: Path) -> None:
    """The four IDX files from where Keras fetches them, into Keras's own cache (each written beside and
    renamed into place, so an interrupted download leaves no half file)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stem in IDX_FILES.values():
        target = directory / f"{stem}.gz"
        if not target.is_file():
            partial = target.with_suffix(".part")
            urllib.request.urlretrieve(FASHION_MNIST_URL + target.name, partial)
            partial.replace(target)


def load_npz(path: str | Path) -> Dataset:
    """Loads `x_train` (and optionally `x_test`, `y_train`, `y_test`) from the user's own file.

    Without `x_test`, a sixth of the images are set aside as the test set (always the same ones).
    """
    path = Path(path)
    arrays = read_npz(path)
    if "x_train" not in arrays:
        raise DataError(f"--data {path}: needs an array named x_train (found: {', '.join(arrays) or 'none'})")
    x_train = _as_images(arrays["x_train"], f"{path}: x_train")
    y_train = arrays.get("y_train")
    if "x_test" in arrays:
        x_test, y_test = _as_images(arrays["x_test"], f"{path}: x_test"), arrays.get("y_test")
        if x_test.shape[1:] != x_train.shape[1:]:
            raise DataError(f"--data {path}: x_test images are {x_test.shape[1:]}, x_train {x_train.shape[1:]}")
    else:
        n_test = max(1, len(x_train) // 6)
        x_train, x_test = x_train[n_test:], x_train[:n_test]
        y_train, y_test = (None, None) if y_train is None else (y_train[n_test:], y_train[:n_test])
    if len(x_train) < 10:
        raise DataError(f"--data {path}: x_train has {len(x_train)} images; at least 10 are needed")
    return Dataset(x_train, x_test, y_train, y_test, source=str(path))


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz file; a missing or unreadable file is one line naming it."""
    if not path.is_file():
        raise DataError(f"--data {path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except Exception as exc:
        raise DataError(f"--data {path}: not a readable .npz file ({exc})") from None


def split(dataset: Dataset, train_size: int | None, val_size: int, seed: int,
          test_size: int | None = None) -> DataSplits:
    """Carves a validation set from the training images (the same for every candidate of a run)."""
    n = len(dataset.x_train)
    if val_size < 1 or val_size >= n:
        raise DataError(f"--val-size {val_size}: must lie between 1 and {n - 1} (training images: {n})")
    order = np.random.default_rng(seed).permutation(n)
    available = n - val_size
    train_size = available if train_size is None else train_size
    if train_size < 1 or train_size > available:
        raise DataError(f"--train-size {train_size}: must lie between 1 and {available} "
                        f"({n} training images minus {val_size} for validation)")
    train, val = order[val_size:val_size + train_size], order[:val_size]
    x_test = dataset.x_test if test_size is None else dataset.x_test[:test_size]
    labels = {}
    if dataset.y_train is not None:
        labels = {"y_train": dataset.y_train[train], "y_val": dataset.y_train[val],
                  "y_test": None if dataset.y_test is None else dataset.y_test[:len(x_test)]}
    return DataSplits(dataset.x_train[train], dataset.x_train[val], x_test, dataset.source, **labels)


def _idx_paths(directory: Path) -> dict[str, Path]:
    found = {}
    for name, stem in IDX_FILES.items():
        for candidate in (directory / f"{stem}.gz", directory / stem):
            if candidate.is_file():
                found[name] = candidate
                break
    return found if len(found) == len(IDX_FILES) else {}


def _read_idx(path: Path) -> np.ndarray:
    """The array of an IDX file (gzipped or not); a damaged or truncated one is one line naming it."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
        zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
        if zero != 0 or dtype_code != 0x08:
            raise DataError(f"{path}: not an IDX file of unsigned bytes")
        shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    except (OSError, EOFError, struct.error, ValueError) as exc:  # not gzip, cut short, fewer bytes than its shape
        raise DataError(f"{path}: not a readable IDX file ({type(exc).__name__}: {exc})") from None


def _as_images(array: np.ndarray, what: str = "images") -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4:
        raise DataError(f"{what}: expected shape (N, H, W) or (N, H, W, C), got {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise DataError(f"{what}: contains NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:  # scale other ranges to [0, 1] so the sigmoid output can match
        array = (array - low) / max(high - low, 1e-12)
    return array


@dataclass(frozen=True)
class PackedImages:
    """Images that were bytes (each value k / 255), kept as those bytes while pickled: a quarter of the size
    crossing to every worker process (182 MB -> 45 MB for Fashion-MNIST), unpacked to the identical array."""

    data: np.ndarray

    def unpack(self) -> np.ndarray:
        return self.data.astype(np.float32) / 255.0


def pack_images(images: np.ndarray | None) -> np.ndarray | PackedImages | None:
    """`images` as `PackedImages` when that loses nothing, else unchanged."""
    if images is None or images.dtype != np.float32 or not len(images):
        return images
    scaled = np.round(images * 255.0)
    if scaled.min() < 0 or scaled.max() > 255:
        return images
    packed = PackedImages(scaled.astype(np.uint8))
    return packed if np.array_equal(packed.unpack(), images) else images


def unpack_images(images: np.ndarray | PackedImages | None) -> np.ndarray | None:
    return images.unpack() if isinstance(images, PackedImages) else images
