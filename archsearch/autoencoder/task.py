"""The autoencoder search as a task (`run.task`): what `archsearch search` and `archsearch.search` run.

A space of encoders (and decoders) read from a TOML file; candidates trained by backprop to rungs of
images seen, or by weight evolution (`inner_loops`); the winner handed over in RUN_DIR/best (`export`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archsearch.analysis.plots import save_progress_plot
from archsearch.analysis.run_reports import standard_reports
from archsearch.analysis.tables import best_records
from archsearch.autoencoder.config import SearchConfig, check_config, check_labels_for_objectives, fit_to_data
from archsearch.autoencoder.cost import predicted_seconds
from archsearch.autoencoder.export import FinalMetrics, export_candidate, handover, handover_splits
from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.inner_loops import candidate_key, make_evaluator
from archsearch.autoencoder.space import SearchSpace, with_latent
from archsearch.autoencoder.space_file import load_space
from archsearch.core.data import Dataset, DataSplits
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import Evaluator, Observer
from archsearch.run.predicted import CostModel
from archsearch.run.run_dir import BEST, PROGRESS, WEIGHTS, WORKER_LOG
from archsearch.run.runner import pooled, run_task


@dataclass
class SearchReport:
    run_dir: Path
    records: list[EvaluationRecord]
    best: list[EvaluationRecord]
    final: FinalMetrics | None


class AutoencoderTask:
    """The autoencoder search: a space of encoders (and decoders), candidates trained by backprop to
    rungs of images seen or by weight evolution, the winner handed over as `best/model.keras`."""

    name = "autoencoder"

    def check(self, config: SearchConfig) -> None:
        check_config(config)

    def fit(self, config: SearchConfig, dataset: Dataset) -> SearchConfig:
        config = fit_to_data(config, len(dataset.x_train), dataset.x_train)
        check_labels_for_objectives(config, dataset)
        return config

    def space(self, config: SearchConfig, space_file: Path) -> SearchSpace:
        return with_latent(load_space(space_file), config.latent)

    def space_document(self, config: SearchConfig) -> None:
        return None  # the space is a file, copied into the run directory

    def evaluator(self, config: SearchConfig, splits: DataSplits, run_dir: Path, score_test: bool = False):
        return open_evaluator(config, splits, run_dir / WORKER_LOG, score_test, weights_dir=run_dir / WEIGHTS)

    def cost_model(self, config: SearchConfig, splits: DataSplits) -> CostModel:
        """Predicted seconds of an evaluation (`cost.predicted_seconds`): the images of its fidelity, or
        its epochs over the training images without fidelities."""
        shape = tuple(splits.x_train.shape[1:])

        def seconds(genome: Genome, fidelity: Fidelity | None) -> tuple[float, float]:
            images = fidelity.budget - fidelity.start if fidelity else config.epochs * len(splits.x_train)
            return predicted_seconds(genome, images, shape, config.max_params)

        return seconds

    def candidate_key(self, config: SearchConfig) -> Callable[[Genome], str]:
        return candidate_key(config)

    def finish(self, config: SearchConfig, run_dir: Path, records: list[EvaluationRecord], dataset: Dataset,
               splits: DataSplits, log: Callable[[str], None]) -> SearchReport:
        return finish(config, run_dir, records, dataset, log, splits)


AUTOENCODER = AutoencoderTask()


def search(config: SearchConfig, run_dir: str | Path, resume: bool = False, observer: Observer | None = None,
           dataset: Dataset | None = None, log: Callable[[str], None] = lambda text: None) -> SearchReport:
    """Runs (or resumes) an autoencoder search, then hands over the best candidate in `best/`."""
    return run_task(AUTOENCODER, config, run_dir, resume, observer, dataset, log, standard_reports)


@contextmanager
def open_evaluator(config: SearchConfig, splits: DataSplits, log_path: Path | None = None,
                   score_test: bool = False, weights_dir: Path | None = None) -> Iterator[Evaluator]:
    """The evaluator of `config` on `splits` (backprop or weight evolution): a pool of worker processes
    unless `isolate` is off. With `score_test`, every candidate is also scored on the test images; with
    the config's `inherit_weights`, trained weights are kept in `weights_dir`."""
    with pooled(make_evaluator(config, splits, score_test, weights_dir), config, log_path) as evaluator:
        yield evaluator


def finish(config: SearchConfig, run_dir: Path, records: list[EvaluationRecord], dataset: Dataset,
           log: Callable[[str], None] = lambda text: None, splits: DataSplits | None = None) -> SearchReport:
    """Derives the plots from the record, and exports the best genome: a multi-fidelity run's winner as
    its top rung left it (from its checkpoint), otherwise retrained on more images for longer."""
    save_progress_plot(records, run_dir / PROGRESS,
                       title=f"{config.strategy} on {Path(config.space).stem}, seed {config.seed}")
    best = best_records(records, config.top_k)
    final = None
    if best:
        train, splits = handover(config, run_dir, records, best[0]), handover_splits(config, dataset, splits)
        log(f"the best candidate ({best[0].genome.describe()}) on {len(splits.x_train)} images with "
            f"{train.description}, then scored on {len(splits.x_test)} test images ...")
        final = export_candidate(best[0].genome, splits, train, config.seed, run_dir / BEST, best[0].result.fitness,
                                 bool(config.centre))
    return SearchReport(run_dir, records, best, final)
