"""`archsearch transfer`: search how to reuse a pretrained network for classification (how many of
its layers to keep and to freeze, learning rate, dropout, head width), with the same strategies, loop,
journal and resume as the autoencoder search.

A run directory holds `config.json`, `space.toml`, `journal.jsonl`, `evaluations.csv`, `progress.png`
and `best/` (`classifier.keras`, `genome.json`, `summary.txt`, `metrics.json`, `comparison.csv`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from archsearch.analysis.plots import save_progress_plot
from archsearch.analysis.run_reports import standard_reports
from archsearch.analysis.tables import best_records
from archsearch.core.data import Dataset, class_count
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import EvaluationRecord
from archsearch.core.space.params import Params
from archsearch.run.candidates import Observer, genome_key
from archsearch.run.engine import checkpoint_path
from archsearch.run.run_dir import BEST, CHECKPOINTS, PROGRESS, WORKER_LOG
from archsearch.run.runner import final_splits, pooled, run_task, training_seconds
from archsearch.transfer.config import TransferConfig, check_transfer_config, fit_transfer_to_data
from archsearch.transfer.export import (
    ClassifierMetrics,
    ClassifierTraining,
    export_transfer_winner,
    final_settings,
)
from archsearch.transfer.fine_tune import FineTuneSettings, TransferEvaluator
from archsearch.transfer.model import BackboneSource, cut_points
from archsearch.transfer.space import load_transfer_space, transfer_genes, weight_evolution_key
from archsearch.weights.evolution import WeightEvolutionSettings


@dataclass
class TransferReport:
    run_dir: Path
    records: list[EvaluationRecord]
    best: list[EvaluationRecord]
    depth: int
    final: ClassifierMetrics | None
    comparison: pd.DataFrame | None


def check_inputs(config: TransferConfig, dataset: Dataset) -> tuple[int, int]:
    """The number of classes and the backbone's depth in cut points. Loads the backbone once in this
    process, so a bad path or name fails here, before the run starts."""
    classes = class_count(dataset, "transfer learning needs")
    source = BackboneSource(config.backbone, config.backbone_weights)
    return classes, len(cut_points(source.load(dataset.image_shape)))


class TransferTask:
    """Transfer learning as a kind of search: genes of how a pretrained backbone is reused, candidates
    fine-tuned as classifiers and judged by validation error, the winner fine-tuned again and written as
    `best/classifier.keras` beside the reference points. `checked`: what `check_inputs` returned for these
    settings and data, if the caller ran it already."""

    name = "transfer"

    def __init__(self, checked: tuple[int, int] | None = None) -> None:
        self.checked = checked

    def check(self, config: TransferConfig) -> None:
        check_transfer_config(config)

    def fit(self, config: TransferConfig, dataset: Dataset) -> TransferConfig:
        self.checked = self.checked or check_inputs(config, dataset)
        return fit_transfer_to_data(config, len(dataset.x_train))

    @property
    def depth(self) -> int:
        return self.checked[1]

    def space(self, config: TransferConfig, space_file: Path):
        return load_transfer_space(space_file, self.depth)

    def space_document(self, config: TransferConfig) -> None:
        return None  # the space is a file, copied into the run directory

    def evaluator(self, config: TransferConfig, splits, run_dir: Path, score_test: bool = False):
        evaluator = TransferEvaluator(BackboneSource(config.backbone, config.backbone_weights), splits,
                                      self.checked[0], FineTuneSettings(config.epochs, config.patience,
                                                                        config.max_params, evolved(config)),
                                      score_test)
        return pooled(evaluator, config, run_dir / WORKER_LOG)

    def candidate_key(self, config: TransferConfig) -> Callable[[Params], str]:
        return weight_evolution_key if config.inner == "weights" else genome_key

    def finish(self, config: TransferConfig, run_dir: Path, records: list[EvaluationRecord], dataset: Dataset,
               splits, log: Callable[[str], None]) -> TransferReport:
        source = BackboneSource(config.backbone, config.backbone_weights)
        save_progress_plot(records, run_dir / PROGRESS,
                           ylabel="validation error", title=f"{config.strategy} reusing {source.label}, "
                                                            f"seed {config.seed}")
        best = best_records(records, config.top_k)
        final = comparison = None
        if best:
            if config.rungs is None:
                winner_splits = final_splits(config, dataset)
                settings = final_settings(config.final_epochs, config.max_params,
                                          evolved(config, config.final_weight_generations))
                training = reference = ClassifierTraining()
                how = (f"for up to {config.final_epochs} epochs" if settings.weights is None else
                       f"for {config.final_weight_generations} generations of {config.weight_strategy} (no gradients)")
                log(f"fine-tuning the best genes (#{best[0].index}: {best[0].genome.describe()}) on "
                    f"{len(winner_splits.x_train)} images {how}, then scoring them on {len(winner_splits.x_test)} "
                    f"test images ...")
            else:
                winner_splits, settings = splits, FineTuneSettings(max_params=config.max_params)
                training = as_trained(run_dir, records, best[0], config.rungs.budgets[-1])
                reference = self._reference(run_dir, records, config.rungs.budgets[-1])
                log(f"the best genes (#{best[0].index}: {best[0].genome.describe()}) as the search trained them "
                    f"({best[0].budget:,} images seen), scored on {len(winner_splits.x_test)} test images ...")
            final_evaluator = TransferEvaluator(source, winner_splits, self.checked[0], settings)
            final, comparison = export_transfer_winner(best[0].genome, final_evaluator, config.seed,
                                                       run_dir / BEST, self.depth, config.baselines,
                                                       best[0].result.fitness, log, training, reference)
        return TransferReport(run_dir, records, best, self.depth, final, comparison)

    def _reference(self, run_dir: Path, records: list[EvaluationRecord], top: int) -> ClassifierTraining:
        """Reference (a) in the winner's regime: the default genes' top-rung classifier if the search
        trained one, else trained now to the top budget."""
        default_key = transfer_genes(self.depth).key
        at_top = [r for r in records if r.genome.key == default_key and r.budget == top and r.result.ok
                  and r.cached_from is None]
        if at_top:
            return as_trained(run_dir, records, at_top[0], top)
        return ClassifierTraining(fidelity=Fidelity(top, top))


def evolved(config: TransferConfig, generations: int | None = None) -> WeightEvolutionSettings | None:
    """With `--inner weights`, how the trained layers evolve (cross-entropy on the training images)."""
    return WeightEvolutionSettings.of_run(config, generations, "crossentropy") if config.inner == "weights" else None


def as_trained(run_dir: Path, records: list[EvaluationRecord], record: EvaluationRecord,
               top: int) -> ClassifierTraining:
    """A multi-fidelity run's candidate as its evaluation left it: from its checkpoint, or (superseded by a
    later rung) trained again to that evaluation's budget in the same schedule."""
    path = checkpoint_path(run_dir / CHECKPOINTS, record.index)
    if path.is_file():
        return ClassifierTraining(path, record.budget, training_seconds(records, record))
    return ClassifierTraining(fidelity=Fidelity(record.budget, top))


def transfer_search(config: TransferConfig, run_dir: str | Path, resume: bool = False,
                    observer: Observer | None = None, dataset: Dataset | None = None,
                    log: Callable[[str], None] = lambda text: None,
                    checked: tuple[int, int] | None = None) -> TransferReport:
    """Runs (or resumes) a transfer search, then fine-tunes the best genes again and writes `best/`.
    `checked`: what `check_inputs` returned for this config and data, if the caller ran it already."""
    return run_task(TransferTask(checked), config, run_dir, resume, observer, dataset, log, standard_reports)
