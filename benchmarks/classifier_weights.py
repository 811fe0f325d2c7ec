"""A CNN classifier trained without gradients beside backprop, at equal wall time (issue 17, point 1).

The study this reproduces trained a convolutional MNIST classifier with a GA (population 200, 300
generations) and found it far below SGD. Here: archsearch's `cnn-classifier` (two 5x5 convolutions
and poolings, a softmax; 5,994 weights) on Fashion-MNIST, each method given the same seconds on the
same training images, every method scored on the same test images:
- `ga` at the study's population of 200, `es` (OpenAI-ES), `snes`: `archsearch evolve-weights`'s loop,
  cross-entropy on minibatches of 256;
- backprop: Adam at Keras' defaults, batches of 64, epochs until the time is up.
Goal: the best gradient-free method at least 85% test accuracy after 15 minutes on 2 cores (a linear
classifier on the pixels reaches 84%).

    python benchmarks/classifier_weights.py [--seconds 900] [--methods ga,es,snes,backprop] [--samples 55000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from archsearch.run.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

import keras  # noqa: E402

from archsearch.analysis.tables import markdown_table  # noqa: E402
from archsearch.core.data import load_dataset  # noqa: E402
from archsearch.weights.classify import build_cnn_classifier, evolve_classifier_run  # noqa: E402
from archsearch.weights.evolution import WeightEvolutionSettings  # noqa: E402

POPULATIONS = {"ga": 200, "es": 64, "snes": 64}  # the study's GA population; the strategies' defaults
VAL_SIZE = 5000  # the last training images: the gradient-free runs' monitor, never trained on


class StopAfter(keras.callbacks.Callback):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.deadline = time.perf_counter() + seconds

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() >= self.deadline:
            self.model.stop_training = True


def backprop(train, test, seconds: float, seed: int) -> dict:
    keras.utils.set_random_seed(seed)
    model = build_cnn_classifier(train[0].shape[1:], 10)
    model.compile(keras.optimizers.Adam(), keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(*train, batch_size=64, epochs=10_000, callbacks=[StopAfter(seconds)], verbose=0).history
    elapsed = time.perf_counter() - start
    accuracy = float(model.evaluate(*test, verbose=0)[1])
    return {"method": "backprop (Adam)", "population": "", "steps": f"{len(history['loss'])} epochs",
            "seconds": round(elapsed, 1), "test_accuracy": round(accuracy, 4)}


def evolved(name: str, train, val, test, seconds: float, seed: int, out: Path) -> dict:
    settings = WeightEvolutionSettings(strategy=name, population=POPULATIONS[name], generations=10**7,
                                       batch_size=256, loss="crossentropy", time_limit=seconds, monitor_every=100)
    keras.utils.set_random_seed(seed)
    model = build_cnn_classifier(train[0].shape[1:], 10)
    summary = evolve_classifier_run(model, "cnn-classifier", train, val, test, settings, seed, out / name)
    return {"method": name, "population": settings.population, "steps": f"{summary['generations']} generations",
            "seconds": summary["seconds"], "test_accuracy": round(summary["test_accuracy"], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=900.0, help="training time per method")
    parser.add_argument("--methods", default="ga,es,snes,backprop")
    parser.add_argument("--samples", type=int, default=55_000, help="training images (the last 5,000 validate)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = load_dataset()
    samples = min(args.samples, len(data.x_train) - VAL_SIZE)
    train = (data.x_train[:samples], data.y_train[:samples])
    val = (data.x_train[-VAL_SIZE:], data.y_train[-VAL_SIZE:])
    test = (data.x_test, data.y_test)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for method in args.methods.split(","):
            row = (backprop(train, test, args.seconds, args.seed) if method == "backprop"
                   else evolved(method, train, val, test, args.seconds, args.seed, Path(directory)))
            rows.append(row)
            print(row, flush=True)
    print(markdown_table(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
