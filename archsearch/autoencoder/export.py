"""Hands the winners over (`archsearch export`, and a search's `best/`): a multi-fidelity run's
candidate as its top rung left it, otherwise retrained on more images for longer; scored on the test
set, and written as a directory a user can take away (`genome.json`, `model.keras`, `encoder.keras`, `summary.txt`,
`reconstructions.png`, `metrics.json`). The `.keras` files load with plain `keras.models.load_model`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from archsearch.analysis.baselines import pca_test_mse
from archsearch.analysis.pareto import pareto_front
from archsearch.analysis.plots import save_reconstructions
from archsearch.analysis.tables import best_records
from archsearch.autoencoder.config import SearchConfig
from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.inner_loops import FinalTrainer, FromCheckpoint
from archsearch.autoencoder.model import build_autoencoder, describe
from archsearch.core.data import Dataset, DataSplits, load_dataset, split
from archsearch.core.errors import ArchsearchError
from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import candidate_seed
from archsearch.run.engine import checkpoint_path
from archsearch.run.journal import Journal
from archsearch.run.run_dir import CHECKPOINTS, CONFIG, EXPORT, JOURNAL, require_run_dir, task_of
from archsearch.run.runner import final_splits, training_seconds
from archsearch.training.keras_parts import fresh_keras_state
from archsearch.training.winner import export_ranked, require_chosen, write_winner


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
                     search_fitness: float | None = None, centred: bool = False) -> FinalMetrics:
    """Trains `genome` on `splits` as its run trained candidates (`train`, built `centred` as they were)
    and writes its directory."""
    seed = candidate_seed(seed, genome)
    fresh_keras_state(seed)
    built = build_autoencoder(genome, splits.image_shape, centred=centred)
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
    write_winner(directory, genome, {"model": built.autoencoder, "encoder": built.encoder},
                 f"architecture: {genome.describe()}\ntraining genes: {genome.training}\n"
                 f"trained by: {train.description}\n\n{describe(built)}\n\n"
                 f"validation MSE during the search: {search_fitness}\n"
                 f"after retraining on {metrics.train_images} images ({metrics.epochs} epochs or generations): "
                 f"validation MSE {metrics.val_mse:.5f}, test MSE {metrics.test_mse:.5f} "
                 f"(PCA with {genome.latent_size} components: {metrics.pca_test_mse:.5f})\n",
                 {**asdict(metrics), "search_val_mse": search_fitness})
    save_reconstructions(splits.x_test[:10], reconstructed[:10], directory / "reconstructions.png",
                         title=f"test MSE {test_mse:.4f}  |  {genome.describe()}")
    return metrics


def handover(config: SearchConfig, run_dir: Path, records: list[EvaluationRecord],
             record: EvaluationRecord) -> FromCheckpoint | FinalTrainer:
    """How a chosen candidate becomes the model handed over: a multi-fidelity run's from its checkpoint (the
    model the search judged), otherwise retrained on more images for longer."""
    path = checkpoint_path(run_dir / CHECKPOINTS, record.index)
    if config.rungs is not None and path.is_file():
        return FromCheckpoint(path, record, training_seconds(records, record), config.budget_unit)
    return FinalTrainer(config)


def handover_splits(config: SearchConfig, dataset: Dataset, search_splits: DataSplits | None = None) -> DataSplits:
    """The images the handed-over model is trained (or was trained) and scored on: the search's own split
    in a multi-fidelity run, more training images than the search had otherwise."""
    if config.rungs is None:
        return final_splits(config, dataset)
    return search_splits or split(dataset, config.train_size, config.val_size, config.seed, config.test_size)


def export(run_dir: str | Path, top: int = 3, to: str | Path | None = None, dataset: Dataset | None = None,
           log: Callable[[str], None] = lambda text: None, pareto: bool = False) -> list[tuple[Path, dict]]:
    """Retrains and writes the run's `top` best distinct genomes to `to` (default RUN_DIR/export); with
    `pareto`, every member of its Pareto front (loss against the run's other objectives) instead."""
    run_dir = require_run_dir(Path(run_dir))
    if task_of(run_dir) == "transfer":
        raise ArchsearchError(f"{run_dir}: a transfer run; its best classifier is "
                              f"{run_dir / 'best' / 'classifier.keras'} (export handles autoencoder and --task runs)")
    config = SearchConfig.load(run_dir / CONFIG)
    records = Journal(run_dir / JOURNAL).read()
    best = require_chosen(run_dir, pareto_front(records, config.other_objectives) if pareto
                          else best_records(records, top))
    splits = handover_splits(config, dataset or load_dataset(config.data_dir, config.data_file))

    def hand_over_one(record: EvaluationRecord, directory: Path) -> dict:
        train = handover(config, run_dir, records, record)
        log(f"    on {len(splits.x_train)} images with {train.description} ...")
        return asdict(export_candidate(record.genome, splits, train, config.seed, directory, record.result.fitness,
                                       bool(config.centre)))

    return export_ranked(best, Path(to) if to else run_dir / EXPORT, log, hand_over_one,
                         "front" if pareto else "rank")
