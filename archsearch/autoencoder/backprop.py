"""Backprop fitness: build a genome, train it on the run's training images, score it on validation.

Failure is data: an impossible genome (`invalid`), NaN/inf loss, an exception or an out-of-memory error
(`failed`) comes back as an `EvaluationResult` with the reason and the worst fitness. Each evaluation
starts with `keras.backend.clear_session()`, without its `gc.collect()` (0.2-0.3 s a candidate, and it
does not free TensorFlow's traced graphs anyway: `IsolatedEvaluator` bounds memory by recycling the
process instead).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from archsearch.autoencoder.genome import Genome, TrainingGenes
from archsearch.autoencoder.inheritance import WeightStore, inherit
from archsearch.autoencoder.model import Autoencoder, build_autoencoder
from archsearch.core.data import pack_images, unpack_images
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import FAILED, OK, EvaluationResult
from archsearch.latent.metrics import Labels, latent_metrics
from archsearch.tasks.evaluator import EpochSettings
from archsearch.training.augment import Augmentation
from archsearch.training.budgeted import cosine_schedule, fit_stream, save_checkpoint
from archsearch.training.early_stopping import fit_with_early_stopping
from archsearch.training.failures import failure_as_data
from archsearch.training.keras_parts import make_loss, make_optimizer, mean_squared_error


def compile_autoencoder(model: keras.Model, training: TrainingGenes, schedule_budget: int | None = None,
                        report_mse: bool = False) -> None:
    """The genome's optimizer and loss; with `schedule_budget`, the learning rate decays (cosine) to 0 over
    that many images seen. MSE is a metric without a schedule, or when `report_mse`: a budgeted training
    scores its candidate afterwards (`mean_squared_error`) and needs none."""
    rate = cosine_schedule(training.learning_rate, training.batch_size, schedule_budget) if schedule_budget else None
    report = report_mse or not schedule_budget
    model.compile(optimizer=make_optimizer(training, rate), loss=make_loss(training),
                  metrics=[keras.metrics.MeanSquaredError(name="mse")] if report else None)


class BackpropEvaluator:
    """Scores genomes by training them with backprop. One instance serves a whole run."""

    name = "backprop"
    preload = ("keras",)  # what its worker processes import before it arrives

    def __init__(self, x_train: np.ndarray, x_val: np.ndarray, settings: EpochSettings = EpochSettings(),
                 x_test: np.ndarray | None = None, weights_dir: str | None = None,
                 labels: Labels | None = None, augment: str = "none", centred: bool = False) -> None:
        """With `x_test`, each trained candidate is also scored on it (metric `test_mse`), for reports
        only: fitness, and so every choice of the search, sees the validation images alone. With
        `weights_dir`, trained weights are kept there and an offspring starts from its first parent's
        for the layers they share (weight inheritance; metric `inherited_layers`). With the training
        and validation `labels`, its latent codes are scored too (metrics `latent_*`). `augment` (one of
        `training.augment.AUGMENTATIONS`) transforms the training stream of a budgeted training; `centred`
        builds every candidate with its code carrying the channel means (`build_autoencoder`)."""
        self.x_train, self.x_val, self.x_test, self.labels = x_train, x_val, x_test, labels
        self.augment = Augmentation(augment, x_train.shape[1:])
        self.centred = centred
        self.settings = settings
        self.store = WeightStore(weights_dir) if weights_dir else None
        self.inherits = self.store is not None

    IMAGES = ("x_train", "x_val", "x_test")

    def shared_paths(self) -> dict[str, str]:
        """What every worker process must reach on disk (a Dask cluster checks it): the inherited weights."""
        return {str(self.store.directory): "weights of --inherit-weights"} if self.store is not None else {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled for each worker process: images that were bytes travel as bytes."""
        return {**self.__dict__, **{name: pack_images(self.__dict__[name]) for name in self.IMAGES}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({**state, **{name: unpack_images(state[name]) for name in self.IMAGES}})

    def evaluate(self, genome: Genome, seed: int, parents: tuple[str, ...] = (),
                 fidelity: Fidelity | None = None) -> EvaluationResult:
        """`parents`: the genome keys of the candidate's parents (used with weight inheritance). With a
        `fidelity`, the candidate trains to its budget of images seen, continuing from its checkpoint
        (multi-fidelity search), instead of for the settings' epochs with early stopping."""
        if fidelity is not None:
            return failure_as_data(lambda start: self._train_to_budget(genome, seed, start, fidelity), seed)
        return failure_as_data(lambda start: self._train_and_score(genome, seed, start, parents), seed)

    def _train_to_budget(self, genome: Genome, seed: int, start: float, fidelity: Fidelity) -> EvaluationResult:
        """Images `fidelity.start`..`fidelity.budget` of the stream (continuing from `fidelity.resume`), the
        validation images scored, the checkpoint saved if asked (not after a divergence)."""
        built = build_autoencoder(genome, self.x_train.shape[1:], self.settings.max_params, self.centred)
        compile_autoencoder(built.autoencoder, genome.training, fidelity.schedule_budget)
        trained = time.perf_counter()
        fit = fit_stream(built.autoencoder, self.x_train, None, genome.training.batch_size, fidelity, seed,
                         self.augment)
        val_mse = math.inf if fit.diverged else mean_squared_error(built.autoencoder, self.x_val)
        common = dict(params=built.params, epochs=math.ceil(fidelity.budget / len(self.x_train)),
                      train_seconds=time.perf_counter() - trained)  # fitting, and scoring the validation images
        if not math.isfinite(val_mse):
            return EvaluationResult(FAILED, seconds=time.perf_counter() - start,
                                    reason=f"loss became NaN/inf before {fidelity.budget} images", **common)
        if fidelity.checkpoint:
            save_checkpoint(built.autoencoder, fidelity.checkpoint)
        return EvaluationResult(OK, fitness=val_mse, seconds=time.perf_counter() - start,
                                metrics={"train_loss": float(fit.losses[-1]),
                                         "first_step_seconds": round(fit.first_step_seconds, 4),
                                         **self._reported(built, seed)}, **common)

    def _reported(self, built: Autoencoder, seed: int) -> dict[str, float]:
        """Test MSE (reports only) and latent metrics, where asked for."""
        metrics = {}
        if self.x_test is not None:
            metrics["test_mse"] = mean_squared_error(built.autoencoder, self.x_test)
        if self.labels is not None:
            metrics.update(latent_metrics(built.encoder, self.x_train, self.x_val, self.labels, seed))
        return metrics

    def _train_and_score(self, genome: Genome, seed: int, start: float, parents: tuple[str, ...]) -> EvaluationResult:
        built = build_autoencoder(genome, self.x_train.shape[1:], self.settings.max_params, self.centred)
        inherited = self._inherit(built, parents)
        trained = train_autoencoder(built, genome.training, self.x_train, self.x_val, self.settings)
        if self.store is not None and trained.diverged_at is None:
            self.store.save(genome.key, built.autoencoder)
        common = dict(params=built.params, epochs=trained.epochs, train_seconds=trained.seconds)
        if trained.diverged_at is not None:
            return EvaluationResult(FAILED, seconds=time.perf_counter() - start,
                                    reason=f"loss became NaN/inf at epoch {trained.diverged_at}", **common)
        metrics = {"val_loss": trained.val_loss, "train_loss": trained.train_loss}
        if inherited is not None:
            metrics["inherited_layers"] = inherited
        metrics.update(self._reported(built, seed))
        return EvaluationResult(OK, fitness=trained.val_mse, seconds=time.perf_counter() - start,
                                metrics=metrics, **common)

    def _inherit(self, built: Autoencoder, parents: tuple[str, ...]) -> int | None:
        """How many layers took the first parent's trained weights (None without inheritance)."""
        if self.store is None:
            return None
        stored = self.store.load(parents[0]) if parents else None
        return inherit(built.autoencoder, stored) if stored else 0


@dataclass(frozen=True)
class TrainingOutcome:
    val_mse: float
    val_loss: float
    train_loss: float
    epochs: int
    seconds: float
    diverged_at: int | None  # the epoch whose loss was NaN/inf, if any


def train_autoencoder(built: Autoencoder, training: TrainingGenes, x_train: np.ndarray, x_val: np.ndarray,
                      settings: EpochSettings) -> TrainingOutcome:
    """Fits with early stopping on validation MSE and keeps the best epoch's weights."""
    model = built.autoencoder
    compile_autoencoder(model, training)
    fit = fit_with_early_stopping(model, x_train, x_train, (x_val, x_val), training.batch_size, settings.epochs,
                                  settings.patience, "val_mse", callbacks=settings.callbacks)
    losses = fit.history.get("loss", [])
    return TrainingOutcome(val_mse=fit.at_best("val_mse"), val_loss=fit.at_best("val_loss"),
                           train_loss=float(losses[-1]) if losses else math.inf, epochs=fit.epochs,
                           seconds=fit.seconds, diverged_at=fit.diverged_at)
