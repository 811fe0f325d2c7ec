"""Transfer fitness: assemble the classifier the transfer genes describe, fine-tune it on the run's
labelled training images, and score it on the validation images.

Validation accuracy is maximised, so the fitness stored (and minimised, like everything else in
archsearch) is the validation error, 1 - accuracy; the accuracy itself is in the record's metrics.
Failure is data, as in the backprop evaluator. The evaluator holds only plain data (the backbone's
source, arrays, settings), so it pickles into worker processes; each evaluation loads a fresh copy of
the backbone, so every candidate starts from the pretrained weights.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import keras
import numpy as np

from archsearch.builder.transfer import BackboneSource, TransferModel, build_classifier
from archsearch.evaluation.backprop import failure_as_data
from archsearch.evaluation.data import DataSplits
from archsearch.records import FAILED, OK, EvaluationResult
from archsearch.transfer_genome import TransferGenome


@dataclass(frozen=True)
class FineTuneSettings:
    epochs: int = 3
    patience: int = 1  # epochs without a better validation accuracy before stopping
    max_params: int | None = None


@dataclass(frozen=True)
class FineTuneOutcome:
    val_accuracy: float
    val_loss: float
    train_loss: float
    epochs: int
    seconds: float
    diverged: bool


def fine_tune(built: TransferModel, genome: TransferGenome, splits: DataSplits,
              settings: FineTuneSettings) -> FineTuneOutcome:
    """Adam at the genome's learning rate; early stopping on validation accuracy, best epoch kept."""
    model = built.model
    model.compile(optimizer=keras.optimizers.Adam(genome.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=settings.patience,
                                         restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(splits.x_train, splits.y_train, batch_size=genome.batch_size, epochs=settings.epochs,
                        validation_data=(splits.x_val, splits.y_val),
                        callbacks=[keras.callbacks.TerminateOnNaN(), stop], verbose=0).history
    seconds = time.perf_counter() - start
    losses, accuracy = history.get("loss", []), history.get("val_accuracy", [])
    diverged = not losses or not all(math.isfinite(v) for v in losses)
    best = int(np.argmax(accuracy)) if accuracy and not diverged else 0
    return FineTuneOutcome(
        val_accuracy=float(accuracy[best]) if accuracy and not diverged else 0.0,
        val_loss=float(history["val_loss"][best]) if accuracy and not diverged else math.inf,
        train_loss=float(losses[-1]) if losses else math.inf, epochs=len(losses), seconds=seconds,
        diverged=diverged)


def accuracy(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> float:
    predicted = model.predict(images, batch_size=512, verbose=0).argmax(axis=1)
    return float(np.mean(predicted == labels))


class TransferEvaluator:
    """Scores transfer genes by fine-tuning the classifier they describe. One instance serves a run."""

    name = "transfer"

    def __init__(self, backbone: BackboneSource, splits: DataSplits, classes: int,
                 settings: FineTuneSettings = FineTuneSettings(), score_test: bool = False) -> None:
        """With `score_test`, each candidate is also scored on the test images (metric `test_accuracy`),
        for reports only: fitness sees the validation images alone."""
        self.backbone, self.splits, self.classes = backbone, splits, classes
        self.settings, self.score_test = settings, score_test

    def evaluate(self, genome: TransferGenome, seed: int) -> EvaluationResult:
        return failure_as_data(lambda start: self._train_and_score(genome, start), seed)

    def _train_and_score(self, genome: TransferGenome, start: float) -> EvaluationResult:
        built = self.build(genome)
        outcome = fine_tune(built, genome, self.splits, self.settings)
        common = dict(params=built.params, epochs=outcome.epochs, train_seconds=outcome.seconds)
        if outcome.diverged:
            return EvaluationResult(FAILED, reason="loss became NaN/inf", seconds=time.perf_counter() - start,
                                    **common)
        metrics = {"val_accuracy": outcome.val_accuracy, "val_loss": outcome.val_loss,
                   "train_loss": outcome.train_loss, "trainable_params": built.trainable_params}
        if self.score_test:
            metrics["test_accuracy"] = accuracy(built.model, self.splits.x_test, self.splits.y_test)
        return EvaluationResult(OK, fitness=1.0 - outcome.val_accuracy, seconds=time.perf_counter() - start,
                                metrics=metrics, **common)

    def build(self, genome: TransferGenome) -> TransferModel:
        backbone = self.backbone.load(self.splits.image_shape)
        return build_classifier(backbone, genome, self.splits.image_shape, self.classes, self.settings.max_params)
