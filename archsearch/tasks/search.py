"""`archsearch.search` and `archsearch.compare`: one entry point each for every search, your own task's or the
built-in autoencoder's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from archsearch.comparison.compare import DEFAULT_STRATEGIES
from archsearch.comparison.compare import compare as compare_runs
from archsearch.core.errors import ArchsearchError
from archsearch.tasks.keras_task import KerasTask
from archsearch.tasks.run import KerasTaskRun, comparison_settings, search_task, task_data


def search(what: Any, run_dir: str | Path, resume: bool = False, observer: Any = None, dataset: Any = None,
           log: Callable[[str], None] = lambda text: None, *, data: Any = None, **settings: Any) -> Any:
    """Runs (or resumes) a search in `run_dir` and hands its winner over in `run_dir/best`.

    `what` is a `KerasTask` (then `data` is its data, arrays (x, y) or (x_train, y_train, x_test, y_test),
    and `settings` any `TaskSettings` field: ``search(task, "runs/mine", data=(x, y), strategy="ga",
    population=8)``), or a `SearchConfig` for the built-in autoencoder search."""
    if isinstance(what, KerasTask):
        return search_task(what, run_dir, data if data is not None else dataset, resume, observer, log, **settings)
    if settings or data is not None:
        raise ArchsearchError("settings and data as keywords are for a KerasTask; a SearchConfig holds its own")
    from archsearch.autoencoder.task import search as search_autoencoder

    return search_autoencoder(what, run_dir, resume, observer, dataset, log)


def compare(what: Any, out: str | Path, strategies: Sequence[str] = DEFAULT_STRATEGIES, seeds: int = 3,
            budget: int = 40, dataset: Any = None, observer: Any = None, command: str = "", *,
            data: Any = None, seconds: float | None = None, **settings: Any) -> Any:
    """Every strategy on every seed at an equal budget (`budget` evaluations, or `seconds` of wall time),
    then tables, paired tests and plots in `out` (`comparison.compare`).

    `what` is a `KerasTask` (`data` its data and `settings` any `TaskSettings` field, as for `search`) or a
    `SearchConfig` for the built-in autoencoder."""
    if isinstance(what, KerasTask):
        return compare_runs(comparison_settings(what, seconds, **settings), out, strategies, seeds, budget,
                            task_data(what, data if data is not None else dataset), observer, command,
                            seconds=seconds, task=KerasTaskRun(what))
    if settings or data is not None:
        raise ArchsearchError("settings and data as keywords are for a KerasTask; a SearchConfig holds its own")
    return compare_runs(what, out, strategies, seeds, budget, dataset, observer, command, seconds=seconds)
