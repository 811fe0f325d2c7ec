"""Training to a budget of images seen, continuable from a checkpoint (autoencoders here; the transfer
task's classifiers share the stream, the loop and the checkpoints).

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
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from archsearch.core.atomic_write import write_atomically
from archsearch.core.fidelity import Fidelity
from archsearch.training.augment import Augmentation
from archsearch.training.keras_parts import build_optimizer
from archsearch.training.stream import stream_slice

CHUNK_IMAGES = 16384  # images per `fit` call: bounds the copy of the stream's slice


def stream_indices(n: int, seed: int, start: int, stop: int) -> np.ndarray:
    """Positions start..stop of the endless stream over n images (pass p: a permutation seeded by (seed, p))."""
    return stream_slice(n, start, stop, lambda number: np.random.default_rng([seed, number]).permutation(n))


def cosine_schedule(learning_rate: float, batch_size: int, schedule_budget: int):
    """A learning rate decaying (cosine) to 0 over the schedule budget of images seen."""
    steps = max(1, math.ceil(schedule_budget / batch_size))
    return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)


@dataclass(frozen=True)
class StreamFit:
    losses: list[float]  # the training loss of each `fit` call
    first_step_seconds: float
    diverged: bool


def fit_stream(model: keras.Model, x: np.ndarray, y: np.ndarray | None, batch_size: int, fidelity: Fidelity,
               seed: int, augment: Augmentation | None = None) -> StreamFit:
    """Trains a compiled model on positions `fidelity.start`..`fidelity.budget` of the stream over
    (x, y), continuing from `fidelity.resume`: the loop every task's budgeted training shares. `y`
    None: the model reconstructs its input (an autoencoder), which `augment` may then transform."""
    if augment is not None and y is not None:
        raise ValueError("augmentation transforms reconstructed images only (y None)")
    if fidelity.resume:
        load_checkpoint(model, fidelity.resume)
    build_optimizer(model)
    order = stream_indices(len(x), seed, fidelity.start, fidelity.budget)
    augmented = augment is not None and augment.count > 1
    codes = augment.codes(len(x), seed, fidelity.start, fidelity.budget) if augmented else None
    started, losses, first_step, done = time.perf_counter(), [], 0.0, 0
    for number, part in enumerate(chunks(order, batch_size)):
        inputs = x[part] if codes is None else augment.apply(x[part], codes[done: done + len(part)])
        done += len(part)
        history = model.fit(inputs, inputs if y is None else y[part], batch_size=batch_size, epochs=1,
                            shuffle=False, callbacks=[keras.callbacks.TerminateOnNaN()], verbose=0).history
        if number == 0:
            first_step = time.perf_counter() - started
        losses += history.get("loss", [])
        if not losses or not all(math.isfinite(v) for v in losses):
            return StreamFit(losses, first_step, diverged=True)
    return StreamFit(losses, first_step, diverged=False)


def chunks(order: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """The stream's slice as `fit` calls: one batch first (its time is the fixed cost of a candidate:
    graph tracing plus one step), then chunks of whole batches, so no batch is split."""
    size = batch_size * max(1, CHUNK_IMAGES // batch_size)
    return [order[:batch_size]] + [order[i: i + size] for i in range(batch_size, len(order), size)]


def save_checkpoint(model: keras.Model, path: str | Path) -> None:
    """The model's variables and its optimizer's, as one .npz written atomically (a reader never sees a
    half-written file)."""
    store: dict[str, np.ndarray] = {}
    model.optimizer.save_own_variables(store)
    arrays = model_arrays(model)
    arrays.update({f"optimizer_{k}": np.asarray(v) for k, v in store.items()})
    write_npz_atomically(path, arrays)


def model_arrays(model: keras.Model) -> dict[str, np.ndarray]:
    """The model's variables as a checkpoint names them (what `load_model_variables` reads back)."""
    return {f"model_{i}": np.asarray(v) for i, v in enumerate(model.variables)}


def write_npz_atomically(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """`arrays` as one .npz, written beside and renamed into place: a reader never sees half a file."""
    write_atomically(path, lambda handle: np.savez(handle, **arrays))


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
