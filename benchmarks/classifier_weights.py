"""A CNN classifier trained without gradients beside backprop, at equal wall time (issue 17, point 1).

The study this reproduces trained a convolutional MNIST classifier with a GA (population 200, 300
generations) and found it far below SGD. Here: archsearch's `cnn-classifier` (two 5x5 convolutions
with stride 2, a softmax; 5,994 weights) on Fashion-MNIST, each method given the same seconds on the
same training images, every method scored on the same test images every `--every` seconds (scoring
time is not counted):
- `ga` at the study's population of 200, `es` (OpenAI-ES) and `snes`: `archsearch evolve-weights`'s
  loop, cross-entropy on minibatches (each method's settings below: the best of 120-s trials);
  their populations are scored in bfloat16 (`--precision`; 1.5x the generations of float32 on a CPU
  with bfloat16 instructions), every reported accuracy in float32;
- backprop: Adam at Keras' defaults, batches of 64, epochs until the time is up, in float32.
Goal: the best gradient-free method at least 85% test accuracy after 15 minutes on 2 cores (a linear
classifier on the pixels reaches 84%). Writes README.md, table.csv, curves.csv, accuracy_vs_seconds.png
and settings.json to --out.

    python benchmarks/classifier_weights.py [--seconds 900] [--methods ga,es,snes,backprop] [--precision bfloat16]
                                            [--out results/reference/classifier_weights]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from archsearch.core.quiet import import_quietly

import_quietly()

import keras  # noqa: E402

from archsearch.analysis.tables import markdown_table  # noqa: E402
from archsearch.core.data import load_dataset  # noqa: E402
from archsearch.weights.classify import build_cnn_classifier, evolve_classifier_run  # noqa: E402
from archsearch.weights.evolution import WeightEvolutionSettings  # noqa: E402
from archsearch.weights.plots import save_loss_against_seconds  # noqa: E402
from archsearch.weights.population_forward import PopulationForward  # noqa: E402
from archsearch.weights.precision import PRECISIONS  # noqa: E402

# population, images per generation, the strategy's options: the study's GA population; for es and snes
# the best of 120-s trials, with the learning rate annealed over the second half of the time
# (0.8488 against 0.8347 for snes in 15 minutes; over all of it, 0.8391; benchmarks/README.md)
METHODS = {"ga": (200, 256, {}), "es": (64, 256, {"anneal": 0.5}), "snes": (256, 128, {"anneal": 0.5})}
VAL_SIZE = 5000  # the last training images: the gradient-free runs' monitor, never trained on
LINEAR_PIXELS = 0.84  # a linear classifier on the pixels (logistic regression), for the plot


class Checkpoints:
    """Test accuracy at every `every` seconds of training; the scoring time is taken off the clock."""

    def __init__(self, test, every: float) -> None:
        self.test, self.every = test, every
        self.seconds: list[float] = []
        self.accuracy: list[float] = []
        self.paused = 0.0

    def due(self, seconds: float) -> bool:
        return seconds - self.paused >= (len(self.seconds) + 1) * self.every

    def record(self, seconds: float, score) -> None:
        start = time.perf_counter()
        self.accuracy.append(float(score()))
        self.seconds.append(seconds - self.paused)
        self.paused += time.perf_counter() - start


class BackpropClock(keras.callbacks.Callback):
    """Stops backprop after `seconds` of training, scoring the test images on the way."""

    def __init__(self, seconds: float, checkpoints: Checkpoints) -> None:
        super().__init__()
        self.seconds, self.checkpoints = seconds, checkpoints
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        elapsed = time.perf_counter() - self.start
        if self.checkpoints.due(elapsed):
            self.checkpoints.record(elapsed, lambda: test_accuracy(self.model, *self.checkpoints.test))
        if elapsed - self.checkpoints.paused >= self.seconds:
            self.model.stop_training = True


def test_accuracy(model: keras.Model, images, labels) -> float:
    return float(np.mean(model.predict(images, batch_size=1000, verbose=0).argmax(1) == labels))


def backprop(train, test, seconds: float, seed: int, every: float) -> tuple[dict, Checkpoints]:
    keras.utils.set_random_seed(seed)
    model = build_cnn_classifier(train[0].shape[1:], 10)
    model.compile(keras.optimizers.Adam(), keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    checkpoints = Checkpoints(test, every)
    clock = BackpropClock(seconds, checkpoints)
    history = model.fit(*train, batch_size=64, epochs=10_000, callbacks=[clock], verbose=0).history
    elapsed = time.perf_counter() - clock.start - checkpoints.paused
    accuracy = test_accuracy(model, *test)
    checkpoints.seconds.append(elapsed)
    checkpoints.accuracy.append(accuracy)
    return {"method": "backprop (Adam)", "population": "", "images a step": 64, "precision": "float32",
            "steps": f"{len(history['loss'])} epochs", "seconds": round(elapsed, 1),
            "test_accuracy": round(accuracy, 4)}, checkpoints


def evolved(name: str, train, val, test, seconds: float, seed: int, out: Path, every: float,
            precision: str) -> tuple[dict, Checkpoints]:
    population, batch, options = METHODS[name]
    settings = WeightEvolutionSettings(strategy=name, population=population, generations=10**7, batch_size=batch,
                                       loss="crossentropy", time_limit=seconds, monitor_every=500, options=options,
                                       precision=precision)
    keras.utils.set_random_seed(seed)
    model = build_cnn_classifier(train[0].shape[1:], 10)
    scorer = PopulationForward(model)
    scorer.fitness(scorer.layout.flatten(model)[None], *test, "error_rate")  # compiled before the clock starts
    checkpoints = Checkpoints(test, every)

    def on_generation(record, strategy):
        if checkpoints.due(record.seconds):
            checkpoints.record(record.seconds,
                               lambda: 1 - scorer.fitness(strategy.solution[None], *test, "error_rate")[0])

    summary = evolve_classifier_run(model, "cnn-classifier", train, val, test, settings, seed, out / name,
                                    on_generation)
    trained = summary["seconds"] - checkpoints.paused
    checkpoints.seconds.append(trained)
    checkpoints.accuracy.append(summary["test_accuracy"])
    return {"method": name, "population": population, "images a step": batch, "precision": precision,
            "steps": f"{summary['generations']} generations", "seconds": round(trained, 1),
            "test_accuracy": round(summary["test_accuracy"], 4)}, checkpoints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=900.0, help="training time per method")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between test-accuracy checkpoints")
    parser.add_argument("--methods", default="ga,es,snes,backprop")
    parser.add_argument("--samples", type=int, default=55_000, help="training images (the last 5,000 validate)")
    parser.add_argument("--precision", choices=PRECISIONS, default="bfloat16",
                        help="the dtype the gradient-free methods score their populations in")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("results/reference/classifier_weights"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = load_dataset()
    samples = min(args.samples, len(data.x_train) - VAL_SIZE)
    train = (data.x_train[:samples], data.y_train[:samples])
    val = (data.x_train[-VAL_SIZE:], data.y_train[-VAL_SIZE:])
    test = (data.x_test, data.y_test)
    rows, curves = [], {}
    with tempfile.TemporaryDirectory() as directory:
        for method in args.methods.split(","):
            print(f"{method}: {args.seconds:.0f} s ...", flush=True)
            row, checkpoints = (backprop(train, test, args.seconds, args.seed, args.every) if method == "backprop"
                                else evolved(method, train, val, test, args.seconds, args.seed, Path(directory),
                                             args.every, args.precision))
            rows.append(row)
            curves[row["method"]] = (checkpoints.seconds, checkpoints.accuracy)
            print(f"  {row}", flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out / "table.csv", index=False)
    pd.DataFrame([{"method": name, "seconds": round(s, 1), "test_accuracy": a}
                  for name, (seconds, accuracy) in curves.items() for s, a in zip(seconds, accuracy)]
                 ).to_csv(args.out / "curves.csv", index=False)
    save_loss_against_seconds(curves, args.out / "accuracy_vs_seconds.png", "test accuracy",
                              {"goal: 85%": 0.85, "linear classifier on pixels": LINEAR_PIXELS},
                              title=f"cnn-classifier (5,994 weights) on Fashion-MNIST, {samples:,} training images",
                              log=False)
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    markdown = markdown_table(frame)
    (args.out / "README.md").write_text(
        f"# A CNN classifier without gradients, beside backprop\n\nMade by `{command}` (one method at a time, "
        f"{args.seconds:.0f} s each, test accuracy on the 10,000 test images every {args.every:.0f} s).\n\n"
        f"{markdown}\n\n![test accuracy against seconds](accuracy_vs_seconds.png)\n")
    (args.out / "settings.json").write_text(json.dumps({"arguments": {k: str(v) for k, v in vars(args).items()},
                                                       "population, images a generation, options": METHODS},
                                                      indent=2))
    print(markdown)


if __name__ == "__main__":
    main()
