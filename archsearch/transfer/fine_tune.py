"""Transfer fitness: assemble the classifier the transfer genes describe, fine-tune it on the run's
labelled training images, and score it on the validation images.

Validation accuracy is maximised, so the fitness stored (and minimised, like everything else in
archsearch) is the validation error, 1 - accuracy; the accuracy itself is in the record's metrics.
Failure is data, as in the backprop evaluator. The evaluator holds only plain data (the backbone's
source, arrays, settings), so it pickles into worker processes; each evaluation loads a fresh copy of
the backbone, so every candidate starts from the pretrained weights.

Two regimes: without fidelities, up to `epochs` epochs with early stopping (the winner is fine-tuned
again for longer); with them, a budget of images seen on the training stream, continued from a
checkpoint rung by rung, the learning rate decaying over the top budget, so the top rung's classifier
is the final one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import numpy as np

from archsearch.core.data import DataSplits
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import FAILED, OK, EvaluationResult
from archsearch.core.space.params import Params
from archsearch.training.budgeted import cosine_schedule, fit_stream, load_model_variables, save_checkpoint
from archsearch.training.early_stopping import fit_with_early_stopping
from archsearch.training.failures import failure_as_data
from archsearch.transfer.model import BackboneSource, TransferModel, build_classifier
from archsearch.transfer.outcome import FineTuneOutcome
from archsearch.transfer.weight_fine_tune import evolve_classifier
from archsearch.weights.evolution import WeightEvolutionSettings


@dataclass(frozen=True)
class FineTuneSettings:
    epochs: int = 3
    patience: int = 1  # epochs without a better validation accuracy before stopping
    max_params: int | None = None
    weights: WeightEvolutionSettings | None = None  # set: the trained layers evolve instead (no gradients)


def fine_tune(built: TransferModel, genes: Params, splits: DataSplits, settings: FineTuneSettings,
              seed: int) -> FineTuneOutcome:
    """Adam at the candidate's learning rate, early stopping on validation accuracy, best epoch kept; or,
    with `settings.weights`, the trained layers evolved without gradients (`epochs`: generations)."""
    if settings.weights is not None:
        return evolve_classifier(built, splits, settings.weights, seed)
    model = compile_classifier(built, genes["learning_rate"])
    fit = fit_with_early_stopping(model, splits.x_train, splits.y_train, (splits.x_val, splits.y_val),
                                  genes["batch_size"], settings.epochs, settings.patience, "val_accuracy", mode="max")
    losses, diverged = fit.history.get("loss", []), fit.diverged_at is not None
    return FineTuneOutcome(
        val_accuracy=0.0 if diverged else fit.at_best("val_accuracy"), val_loss=fit.at_best("val_loss"),
        train_loss=float(losses[-1]) if losses else math.inf, epochs=fit.epochs, seconds=fit.seconds,
        diverged=diverged)


def fine_tune_to_budget(built: TransferModel, genes: Params, splits: DataSplits, fidelity: Fidelity,
                        seed: int) -> FineTuneOutcome:
    """Adam at the candidate's learning rate, decaying (cosine) over the top budget; images
    `fidelity.start`..`fidelity.budget` of the stream, continued from `fidelity.resume`; the checkpoint
    saved if asked. `epochs` is the passes over the training images, rounded up."""
    model = compile_for_budget(built, genes, fidelity.schedule_budget)
    start = time.perf_counter()
    fit = fit_stream(model, splits.x_train, splits.y_train, genes["batch_size"], fidelity, seed)
    epochs = math.ceil(fidelity.budget / len(splits.x_train))
    if fit.diverged:
        return FineTuneOutcome(0.0, math.inf, math.inf, epochs, time.perf_counter() - start, diverged=True)
    val_accuracy, val_loss = accuracy_and_loss(model, splits.x_val, splits.y_val)
    if fidelity.checkpoint:
        save_checkpoint(model, fidelity.checkpoint)
    return FineTuneOutcome(val_accuracy, val_loss, float(fit.losses[-1]), epochs, time.perf_counter() - start,
                           diverged=False)


def compile_for_budget(built: TransferModel, genes: Params, schedule_budget: int) -> keras.Model:
    return compile_classifier(built, cosine_schedule(genes["learning_rate"], genes["batch_size"], schedule_budget))


def compile_classifier(built: TransferModel, learning_rate) -> keras.Model:
    """Adam on the cross-entropy, reporting accuracy: a number or a schedule as the learning rate."""
    built.model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                        loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return built.model


def accuracy_and_loss(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of one pass over the images."""
    probabilities = model.predict(images, batch_size=512, verbose=0)
    picked = probabilities[np.arange(len(labels)), labels.astype(int)]
    return float(np.mean(probabilities.argmax(axis=1) == labels)), float(-np.mean(np.log(np.maximum(picked, 1e-12))))


def accuracy(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> float:
    return accuracy_and_loss(model, images, labels)[0]


class TransferEvaluator:
    """Scores transfer genes by fine-tuning the classifier they describe. One instance serves a run."""

    name = "transfer"
    preload = ("keras",)  # what its worker processes import before it arrives

    def __init__(self, backbone: BackboneSource, splits: DataSplits, classes: int,
                 settings: FineTuneSettings = FineTuneSettings(), score_test: bool = False) -> None:
        """With `score_test`, each candidate is also scored on the test images (metric `test_accuracy`),
        for reports only: fitness sees the validation images alone."""
        self.backbone, self.splits, self.classes = backbone, splits, classes
        self.settings, self.score_test = settings, score_test

    def shared_paths(self) -> dict[str, str]:
        """What every worker process must reach on disk (a Dask cluster checks it): the backbone's files."""
        spec = Path(self.backbone.spec).expanduser()
        files = [spec] if spec.is_file() else [spec / name for name in ("encoder.keras", "model.keras")]
        paths = {str(file): "--backbone" for file in files if file.is_file()}
        return paths | ({self.backbone.weights: "--backbone-weights"} if self.backbone.weights else {})

    def evaluate(self, genes: Params, seed: int, parents: tuple[str, ...] = (),
                 fidelity: Fidelity | None = None) -> EvaluationResult:
        """With a `fidelity`, the classifier trains to its budget of images seen, continuing from its
        checkpoint (multi-fidelity search); without, for the settings' epochs with early stopping."""
        return failure_as_data(lambda start: self._train_and_score(genes, start, seed, fidelity), seed)

    def _train_and_score(self, genes: Params, start: float, seed: int,
                         fidelity: Fidelity | None) -> EvaluationResult:
        built = self.build(genes)
        outcome = (fine_tune(built, genes, self.splits, self.settings, seed) if fidelity is None
                   else fine_tune_to_budget(built, genes, self.splits, fidelity, seed))
        common = dict(params=built.params, epochs=outcome.epochs, train_seconds=outcome.seconds)
        if outcome.diverged:
            return EvaluationResult(FAILED, reason="loss became NaN/inf", seconds=time.perf_counter() - start,
                                    **common)
        metrics = {"val_accuracy": outcome.val_accuracy, "val_loss": outcome.val_loss,
                   "train_loss": outcome.train_loss, "trainable_params": built.trainable_params}
        if self.score_test:
            metrics["test_accuracy"] = accuracy(built.model, self.splits.x_test, self.splits.y_test)
            metrics["test_fitness"] = 1.0 - metrics["test_accuracy"]  # the fitness, measured on the test images
        return EvaluationResult(OK, fitness=1.0 - outcome.val_accuracy, seconds=time.perf_counter() - start,
                                metrics=metrics, **common)

    def with_backprop(self) -> "TransferEvaluator":
        """This evaluator, fine-tuning by backprop whatever the run's inner loop (for the reference points)."""
        return TransferEvaluator(self.backbone, self.splits, self.classes, replace(self.settings, weights=None),
                                 self.score_test)

    def build(self, genes: Params) -> TransferModel:
        backbone = self.backbone.load(self.splits.image_shape)
        return build_classifier(backbone, genes, self.splits.image_shape, self.classes, self.settings.max_params)

    def restore(self, genes: Params, checkpoint: str | Path) -> TransferModel:
        """The classifier a multi-fidelity run trained, as its checkpoint holds it."""
        built = self.build(genes)
        model = compile_classifier(built, genes["learning_rate"])  # what a user fine-tuning it further starts with
        model.optimizer.build(model.trainable_variables)  # so the saved file loads without a warning
        load_model_variables(model, checkpoint)
        return built
