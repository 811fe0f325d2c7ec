"""Terminal output for long work: a rich progress bar fed by the search loop's observer hooks."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from archsearch.records import OK, EvaluationRecord


class SearchProgress:
    """Shows generation, evaluations done, best validation MSE so far and an estimate of time left."""

    def __init__(self, total: int, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.total = total
        self.best = math.inf
        self.done = self.trained = 0
        self.train_time = 0.0
        self.started = time.perf_counter()
        self.progress = Progress(
            TextColumn("[bold]gen {task.fields[generation]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("best val MSE {task.fields[best]}"), TextColumn("{task.fields[left]}"),
            TimeElapsedColumn(), console=self.console, transient=False,
        )
        self.task = self.progress.add_task("search", total=total, generation=0, best="-", left="")

    def __enter__(self) -> "SearchProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def on_record(self, record: EvaluationRecord, replayed: bool) -> None:
        self.done += 1
        if not replayed and record.cached_from is None:
            self.trained += 1
            self.train_time += record.result.seconds
        if record.result.status == OK:
            self.best = min(self.best, record.result.fitness)
        left = ""
        if self.trained:
            remaining = (self.total - self.done) * self.train_time / self.trained
            left = f"~{_duration(remaining)} left"
        self.progress.update(self.task, completed=self.done, generation=record.generation,
                             best=f"{self.best:.5f}" if math.isfinite(self.best) else "-", left=left)

    def on_generation(self, generation: int, records: Sequence[EvaluationRecord]) -> None:
        batch = [r for r in records if r.generation == generation]
        failed = sum(r.result.status != OK for r in batch)
        cached = sum(r.cached_from is not None for r in batch)
        best = min((r.result.fitness for r in batch if r.result.status == OK), default=math.inf)
        self.progress.console.print(
            f"generation {generation}: {len(batch)} evaluated ({failed} failed or invalid, {cached} cached), "
            f"generation best {best:.5f}, best so far {self.best:.5f}")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
