"""Hands the winner over: retrain a genome on more images, score it on the test set, and write a
directory a user can take away (`genome.json`, `model.keras`, `encoder.keras`, `summary.txt`,
`reconstructions.png`, `metrics.json`). The `.keras` files load with plain `keras.models.load_model`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from archsearch.analysis.baselines import pca_test_mse
from archsearch.analysis.plots import save_reconstructions
from archsearch.builder import build_autoencoder, describe
from archsearch.evaluation.backprop import fresh_keras_state
from archsearch.evaluation.data import DataSplits
from archsearch.genome import Genome
from archsearch.run.candidates import candidate_seed
from archsearch.run.inner import FinalTrainer


@dataclass(frozen=True)
class FinalMetrics:
    genome_key: str
    latent_size: int
    params: int
    train_images: int
    epochs: int  # or generations, when trained by weight evolution
    trained_by: str
    train_seconds: float
    val_mse: float
    test_mse: float
    pca_test_mse: float  # PCA with latent_size components, fitted on the same training images

    @property
    def beats_pca(self) -> bool:
        return self.test_mse < self.pca_test_mse


def export_candidate(genome: Genome, splits: DataSplits, train: FinalTrainer, seed: int, directory: Path,
                     search_fitness: float | None = None) -> FinalMetrics:
    """Trains `genome` on `splits` as its run trained candidates (`train`) and writes its directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "genome.json").write_text(genome.to_json(indent=2) + "\n")
    seed = candidate_seed(seed, genome)
    fresh_keras_state(seed)
    built = build_autoencoder(genome, splits.image_shape)
    outcome = train(built, genome, splits, seed)
    reconstructed = built.autoencoder.predict(splits.x_test, batch_size=512, verbose=0)
    test_mse = float(np.mean((reconstructed - splits.x_test) ** 2))
    metrics = FinalMetrics(
        genome_key=genome.key, latent_size=genome.latent_size, params=built.params,
        train_images=len(splits.x_train), epochs=outcome.steps, trained_by=train.description,
        train_seconds=round(outcome.seconds, 2),
        val_mse=outcome.val_mse, test_mse=test_mse,
        pca_test_mse=pca_test_mse(splits.x_train, splits.x_test, genome.latent_size),
    )
    built.autoencoder.save(directory / "model.keras")
    built.encoder.save(directory / "encoder.keras")
    (directory / "summary.txt").write_text(
        f"architecture: {genome.describe()}\ntraining genes: {genome.training}\n"
        f"trained by: {train.description}\n\n{describe(built)}\n\n"
        f"validation MSE during the search: {search_fitness}\n"
        f"after retraining on {metrics.train_images} images ({metrics.epochs} epochs or generations): "
        f"validation MSE {metrics.val_mse:.5f}, test MSE {metrics.test_mse:.5f} "
        f"(PCA with {genome.latent_size} components: {metrics.pca_test_mse:.5f})\n")
    save_reconstructions(splits.x_test[:10], reconstructed[:10], directory / "reconstructions.png",
                         title=f"test MSE {test_mse:.4f}  |  {genome.describe()}")
    (directory / "metrics.json").write_text(json.dumps({**asdict(metrics), "search_val_mse": search_fitness},
                                                       indent=2) + "\n")
    return metrics
