"""Runs a search of any kind (a `run.task.Task`) in a run directory: settings checked and fitted to the
data, the run directory made (or resumed), the candidates evaluated by a pool of workers through the
engine and its journal, the reports it is handed written (`run.reports`: the engine writes none of its
own), and the winner handed over by the task. `pooled` and `run_search` are the parts `comparison` runs
once per strategy x seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from archsearch.core.data import Dataset, DataSplits, load_dataset, split
from archsearch.core.errors import ArchsearchError
from archsearch.core.genomes import JsonGenome
from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import Evaluator, Observer, genome_key
from archsearch.run.dask_pool import DaskPool, check_scheduler_of
from archsearch.run.engine import AsyncEngine, executor_for
from archsearch.run.journal import Journal
from archsearch.run.pool import WorkerPool, default_workers
from archsearch.run.predicted import PredictedPool
from archsearch.run.reports import ReportsFactory
from archsearch.run.run_dir import CHECKPOINTS, JOURNAL, SPACE, prepare_run_dir
from archsearch.run.settings import RunSettings
from archsearch.run.task import Task
from archsearch.run.warm_start import warm_start_genomes
from archsearch.strategies import STRATEGIES, make_strategy


def run_task(task: Task, config: RunSettings, run_dir: str | Path, resume: bool = False,
             observer: Observer | None = None, dataset: Dataset | None = None,
             log: Callable[[str], None] = lambda text: None, reports: ReportsFactory | None = None):
    """Runs (or resumes) a search of any kind (`run.task`) in `run_dir`, then hands its winner over:
    settings checked, data loaded and split, run directory, engine, journal, `reports` (the record's
    tables and lineage: `analysis.run_reports.standard_reports`), the task's hand-over."""
    run_dir = Path(run_dir)
    task.check(config)  # bad settings fail before the data is read or the run directory touched
    check_clock(task, config)
    check_scheduler_of(config)
    dataset = dataset or load_dataset(config.data_dir, config.data_file)
    config = task.fit(config, dataset)
    splits = split(dataset, config.train_size, config.val_size, config.seed, config.test_size)
    config = prepare_run_dir(config, run_dir, resume, task.space_document(config))
    with task.evaluator(config, splits, run_dir) as evaluator:
        records = run_search(config, run_dir, task.space(config, run_dir / SPACE),
                             on_clock(task, config, splits, evaluator), resume, observer, task.candidate_key(config),
                             reports)
    return task.finish(config, run_dir, records, dataset, splits, log)


def check_clock(task: Task, config: RunSettings) -> None:
    """A one-line error for the predicted clock on a task without a cost model."""
    if config.clock == "predicted" and getattr(task, "cost_model", None) is None:
        raise ArchsearchError(f"--clock predicted: the {task.name} task has no cost model to predict seconds with")


def on_clock(task: Task, config: RunSettings, splits: DataSplits, evaluator: Evaluator) -> Evaluator:
    """The evaluator as the run's clock wants it: as it is on the wall clock; on the predicted one, behind a
    `PredictedPool` of the task's cost model."""
    if config.clock != "predicted":
        return evaluator
    check_clock(task, config)
    return PredictedPool(executor_for(evaluator), task.cost_model(config, splits))


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


def run_search(config: RunSettings, run_dir: Path, space: Any, evaluator: Evaluator, resume: bool = False,
               observer: Observer | None = None, key: Callable[[JsonGenome], str] | None = None,
               reports: ReportsFactory | None = None) -> list[EvaluationRecord]:
    """The search itself, in a run directory `prepare_run_dir` made: journal, replay, engine, reports.

    `space` is the task's space as the run directory holds it (a resumed run searches the space it
    started with), `key` what makes two genomes one candidate (default: equal genomes), `reports` what
    the run writes of its record (None: the journal alone)."""
    journal = Journal(run_dir / JOURNAL)
    replay = journal.events() if resume else []
    multi_objective = STRATEGIES[config.strategy].multi_objective
    options = {"objectives": [o.name for o in config.other_objectives]} if multi_objective else {}
    starting_points = warm_start_genomes(config, space) if config.warm_start else ()
    strategy = make_strategy(config.strategy, space, np.random.default_rng(config.seed), population=config.population,
                             starting_points=starting_points, prior=config.prior, **options)
    rungs = config.rungs
    written = reports(config, run_dir, space) if reports is not None else None
    if written is not None:
        observer = written.observe(observer)
    checkpoints = run_dir / CHECKPOINTS if rungs is not None else None
    if checkpoints is not None:
        checkpoints.mkdir(exist_ok=True)
    engine = AsyncEngine(strategy, evaluator, config.seed, rungs, checkpoints, journal, observer,
                         key or genome_key, config.time_box,
                         config.wall_limit or None if config.clock == "predicted" else None)
    records = engine.run(config.evaluations, replay)
    if written is not None:
        written.close(records)
    return records


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
