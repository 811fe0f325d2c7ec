"""Keras parts every task's training shares: a fresh seeded Keras state per candidate, the optimizer and
loss its training genes name, and the reconstruction error."""

from __future__ import annotations

from typing import Any, Protocol

import keras
import numpy as np


class TrainingGenes(Protocol):
    """The training genes these parts read (the autoencoder's `TrainingGenes`, say)."""

    optimizer: str
    learning_rate: float
    loss: str


def make_optimizer(training: TrainingGenes, learning_rate: Any = None) -> keras.optimizers.Optimizer:
    """The genome's optimizer at its learning rate, or at `learning_rate` (a number or a schedule)."""
    lr = training.learning_rate if learning_rate is None else learning_rate
    if training.optimizer == "adam":
        return keras.optimizers.Adam(lr)
    if training.optimizer == "adamw":
        return keras.optimizers.AdamW(lr)
    if training.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    if training.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9)
    raise ValueError(f"unknown optimizer {training.optimizer!r}")


def make_loss(training: TrainingGenes) -> keras.losses.Loss:
    return keras.losses.BinaryCrossentropy() if training.loss == "bce" else keras.losses.MeanSquaredError()


def mean_squared_error(model: keras.Model, images: np.ndarray, batch_size: int = 500) -> float:
    """Per-pixel MSE of the model's reconstructions, called eagerly: unlike `predict`, no graph is traced
    for a few batches (a fixed cost of every evaluation)."""
    total = 0.0
    for first in range(0, len(images), batch_size):
        batch = images[first: first + batch_size]
        total += float(np.sum((keras.ops.convert_to_numpy(model(batch, training=False)) - batch) ** 2))
    return total / images.size


def build_optimizer(model: keras.Model) -> None:
    """Creates a compiled model's optimizer variables before its first `fit`: TensorFlow traces a
    function that creates variables a second time, and the optimizer's update is most of a train step's
    graph, so this halves a candidate's fixed cost (0.5 s instead of 1-1.6 s of its first step here).
    The variables start at zero either way, so training is unchanged."""
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def fresh_keras_state(seed: int) -> None:
    """Forgets earlier models and seeds every generator, so a candidate trains the same wherever it runs.

    Skips `clear_session`'s `gc.collect()`: it costs 0.2-0.3 s and does not free TensorFlow's traced
    graphs (see `IsolatedEvaluator`)."""
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(seed)
