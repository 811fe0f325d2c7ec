"""Terminal output for long work: a rich progress bar fed by the search loop's observer hooks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from archsearch.core.records import OK, EvaluationRecord


class SearchProgress:
    """Shows generation, evaluations done, best validation MSE so far and an estimate of time left."""

    label = "[bold]gen {task.fields[generation]}"

    def __init__(self, total: int | None, console: Console | None = None, fitness_label: str = "val MSE",
                 budget_unit: str = "images seen") -> None:
        self.console = console or Console(stderr=True)
        self.total, self.fitness_label, self.budget_unit = total, fitness_label, budget_unit
        self.best = math.inf
        self.done = self.trained = 0
        self.train_time = 0.0
        self.started = time.perf_counter()
        self.progress = Progress(
            TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
            TextColumn(f"best {fitness_label} " + "{task.fields[best]}"), TextColumn("{task.fields[left]}"),
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
        if self.trained and self.total is not None:
            remaining = max(0, self.total - self.done) * self.train_time / self.trained
            left = f"~{_duration(remaining)} left"
        self.progress.update(self.task, completed=self.done, generation=record.generation,
                             best=f"{self.best:.5f}" if math.isfinite(self.best) else "-", left=left)

    def on_generation(self, generation: int, records: Sequence[EvaluationRecord]) -> None:
        batch = [r for r in records if r.generation == generation and r.candidate_first]
        failed = sum(r.result.status != OK for r in batch)
        cached = sum(r.cached_from is not None for r in batch)
        best = min((r.result.fitness for r in batch if r.result.status == OK), default=math.inf)
        line = (f"generation {generation}: {len(batch)} evaluated ({failed} failed or invalid, {cached} cached), "
                f"generation best {self.fitness_label} {best:.5f}, best so far {self.best:.5f}")
        if any(r.budget is not None for r in records):
            line += "; " + rung_summary(records, self.fitness_label, self.budget_unit)
        self.progress.console.print(line)


def run_in_terminal(run: Callable[[SearchProgress], Any], progress: SearchProgress, banner: str, journal: Path,
                    resume: str) -> tuple[Any, float]:
    """A run command's life in the terminal, for every kind of search: the banner, the run under its
    progress bar, and on Ctrl-C where the record is and the command that resumes it. Returns the run's
    report (None when interrupted) and the seconds it took."""
    progress.console.print(banner)
    started = time.perf_counter()
    try:
        with progress:
            report = run(progress)
    except KeyboardInterrupt:
        progress.console.print(f"\ninterrupted: every finished evaluation is in {journal}.\nresume with: {resume}")
        return None, time.perf_counter() - started
    return report, time.perf_counter() - started


def rung_summary(records: Sequence[EvaluationRecord], fitness_label: str, unit: str = "images seen") -> str:
    """How many candidates reached each budget (in `unit`) so far, and the best at the highest one."""
    counts: dict[int, int] = {}
    for r in records:
        if r.budget is not None and r.cached_from is None:
            counts[r.budget] = counts.get(r.budget, 0) + 1
    if not counts:
        return ""
    top = max(counts)
    best = min((r.result.fitness for r in records if r.budget == top and r.result.status == OK), default=math.inf)
    reached = ", ".join(f"{count} at {budget:,}" for budget, count in sorted(counts.items()))
    return f"{unit}: {reached}; best at {top:,}: {fitness_label} {best:.5f}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class ComparisonProgress(SearchProgress):
    """One bar over every run of a comparison, and a line as each strategy x seed run finishes."""

    label = "[bold]{task.fields[generation]}"

    def __init__(self, total: int | None, console: Console | None = None, fitness_label: str = "val MSE") -> None:
        """`total` evaluations over all runs (None: the runs are time-boxed, the count is open)."""
        super().__init__(total, console, fitness_label)
        self.run_label, self.run_started = "", time.perf_counter()

    def start_run(self, strategy: str, seed: int) -> None:
        self.run_label, self.run_started, self.best = f"{strategy} seed {seed}", time.perf_counter(), math.inf
        self.progress.update(self.task, generation=self.run_label)

    def end_run(self, records: Sequence[EvaluationRecord]) -> None:
        failed = sum(r.result.status != OK for r in records)
        self.progress.console.print(
            f"{self.run_label}: best {self.fitness_label} {self.best:.5f} after {len(records)} evaluations "
            f"({failed} failed or invalid), {_duration(time.perf_counter() - self.run_started)}")

    def on_record(self, record: EvaluationRecord, replayed: bool) -> None:
        super().on_record(record, replayed)
        self.progress.update(self.task, generation=self.run_label)

    def on_generation(self, generation: int, records: Sequence[EvaluationRecord]) -> None:
        """Quiet per generation: a comparison has too many for a line each."""
