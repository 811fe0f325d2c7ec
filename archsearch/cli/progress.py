"""Terminal output for long work: a rich progress bar fed by the search loop's observer hooks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from archsearch.cli.tables import output_console
from archsearch.core.records import OK, EvaluationRecord, incumbent
from archsearch.run.settings import UNBOUNDED


class SearchProgress:
    """A bar of new candidates against the run's count and, in a multi-fidelity run, one of promotions
    against those started (both end full, never past it), with the run's best as the run would choose it
    now (the most trained first: `core.records.most_trained_first`) and an estimate of the time left."""

    def __init__(self, candidates: int | None, console: Console | None = None, fitness_label: str = "val MSE",
                 budget_unit: str = "images seen", rungs: bool = False) -> None:
        """`candidates`: new candidates the run starts (None: a time box ends it); `rungs`: a multi-fidelity
        run, whose candidates climb rungs (promotions)."""
        self.console = console or output_console()
        self.candidates = None if candidates is None or candidates >= UNBOUNDED else candidates
        self.fitness_label, self.budget_unit = fitness_label, budget_unit
        self.best: EvaluationRecord | None = None
        self.started_promotions = self.done_promotions = self.done = self.trained = 0
        self.train_time = 0.0
        self.generation = 0
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(bar_width=20), MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(), console=self.console, transient=False,
        )
        self.new_task = self.progress.add_task(self._new_words(), total=self.candidates, note="best -")
        self.promotion_task = (self.progress.add_task("  promotions", total=0, note="")
                               if rungs else None)

    @classmethod
    def of_run(cls, config: Any, fitness_label: str | None = None) -> "SearchProgress":
        """The progress of a run with these settings (`run.settings.RunSettings`)."""
        return cls(config.evaluations, fitness_label=fitness_label or config.fitness_label,
                   budget_unit=getattr(config, "budget_unit", "images seen"), rungs=config.rungs is not None)

    def __enter__(self) -> "SearchProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Each bar ends full: at what the run did, which a time limit (or a converged strategy) may have cut
        short, as the bar then says (the report says why)."""
        if exc[0] is None:
            if self.candidates is not None and self.done < self.candidates:
                self.progress.update(self.new_task, description=self._new_words(f" (stopped at {self.done}/"
                                                                                 f"{self.candidates})"))
            self.progress.update(self.new_task, total=self.done, note=self._best_words())  # no time left
        self.progress.stop()

    def _new_words(self, note: str = "") -> str:
        return f"[bold]gen {self.generation}[/] new candidates{note}"

    def on_started(self, rung: int) -> None:
        """The engine issued a job at `rung` (above 0: a promotion)."""
        if rung > 0 and self.promotion_task is not None:
            self.started_promotions += 1
            self.progress.update(self.promotion_task, total=self.started_promotions)

    def on_record(self, record: EvaluationRecord, replayed: bool) -> None:
        if not replayed and record.cached_from is None:
            self.trained += 1
            self.train_time += record.result.seconds
        if record.candidate_first:
            self.done += 1
            self.generation = record.generation
        elif self.promotion_task is not None:
            self.done_promotions += 1
            self.progress.update(self.promotion_task, completed=self.done_promotions)
        self.best = incumbent(self.best, record)
        self.progress.update(self.new_task, completed=self.done, description=self._new_words(),
                             note=f"{self._best_words()}{self._time_left()}")

    def _best_words(self) -> str:
        if self.best is None:
            return "best -"
        budget = f" ({self.best.budget:,} {self.budget_unit})" if self.best.budget is not None else ""
        return f"best {self.fitness_label} {self.best.result.fitness:.5f}{budget}"

    def _time_left(self) -> str:
        """New candidates left times the training time a candidate has cost so far, promotions included."""
        if not self.trained or self.candidates is None or not self.done or self.done >= self.candidates:
            return ""
        return f", ~{_duration((self.candidates - self.done) * self.train_time / self.done)} left"

    def on_generation(self, generation: int, records: Sequence[EvaluationRecord]) -> None:
        batch = [r for r in records if r.generation == generation and r.candidate_first]
        failed = sum(r.result.status != OK for r in batch)
        cached = sum(r.cached_from is not None for r in batch)
        best = min((r.result.fitness for r in batch if r.result.status == OK), default=math.inf)
        line = (f"generation {generation}: {len(batch)} evaluated ({failed} failed or invalid, {cached} cached), "
                f"generation best {self.fitness_label} {best:.5f}; the run's {self._best_words()}")
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


def took_words(seconds: float, resumed: bool, whole: str = "the whole run") -> str:
    """How long it took, said of what was timed: a resume times itself only, not the run it finished."""
    return f"{'this resumed part of the run' if resumed else whole} took {seconds:.0f} s"


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
    """One bar over every run of a comparison, and a line as each strategy x seed run finishes, naming the
    best that the comparison's table gives the run (chosen among what finished within its time box)."""

    def __init__(self, total: int | None, console: Console | None = None, fitness_label: str = "val MSE",
                 seconds: float | None = None) -> None:
        """`total` new candidates over all runs (None: the runs are time-boxed, `seconds` each)."""
        self.seconds, self.run_label = seconds, ""
        super().__init__(total, console, fitness_label)

    def _new_words(self, note: str = "") -> str:
        return f"[bold]{self.run_label}[/] new candidates{note}"

    def start_run(self, strategy: str, seed: int) -> None:
        self.run_label, self.best = f"{strategy} seed {seed}", None
        self.progress.update(self.new_task, description=self._new_words())

    def end_run(self, records: Sequence[EvaluationRecord]) -> None:
        from archsearch.comparison.statistics import run_result

        result = run_result("", 0, records, self.seconds)
        failed = sum(r.result.status != OK for r in records)
        self.progress.console.print(
            f"{self.run_label}: best {self.fitness_label} {result['best_fitness']:.5f} after {len(records)} "
            f"evaluations ({failed} failed or invalid), {_duration(result['wall_seconds'])} of searching")

    def on_generation(self, generation: int, records: Sequence[EvaluationRecord]) -> None:
        """Quiet per generation: a comparison has too many for a line each."""
