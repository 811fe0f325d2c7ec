"""A simulated benchmark as a task (`run.task.Task`): `archsearch.run_task(LAYERED, settings, run_dir)` or
`archsearch.compare(...)` search it with every strategy, the journal, resume, rungs and time boxes, in
simulated time (`run.simulated.SimulatedPool`, two workers by default: the machine of the default run).

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
from archsearch.core.fidelity import Fidelity
from archsearch.core.records import OK, EvaluationRecord, EvaluationResult
from archsearch.core.space.params import Params
from archsearch.run.candidates import genome_key
from archsearch.run.settings import RunSettings, check_run_settings, shared_setting
from archsearch.run.simulated import SimulatedPool
from archsearch.simulated import layered

NO_DATA = Dataset(np.zeros((8, 1), "float32"), np.zeros((2, 1), "float32"), source="(simulated: no data)")
FIXED_SECONDS = 0.5  # what every evaluation costs besides its samples (building, graph tracing, scoring)


@dataclass(frozen=True)
class SimulatedSettings(RunSettings):
    """A simulated run's settings: the shared ones, multi-fidelity by default, on two simulated workers."""

    task: ClassVar[str] = "simulated"
    fitness_name: ClassVar[str] = "val_error"
    fitness_label: ClassVar[str] = "val error (simulated)"

    space: str = "layered"
    fidelity: str | None = "asha"
    workers: int = shared_setting("workers", 2)
    isolate: bool = False

    @property
    def budget_unit(self) -> str:
        return "samples seen"

    def candidate_training(self) -> str:
        if self.rungs is None:
            return f"each candidate is scored at the top budget ({layered.TOP_BUDGET:,} samples), in simulated time"
        return f"each candidate is scored at budgets of {self.rungs.describe('samples seen')}, in simulated time"


class LayeredEvaluator:
    """Scores a candidate of `layered.SPACE` at its budget; its result says how long it would have trained."""

    name = "layered"

    def __init__(self, score_test: bool = False) -> None:
        self.score_test = score_test

    def evaluate(self, genome: Params, seed: int, parents: tuple[str, ...] = (),
                 fidelity: Fidelity | None = None) -> EvaluationResult:
        budget, start = (fidelity.budget, fidelity.start) if fidelity else (layered.TOP_BUDGET, 0)
        train_seconds = layered.seconds_per_sample(genome) * (budget - start)
        metrics = {"regret": layered.final_error(genome) - layered.OPTIMUM}
        if self.score_test:
            metrics["test_fitness"] = layered.error_at(genome, budget, None)
        return EvaluationResult(OK, fitness=layered.error_at(genome, budget, [seed, budget]),
                                seconds=train_seconds + FIXED_SECONDS, train_seconds=train_seconds,
                                params=len(genome["layers"]), metrics=metrics)


class LayeredTask:
    """`layered` as a task of the lower-level form (`run.task.Task`)."""

    name = "layered"

    def check(self, config: SimulatedSettings) -> None:
        check_run_settings(config)

    def fit(self, config: SimulatedSettings, dataset: Dataset) -> SimulatedSettings:
        return replace(config, train_size=1, val_size=1, max_budget=config.max_budget or layered.TOP_BUDGET)

    def space(self, config: SimulatedSettings, space_file: Path) -> Any:
        return layered.SPACE

    def space_document(self, config: SimulatedSettings) -> dict[str, Any]:
        return layered.SPACE.document()

    def evaluator(self, config: SimulatedSettings, splits: Any, run_dir: Path, score_test: bool = False):
        return nullcontext(SimulatedPool(LayeredEvaluator(score_test), config.workers or 2))

    def candidate_key(self, config: SimulatedSettings) -> Callable[[Any], str]:
        return genome_key

    def finish(self, config: SimulatedSettings, run_dir: Path, records: list[EvaluationRecord], dataset: Dataset,
               splits: Any, log: Callable[[str], None]) -> EvaluationRecord | None:
        """The run's winner by the engine's rule (the top rung first, then the fitness); nothing to hand over."""
        best = best_records(records, 1)
        return best[0] if best else None


LAYERED = LayeredTask()
