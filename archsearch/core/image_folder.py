"""Images from a folder, the way Keras users hold them (`keras.utils.image_dataset_from_directory`): one
subfolder per class (labels 0..K-1 in the subfolders' sorted order), or the images directly in the
folder (unlabelled). Every image must have the same size; grey or colour is taken from the first.

A sixth of the images (the same ones each time, spread over every class) is set aside as the test set.
A folder without images, images of several sizes, or a file that is not a readable image is one line
naming it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from archsearch.core.errors import DataError

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith(".")


def read_image_folder(folder: str | Path) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """(images as uint8 (N, H, W, C), labels or None, class names)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"--data {folder}: no such folder")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = sorted(p for p in folder.iterdir() if is_image(p))
    if classes and loose:
        raise DataError(f"--data {folder}: holds both images ({loose[0].name}) and class subfolders "
                        f"({classes[0]}); put every image in its class's subfolder")
    if classes:
        files = [(p, label) for label, name in enumerate(classes)
                 for p in sorted(q for q in (folder / name).iterdir() if is_image(q))]
        empty = [name for name in classes if not any(label == classes.index(name) for _, label in files)]
        if empty:
            raise DataError(f"--data {folder}: class folder {empty[0]!r} holds no images ({', '.join(SUFFIXES)})")
    else:
        files = [(p, -1) for p in loose]
    if not files:
        raise DataError(f"--data {folder}: no images ({', '.join(SUFFIXES)}) in it or in class subfolders")
    images = _read_all([p for p, _ in files], folder)
    labels = np.asarray([label for _, label in files]) if classes else None
    return images, labels, classes


def _read_all(paths: list[Path], folder: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    first_mode, first_size, arrays = None, None, []
    for path in paths:
        try:
            with Image.open(path) as image:
                image.load()
                mode = first_mode or ("L" if image.mode in ("1", "L", "I;16", "I", "F") else "RGB")
                array = np.asarray(image.convert(mode))
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise DataError(f"--data {folder}: {path.relative_to(folder)} is not a readable image "
                            f"({type(exc).__name__})") from None
        first_mode = mode
        if first_size is None:
            first_size = array.shape[:2]
        elif array.shape[:2] != first_size:
            raise DataError(f"--data {folder}: {path.relative_to(folder)} is {array.shape[1]}x{array.shape[0]}, "
                            f"the first image {first_size[1]}x{first_size[0]}; every image must have one size")
        arrays.append(array if array.ndim == 3 else array[..., None])
    return np.stack(arrays)


def hold_out_test(images: np.ndarray, labels: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test): every sixth image of each class (or of all) for the test set."""
    test = np.zeros(len(images), dtype=bool)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if labels is not None else [
        np.arange(len(images))]
    for members in groups:
        test[members[5::6]] = True
    if not test.any() or test.all():
        test[:] = False
        test[0] = True
    y_train, y_test = (None, None) if labels is None else (labels[~test], labels[test])
    return images[~test], y_train, images[test], y_test
