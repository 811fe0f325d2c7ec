"""What the transfer tests share: tiny labelled images and a small backbone saved as a `.keras` file."""

import keras
import pytest

from archsearch.core.data import Dataset


@pytest.fixture
def labelled(blobs) -> Dataset:
    x_train, y_train = blobs(400, 0)
    x_test, y_test = blobs(100, 1)
    return Dataset(x_train, x_test, y_train, y_test, source="blobs")


@pytest.fixture
def backbone_file(tmp_path) -> str:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(8)])
    path = tmp_path / "backbone.keras"
    model.save(path)
    return str(path)
