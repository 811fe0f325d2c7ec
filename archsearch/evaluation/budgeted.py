"""Training an autoencoder to a budget of images seen, continuable from a checkpoint.

The training images are read as an endless stream: pass p over them is a permutation seeded by the
candidate's seed and p, so "images start..budget of the stream" is well defined and a continued
training sees exactly the images an uninterrupted one would. The learning rate follows a cosine decay
over the run's largest budget (`Fidelity.schedule_budget`): a candidate at a low rung is judged early
in the same schedule that a winner at the top rung completes, so the top rung's model is the final
model. A checkpoint holds the model's variables (weights and random-generator state) and the
optimizer's (step count, moments), so continuing from it equals training without a stop, as long as
the budgets split no batch (the rungs are multiples of the batch sizes).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from archsearch.builder import Autoencoder
from archsearch.evaluation.backprop import make_loss, make_optimizer
from archsearch.fidelity import Fidelity
from archsearch.genome import TrainingGenes

CHUNK_IMAGES = 16384  # images per `fit` call: bounds the copy of the stream's slice


def stream_indices(n: int, seed: int, start: int, stop: int) -> np.ndarray:
    """Positions start..stop of the endless stream over n images (pass p: a permutation seeded by (seed, p))."""
    parts = []
    for number in range(start // n, (stop - 1) // n + 1):
        order = np.random.default_rng([seed, number]).permutation(n)
        parts.append(order[max(start - number * n, 0): min(stop - number * n, n)])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def make_scheduled_optimizer(training: TrainingGenes, schedule_budget: int) -> keras.optimizers.Optimizer:
    """The genome's optimizer with its learning rate decaying (cosine) to 0 over the schedule budget."""
    steps = max(1, math.ceil(schedule_budget / training.batch_size))
    return make_optimizer(training, keras.optimizers.schedules.CosineDecay(training.learning_rate, decay_steps=steps))


@dataclass(frozen=True)
class BudgetOutcome:
    val_mse: float
    train_loss: float
    seconds: float  # fitting only
    diverged: bool


def train_to_budget(built: Autoencoder, training: TrainingGenes, x_train: np.ndarray, x_val: np.ndarray,
                    fidelity: Fidelity, seed: int) -> BudgetOutcome:
    """Trains images `fidelity.start`..`fidelity.budget` of the stream (continuing from `fidelity.resume`),
    scores the validation images, and saves the checkpoint if asked (not after a divergence)."""
    model = built.autoencoder
    model.compile(optimizer=make_scheduled_optimizer(training, fidelity.schedule_budget), loss=make_loss(training))
    if fidelity.resume:
        load_checkpoint(model, fidelity.resume)
    order = stream_indices(len(x_train), seed, fidelity.start, fidelity.budget)
    chunk = training.batch_size * max(1, CHUNK_IMAGES // training.batch_size)
    started, losses = time.perf_counter(), []
    for first in range(0, len(order), chunk):
        images = x_train[order[first: first + chunk]]
        history = model.fit(images, images, batch_size=training.batch_size, epochs=1, shuffle=False,
                            callbacks=[keras.callbacks.TerminateOnNaN()], verbose=0).history
        losses += history.get("loss", [])
        if not losses or not all(math.isfinite(v) for v in losses):
            return BudgetOutcome(math.inf, math.inf, time.perf_counter() - started, diverged=True)
    seconds = time.perf_counter() - started
    reconstructed = model.predict(x_val, batch_size=512, verbose=0)
    val_mse = float(np.mean((reconstructed - x_val) ** 2))
    if not math.isfinite(val_mse):
        return BudgetOutcome(math.inf, losses[-1], seconds, diverged=True)
    if fidelity.checkpoint:
        save_checkpoint(model, fidelity.checkpoint)
    return BudgetOutcome(val_mse, float(losses[-1]), seconds, diverged=False)


def save_checkpoint(model: keras.Model, path: str | Path) -> None:
    """The model's variables and its optimizer's, as one .npz written atomically (a reader never sees a
    half-written file)."""
    store: dict[str, np.ndarray] = {}
    model.optimizer.save_own_variables(store)
    arrays = {f"model_{i}": np.asarray(v) for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer_{k}": np.asarray(v) for k, v in store.items()})
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(partial, path)


def load_model_variables(model: keras.Model, path: str | Path) -> None:
    """The trained model from a checkpoint (weights and random-generator state; no optimizer needed)."""
    with np.load(path) as saved:
        for i, variable in enumerate(model.variables):
            variable.assign(saved[f"model_{i}"])


def load_checkpoint(model: keras.Model, path: str | Path) -> None:
    """Restores what `save_checkpoint` saved into a model built from the same genome and compiled."""
    load_model_variables(model, path)
    with np.load(path) as saved:
        model.optimizer.build(model.trainable_variables)
        model.optimizer.load_own_variables({k[len("optimizer_"):]: saved[k] for k in saved.files
                                            if k.startswith("optimizer_")})
