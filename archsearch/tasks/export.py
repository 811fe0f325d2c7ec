"""`archsearch export RUN_DIR` for a run of your own task: its `top` best candidates, each handed over as
the search left it (`tasks.handover`) in RUN_DIR/export/rankN_KEY, with an `index.json`; and
`archsearch.export`, which exports a run of any task."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from archsearch.analysis.tables import best_records
from archsearch.core.data import split
from archsearch.core.errors import ArchsearchError
from archsearch.run.journal import Journal
from archsearch.run.run_dir import CONFIG, EXPORT, JOURNAL, require_run_dir, task_of
from archsearch.tasks.handover import hand_over
from archsearch.tasks.keras_task import KerasTask
from archsearch.tasks.loading import load_task
from archsearch.tasks.run import task_data
from archsearch.tasks.settings import TaskSettings
from archsearch.training.winner import export_ranked, require_chosen


def export_task_run(run_dir: str | Path, top: int = 3, to: str | Path | None = None, task: KerasTask | None = None,
                    data: Any = None, log: Callable[[str], None] = lambda text: None) -> list[tuple[Path, dict]]:
    """Writes the run's `top` best distinct candidates; `task` and `data` are needed only for a task made in
    Python (a task from a file is loaded again from it, with its own data or the run's --data)."""
    run_dir = require_run_dir(Path(run_dir))
    config = TaskSettings.load(run_dir / CONFIG)
    if task is None:
        if not config.source:
            raise ArchsearchError(f"{run_dir}: its task was made in Python; pass it: export(run_dir, task=task)")
        task = load_task(config.source)
    best = require_chosen(run_dir, best_records(Journal(run_dir / JOURNAL).read(), top))
    dataset = task_data(task, data if data is not None else config.data_file)
    splits = split(dataset, config.train_size, config.val_size, config.seed, config.test_size)
    return export_ranked(best, Path(to) if to else run_dir / EXPORT, log,
                         lambda record, directory: hand_over(task, config, run_dir, record, splits, directory).metrics)


def export(run_dir: str | Path, top: int = 3, to: str | Path | None = None, **options: Any) -> list:
    """Exports the best candidates of a run of any task: your own task's (`export_task_run`: `task`, `data`,
    `log`), or the autoencoder search's (`autoencoder.export.export`: `dataset`, `log`, `pareto`)."""
    if task_of(require_run_dir(Path(run_dir))) == "keras":
        return export_task_run(run_dir, top, to, **options)
    from archsearch.autoencoder.export import export as export_autoencoder

    return export_autoencoder(run_dir, top, to, **options)
