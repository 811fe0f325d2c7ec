import gzip
import struct

import numpy as np
import pytest

from archsearch.core import data
from archsearch.core.data import load_fashion_mnist, load_npz, split
from archsearch.core.errors import DataError


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def make_fashion_dir(directory, n=30):
    rng = np.random.default_rng(0)
    for name, stem in data.IDX_FILES.items():
        shape = (n, 28, 28) if name.startswith("x") else (n,)
        write_idx(directory / f"{stem}.gz", rng.integers(0, 256, size=shape))


def test_data_dir_comes_first_and_pixels_are_scaled(tmp_path):
    make_fashion_dir(tmp_path)
    dataset = load_fashion_mnist(tmp_path)
    assert dataset.source == str(tmp_path)
    assert dataset.x_train.shape == (30, 28, 28, 1) and dataset.x_train.dtype == np.float32
    assert 0.0 <= dataset.x_train.min() and dataset.x_train.max() <= 1.0
    assert dataset.y_train.shape == (30,)


def test_a_named_directory_without_the_files_is_an_error(tmp_path):
    with pytest.raises(DataError, match="--data-dir .*no Fashion-MNIST IDX files"):
        load_fashion_mnist(tmp_path)


@pytest.mark.parametrize("damage", ["not gzip", "cut short", "fewer bytes than its shape"])
def test_a_damaged_idx_file_is_one_line_naming_it(damage, tmp_path):
    make_fashion_dir(tmp_path)
    path = tmp_path / f"{data.IDX_FILES['x_train']}.gz"
    whole = gzip.decompress(path.read_bytes())
    if damage == "not gzip":
        path.write_bytes(b"\x89PNG" + bytes(200))
    elif damage == "cut short":
        path.write_bytes(path.read_bytes()[:-40])
    else:
        path.write_bytes(gzip.compress(whole[:-100]))
    with pytest.raises(DataError, match=f"{path.name}: not a readable IDX file") as caught:
        load_fashion_mnist(tmp_path)
    assert "\n" not in str(caught.value)


def test_search_order_ends_with_keras_cache_then_debian(tmp_path):
    assert data.fashion_mnist_dirs(tmp_path) == [tmp_path, data.KERAS_CACHE_DIR, data.DEBIAN_DIR]


def test_own_images_of_any_size_and_channels(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=rng.uniform(-3, 5, size=(60, 20, 24, 3)))
    dataset = load_npz(path)
    assert dataset.image_shape == (20, 24, 3)
    assert len(dataset.x_test) == 10 and len(dataset.x_train) == 50  # a sixth set aside as test images
    assert dataset.x_train.min() >= 0.0 and dataset.x_train.max() <= 1.0


@pytest.mark.parametrize("arrays, message", [
    ({"images": np.zeros((20, 8, 8))}, "needs an array named x_train"),
    ({"x_train": np.zeros((20, 8))}, "expected shape"),
    ({"x_train": np.zeros((20, 8, 8)), "x_test": np.zeros((5, 9, 8))}, "x_test images are"),
    ({"x_train": np.full((20, 8, 8), np.nan)}, "NaN"),
])
def test_bad_npz_files_name_the_file_and_the_problem(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load_npz(path)


def test_validation_is_carved_from_training_images_and_fixed_by_seed(tmp_path):
    make_fashion_dir(tmp_path, n=50)
    dataset = load_fashion_mnist(tmp_path)
    a, b = split(dataset, 20, 10, seed=3), split(dataset, 30, 10, seed=3)
    assert np.array_equal(a.x_val, b.x_val)  # more training images, the same validation images
    assert np.array_equal(a.x_train, b.x_train[:20])
    flat = {x.tobytes() for x in a.x_train}
    assert not flat & {x.tobytes() for x in a.x_val}
    with pytest.raises(DataError, match="--train-size 45"):
        split(dataset, 45, 10, seed=3)


def test_without_a_local_copy_fashion_mnist_is_downloaded_into_keras_cache_or_fails_in_one_line(tmp_path,
                                                                                                monkeypatch):
    from archsearch.core import data

    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "debian")
    monkeypatch.setattr(data, "KERAS_CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(data, "FASHION_MNIST_URL", (tmp_path / "offline").as_uri() + "/")
    with pytest.raises(DataError, match="Fashion-MNIST not found in .* and the download failed .URLError."):
        data.load_fashion_mnist()
    assert not any((tmp_path / "cache").glob("*.gz"))  # nothing half-written is taken for data later
    mirror = tmp_path / "mirror"  # a server with the four files (here a folder, served by file://)
    mirror.mkdir()
    rng = np.random.default_rng(0)
    for stem, shape in (("train-images-idx3-ubyte", (12, 28, 28)), ("train-labels-idx1-ubyte", (12,)),
                        ("t10k-images-idx3-ubyte", (6, 28, 28)), ("t10k-labels-idx1-ubyte", (6,))):
        header = struct.pack(">HBB", 0, 8, len(shape)) + struct.pack(f">{len(shape)}I", *shape)
        with gzip.open(mirror / f"{stem}.gz", "wb") as handle:
            handle.write(header + rng.integers(0, 10, shape, dtype=np.uint8).tobytes())
    monkeypatch.setattr(data, "FASHION_MNIST_URL", mirror.as_uri() + "/")
    dataset = data.load_fashion_mnist()
    assert dataset.x_train.shape == (12, 28, 28, 1) and dataset.source == str(tmp_path / "cache")
