"""A `KerasTask` as the engine runs tasks (`run.task.Task`), and `search_task`, its entry point.

Everything else is the engine's, as for the built-in tasks: settings checked and fitted to the data, the
run directory (the space recorded as `space.json`), the journal and exact resume, worker processes or
a Dask cluster, the Optuna lineage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archsearch.analysis.plots import save_progress_plot
from archsearch.analysis.run_reports import standard_reports
from archsearch.analysis.tables import best_records
from archsearch.core.data import Dataset, DataSplits
from archsearch.core.errors import ArchsearchError
from archsearch.core.records import EvaluationRecord
from archsearch.run.candidates import Observer, genome_key
from archsearch.run.run_dir import BEST, PROGRESS, WORKER_LOG
from archsearch.run.runner import pooled, run_task
from archsearch.tasks.data import as_dataset, load_arrays
from archsearch.tasks.evaluator import EpochSettings, KerasEvaluator
from archsearch.tasks.handover import Winner, hand_over
from archsearch.tasks.keras_task import KerasTask
from archsearch.tasks.settings import TaskSettings, check_task_settings, fit_task_to_data


@dataclass
class TaskReport:
    run_dir: Path
    records: list[EvaluationRecord]
    best: list[EvaluationRecord]
    final: Winner | None


class KerasTaskRun:
    """The engine's view of a `KerasTask` (`run.task.Task`)."""

    def __init__(self, task: KerasTask) -> None:
        self.task, self.name = task, task.name

    def check(self, config: TaskSettings) -> None:
        check_task_settings(config)

    def fit(self, config: TaskSettings, dataset: Dataset) -> TaskSettings:
        return fit_task_to_data(config, len(dataset.x_train))

    def space(self, config: TaskSettings, space_file: Path) -> Any:
        return self.task.space

    def space_document(self, config: TaskSettings) -> dict[str, Any]:
        return self.task.space.document()

    def evaluator(self, config: TaskSettings, splits: DataSplits, run_dir: Path, score_test: bool = False):
        evaluator = KerasEvaluator(self.task, splits, EpochSettings(config.epochs, config.patience, config.max_params),
                                   score_test)
        return pooled(evaluator, config, run_dir / WORKER_LOG)

    def candidate_key(self, config: TaskSettings) -> Callable[[Any], str]:
        return genome_key

    def finish(self, config: TaskSettings, run_dir: Path, records: list[EvaluationRecord], dataset: Dataset,
               splits: DataSplits, log: Callable[[str], None]) -> TaskReport:
        save_progress_plot(records, run_dir / PROGRESS,
                           title=f"{config.strategy} on {self.task.name}, seed {config.seed}",
                           ylabel=config.fitness_label)
        best = best_records(records, config.top_k)
        final = None
        if best:
            log(f"the best candidate ({best[0].genome.describe()}) to {run_dir / BEST} ...")
            final = hand_over(self.task, config, run_dir, best[0], splits, run_dir / BEST)
        return TaskReport(run_dir, records, best, final)


def task_settings(task: KerasTask, **settings: Any) -> TaskSettings:
    """The run settings of `task`: `settings` (any `TaskSettings` field) over the task's own defaults
    (`KerasTask.settings`), and what the task says of itself."""
    for where, names in (("task " + task.name + ": settings", task.settings), ("settings", settings)):
        unknown = sorted(set(names) - set(TaskSettings.__dataclass_fields__))
        if unknown:
            raise ArchsearchError(f"{where}: unknown setting(s) {', '.join(unknown)}")
    given = {name: value for name, value in settings.items() if value is not None}
    return TaskSettings(**{**task.settings, **given, "task_name": task.name, "source": task.source,
                           "fitness_text": task.fitness_label})


def comparison_settings(task: KerasTask, seconds: float | None, **settings: Any) -> TaskSettings:
    """The base settings of a comparison of `task`: as `task_settings`, but an equal budget of evaluations
    trains each one the same way (fidelity off) unless a fidelity is given; `seconds` keeps the task's."""
    if seconds is None and settings.get("fidelity") is None:
        settings["fidelity"] = "off"
    return task_settings(task, **settings)


def task_data(task: KerasTask, data: Any = None) -> Dataset:
    """The data to search on: what was passed (arrays, or the path of an .npz of them), else what the
    task's `data()` returns."""
    if isinstance(data, (str, Path)):
        return load_arrays(data)
    if data is not None:
        return as_dataset(data)
    if task.data is None:
        raise ArchsearchError(f"task {task.name}: no data (pass data=(x, y), or give the task a data function)")
    return as_dataset(task.data(), f"task {task.name}: data()")


def search_task(task: KerasTask, run_dir: str | Path, data: Any = None, resume: bool = False,
                observer: Observer | None = None, log: Callable[[str], None] = lambda text: None,
                **settings: Any) -> TaskReport:
    """Runs (or resumes) a search of `task` in `run_dir` and hands its winner over in `run_dir/best`."""
    return run_task(KerasTaskRun(task), task_settings(task, **settings), run_dir, resume, observer,
                    task_data(task, data), log, standard_reports)
