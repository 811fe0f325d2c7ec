"""Hands over a transfer search's winner: its classifier as the top rung left it (multi-fidelity), or
fine-tuned again on more images for longer. It is scored once on the test set and written as a
directory a user can take away (`classifier.keras`, `genome.json`, `summary.txt`, `metrics.json`), with
the two reference points beside it in `comparison.csv`: the whole backbone fine-tuned with Keras
defaults (in the winner's regime), and a linear classifier on the raw pixels.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from archsearch.analysis.baselines import linear_pixels_accuracy
from archsearch.core.data import DataSplits
from archsearch.core.fidelity import Fidelity
from archsearch.core.space.params import Params
from archsearch.run.candidates import candidate_seed
from archsearch.training.keras_parts import fresh_keras_state
from archsearch.training.winner import write_winner
from archsearch.transfer.fine_tune import FineTuneSettings, TransferEvaluator, accuracy, fine_tune, fine_tune_to_budget
from archsearch.transfer.model import describe_classifier
from archsearch.transfer.space import transfer_genes
from archsearch.weights.evolution import WeightEvolutionSettings


@dataclass(frozen=True)
class ClassifierMetrics:
    genome_key: str
    genes: str
    params: int
    trainable_params: int
    train_images: int
    epochs: int
    train_seconds: float
    val_accuracy: float
    test_accuracy: float


@dataclass(frozen=True)
class ClassifierTraining:
    """How a classifier handed over gets its weights: from a multi-fidelity run's `checkpoint` (trained to
    `budget` images seen in `seconds`: nothing is retrained), else trained now, to `fidelity`'s budget on
    the run's stream or (neither given) for the evaluator's epochs with early stopping."""

    checkpoint: Path | None = None
    budget: int = 0
    seconds: float = 0.0
    fidelity: Fidelity | None = None


def train_and_score(genome: Params, evaluator: TransferEvaluator, seed: int,
                    directory: Path | None = None, search_fitness: float | None = None,
                    training: ClassifierTraining = ClassifierTraining()) -> ClassifierMetrics:
    """Gets `genome`'s classifier trained on the evaluator's data as `training` says and scores it on its
    test images; with a `directory`, writes the classifier and its description there."""
    seed = candidate_seed(seed, genome)
    fresh_keras_state(seed)
    splits = evaluator.splits
    if training.checkpoint is not None:
        built = evaluator.restore(genome, training.checkpoint)
        epochs, seconds = math.ceil(training.budget / len(splits.x_train)), training.seconds
        val_accuracy = accuracy(built.model, splits.x_val, splits.y_val)
    else:
        built = evaluator.build(genome)
        outcome = (fine_tune(built, genome, splits, evaluator.settings, seed) if training.fidelity is None
                   else fine_tune_to_budget(built, genome, splits, training.fidelity, seed))
        epochs, seconds, val_accuracy = outcome.epochs, outcome.seconds, outcome.val_accuracy
    metrics = ClassifierMetrics(
        genome_key=genome.key, genes=genome.describe(), params=built.params,
        trainable_params=built.trainable_params, train_images=len(splits.x_train), epochs=epochs,
        train_seconds=round(seconds, 2), val_accuracy=val_accuracy,
        test_accuracy=accuracy(built.model, splits.x_test, splits.y_test))
    if directory is not None:
        write_winner(directory, genome, {"classifier": built.model},
                     f"{describe_classifier(built, genome)}\n\nvalidation error during the search: {search_fitness}\n"
                     f"after fine-tuning on {metrics.train_images} images ({metrics.epochs} epochs): validation "
                     f"accuracy {metrics.val_accuracy:.4f}, test accuracy {metrics.test_accuracy:.4f}\n",
                     {**asdict(metrics), "search_val_error": search_fitness})
    return metrics


def export_transfer_winner(genome: Params, evaluator: TransferEvaluator, seed: int, directory: Path,
                           depth: int, baselines: bool = True, search_fitness: float | None = None,
                           log=lambda text: None, training: ClassifierTraining = ClassifierTraining(),
                           reference: ClassifierTraining = ClassifierTraining()) -> tuple[ClassifierMetrics,
                                                                                          pd.DataFrame]:
    """Writes the winner's directory (trained as `training` says), and `comparison.csv` with the reference
    points when `baselines`: (a) trained as `reference` says, the same regime as the winner's."""
    winner = train_and_score(genome, evaluator, seed, directory, search_fitness, training)
    rows = [{"classifier": "transfer search's best", **_row(winner)}]
    if baselines:
        how = "as the search trained it" if reference.checkpoint is not None else "with default settings"
        log(f"reference (a): the whole backbone ({depth} cut points) fine-tuned by backprop {how} ...")
        rows.append({"classifier": "whole backbone fine-tuned, defaults",
                     **_row(train_and_score(transfer_genes(depth), evaluator.with_backprop(), seed,
                                            training=reference))})
        log("reference (b): a linear classifier (logistic regression) on the raw pixels ...")
        splits: DataSplits = evaluator.splits
        rows.append({"classifier": "linear classifier on raw pixels", "genes": "", "params": None,
                     "trainable_params": None, "train_images": len(splits.x_train), "epochs": None,
                     "val_accuracy": None, "test_accuracy": linear_pixels_accuracy(
                         splits.x_train, splits.y_train, splits.x_test, splits.y_test)})
    comparison = pd.DataFrame(rows)
    comparison.to_csv(directory / "comparison.csv", index=False)
    return winner, comparison


def _row(metrics: ClassifierMetrics) -> dict:
    return {"genes": metrics.genes, "params": metrics.params, "trainable_params": metrics.trainable_params,
            "train_images": metrics.train_images, "epochs": metrics.epochs,
            "val_accuracy": metrics.val_accuracy, "test_accuracy": metrics.test_accuracy}


def final_settings(epochs: int, max_params: int | None = None,
                   weights: WeightEvolutionSettings | None = None) -> FineTuneSettings:
    """The winner's fine-tuning: longer, and a little more patient than the search's (or `weights`: its
    evolution, for the final generations)."""
    return FineTuneSettings(epochs=epochs, patience=2, max_params=max_params, weights=weights)
