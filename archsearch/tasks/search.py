"""`archsearch.search`: one entry point for every search, your own task's or the built-in autoencoder's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from archsearch.core.errors import ArchsearchError
from archsearch.tasks.keras_task import KerasTask
from archsearch.tasks.run import search_task


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
