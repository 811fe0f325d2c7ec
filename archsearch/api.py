"""The library entry points the CLI wraps: `search` (run or resume) and `export` (top K of a run).
`open_evaluator` and `run_search` are its parts that `archsearch.comparison` runs once per strategy x seed.

A run directory holds `config.json`, `space.toml` (the space as it was), `journal.jsonl` (the record),
`evaluations.csv`, `progress.png` and `best/`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archsearch.analysis.export import FinalMetrics, export_candidate
from archsearch.analysis.lineage import LineageObserver, OptunaLineage
from archsearch.analysis.pareto import pareto_front, write_pareto
from archsearch.analysis.plots import save_progress_plot
from archsearch.analysis.tables import best_records, evaluations_frame
from archsearch.errors import ArchsearchError, ResumeError
from archsearch.evaluation.dask_pool import DaskPool, check_scheduler_of
from archsearch.evaluation.data import Dataset, DataSplits, load_dataset, split
from archsearch.evaluation.pool import WorkerPool, default_workers
from archsearch.genome import Genome
from archsearch.records import EvaluationRecord
from archsearch.run.candidates import Evaluator, Observer
from archsearch.run.config import (
    RunSettings,
    SearchConfig,
    check_config,
    check_labels_for_objectives,
    fit_to_data,
    read_settings,
)
from archsearch.run.engine import AsyncEngine, checkpoint_path
from archsearch.run.inner import FinalTrainer, FromCheckpoint, candidate_key, make_evaluator
from archsearch.run.journal import Journal
from archsearch.run.task import Task
from archsearch.space import SearchSpace
from archsearch.space_file import load_space, resolve_space_path
from archsearch.strategies import STRATEGIES, make_strategy
from archsearch.transfer_genome import TransferGenome
from archsearch.transfer_space import TransferSpace

CONFIG, SPACE, JOURNAL, CHECKPOINTS = "config.json", "space.toml", "journal.jsonl", "checkpoints"


@dataclass
class SearchReport:
    run_dir: Path
    records: list[EvaluationRecord]
    best: list[EvaluationRecord]
    final: FinalMetrics | None


def prepare_run_dir(config: RunSettings, run_dir: Path, resume: bool) -> RunSettings:
    """Creates (or, with `resume`, checks) the run directory; returns the config to run with (a
    `SearchConfig` or a `TransferConfig`)."""
    journal = run_dir / JOURNAL
    if resume:
        if not (run_dir / CONFIG).is_file():
            raise ResumeError(f"{run_dir}: no run to resume here (no {CONFIG})")
        config.check_resumable(type(config).load(run_dir / CONFIG), run_dir / CONFIG)
    elif journal.exists() and journal.stat().st_size > 0:
        raise ResumeError(f"{run_dir} already holds a run: pass --resume to continue it, or choose another --out")
    else:
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(resolve_space_path(config.space), run_dir / SPACE)
    config.save(run_dir / CONFIG)
    return config


def run_task(task: Task, config: RunSettings, run_dir: str | Path, resume: bool = False,
             observer: Observer | None = None, dataset: Dataset | None = None,
             log: Callable[[str], None] = lambda text: None):
    """Runs (or resumes) a search of any kind (`run.task`) in `run_dir`, then hands its winner over:
    settings checked, data loaded and split, run directory, engine, journal, the task's report."""
    run_dir = Path(run_dir)
    task.check(config)  # bad settings fail before the data is read or the run directory touched
    check_scheduler_of(config)
    dataset = dataset or load_dataset(config.data_dir, config.data_file)
    config = task.fit(config, dataset)
    splits = split(dataset, config.train_size, config.val_size, config.seed, config.test_size)
    config = prepare_run_dir(config, run_dir, resume)
    with task.evaluator(config, splits, run_dir) as evaluator:
        records = run_search(config, run_dir, evaluator, resume, observer, task.space(config, run_dir / SPACE),
                             task.candidate_key(config))
    return task.finish(config, run_dir, records, dataset, splits, log)


class AutoencoderTask:
    """The autoencoder search: a space of encoders (and decoders), candidates trained by backprop to
    rungs of images seen or by weight evolution, the winner handed over as `best/model.keras`."""

    name = "autoencoder"

    def check(self, config: SearchConfig) -> None:
        check_config(config)

    def fit(self, config: SearchConfig, dataset: Dataset) -> SearchConfig:
        config = fit_to_data(config, len(dataset.x_train))
        check_labels_for_objectives(config, dataset)
        return config

    def space(self, config: SearchConfig, space_file: Path) -> SearchSpace:
        return load_space(space_file)

    def evaluator(self, config: SearchConfig, splits: DataSplits, run_dir: Path):
        return open_evaluator(config, splits, run_dir / "worker.log", weights_dir=run_dir / "weights")

    def candidate_key(self, config: SearchConfig) -> Callable[[Genome], str]:
        return candidate_key(config)

    def finish(self, config: SearchConfig, run_dir: Path, records: list[EvaluationRecord], dataset: Dataset,
               splits: DataSplits, log: Callable[[str], None]) -> SearchReport:
        return finish(config, run_dir, records, dataset, log, splits)


AUTOENCODER = AutoencoderTask()


def search(config: SearchConfig, run_dir: str | Path, resume: bool = False, observer: Observer | None = None,
           dataset: Dataset | None = None, log: Callable[[str], None] = lambda text: None) -> SearchReport:
    """Runs (or resumes) an autoencoder search, then hands over the best candidate in `best/`."""
    return run_task(AUTOENCODER, config, run_dir, resume, observer, dataset, log)


@contextmanager
def open_evaluator(config: SearchConfig, splits: DataSplits, log_path: Path | None = None,
                   score_test: bool = False, weights_dir: Path | None = None) -> Iterator[Evaluator]:
    """The evaluator of `config` on `splits` (backprop or weight evolution): a pool of worker processes
    unless `isolate` is off. With `score_test`, every candidate is also scored on the test images; with
    the config's `inherit_weights`, trained weights are kept in `weights_dir`."""
    with pooled(make_evaluator(config, splits, score_test, weights_dir), config, log_path) as evaluator:
        yield evaluator


@contextmanager
def pooled(evaluator: Evaluator, config: RunSettings, log_path: Path | None = None) -> Iterator[Evaluator]:
    """`evaluator` behind a pool of worker processes (archsearch's own, or a Dask cluster's with the
    config's `executor` "dask"), unless the config's `isolate` is off."""
    if not config.isolate:
        yield evaluator
        return
    if config.executor == "dask":
        with DaskPool(evaluator, config.workers or default_workers(), config.scheduler, config.recycle_after) as pool:
            yield pool
        return
    with WorkerPool(evaluator, config.workers or default_workers(), config.recycle_after, log_path) as pool:
        yield pool


def run_search(config: RunSettings, run_dir: Path, evaluator: Evaluator, resume: bool = False,
               observer: Observer | None = None, space: SearchSpace | TransferSpace | None = None,
               key: Callable[[Genome | TransferGenome], str] | None = None) -> list[EvaluationRecord]:
    """The search itself, in a run directory `prepare_run_dir` made: journal, replay, engine, evaluations.csv.

    `space` defaults to the autoencoder space saved in the run directory (a resumed run searches the
    space it started with), `key` to what makes two genomes one candidate for the config's inner loop."""
    space = space or load_space(run_dir / SPACE)
    journal = Journal(run_dir / JOURNAL)
    replay = journal.events() if resume else []
    multi_objective = STRATEGIES[config.strategy].multi_objective
    options = {"objectives": [o.name for o in config.other_objectives]} if multi_objective else {}
    strategy = make_strategy(config.strategy, space, np.random.default_rng(config.seed), population=config.population,
                             **options)
    rungs = config.rungs
    lineage = None
    if config.optuna_storage:
        lineage = OptunaLineage(config.optuna_storage, str(run_dir), space,
                                config.other_objectives if multi_objective else None, config.fitness_label,
                                config.to_dict(), rungs.budgets[-1] if rungs is not None else None)
        observer = LineageObserver(lineage, observer)
    checkpoints = run_dir / CHECKPOINTS if rungs is not None else None
    if checkpoints is not None:
        checkpoints.mkdir(exist_ok=True)
    engine = AsyncEngine(strategy, evaluator, config.seed, rungs, checkpoints, journal, observer,
                         key or candidate_key(config), config.time_box)
    records = engine.run(config.evaluations, replay)
    if lineage is not None:
        lineage.close(records)
    evaluations_frame(records).to_csv(run_dir / "evaluations.csv", index=False)
    if multi_objective:
        write_pareto(records, run_dir, title=f"{config.strategy} on {Path(config.space).stem}, seed {config.seed}",
                     fitness_name=config.fitness_name, objectives=config.other_objectives)
    return records


def finish(config: SearchConfig, run_dir: Path, records: list[EvaluationRecord], dataset: Dataset,
           log: Callable[[str], None] = lambda text: None, splits: DataSplits | None = None) -> SearchReport:
    """Derives the plots from the record, and exports the best genome: a multi-fidelity run's winner as
    its top rung left it (from its checkpoint), otherwise retrained on more images for longer."""
    save_progress_plot([r.result.fitness for r in records], run_dir / "progress.png",
                       title=f"{config.strategy} on {Path(config.space).stem}, seed {config.seed}")
    best = best_records(records, config.top_k)
    final = None
    if best:
        train, splits = handover(config, run_dir, records, best[0]), handover_splits(config, dataset, splits)
        log(f"the best candidate ({best[0].genome.describe()}) on {len(splits.x_train)} images with "
            f"{train.description}, then scored on {len(splits.x_test)} test images ...")
        final = export_candidate(best[0].genome, splits, train, config.seed, run_dir / "best", best[0].result.fitness)
    return SearchReport(run_dir, records, best, final)


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


def training_seconds(records: list[EvaluationRecord], record: EvaluationRecord) -> float:
    """A candidate's training time over every rung it went through up to `record`."""
    seconds = record.result.train_seconds
    while record.continued_from is not None:
        record = records[record.continued_from]
        seconds += record.result.train_seconds
    return seconds


def final_splits(config: RunSettings, dataset: Dataset) -> DataSplits:
    """More training images for the winner, the same validation images as the search."""
    available = len(dataset.x_train) - config.val_size
    return split(dataset, min(config.final_train_size, available), config.val_size, config.seed, config.test_size)


def task_of(run_dir: Path) -> str:
    """The kind of search a run directory holds (runs written before tasks were named: by their settings)."""
    settings = read_settings(run_dir / CONFIG)
    return settings.get("task") or ("transfer" if "backbone" in settings else AUTOENCODER.name)


def export(run_dir: str | Path, top: int = 3, to: str | Path | None = None, dataset: Dataset | None = None,
           log: Callable[[str], None] = lambda text: None, pareto: bool = False) -> list[tuple[Path, FinalMetrics]]:
    """Retrains and writes the run's `top` best distinct genomes to `to` (default RUN_DIR/export); with
    `pareto`, every member of its Pareto front (loss against the run's other objectives) instead."""
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG).is_file() or not (run_dir / JOURNAL).is_file():
        raise ArchsearchError(f"{run_dir}: not a run directory (needs {CONFIG} and {JOURNAL})")
    if task_of(run_dir) != AUTOENCODER.name:
        raise ArchsearchError(f"{run_dir}: a transfer run; its best classifier is "
                              f"{run_dir / 'best' / 'classifier.keras'} (export handles autoencoder runs)")
    config = SearchConfig.load(run_dir / CONFIG)
    records = Journal(run_dir / JOURNAL).read()
    best = pareto_front(records, config.other_objectives) if pareto else best_records(records, top)
    if not best:
        raise ArchsearchError(f"{run_dir}: no successful evaluation to export")
    dataset = dataset or load_dataset(config.data_dir, config.data_file)
    splits = handover_splits(config, dataset)
    target = Path(to) if to else run_dir / "export"
    written = []
    for rank, record in enumerate(best, start=1):
        directory = target / f"{'front' if pareto else 'rank'}{rank}_{record.genome.key}"
        train = handover(config, run_dir, records, record)
        log(f"[{rank}/{len(best)}] #{record.index} ({record.genome.describe()}) on "
            f"{len(splits.x_train)} images with {train.description} ...")
        written.append((directory, export_candidate(record.genome, splits, train, config.seed,
                                                    directory, record.result.fitness)))
    (target / "index.json").write_text(json.dumps(
        [{"rank": i + 1, "directory": str(d.name), "test_mse": m.test_mse, "params": m.params}
         for i, (d, m) in enumerate(written)], indent=2) + "\n")
    return written
