"""A CNN classifier architecture search, built only on archsearch's public API (as a user would write it):
convolution, pooling, batch-norm and dropout genes for the feature extractor, dense genes for the head,
and training genes; Fashion-MNIST by default, or any labelled images (`--data`). The winner is handed
over as `best/model.keras` with its test accuracy and a confusion-matrix plot.

Its defaults fit a 5-minute run on 2 cores, the slower machine's too: the top rung is 6 passes over the
training images, the search starts no job after 250 s, and the first candidate (every strategy's, which
climbs straight to the top rung) is a small CNN chosen for accuracy per second on a CPU
(`benchmarks/classifier_candidates.py`): a 3x3 convolution of 32 filters, max-pooled, one of 64 with stride
2, a dense layer of 128, Adam at a learning rate of 6e-3 (its cosine decay makes a high start pay). It
reaches about 92.3% test accuracy in 6 passes, at 1.7x the speed of the textbook CNN (a second pooled
convolution instead of the strided one), whose 8-pass climb does not end in time on the slower machine.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from archsearch import Choice, Float, Group, KerasTask, OneOf, Repeated, Space, load_dataset

LAYERS = keras.layers
FEATURE = OneOf(
    conv=Group(filters=Choice([16, 32, 48, 64, 96]), kernel=Choice([3, 5]), stride=Choice([1, 2])),
    pool=Group(),
    batchnorm=Group(),
    dropout=Group(rate=Float(0.0, 0.5, default=0.25)),
)
space = Space({
    "features": Repeated(FEATURE, min_length=1, max_length=6),
    "head": Repeated(Group(units=Choice([64, 128, 256]), dropout=Float(0.0, 0.5)), min_length=0, max_length=2),
    "activation": Choice(["relu", "elu", "gelu"]),
    "optimizer": Choice(["adam", "adamw", "rmsprop"]),
    "learning_rate": Float(3e-4, 1e-2, log=True),
    "batch_size": Choice([64, 128, 256]),
}, name="classifier", default={
    "features": [{"kind": "conv", "filters": 32, "kernel": 3, "stride": 1}, {"kind": "pool"},
                 {"kind": "conv", "filters": 64, "kernel": 3, "stride": 2}],
    "head": [{"units": 128, "dropout": 0.3}],
    "activation": "relu", "optimizer": "adam", "learning_rate": 6e-3, "batch_size": 128,
})


def build(params, input_shape, targets):
    inputs = x = keras.Input(input_shape)
    for layer in params["features"]:
        if layer["kind"] == "conv":
            x = LAYERS.Conv2D(layer["filters"], layer["kernel"], strides=layer["stride"], padding="same",
                              activation=params["activation"])(x)
        elif layer["kind"] == "pool" and min(x.shape[1:3]) >= 2:  # a pool that would empty the image is left out
            x = LAYERS.MaxPooling2D()(x)
        elif layer["kind"] == "batchnorm":
            x = LAYERS.BatchNormalization()(x)
        elif layer["kind"] == "dropout":
            x = LAYERS.Dropout(layer["rate"])(x)
    x = LAYERS.Flatten()(x)
    for layer in params["head"]:
        x = LAYERS.Dropout(layer["dropout"])(LAYERS.Dense(layer["units"], activation=params["activation"])(x))
    return keras.Model(inputs, LAYERS.Dense(targets.classes, activation="softmax")(x))


def fashion_mnist():
    dataset = load_dataset()
    return dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test


def confusion_matrix(model, x_test, y_test, directory: Path) -> dict:
    """Writes `confusion_matrix.png` (rows: true class, columns: predicted) and returns each class's accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    predicted = np.argmax(model.predict(x_test, batch_size=1000, verbose=0), axis=1)
    display = ConfusionMatrixDisplay.from_predictions(y_test, predicted, colorbar=False)
    accuracy = float(np.mean(predicted == y_test))
    display.ax_.set_title(f"test accuracy {accuracy:.2%} on {len(y_test):,} images")
    display.figure_.set_size_inches(7, 7)
    display.figure_.savefig(directory / "confusion_matrix.png", dpi=110, bbox_inches="tight")
    plt.close(display.figure_)
    per_class = display.confusion_matrix.diagonal() / np.maximum(display.confusion_matrix.sum(axis=1), 1)
    return {"per_class_accuracy": [round(float(a), 4) for a in per_class]}


task = KerasTask(space=space, build=build, data=fashion_mnist, loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"], objective="accuracy", report=confusion_matrix, name="classifier",
                 settings={"final_epochs": 6, "time_limit": 250})
