"""The one evaluator of every `KerasTask`: build the candidate, train it to its fidelity (continuing from
its checkpoint) or for some epochs with early stopping, and score the task's objective on validation.

Failure is data (`training.failures`): a build that raises is an invalid candidate (its reason kept),
a model over the parameter limit too, a loss that turns NaN a failed one. The evaluator crosses to
worker processes by pickling: the task travels as where it is defined (`KerasTask.source`) or, made in
Python, by value (cloudpickle, so a notebook's or a test's functions go too).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from archsearch.core.data import DataSplits, pack_images, unpack_images
from archsearch.core.errors import InvalidGenome
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import FAILED, OK, EvaluationResult
from archsearch.core.space.params import Params
from archsearch.tasks.keras_task import KerasTask, Targets, targets_of
from archsearch.training.budgeted import cosine_schedule, fit_stream, save_checkpoint
from archsearch.training.early_stopping import fit_with_early_stopping
from archsearch.training.failures import failure_as_data, one_line
from archsearch.training.keras_parts import make_optimizer


@dataclass(frozen=True)
class EpochSettings:
    """Training without fidelities: up to `epochs` epochs, stopping after `patience` without improvement."""

    epochs: int = 3
    patience: int = 1
    max_params: int | None = 1_000_000
    callbacks: tuple[Any, ...] = field(default=(), compare=False)  # extra Keras callbacks, e.g. for tests


def build_model(task: KerasTask, params: Params, input_shape: tuple[int, ...], targets: Targets,
                max_params: int | None) -> keras.Model:
    """The candidate's model; a build that fails, or a model over `max_params`, is an invalid candidate."""
    try:
        model = task.make_model(params, tuple(input_shape), targets)
    except Exception as exc:  # the user's build function cannot make this candidate: the candidate's fault
        raise InvalidGenome(f"build failed: {one_line(exc)}") from None
    if not isinstance(model, keras.Model):
        raise InvalidGenome(f"build returned {type(model).__name__}, not a keras.Model")
    if max_params is not None and model.count_params() > max_params:
        raise InvalidGenome(f"{model.count_params():,} parameters, over the limit of {max_params:,}")
    return model


def compile_model(task: KerasTask, model: keras.Model, params: Params, schedule_budget: int | None = None) -> None:
    """Compiles with the task's loss and metrics and the candidate's optimizer; with `schedule_budget`, its
    learning rate decays (cosine) to 0 over that many samples seen."""
    training = task.training(params)
    rate = (cosine_schedule(training.learning_rate, training.batch_size, schedule_budget)
            if schedule_budget else None)
    model.compile(optimizer=make_optimizer(training, rate), loss=task.loss, metrics=list(task.metrics))


def fit_epochs(task: KerasTask, model: keras.Model, params: Params, x: np.ndarray, y: np.ndarray,
               validation: tuple[np.ndarray, np.ndarray], epochs: int, patience: int, callbacks: tuple[Any, ...] = ()):
    """Trains a compiled candidate for up to `epochs`, stopping on the task's validation objective (the way a
    run without fidelities trains candidates, and retrains its winner)."""
    return fit_with_early_stopping(model, x, y, validation, task.training(params).batch_size, epochs, patience,
                                   f"val_{task.objective}", "max" if task.maximized else "min", callbacks)


def scores(model: keras.Model, x: np.ndarray, y: np.ndarray, prefix: str) -> dict[str, float]:
    """The loss and every metric on (x, y), named `prefix` + name ("val_loss", "test_accuracy")."""
    values = model.evaluate(x, y, batch_size=512, return_dict=True, verbose=0)
    return {f"{prefix}{name}": float(value) for name, value in values.items()}


class KerasEvaluator:
    """Scores a `KerasTask`'s candidates on the run's splits. One instance serves a whole run."""

    name = "keras"
    preload = ("keras",)  # what its worker processes import before it arrives
    ARRAYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")

    def __init__(self, task: KerasTask, splits: DataSplits, settings: EpochSettings = EpochSettings(),
                 score_test: bool = False) -> None:
        self.task, self.settings = task, settings
        self.x_train, self.y_train = splits.x_train, splits.y_train
        self.x_val, self.y_val = splits.x_val, splits.y_val
        self.x_test, self.y_test = (splits.x_test, splits.y_test) if score_test else (None, None)
        self.targets = targets_of(splits.y_train, splits.y_val, splits.y_test)

    def shared_paths(self) -> dict[str, str]:
        """What every worker of a Dask cluster must reach at the same path (checked at the start): a task file."""
        from archsearch.tasks.loading import source_file

        file = source_file(self.task.source)
        return {file: "the task file of --task"} if file else {}

    def __getstate__(self) -> dict[str, Any]:
        from archsearch.tasks.loading import task_reference

        state = {**self.__dict__, "task": task_reference(self.task)}
        return {**state, **{name: pack_images(state[name]) for name in self.ARRAYS}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        from archsearch.tasks.loading import from_reference

        self.__dict__.update({**state, "task": from_reference(state["task"]),
                              **{name: unpack_images(state[name]) for name in self.ARRAYS}})

    def evaluate(self, genome: Params, seed: int, parents: tuple[str, ...] = (),
                 fidelity: Fidelity | None = None) -> EvaluationResult:
        return failure_as_data(lambda start: self._evaluate(genome, seed, start, fidelity), seed)

    def _evaluate(self, params: Params, seed: int, start: float, fidelity: Fidelity | None) -> EvaluationResult:
        model = build_model(self.task, params, self.x_train.shape[1:], self.targets, self.settings.max_params)
        compile_model(self.task, model, params, fidelity.schedule_budget if fidelity else None)
        batch_size = self.task.training(params).batch_size
        trained = time.perf_counter()
        if fidelity is not None:
            fit = fit_stream(model, self.x_train, self.y_train, batch_size, fidelity, seed)
            epochs, diverged = math.ceil(fidelity.budget / len(self.x_train)), fit.diverged
            train_loss = fit.losses[-1] if fit.losses else math.inf
        else:
            fit = fit_epochs(self.task, model, params, self.x_train, self.y_train, (self.x_val, self.y_val),
                             self.settings.epochs, self.settings.patience, self.settings.callbacks)
            epochs, diverged = fit.epochs, fit.diverged_at is not None
            train_loss = fit.history["loss"][-1] if fit.history.get("loss") else math.inf
        common = dict(params=model.count_params(), epochs=epochs)
        if diverged:
            return EvaluationResult(FAILED, reason="loss became NaN/inf", seconds=time.perf_counter() - start,
                                    train_seconds=time.perf_counter() - trained, **common)
        metrics = scores(model, self.x_val, self.y_val, "val_")
        train_seconds = time.perf_counter() - trained
        value = metrics.get(f"val_{self.task.objective}")
        if value is None:
            raise KeyError(f"objective {self.task.objective!r} is not among the model's metrics "
                           f"({', '.join(m[4:] for m in metrics)})")
        if not math.isfinite(value):
            return EvaluationResult(FAILED, reason=f"val {self.task.objective} is {value}",
                                    seconds=time.perf_counter() - start, train_seconds=train_seconds, **common)
        if fidelity is not None and fidelity.checkpoint:
            save_checkpoint(model, fidelity.checkpoint)
        metrics["train_loss"] = float(train_loss)
        if self.x_test is not None:
            metrics.update(scores(model, self.x_test, self.y_test, "test_"))
            metrics["test_fitness"] = self.task.fitness(metrics[f"test_{self.task.objective}"])
        return EvaluationResult(OK, fitness=self.task.fitness(value), seconds=time.perf_counter() - start,
                                train_seconds=train_seconds, metrics=metrics, **common)
