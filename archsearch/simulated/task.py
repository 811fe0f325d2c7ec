"""A simulated benchmark as a task (`run.task.Task`): `archsearch.run_task(SimulatedTask(benchmark), settings,
run_dir)` or `archsearch.compare(...)` search it with every strategy, the journal, resume, rungs and time
boxes, in simulated time (`run.simulated.SimulatedPool`, two workers by default: the machine of the
default run). `LAYERED` is the synthetic benchmark's task.

Nothing trains and no data is read (`NO_DATA` stands in for it); each evaluation reports its simulated
seconds, its error at its budget (the fitness) and its `regret`, and with `score_test` its noise-free
error at that budget as `test_fitness`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from archsearch.analysis.tables import best_records
from archsearch.core.data import Dataset
from archsearch.core.errors import InvalidGenome
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import INVALID, OK, EvaluationRecord, EvaluationResult
from archsearch.core.rungs import Rungs
from archsearch.run.candidates import genome_key
from archsearch.run.settings import (
    BUDGET_MULTIPLE,
    RunSettings,
    check_run_settings,
    rungs_of,
    setting,
    shared_setting,
)
from archsearch.run.simulated import SimulatedPool
from archsearch.simulated.benchmark import Benchmark
from archsearch.simulated.layered import Layered

NO_DATA = Dataset(np.zeros((8, 1), "float32"), np.zeros((2, 1), "float32"), source="(simulated: no data)")


@dataclass(frozen=True)
class SimulatedSettings(RunSettings):
    """A simulated run's settings: the shared ones, multi-fidelity by default, on two simulated workers.
    `space` names the benchmark; its budget's unit and the multiple its rungs round to come from it."""

    task: ClassVar[str] = "simulated"
    fitness_name: ClassVar[str] = "val_error"
    fitness_label: ClassVar[str] = "val error (simulated)"

    space: str = "layered"
    fidelity: str | None = "asha"
    workers: int = shared_setting("workers", 2)
    isolate: bool = False
    budget_unit: str = "samples seen"
    budget_multiple: int = setting(BUDGET_MULTIPLE, minimum=1)

    @property
    def rungs(self) -> Rungs | None:
        return rungs_of(self.fidelity, self.min_budget, self.max_budget, self.eta, self.budget_multiple)

    def candidate_training(self) -> str:
        if self.rungs is None:
            return (f"each candidate is scored at the top budget ({self.max_budget:,} {self.budget_unit}), "
                    "in simulated time")
        return f"each candidate is scored at budgets of {self.rungs.describe(self.budget_unit)}, in simulated time"


class BenchmarkEvaluator:
    """Scores a candidate of a benchmark at its budget; its result says how long it would have trained."""

    def __init__(self, benchmark: Benchmark, score_test: bool = False) -> None:
        self.benchmark, self.name, self.score_test = benchmark, benchmark.name, score_test

    def evaluate(self, genome: Any, seed: int, parents: tuple[str, ...] = (),
                 fidelity: Fidelity | None = None) -> EvaluationResult:
        budget, start = (fidelity.budget, fidelity.start) if fidelity else (self.benchmark.top_budget, 0)
        try:
            outcome = self.benchmark.outcome(genome, budget, start, seed)
        except InvalidGenome as error:
            return EvaluationResult(INVALID, reason=str(error), seconds=self.benchmark.fixed_seconds)
        metrics = {"regret": outcome.regret}
        if self.score_test:
            metrics["test_fitness"] = outcome.expected
        return EvaluationResult(OK, fitness=outcome.error, seconds=outcome.train_seconds + self.benchmark.fixed_seconds,
                                train_seconds=outcome.train_seconds, params=outcome.params, metrics=metrics)


class SimulatedTask:
    """A benchmark as a task of the lower-level form (`run.task.Task`)."""

    def __init__(self, benchmark: Benchmark) -> None:
        self.benchmark, self.name = benchmark, benchmark.name

    def check(self, config: SimulatedSettings) -> None:
        check_run_settings(config)

    def fit(self, config: SimulatedSettings, dataset: Dataset) -> SimulatedSettings:
        benchmark = self.benchmark
        return replace(config, space=benchmark.name, train_size=1, val_size=1,
                       max_budget=config.max_budget or benchmark.top_budget, budget_unit=benchmark.budget_unit,
                       budget_multiple=getattr(benchmark, "budget_multiple", BUDGET_MULTIPLE))

    def space(self, config: SimulatedSettings, space_file: Path) -> Any:
        return self.benchmark.space

    def space_document(self, config: SimulatedSettings) -> dict[str, Any]:
        return self.benchmark.space.document()

    def evaluator(self, config: SimulatedSettings, splits: Any, run_dir: Path, score_test: bool = False):
        return nullcontext(SimulatedPool(BenchmarkEvaluator(self.benchmark, score_test), config.workers or 2))

    def candidate_key(self, config: SimulatedSettings) -> Callable[[Any], str]:
        return genome_key

    def finish(self, config: SimulatedSettings, run_dir: Path, records: list[EvaluationRecord], dataset: Dataset,
               splits: Any, log: Callable[[str], None]) -> EvaluationRecord | None:
        """The run's winner by the engine's rule (the top rung first, then the fitness); nothing to hand over."""
        best = best_records(records, 1)
        return best[0] if best else None


LAYERED = SimulatedTask(Layered())
