"""Images from a folder, as Keras users keep them: one subfolder per class, or unlabelled."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from archsearch.core.data import load_dataset
from archsearch.core.errors import DataError


def write_images(folder, count, size=(8, 6), mode="L", seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(folder / f"{i:03d}.png")


def test_one_subfolder_per_class_gives_labels_in_sorted_order_and_a_test_share_of_each(tmp_path):
    for name, count in (("shirt", 12), ("bag", 18), ("coat", 6)):
        write_images(tmp_path / "data" / name, count)
    dataset = load_dataset(data_file=tmp_path / "data")
    assert dataset.x_train.shape[1:] == (6, 8, 1) and dataset.x_train.dtype == np.float32
    assert 0.0 <= dataset.x_train.min() and dataset.x_train.max() <= 1.0
    labels = np.concatenate([dataset.y_train, dataset.y_test])
    assert sorted(np.bincount(labels)) == [6, 12, 18]
    assert list(np.bincount(dataset.y_test)) == [3, 1, 2]  # bag, coat, shirt: every sixth image of each
    first_bag = np.asarray(Image.open(tmp_path / "data" / "bag" / "000.png"), dtype=np.float32) / 255
    assert np.array_equal(dataset.x_train[0, ..., 0], first_bag)


def test_images_directly_in_the_folder_are_unlabelled_and_colour_stays_colour(tmp_path):
    write_images(tmp_path / "photos", 24, mode="RGB")
    dataset = load_dataset(data_file=tmp_path / "photos")
    assert dataset.y_train is None and dataset.x_train.shape == (20, 6, 8, 3) and len(dataset.x_test) == 4


def test_bad_folders_are_one_line_naming_what_is_wrong(tmp_path):
    (tmp_path / "empty").mkdir()
    write_images(tmp_path / "sizes", 12)
    write_images(tmp_path / "sizes", 1, size=(9, 6), seed=1)  # overwrites 000.png with another size
    write_images(tmp_path / "broken", 12)
    (tmp_path / "broken" / "005.png").write_bytes(b"not an image")
    write_images(tmp_path / "mixed" / "a", 12)
    write_images(tmp_path / "mixed", 1)
    write_images(tmp_path / "hollow" / "a", 12)
    (tmp_path / "hollow" / "b").mkdir()
    for folder, message in [("missing", "no such file"), ("empty", "no images"),
                            ("sizes", "001.png is 8x6, the first image 9x6; every image must have one size"),
                            ("broken", "005.png is not a readable image"),
                            ("mixed", "holds both images .000.png. and class subfolders .a."),
                            ("hollow", "class folder 'b' holds no images")]:
        with pytest.raises(DataError, match=message):
            load_dataset(data_file=tmp_path / folder)


def test_the_command_line_refuses_a_bad_folder_in_one_line_with_status_2(tmp_path):
    (tmp_path / "empty").mkdir()
    done = subprocess.run([sys.executable, "-m", "archsearch", "search", "--data", str(tmp_path / "empty"),
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no images" in done.stderr
    assert not (tmp_path / "run").exists()


def test_a_task_takes_a_labelled_folder_with_its_classes(tmp_path):
    from archsearch.tasks.data import load_arrays
    from archsearch.tasks.keras_task import targets_of

    for name in ("a", "b", "c"):
        write_images(tmp_path / "data" / name, 12)
    dataset = load_arrays(tmp_path / "data")
    assert targets_of(dataset.y_train, dataset.y_test).classes == 3
    write_images(tmp_path / "plain", 12)
    unlabelled = load_arrays(tmp_path / "plain")
    assert np.array_equal(unlabelled.y_train, unlabelled.x_train)  # an image is its own target
