"""Hands over a transfer search's winner: fine-tune its classifier again on more images for longer,
score it once on the test set, and write a directory a user can take away (`classifier.keras`,
`genome.json`, `summary.txt`, `metrics.json`), with the two reference points beside it in
`comparison.csv`: the whole backbone fine-tuned with Keras defaults, and a linear classifier on the
raw pixels.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from archsearch.analysis.baselines import linear_pixels_accuracy
from archsearch.builder.transfer import describe_classifier
from archsearch.evaluation.backprop import fresh_keras_state
from archsearch.evaluation.data import DataSplits
from archsearch.evaluation.transfer import FineTuneSettings, TransferEvaluator, accuracy, fine_tune
from archsearch.run.candidates import candidate_seed
from archsearch.transfer_genome import TransferGenome


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


def default_fine_tune(depth: int) -> TransferGenome:
    """The whole backbone, nothing frozen, a softmax on its features, Adam at Keras's 1e-3, batch 64:
    what a person tries first."""
    return TransferGenome(included=depth, frozen=0)


def train_and_score(genome: TransferGenome, evaluator: TransferEvaluator, seed: int,
                    directory: Path | None = None, search_fitness: float | None = None) -> ClassifierMetrics:
    """Fine-tunes `genome`'s classifier on the evaluator's data and scores it on its test images; with
    a `directory`, writes the classifier and its description there."""
    seed = candidate_seed(seed, genome)
    fresh_keras_state(seed)
    built = evaluator.build(genome)
    outcome = fine_tune(built, genome, evaluator.splits, evaluator.settings)
    splits = evaluator.splits
    metrics = ClassifierMetrics(
        genome_key=genome.key, genes=genome.describe(), params=built.params,
        trainable_params=built.trainable_params, train_images=len(splits.x_train), epochs=outcome.epochs,
        train_seconds=round(outcome.seconds, 2), val_accuracy=outcome.val_accuracy,
        test_accuracy=accuracy(built.model, splits.x_test, splits.y_test))
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "genome.json").write_text(genome.to_json(indent=2) + "\n")
        built.model.save(directory / "classifier.keras")
        (directory / "summary.txt").write_text(
            f"{describe_classifier(built, genome)}\n\nvalidation error during the search: {search_fitness}\n"
            f"after fine-tuning on {metrics.train_images} images ({metrics.epochs} epochs): validation accuracy "
            f"{metrics.val_accuracy:.4f}, test accuracy {metrics.test_accuracy:.4f}\n")
        (directory / "metrics.json").write_text(json.dumps({**asdict(metrics), "search_val_error": search_fitness},
                                                           indent=2) + "\n")
    return metrics


def export_transfer_winner(genome: TransferGenome, evaluator: TransferEvaluator, seed: int, directory: Path,
                           depth: int, baselines: bool = True, search_fitness: float | None = None,
                           log=lambda text: None) -> tuple[ClassifierMetrics, pd.DataFrame]:
    """Writes the winner's directory, and `comparison.csv` with the reference points when `baselines`."""
    winner = train_and_score(genome, evaluator, seed, directory, search_fitness)
    rows = [{"classifier": "transfer search's best", **_row(winner)}]
    if baselines:
        log(f"reference (a): the whole backbone ({depth} cut points) fine-tuned with default settings ...")
        rows.append({"classifier": "whole backbone fine-tuned, defaults",
                     **_row(train_and_score(default_fine_tune(depth), evaluator, seed))})
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


def final_settings(epochs: int, max_params: int | None = None) -> FineTuneSettings:
    """The winner's fine-tuning: longer, and a little more patient than the search's."""
    return FineTuneSettings(epochs=epochs, patience=2, max_params=max_params)
