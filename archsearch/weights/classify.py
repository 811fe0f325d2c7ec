"""`archsearch evolve-weights` on a classifier: a small CNN's weights evolved without gradients to
classify labelled images, scored by cross-entropy or error rate (the study this reproduces trained a
convolutional MNIST classifier with a GA of population 200 over 300 generations).

The run directory gets `history.csv`, `fitness.png`, `model.keras` (the evolved classifier, a plain Keras
file whose output is the class probabilities) and `summary.json` with the accuracy on the training,
validation and test images.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from archsearch.core.errors import ArchsearchError
from archsearch.weights.evolution import Labelled, WeightEvolutionSettings, evolve_weights
from archsearch.weights.evolve import write_run
from archsearch.weights.population_forward import PopulationForward
from archsearch.weights.strategies import make_weight_strategy

CNN_CLASSIFIER = "cnn-classifier"
MIN_SIDE = 13  # two unpadded 5x5 convolutions with stride 2 leave at least one pixel


def build_cnn_classifier(image_shape: tuple[int, ...], classes: int) -> keras.Model:
    """Two 5x5 convolutions with stride 2 (8 and 16 filters) and a softmax: 5,994 weights on 28x28
    images, small enough for a population of a few hundred. Strided rather than pooled: the same weights
    as convolutions followed by 2x2 max-pooling, a quarter of the arithmetic per image (2.5 times the
    generations in the same time for a gradient-free method), and 0.874 against 0.884 test accuracy
    with backprop in 120 s (benchmarks/README.md)."""
    if min(image_shape[:2]) < MIN_SIDE:
        raise ArchsearchError(f"{CNN_CLASSIFIER}: needs images of at least {MIN_SIDE}x{MIN_SIDE} pixels, "
                              f"got {image_shape[0]}x{image_shape[1]}")
    image = keras.Input(image_shape)
    x = keras.layers.Conv2D(8, 5, strides=2, activation="relu", name="conv1")(image)
    x = keras.layers.Conv2D(16, 5, strides=2, activation="relu", name="conv2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    return keras.Model(image, keras.layers.Dense(classes, activation="softmax", name="classes")(x),
                       name="cnn_classifier")


def check_classifier(model: keras.Model, classes: int, what: str) -> None:
    """One line when `model` cannot be scored as a classifier of `classes` classes."""
    if tuple(model.output_shape[1:]) != (classes,):
        raise ArchsearchError(f"{what}: a classification loss needs a classifier with {classes} outputs (the "
                              f"data's classes), not an output of shape {tuple(model.output_shape[1:])}")


def evolve_classifier_run(model: keras.Model, description: str, train: tuple[np.ndarray, np.ndarray],
                          val: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                          settings: WeightEvolutionSettings, seed: int, out: Path, on_generation=None) -> dict:
    """Evolves the classifier on `train` (images, labels), watching the validation loss; writes the run
    directory and returns the summary it saved."""
    out.mkdir(parents=True, exist_ok=True)
    forward = PopulationForward(model)  # fails here, before any work, on a layer it cannot batch
    outcome = evolve_weights(model, train[0], settings, np.random.default_rng(seed), make_weight_strategy,
                             monitor=val[0], on_generation=on_generation, forward=forward,
                             labels=Labelled(train[1], val[1]))
    solution = outcome.solution[None]

    def score(split: tuple[np.ndarray, np.ndarray], loss: str) -> float:
        return float(forward.fitness(solution, split[0], split[1], loss, None)[0]) if len(split[0]) else float("nan")

    summary = {
        "network": description, "params": forward.layout.n_params, "seed": seed, "settings": settings.to_dict(),
        "formulation": str(forward.formulation),
        "train_images": len(train[0]), "generations": outcome.generations,
        "evaluations": outcome.history[-1].evaluations, "seconds": round(outcome.seconds, 2),
        "train_crossentropy": score(train, "crossentropy"), "val_crossentropy": score(val, "crossentropy"),
        "train_accuracy": 1.0 - score(train, "error_rate"), "val_accuracy": 1.0 - score(val, "error_rate"),
        "test_accuracy": 1.0 - score(test, "error_rate"),
    }
    return write_run(out, outcome.history, settings, description, model, summary)
